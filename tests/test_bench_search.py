"""The search benchmark's generator, query set and report (tiny sizes; no timing asserted)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from bot.search import build_index

_PATH = Path(__file__).resolve().parent.parent / "scripts" / "bench_search.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_search", _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_search"] = module
    spec.loader.exec_module(module)
    return module


def test_synthetic_knowledge_is_valid_and_deterministic(bench, kb):
    bigger = bench.synthetic_knowledge(kb, 2, seed=7)
    again = bench.synthetic_knowledge(kb, 2, seed=7)
    assert len(bigger.services) == 2 * len(kb.services)
    assert [s.name for s in bigger.services.values()] == [s.name for s in again.services.values()]
    for service in bigger.services.values():
        assert service.kind in kb.contract.kinds
        assert service.jurisdiction in kb.contract.jurisdictions
        assert service.name.en and service.name.fr
    assert bench.synthetic_knowledge(kb, 1) is kb
    assert len(kb.services) == len(bench.synthetic_knowledge(kb, 1).services)


def test_vocabulary_grows_with_size(bench, kb):
    real = build_index(kb)
    bigger = build_index(bench.synthetic_knowledge(kb, 2))
    assert len(bigger) > 1.5 * len(real)
    assert bigger.vocabulary_size > real.vocabulary_size


def test_query_set_has_both_languages_typos_and_sms(bench):
    queries = bench.query_set()
    assert len(queries) >= 300
    assert queries == bench.query_set()
    assert "renouveler mon passeport" in queries
    assert "renew my passport" in queries
    assert any(" pr " in q or " d " in q for q in queries)
    assert len(set(queries)) > 0.7 * len(queries)


def test_percentiles(bench):
    stats = bench.percentiles([float(i) for i in range(1, 101)])
    assert (stats["p50_ms"], stats["p95_ms"], stats["p99_ms"], stats["n"]) == (50, 95, 99, 100)


def test_report_structure(bench, tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "BASE_QUERIES", {"en": ["renew my passport"], "fr": ["permis"]})
    out, png = tmp_path / "search.json", tmp_path / "search.png"
    assert (
        bench.main(
            [
                "--sizes",
                "1",
                "--repeat",
                "1",
                "--naive-queries",
                "2",
                "--json",
                str(out),
                "--plot",
                str(png),
            ]
        )
        == 0
    )
    result = json.loads(out.read_text())
    assert {"cpu", "cores", "python", "rapidfuzz"} <= set(result["machine"])
    (row,) = result["sizes"]
    assert row["factor"] == 1 and row["phrases"] > 0 and row["services"] > 0
    for method in ("indexed", "naive"):
        assert {"p50_ms", "p95_ms", "p99_ms", "n"} <= set(row[method])
    assert row["naive"]["n"] == 2
    assert png.stat().st_size > 0
