"""Run the held-out evaluation set against the running assistant (``make eval``).

Each case is a conversation sent turn by turn through the REST channel; the
referral payloads in the answers are compared with the expected kind,
jurisdiction, life event or payload type. Prints, per language: routing
accuracy, order-of-government accuracy, reply-language accuracy and latency.
With ``--check`` it exits 1 when a target is missed. Also prints routing
accuracy by order of government and by jurisdiction, writes the failing cases
with the assistant's full answers (``--failures``), the results as JSON
(``--json``) and the markdown report with its plots (``--report``).
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.contract import load_contract  # noqa: E402
from bot.language import detect  # noqa: E402
from scripts.report_eval import (  # noqa: E402
    ORDERS,
    machine_info,
    plot_accuracy,
    plot_confusion,
    render_report,
)

# "order" is the order of government of the first referral, over the referrals the
# assistant gave; "order_all" counts a case with no referral (choices, a question
# never answered) as wrong too, and is reported beside it.
TARGETS = {"routing": 0.85, "order": 0.95, "language": 0.98, "p50_ms": 150.0}


@dataclass
class Outcome:
    """What happened in one case."""

    case: dict[str, Any]
    routed: bool
    order_ok: bool | None
    language_ok: bool
    latencies: list[float]
    replies: list[list[dict[str, Any]]]

    @property
    def payloads(self) -> list[dict[str, Any]]:
        """The structured payloads of every reply, in order."""
        return [m["custom"] for msgs in self.replies for m in msgs if m.get("custom")]

    @property
    def referred(self) -> bool:
        """Whether the assistant gave a referral in this conversation."""
        return any(p.get("type") == "referral" for p in self.payloads)


def send(url: str, sender: str, text: str) -> tuple[list[dict[str, Any]], float]:
    start = time.perf_counter()
    response = requests.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
    )
    elapsed = (time.perf_counter() - start) * 1000
    response.raise_for_status()
    return response.json(), elapsed


def reply_language(messages: list[dict[str, Any]]) -> str | None:
    for message in messages:
        custom = message.get("custom") or {}
        if custom.get("language"):
            return custom["language"]
    text = " ".join(m.get("text") or "" for m in messages)
    return detect(text)[0] if text.strip() else None


def judge(
    case: dict[str, Any], turns: list[list[dict[str, Any]]], orders: dict[str, str]
) -> tuple[bool, bool | None]:
    expect = case["expect"]
    payloads = [m["custom"] for msgs in turns for m in msgs if m.get("custom")]
    if expect.get("asks_location"):
        first_turn = [m["custom"] for m in turns[0] if m.get("custom")]
        if not any(p.get("type") == "ask" for p in first_turn):
            return False, False if expect.get("jurisdiction") else None
    wanted = expect["type"]
    if wanted == "referral":
        referral = next((p for p in payloads if p.get("type") == "referral"), None)
        if referral is None:
            return False, False if expect.get("jurisdiction") else None
        first = referral["referrals"][0]
        if expect.get("life_event"):
            return referral.get("life_event") == expect["life_event"], None
        routed = first["kind"] == expect["kind"] and first["jurisdiction"] == expect["jurisdiction"]
        return routed, first["order"] == orders[expect["jurisdiction"]]
    match = next((p for p in payloads if p.get("type") == wanted), None)
    if match is None:
        return False, None
    return ("kind" not in expect or match.get("kind") == expect["kind"]), None


def run_case(url: str, case: dict[str, Any], orders: dict[str, str]) -> Outcome:
    sender = f"eval-{case['id']}-{uuid.uuid4().hex[:6]}"
    turns, latencies = [], []
    for text in case["turns"]:
        messages, elapsed = send(url, sender, text)
        turns.append(messages)
        latencies.append(elapsed)
    routed, order_ok = judge(case, turns, orders)
    language_ok = reply_language(turns[-1]) == case["language"]
    return Outcome(case, routed, order_ok, language_ok, latencies, turns)


def payload_summary(payload: dict[str, Any]) -> str:
    """One line for a payload: its type and what it refers to or asks."""
    kind = payload.get("type")
    if kind == "referral":
        referrals = payload.get("referrals") or []
        if payload.get("life_event"):
            return f"referral life event {payload['life_event']} ({len(referrals)} services)"
        if not referrals:
            return "referral (empty)"
        first = referrals[0]
        return (
            f"referral {first.get('kind')}@{first.get('jurisdiction')} ({first.get('order')})"
            + (f" +{len(referrals) - 1}" if len(referrals) > 1 else "")
        )
    if kind == "ask":
        return f"ask {payload.get('slot')}"
    if kind == "choices":
        options = payload.get("options") or []
        return "choices " + ", ".join(str(o.get("kind") or o.get("title")) for o in options)
    if kind == "emergency":
        return f"emergency {payload.get('kind')}"
    return str(kind)


def expected_summary(expect: dict[str, Any]) -> str:
    """One line for what a case expects."""
    text = str(expect["type"])
    if expect.get("life_event"):
        text += f" life event {expect['life_event']}"
    elif expect.get("kind"):
        text += f" {expect['kind']}" + (
            f"@{expect['jurisdiction']}" if expect.get("jurisdiction") else ""
        )
    return text + (" (asks location first)" if expect.get("asks_location") else "")


def failure_record(outcome: Outcome) -> dict[str, Any]:
    """A failing case with what was expected, what came back and the full answers."""
    return {
        "id": outcome.case["id"],
        "language": outcome.case["language"],
        "turns": list(outcome.case["turns"]),
        "expected": expected_summary(outcome.case["expect"]),
        "got": [payload_summary(p) for p in outcome.payloads],
        "language_ok": outcome.language_ok,
        "answers": [answer_text(messages) for messages in outcome.replies],
    }


def answer_text(messages: list[dict[str, Any]]) -> str:
    """The text of one reply, with its buttons' titles."""
    lines = []
    for message in messages:
        if message.get("text"):
            lines.append(message["text"])
        if message.get("buttons"):
            lines.append("[" + " | ".join(str(b.get("title")) for b in message["buttons"]) + "]")
    return "\n".join(lines)


