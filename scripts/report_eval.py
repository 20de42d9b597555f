"""Write the evaluation report (``docs/evaluation.md``) and its plots.

Used by ``scripts/evaluate.py --report``: every number and every plot comes
from the results of the run (the held-out evaluation) and, when present, from
the last NLU cross-validation (``scripts/nlu_eval.py``).
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

ORDERS = ("federal", "provincial", "territorial", "municipal")
LANGUAGES = ("en", "fr")
METRICS = (
    ("routing", "routing (right service and government first)"),
    ("order", "order of government (of the referrals given)"),
    ("language", "reply language"),
    ("p50_ms", "latency p50 (ms)"),
)


def machine_info() -> dict[str, str]:
    """CPU model, cores, RAM, OS, Python and Rasa versions of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        from rasa import __version__ as rasa_version
    except ImportError:
        rasa_version = "not installed"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "os": platform.platform(),
        "python": platform.python_version(),
        "rasa": rasa_version,
    }


def ratio(ok: int, total: int) -> str:
    """``ok/total (xx.x %)``, or a dash when there is nothing to count."""
    return f"{ok}/{total} ({ok / total:.1%})" if total else "–"


def _percent(value: float) -> str:
    return f"{value:.1%}"


def _target_cell(metric: str, value: float, target: float) -> str:
    if metric == "p50_ms":
        return f"{value:.0f} {'✓' if value <= target else '✗'}"
    return f"{value:.1%} {'✓' if value >= target else '✗'}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def plot_accuracy(results: dict[str, Any], path: Path) -> None:
    """Grouped bars: routing and order-of-government accuracy by order of government, en vs fr.

    Args:
        results: The evaluation results (``by_order`` and ``order_by_order``).
        path: Where to write the PNG.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    panels = (
        ("by_order", "Routing accuracy", "routing"),
        ("order_by_order", "Order of government (of the referrals given)", "order"),
    )
    width = 0.38
    for axis, (key, title, metric) in zip(axes, panels, strict=True):
        target = 100 * results["targets"][metric]
        axis.axhline(
            target, color="#555555", linestyle="--", linewidth=1, label=f"target {target:.0f} %"
        )
        for shift, language, colour in (
            (-width / 2, "en", "#1f5fa8"),
            (width / 2, "fr", "#d0792a"),
        ):
            counts = results[key].get(language, {})
            values = [
                100 * counts[o][0] / counts[o][1] if counts.get(o) and counts[o][1] else 0.0
                for o in ORDERS
            ]
            bars = axis.bar(
                [i + shift for i in range(len(ORDERS))], values, width, label=language, color=colour
            )
            for bar, order in zip(bars, ORDERS, strict=True):
                if counts.get(order) and counts[order][1]:
                    axis.annotate(
                        f"{bar.get_height():.0f}\nn={counts[order][1]}",
                        (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center",
                        va="bottom",
                        fontsize=7,
                    )
        axis.set_xticks(range(len(ORDERS)), ORDERS)
        axis.set_title(title)
        axis.set_ylim(0, 132)
        axis.grid(axis="y", alpha=0.3)
        axis.legend(loc="upper center", ncol=3, fontsize=8)
    axes[0].set_ylabel("% right")
    figure.suptitle(
        "Held-out evaluation by expected order of government", fontsize=11, fontweight="bold"
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_confusion(nlu: dict[str, Any], path: Path, top: int = 10) -> None:
    """Horizontal bars: the most confused (gold → predicted) fine labels per language.

    Args:
        nlu: The NLU cross-validation results.
        path: Where to write the PNG.
        top: How many pairs per language.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    languages = [lang for lang in LANGUAGES if lang in nlu["languages"]]
    figure, axes = plt.subplots(1, len(languages), figsize=(12, 4.6), squeeze=False)
    for axis, language in zip(axes[0], languages, strict=True):
        pairs = nlu["languages"][language]["label"]["confused"][:top]
        names = [f"{g} → {p}" for g, p, _ in pairs][::-1]
        counts = [n for _, _, n in pairs][::-1]
        axis.barh(range(len(pairs)), counts, color="#1f5fa8" if language == "en" else "#d0792a")
        axis.set_yticks(range(len(pairs)), names, fontsize=7)
        axis.set_xlabel("held-out examples")
        axis.set_title(f"{language}: most confused labels")
    figure.suptitle(
        f"NLU {nlu['settings']['folds']}-fold cross-validation", fontsize=11, fontweight="bold"
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _nlu_section(nlu: dict[str, Any] | None, confusion_image: str | None) -> list[str]:
    if nlu is None:
        return [
            "## NLU cross-validation",
            "",
            "Not run yet: `make eval-nlu` (`scripts/nlu_eval.py`) writes `results/nlu-cv.json`,"
            " which the next `make eval` includes here.",
            "",
        ]
    settings = nlu["settings"]
    languages = [lang for lang in LANGUAGES if lang in nlu["languages"]]
    per = nlu["languages"]
    lines = [
        "## NLU cross-validation",
        "",
        f"Run {nlu['date']} with `{nlu['command']}`: {settings['folds']}-fold stratified "
        f"cross-validation (seed {settings['seed']}, stratified on language and label) over the "
        "training examples of `data/nlu/en` and `data/nlu/fr`. Each fold trains the "
        f"classifier (C={settings['C']}) on the other folds of both languages plus the "
        f"{settings['kb_phrases']} knowledge-base phrases, as `rasa train` does, and scores the "
        f"held-out fold per language ({settings['seconds']:.0f} s). The component is trained "
        "directly rather than with `rasa test nlu --cross-validation`: one fit takes minutes on "
        "two cores and Rasa would only add its graph around it. Intents include the safety "
        "override; a `need` is one intent whatever its kind. *Labels* are what the classifier "
        "predicts (`kind:<service kind>`, `event:<life event>`, `intent:<name>`); *kind after "
        "search* is the first service kind once the classifier is combined with the "
        "knowledge-base search, as at run time.",
        "",
    ]
    rows = [
        [
            lang,
            str(per[lang]["examples"]),
            f"{per[lang]['intent']['macro_f1']:.3f}",
            f"{per[lang]['intent']['weighted_f1']:.3f}",
            f"{per[lang]['label']['macro_f1']:.3f}",
            f"{per[lang]['label']['weighted_f1']:.3f}",
            f"{per[lang]['kind_after_search']['accuracy']:.1%} "
            f"(n={per[lang]['kind_after_search']['n']})",
            _percent(per[lang]["fallback_rate"]),
        ]
        for lang in languages
    ]
    lines += _table(
        [
            "language",
            "examples",
            "intent macro-F1",
            "intent weighted-F1",
            "label macro-F1",
            "label weighted-F1",
            "kind after search",
            f"under fallback threshold {settings['fallback_threshold']}",
        ],
        rows,
    )
    intents = sorted({i for lang in languages for i in per[lang]["intent"]["labels"]})
    rows = []
    for intent in intents:
        row = [f"`{intent}`"]
        for lang in languages:
            score = per[lang]["intent"]["labels"].get(intent)
            row.append(f"{score['f1']:.3f} (n={score['support']:.0f})" if score else "–")
        rows.append(row)
    lines += ["", "### Per-intent F1", ""] + _table(["intent", *languages], rows)
    for key, title in (("intent", "intents"), ("label", "labels")):
        lines += ["", f"### Most confused {title} (gold → predicted)", ""]
        for lang in languages:
            pairs = per[lang][key]["confused"]
            text = ", ".join(f"`{g}` → `{p}` ({n})" for g, p, n in pairs) or "none"
            lines.append(f"- **{lang}**: {text}")
    lines += ["", "### Weakest labels (lowest F1, at least 5 held-out examples)", ""]
    for lang in languages:
        scored = [
            (label, s) for label, s in per[lang]["label"]["labels"].items() if s["support"] >= 5
        ]
        scored.sort(key=lambda item: (item[1]["f1"], item[0]))
        text = ", ".join(f"`{label}` {s['f1']:.2f}" for label, s in scored[:10])
        lines.append(f"- **{lang}**: {text}")
    if confusion_image:
        lines += ["", f"![Most confused labels]({confusion_image})"]
    return [*lines, ""]


def render_report(
    results: dict[str, Any],
    nlu: dict[str, Any] | None,
    accuracy_image: str,
    confusion_image: str | None = None,
    max_failures: int = 60,
) -> str:
    """The markdown report.

    Args:
        results: The evaluation results written by ``scripts/evaluate.py --json``.
        nlu: The NLU cross-validation results, or None when not run.
        accuracy_image: Path of the accuracy plot, relative to the report.
        confusion_image: Path of the confusion plot, relative to the report, if any.
        max_failures: How many failing cases to list.

    Returns:
        The report's text.
    """
    machine = results["machine"]
    summary = results["summary"]
    targets = results["targets"]
    languages = [lang for lang in LANGUAGES if lang in summary]
    lines = [
        "# Evaluation",
        "",
        "Generated by `make eval` (`scripts/evaluate.py --report`); do not edit by hand.",
        "",
        f"- **Date**: {results['date']}",
        f"- **Machine**: {machine['cpu']}, {machine['cores']} cores, {machine['ram']} RAM, "
        f"{machine['os']}; Python {machine['python']}, Rasa {machine['rasa']}",
        f"- **Command**: `{results['command']}` against the assistant started by "
        "`scripts/serve.sh` (REST channel, one conversation at a time)",
        f"- **Held-out set**: `{results['cases_file']}`, "
        + ", ".join(f"{summary[lang]['cases']:.0f} cases in {lang}" for lang in languages)
        + " (see `tests/eval/README.md`)",
        "",
        "Latency is measured on whatever else the machine is doing at the time; on a shared "
        "two-core machine treat it as indicative.",
        "",
        "## Against the targets",
        "",
    ]
    rows = []
    for metric, name in METRICS:
        sign = "≤" if metric == "p50_ms" else "≥"
        target = f"{targets[metric]:.0f} ms" if metric == "p50_ms" else f"{targets[metric]:.0%}"
        rows.append(
            [name, f"{sign} {target}"]
            + [_target_cell(metric, summary[lang][metric], targets[metric]) for lang in languages]
        )
    rows.append(
        ["order of government (every case expecting a referral)", "–"]
        + [_percent(summary[lang]["order_all"]) for lang in languages]
    )
    rows.append(
        ["latency p95 (ms)", "–"] + [f"{summary[lang]['p95_ms']:.0f}" for lang in languages]
    )
    lines += _table(["metric", "target", *languages], rows)
    missed = results.get("missed") or []
    lines += ["", "Missed targets: " + ("; ".join(missed) if missed else "none."), ""]
    lines += [
        "## By order of government",
        "",
        "Cases whose first referral must come from that order of government (life events, "
        "emergencies, out-of-scope and handoffs are not counted here).",
        "",
    ]
    rows = []
    for order in ORDERS:
        row = [order]
        for lang in languages:
            routed = results["by_order"].get(lang, {}).get(order, [0, 0])
            right = results["order_by_order"].get(lang, {}).get(order, [0, 0])
            row += [ratio(*routed), ratio(*right)]
        rows.append(row)
    header = ["expected order"]
    for lang in languages:
        header += [f"{lang} routing", f"{lang} order of government"]
    lines += _table(header, rows)
    lines += ["", f"![Accuracy by order of government]({accuracy_image})", ""]
    lines += ["## By jurisdiction", "", "Routing accuracy by expected jurisdiction.", ""]
    jurisdictions = sorted(
        {j for lang in languages for j in results["by_jurisdiction"].get(lang, {})},
        key=lambda j: (min(j.count("-"), 2), j),
    )
    rows = [
        [f"`{j}`"]
        + [ratio(*results["by_jurisdiction"].get(lang, {}).get(j, [0, 0])) for lang in languages]
        for j in jurisdictions
    ]
    lines += _table(["jurisdiction", *languages], rows)
    lines += ["", "## By tag", ""]
    rows = [[t, ratio(*v)] for t, v in sorted(results["by_tag"].items())]
    lines += _table(["tag", "routing"], rows)
    lines += [""]
    lines += _nlu_section(nlu, confusion_image)
    failures = results["failures"]
    lines += [
        "## Failing cases",
        "",
        f"{len(failures)} cases are routed wrongly or answered in the wrong language; "
        f"`{results['failures_file']}` has each one with the assistant's full answer.",
        "",
    ]
    rows = [
        [
            f["id"],
            str(len(f["turns"])),
            _escape(f["expected"]),
            _escape("; ".join(f["got"]) or "no payload"),
            "" if f["language_ok"] else "✗",
        ]
        for f in failures[:max_failures]
    ]
    lines += _table(["case", "turns", "expected", "got (payloads)", "wrong language"], rows)
    if len(failures) > max_failures:
        lines += ["", f"… and {len(failures) - max_failures} more in `{results['failures_file']}`."]
    return "\n".join(lines) + "\n"
