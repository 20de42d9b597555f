"""``make bench``'s pieces, without a server or Locust: fast, structural, no timing."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from bench.baseline import DEFAULT_RESPONSE, FALLBACK_INTENT, write_baseline
from bench.machine import descendants, pss_mb, rss_mb

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_script", ROOT / "scripts" / "bench.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def test_baseline_has_the_assistants_nlu_and_policies_but_no_actions(tmp_path: Path) -> None:
    paths = write_baseline(ROOT, tmp_path)
    assert paths["config"].read_text() == (ROOT / "config.yml").read_text()
    domain = yaml.safe_load(paths["domain"].read_text())
    original = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert domain["intents"] == original["intents"]
    assert domain["entities"] == original["entities"]
    assert "actions" not in domain and "slots" not in domain
    assert set(domain["responses"]) == {
        f"utter_{i}" for i in [*original["intents"], FALLBACK_INTENT]
    } | {DEFAULT_RESPONSE}
    rules = yaml.safe_load(paths["rules"].read_text())["rules"]
    assert {r["steps"][0]["intent"]: r["steps"][1]["action"] for r in rules} == {
        i: f"utter_{i}" for i in [*original["intents"], FALLBACK_INTENT]
    }
    assert yaml.safe_load(paths["credentials"].read_text()) == {"rest": None}


def test_load_generator_is_pinned() -> None:
    lines = [
        line
        for line in (ROOT / "bench" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert any(line.lower().startswith("locust==2.") for line in lines)
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.\-]+", line) for line in lines)


def test_locustfile_posts_to_the_rest_webhook_and_checks_replies() -> None:
    source = (ROOT / "bench" / "locustfile.py").read_text()
    tree = ast.parse(source)
    classes = [node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    assert "Conversation" in classes
    assert '"/webhooks/rest/webhook"' in source and "empty reply" in source


def test_conversations_come_from_the_held_out_set(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "OUT", tmp_path)
    conversations = yaml.safe_load(bench.conversations_file().read_text())
    cases = yaml.safe_load((ROOT / "tests" / "eval" / "cases.yml").read_text())["cases"]
    assert conversations == [case["turns"] for case in cases]


def _repeat(bench: ModuleType, scale: float) -> Any:
    steps = [
        bench.Step(n, 100, 0, 10.0 * scale, 20.0 * scale * n, 40.0 * scale * n, 60.0 * scale * n)
        for n in (1, 10, 50)
    ]
    return bench.Repeat(30.0 * scale, {"rasa": 500.0}, {"rasa": 550.0}, steps)


def test_summary_takes_medians_and_report_has_every_figure(
    bench: ModuleType, tmp_path: Path
) -> None:
    users = [1, 10, 50]
    assistant = bench.summarize([_repeat(bench, s) for s in (1.0, 1.2, 5.0)], users)
    baseline = bench.summarize([_repeat(bench, 1.0) for _ in range(3)], users)
    assert assistant["steps"]["10"]["p95_ms"] == 480.0  # the median run, not the outlier
    assert assistant["saturation_rps"] == 12.0
    training = {"training_s": 100.0}
    result: dict[str, Any] = {
        "machine": bench.machine(),
        "conditions": {
            "command": "make bench",
            "duration_s": 30,
            "repeats": 3,
            "conversations": 2,
            "load_start": os.getloadavg(),
            "load_end": os.getloadavg(),
            "finished": "now",
            "note": "",
        },
        "bots": {
            "assistant": dict(assistant, training=training),
            "baseline": dict(baseline, training=training),
        },
    }
    result["ratios"] = bench.ratios(result, users)
    assert result["ratios"]["10"] == {"p50": 1.2, "p95": 1.2}
    doc = bench.markdown(result, users)
    for needle in ("1.2x", "p99 ms", "messages/s", "RSS", "start-up", "training", "Load average"):
        assert needle in doc
    bench.plot(result, users, tmp_path / "plot.png")
    assert (tmp_path / "plot.png").read_bytes().startswith(b"\x89PNG")


def test_memory_is_read_from_proc() -> None:
    assert os.getpid() in descendants(os.getpid())
    assert rss_mb(os.getpid()) > 0
    assert 0 < pss_mb(os.getpid()) <= rss_mb(os.getpid())


def test_sqlite_tracker_store_keeps_connections_and_logs_ahead(tmp_path: Path) -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from sqlalchemy import pool, text

    from bot import rasa_speedups

    rasa_speedups.apply()
    rasa_speedups.apply()
    store = SQLTrackerStore(Domain.empty(), db=str(tmp_path / "trackers.db"))
    assert isinstance(store.engine.pool, pool.QueuePool)
    with store.session_scope() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_search_section_reports_every_size_or_says_how_to_measure(
    bench: ModuleType, tmp_path: Path
) -> None:
    missing = bench.search_section(tmp_path / "none.json")
    assert "make bench-search" in missing
    sizes = [
        {
            "factor": factor,
            "services": 10 * factor,
            "phrases": 100 * factor,
            "indexed": {"p50_ms": 0.1 * factor, "p95_ms": 0.2 * factor, "p99_ms": 0.3 * factor},
            "naive": {"p50_ms": 40.0 * factor, "p95_ms": 60.0 * factor},
        }
        for factor in (1, 10, 100)
    ]
    data = {
        "machine": {
            "cpu": "test cpu",
            "cores": 2,
            "python": "3.10",
            "rapidfuzz": "3",
            "load_average": [0.5, 0.5, 0.5],
        },
        "repeat": 3,
        "target_p95_ms": 5.0,
        "sizes": sizes,
    }
    path = tmp_path / "search.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    section = bench.search_section(path)
    assert "| 100x | 1,000 | 10,000 | 10.00 / 20.00 / 30.00 | 4000 / 6000 |" in section