def format_failure(record: dict[str, Any]) -> str:
    """The failing case as readable text: each turn followed by the assistant's answer."""
    lines = [
        f"== {record['id']} ({record['language']})",
        f"expected: {record['expected']}",
        f"got:      {'; '.join(record['got']) or 'no payload'}"
        + ("" if record["language_ok"] else "  [WRONG REPLY LANGUAGE]"),
    ]
    for number, (text, answer) in enumerate(
        zip(record["turns"], record["answers"], strict=False), start=1
    ):
        lines.append(f"turn {number} > {text}")
        lines += [f"    {line}" for line in (answer or "(no text)").splitlines()]
    return "\n".join(lines) + "\n"


def tally(
    outcomes: list[Outcome], key: Any, value: Any = lambda o: o.routed
) -> dict[str, dict[str, list[int]]]:
    """Count ``[ok, total]`` per language and per group.

    Args:
        outcomes: The cases' outcomes.
        key: Outcome → group name, or None to leave the case out.
        value: Outcome → whether it counts as right, or None to leave it out.

    Returns:
        Language → group → ``[ok, total]``.
    """
    counts: dict[str, dict[str, list[int]]] = {}
    for o in outcomes:
        group, ok = key(o), value(o)
        if group is None or ok is None:
            continue
        cell = counts.setdefault(o.case["language"], {}).setdefault(group, [0, 0])
        cell[0] += bool(ok)
        cell[1] += 1
    return counts


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def report(
    outcomes: list[Outcome], failures_path: Path, orders_of: dict[str, str]
) -> dict[str, Any]:
    """Print the results, write the failing cases, and return every number.

    Args:
        outcomes: The cases' outcomes.
        failures_path: Where to write the failing cases with the assistant's answers.
        orders_of: Jurisdiction id → order of government.

    Returns:
        ``summary`` (language → metric → value), ``by_order``, ``order_by_order``,
        ``by_jurisdiction``, ``by_tag`` (``[ok, total]`` counts) and ``failures``.
    """
    summary: dict[str, dict[str, float]] = {}
    lines = []
    for lang in ("en", "fr"):
        mine = [o for o in outcomes if o.case["language"] == lang]
        orders = [o.order_ok for o in mine if o.order_ok is not None]
        referred = [o.order_ok for o in mine if o.order_ok is not None and o.referred]
        latencies = [t for o in mine for t in o.latencies]
        summary[lang] = {
            "cases": len(mine),
            "routing": sum(o.routed for o in mine) / len(mine),
            "order": sum(referred) / len(referred) if referred else 1.0,
            "order_all": sum(orders) / len(orders) if orders else 1.0,
            "language": sum(o.language_ok for o in mine) / len(mine),
            "p50_ms": statistics.median(latencies),
            "p95_ms": percentile(latencies, 0.95),
        }
        s = summary[lang]
        lines.append(
            f"{lang}: cases {len(mine)}  routing {s['routing']:.1%}  order of government "
            f"{s['order']:.1%} of {len(referred)} referrals ({s['order_all']:.1%} of "
            f"{len(orders)} cases)  reply language {s['language']:.1%}  "
            f"latency p50 {s['p50_ms']:.0f} ms  p95 {s['p95_ms']:.0f} ms"
        )

    def jurisdiction(o: Outcome) -> str | None:
        return o.case["expect"].get("jurisdiction")

    def order(o: Outcome) -> str | None:
        code = jurisdiction(o)
        return orders_of.get(code) if code else None

    by_order = tally(outcomes, order)
    # Order of government of the referrals given, as in the headline "order" figure.
    order_by_order = tally(outcomes, order, lambda o: o.order_ok if o.referred else None)
    by_jurisdiction = tally(outcomes, jurisdiction)
    for lang in ("en", "fr"):
        parts = [
            f"{name} {ok}/{n} ({ok / n:.1%})"
            for name in ORDERS
            for ok, n in [by_order.get(lang, {}).get(name, [0, 0])]
            if n
        ]
        lines.append(f"{lang} routing by order of government: " + ", ".join(parts))
    for lang in ("en", "fr"):
        cells = sorted(
            by_jurisdiction.get(lang, {}).items(), key=lambda i: (min(i[0].count("-"), 2), i[0])
        )
        lines.append(
            f"{lang} routing by jurisdiction: " + ", ".join(f"{j} {ok}/{n}" for j, (ok, n) in cells)
        )
    by_tag: dict[str, list[bool]] = {}
    for o in outcomes:
        for tag in o.case.get("tags", []):
            by_tag.setdefault(tag, []).append(o.routed)
    lines.append(
        "by tag: " + ", ".join(f"{t} {sum(v)}/{len(v)}" for t, v in sorted(by_tag.items()))
    )
    print("\n".join(lines))
    failures = [failure_record(o) for o in outcomes if not (o.routed and o.language_ok)]
    failures_path.parent.mkdir(parents=True, exist_ok=True)
    failures_path.write_text(
        f"{len(failures)} failing cases: routed wrongly or answered in the wrong language.\n\n"
        + "\n".join(format_failure(f) for f in failures),
        encoding="utf-8",
    )
    print(f"{len(failures)} failing cases written to {failures_path}")
    return {
        "summary": summary,
        "by_order": by_order,
        "order_by_order": order_by_order,
        "by_jurisdiction": by_jurisdiction,
        "by_tag": {t: [sum(v), len(v)] for t, v in sorted(by_tag.items())},
        "failures": failures,
    }


