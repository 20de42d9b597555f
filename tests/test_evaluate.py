"""The evaluation's aggregation and report functions, on small synthetic outcomes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _script(name: str) -> ModuleType:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location(f"eval_{name}", ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


evaluate = _script("evaluate")
nlu_eval = _script("nlu_eval")
report_eval = _script("report_eval")

ORDERS_OF = {"ca": "federal", "ca-on": "provincial", "ca-on-toronto": "municipal"}


def referral(kind: str, jurisdiction: str) -> dict[str, Any]:
    """A REST message carrying a one-service referral."""
    return {
        "text": f"Go to {kind}.",
        "custom": {
            "type": "referral",
            "language": "en",
            "life_event": None,
            "referrals": [
                {"kind": kind, "jurisdiction": jurisdiction, "order": ORDERS_OF[jurisdiction]}
            ],
        },
    }


def outcome(
    case_id: str,
    language: str,
    expect: dict[str, Any],
    replies: list[list[dict[str, Any]]],
    language_ok: bool = True,
) -> Any:
    """Judge a synthetic conversation as ``run_case`` does."""
    case = {"id": case_id, "language": language, "turns": ["t"] * len(replies), "expect": expect}
    routed, order_ok = evaluate.judge(case, replies, ORDERS_OF)
    return evaluate.Outcome(case, routed, order_ok, language_ok, [10.0] * len(replies), replies)


@pytest.fixture
def outcomes() -> list[Any]:
    passport = {"type": "referral", "kind": "passport", "jurisdiction": "ca"}
    card = {"type": "referral", "kind": "health-card", "jurisdiction": "ca-on"}
    garbage = {"type": "referral", "kind": "garbage", "jurisdiction": "ca-on-toronto"}
    return [
        outcome("en-1", "en", passport, [[referral("passport", "ca")]]),
        outcome("en-2", "en", card, [[referral("passport", "ca")]]),
        outcome("en-3", "en", garbage, [[referral("garbage", "ca-on-toronto")]]),
        outcome(
            "fr-1",
            "fr",
            card,
            [[{"text": "Choisissez", "custom": {"type": "choices", "options": []}}]],
        ),
        outcome("fr-2", "fr", card, [[referral("health-card", "ca-on")]], language_ok=False),
        outcome("fr-3", "fr", {"type": "out_of_scope"}, [[{"custom": {"type": "out_of_scope"}}]]),
    ]


def test_report_counts_by_order_and_jurisdiction(outcomes: list[Any], tmp_path: Path) -> None:
    results = evaluate.report(outcomes, tmp_path / "failures.txt", ORDERS_OF)
    assert results["by_order"]["en"] == {
        "federal": [1, 1],
        "provincial": [0, 1],
        "municipal": [1, 1],
    }
    # fr-1 gave no referral: it counts against routing but not against the order given.
    assert results["by_order"]["fr"] == {"provincial": [1, 2]}
    assert results["order_by_order"]["fr"] == {"provincial": [1, 1]}
    assert results["order_by_order"]["en"]["provincial"] == [0, 1]
    assert results["by_jurisdiction"]["en"] == {
        "ca": [1, 1],
        "ca-on": [0, 1],
        "ca-on-toronto": [1, 1],
    }
    assert results["summary"]["fr"]["routing"] == pytest.approx(2 / 3)
    assert [f["id"] for f in results["failures"]] == ["en-2", "fr-1", "fr-2"]


def test_failures_file_shows_expected_got_and_answer(outcomes: list[Any], tmp_path: Path) -> None:
    path = tmp_path / "failures.txt"
    evaluate.report(outcomes, path, ORDERS_OF)
    text = path.read_text(encoding="utf-8")
    assert "== en-2 (en)" in text
    assert "expected: referral health-card@ca-on" in text
    assert "got:      referral passport@ca (federal)" in text
    assert "Go to passport." in text
    assert "[WRONG REPLY LANGUAGE]" in text


def test_payload_summary() -> None:
    assert evaluate.payload_summary({"type": "ask", "slot": "location"}) == "ask location"
    life = {"type": "referral", "life_event": "having-a-baby", "referrals": [{}, {}]}
    assert evaluate.payload_summary(life) == "referral life event having-a-baby (2 services)"
    choices = {"type": "choices", "options": [{"kind": "a"}, {"title": "B"}]}
    assert evaluate.payload_summary(choices) == "choices a, B"
    assert evaluate.payload_summary({"type": "emergency", "kind": "emergency"}) == (
        "emergency emergency"
    )


def test_missed_targets() -> None:
    summary = {
        "en": {"routing": 0.9, "order": 0.99, "language": 1.0, "p50_ms": 80.0},
        "fr": {"routing": 0.8, "order": 0.99, "language": 1.0, "p50_ms": 200.0},
    }
    missed = evaluate.missed_targets(summary)
    assert [line.split()[:2] for line in missed] == [["fr", "routing"], ["fr", "p50_ms"]]


def test_summarize_f1_and_confusions() -> None:
    pairs = [("a", "a"), ("a", "b"), ("b", "b"), ("b", "b"), ("c", "b"), ("c", "b")]
    result = nlu_eval.summarize(pairs, top=2)
    # a: p=1, r=.5, f1=2/3; b: p=2/5, r=1, f1=4/7; c: 0.
    assert result["labels"]["a"]["f1"] == pytest.approx(2 / 3)
    assert result["labels"]["b"]["f1"] == pytest.approx(4 / 7)
    assert result["macro_f1"] == pytest.approx((2 / 3 + 4 / 7) / 3)
    assert result["weighted_f1"] == pytest.approx((2 / 3 * 2 + 4 / 7 * 2) / 6)
    assert result["confused"] == [["c", "b", 2], ["a", "b", 1]]
    assert result["accuracy"] == pytest.approx(0.5)


def test_aggregate_per_language() -> None:
    rows = [
        {
            "language": "en",
            "intent": "need",
            "predicted_intent": "need",
            "label": "kind:passport",
            "predicted_label": "kind:citizenship",
            "fallback": False,
            "kind": "passport",
            "predicted_kind": "passport",
        },
        {
            "language": "fr",
            "intent": "greet",
            "predicted_intent": "goodbye",
            "label": "intent:greet",
            "predicted_label": "intent:goodbye",
            "fallback": True,
        },
    ]
    result = nlu_eval.aggregate(rows)
    assert result["en"]["intent"]["macro_f1"] == 1.0
    assert result["en"]["label"]["confused"] == [["kind:passport", "kind:citizenship", 1]]
    assert result["en"]["kind_after_search"] == {"n": 1, "accuracy": 1.0}
    assert result["fr"]["fallback_rate"] == 1.0
    assert result["fr"]["kind_after_search"]["n"] == 0


def test_render_report_and_plots(outcomes: list[Any], tmp_path: Path) -> None:
    results = evaluate.report(outcomes, tmp_path / "failures.txt", ORDERS_OF)
    results.update(
        {
            "date": "2026-01-01T00:00:00+00:00",
            "command": "scripts/evaluate.py --report x.md",
            "machine": report_eval.machine_info(),
            "cases_file": "cases.yml",
            "failures_file": "failures.txt",
            "targets": evaluate.TARGETS,
            "missed": evaluate.missed_targets(results["summary"]),
        }
    )
    nlu = {
        "date": "2026-01-01T00:00:00+00:00",
        "command": "scripts/nlu_eval.py",
        "settings": {
            "folds": 5,
            "seed": 0,
            "C": 30.0,
            "kb_phrases": 10,
            "seconds": 1.0,
            "fallback_threshold": 0.35,
        },
        "languages": nlu_eval.aggregate(
            [
                {
                    "language": lang,
                    "intent": "need",
                    "predicted_intent": "greet",
                    "label": "kind:x",
                    "predicted_label": "intent:greet",
                    "fallback": False,
                }
                for lang in ("en", "fr")
            ]
        ),
    }
    text = report_eval.render_report(results, nlu, "img/a.png", "img/c.png", max_failures=2)
    assert "| federal | 1/1 (100.0%) | 1/1 (100.0%) | – | – |" in text
    assert "| `ca-on` | 0/1 (0.0%) | 1/2 (50.0%) |" in text
    assert "`need` → `greet` (1)" in text
    assert "… and 1 more" in text
    assert "MISSED" not in text and "fr routing" in text
    report_eval.plot_accuracy(results, tmp_path / "a.png")
    report_eval.plot_confusion(nlu, tmp_path / "c.png")
    assert (tmp_path / "a.png").stat().st_size > 1000
    assert (tmp_path / "c.png").stat().st_size > 1000