def missed_targets(summary: dict[str, dict[str, float]]) -> list[str]:
    """The targets a language misses, one line each."""
    return [
        f"{lang} {metric} {value:.3f} "
        f"(target {'<' if metric == 'p50_ms' else '>='} {TARGETS[metric]})"
        for lang, values in summary.items()
        for metric, value in values.items()
        if metric in TARGETS
        and (value > TARGETS[metric] if metric == "p50_ms" else value < TARGETS[metric])
    ]


def write_report(results: dict[str, Any], report_path: Path, nlu_path: Path) -> None:
    """Write the markdown report and its plots (in ``img/`` beside it).

    Args:
        results: What :func:`report` returned, with the run's date, command and machine.
        report_path: The markdown file.
        nlu_path: The NLU cross-validation results; left out of the report when missing.
    """
    nlu = json.loads(nlu_path.read_text(encoding="utf-8")) if nlu_path.is_file() else None
    images = report_path.parent / "img"
    plot_accuracy(results, images / "eval-accuracy.png")
    confusion = None
    if nlu is not None:
        plot_confusion(nlu, images / "eval-confusion.png")
        confusion = "img/eval-confusion.png"
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(
        render_report(results, nlu, "img/eval-accuracy.png", confusion), encoding="utf-8"
    )
    print(f"report written to {report_path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", default="tests/eval/cases.yml")
    parser.add_argument("--url", default="http://localhost:5005")
    parser.add_argument("--failures", default="results/eval-failures.txt")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--json", help="write every number and failing case here")
    parser.add_argument("--report", help="write the markdown report here, plots in img/ beside it")
    parser.add_argument(
        "--nlu", default="results/nlu-cv.json", help="NLU cross-validation results to report"
    )
    args = parser.parse_args()
    cases = yaml.safe_load(Path(args.cases).read_text(encoding="utf-8"))["cases"]
    contract = load_contract()
    orders = {j: contract.order_of(j) for j in contract.jurisdictions}
    outcomes = [run_case(args.url, case, orders) for case in cases]
    results = report(outcomes, Path(args.failures), orders)
    missed = missed_targets(results["summary"])
    for line in missed:
        print(f"MISSED: {line}")
    results.update(
        {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "command": "scripts/evaluate.py " + shlex.join(sys.argv[1:]),
            "machine": machine_info(),
            "cases_file": args.cases,
            "failures_file": args.failures,
            "targets": TARGETS,
            "missed": missed,
        }
    )
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.report:
        write_report(results, Path(args.report), Path(args.nlu))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
