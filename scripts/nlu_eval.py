"""Cross-validate the NLU classifier per language (``make eval-nlu``).

The assistant has one NLU model for English and French (``CarrefourClassifier``
in ``config.yml``). The examples of ``data/nlu/en`` and ``data/nlu/fr`` are
split into k stratified folds (fixed seed, stratified on language and label);
for each fold the classifier is trained on the other folds of BOTH languages
plus the knowledge-base phrases, exactly as ``rasa train`` feeds it, and the
held-out fold is scored per language. The safety lexicon is applied as in the
pipeline, and the share of messages under the fallback threshold is reported.

The component is run directly rather than through ``rasa test nlu
--cross-validation``: one fit of the classifier alone takes minutes on two
cores, and Rasa would add its graph and the other components to every fold
without changing what is measured.

Reports intent macro/weighted F1, per-intent F1 and the most confused pairs,
and the same for the finer labels the classifier predicts (``kind:<service
kind>``, ``event:<life event>``, ``intent:<name>``), and the top-1 service kind
after combining with the knowledge-base search, as at run time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LANGUAGES = ("en", "fr")
FALLBACK_INTENT = "nlu_fallback"


def label_scores(pairs: Sequence[tuple[str, str]]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of every gold or predicted label.

    Args:
        pairs: ``(gold, predicted)`` labels.

    Returns:
        Label → ``{"precision", "recall", "f1", "support"}``.
    """
    gold = Counter(g for g, _ in pairs)
    predicted = Counter(p for _, p in pairs)
    right = Counter(g for g, p in pairs if g == p)
    scores: dict[str, dict[str, float]] = {}
    for label in sorted(set(gold) | set(predicted)):
        precision = right[label] / predicted[label] if predicted[label] else 0.0
        recall = right[label] / gold[label] if gold[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[label] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": float(gold[label]),
        }
    return scores


def summarize(pairs: Sequence[tuple[str, str]], top: int = 10) -> dict[str, Any]:
    """Accuracy, macro and weighted F1 over gold labels, per-label scores, top confusions.

    Macro and weighted F1 average over the labels that occur as gold (as
    scikit-learn does with ``labels=`` the gold set), so a label only ever
    predicted lowers precision elsewhere but is not averaged in itself.

    Args:
        pairs: ``(gold, predicted)`` labels.
        top: How many confused pairs to keep.

    Returns:
        ``{"n", "accuracy", "macro_f1", "weighted_f1", "labels", "confused"}``;
        ``confused`` holds ``[gold, predicted, count]``, most frequent first.
    """
    scores = label_scores(pairs)
    gold_labels = [label for label, s in scores.items() if s["support"] > 0]
    total = sum(scores[label]["support"] for label in gold_labels)
    confusions = Counter((g, p) for g, p in pairs if g != p)
    ordered = sorted(confusions.items(), key=lambda item: (-item[1], item[0]))
    return {
        "n": len(pairs),
        "accuracy": sum(g == p for g, p in pairs) / len(pairs) if pairs else 0.0,
        "macro_f1": (
            sum(scores[label]["f1"] for label in gold_labels) / len(gold_labels)
            if gold_labels
            else 0.0
        ),
        "weighted_f1": (
            sum(scores[label]["f1"] * scores[label]["support"] for label in gold_labels) / total
            if total
            else 0.0
        ),
        "labels": {label: scores[label] for label in gold_labels},
        "confused": [[g, p, n] for (g, p), n in ordered[:top]],
    }


def aggregate(rows: Iterable[dict[str, Any]], top: int = 10) -> dict[str, Any]:
    """Per-language summaries of held-out predictions.

    Args:
        rows: One dict per held-out example with ``language``, ``intent``,
            ``predicted_intent``, ``label``, ``predicted_label``, ``fallback`` (bool)
            and, for needs, ``kind`` and ``predicted_kind`` (after the search).
        top: How many confused pairs to keep.

    Returns:
        Language → ``{"examples", "intent", "label", "kind_after_search", "fallback_rate"}``.
    """
    by_language: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_language.setdefault(row["language"], []).append(row)
    result: dict[str, Any] = {}
    for language, mine in sorted(by_language.items()):
        needs = [r for r in mine if r.get("kind")]
        result[language] = {
            "examples": len(mine),
            "intent": summarize([(r["intent"], r["predicted_intent"]) for r in mine], top),
            "label": summarize([(r["label"], r["predicted_label"]) for r in mine], top),
            "kind_after_search": {
                "n": len(needs),
                "accuracy": (
                    sum(r["kind"] == r.get("predicted_kind") for r in needs) / len(needs)
                    if needs
                    else 0.0
                ),
            },
            "fallback_rate": sum(bool(r["fallback"]) for r in mine) / len(mine),
        }
    return result


def classifier_settings(config_path: Path) -> tuple[float, float]:
    """The classifier's ``C`` and the fallback threshold from ``config.yml``."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    c, threshold = 30.0, 0.3
    for component in config.get("pipeline", []):
        if component["name"].endswith("CarrefourClassifier"):
            c = float(component.get("C", c))
        if component["name"] == "FallbackClassifier":
            threshold = float(component.get("threshold", threshold))
    return c, threshold


def cross_validate(folds: int, seed: int, jobs: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Train and score the classifier on each fold.

    Args:
        folds: Number of folds.
        seed: Seed of the fold split.
        jobs: Folds trained in parallel.

    Returns:
        The held-out rows (see :func:`aggregate`) and the settings used.
    """
    from joblib import Parallel, delayed
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.model_selection import StratifiedKFold

    from bot.knowledge import load_knowledge
    from bot.nlu.classifier import labelled_examples

    c, threshold = classifier_settings(ROOT / "config.yml")
    kb = load_knowledge()
    texts: list[str] = []
    labels: list[str] = []
    languages: list[str] = []
    for language in LANGUAGES:
        data = load_data(str(ROOT / "data" / "nlu" / language))
        some_texts, some_labels = labelled_examples(data, None)
        texts += some_texts
        labels += some_labels
        languages += [language] * len(some_texts)
    kb_texts, kb_labels = labelled_examples(TrainingData(), kb)
    strata = [f"{lang}|{label}" for lang, label in zip(languages, labels, strict=True)]
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(texts, strata))
    parts = Parallel(n_jobs=jobs)(
        delayed(_score_fold)(
            c, threshold, texts, labels, languages, kb_texts, kb_labels, list(train), list(test)
        )
        for train, test in splits
    )
    rows = [row for part in parts for row in part]
    settings = {
        "folds": folds,
        "seed": seed,
        "C": c,
        "fallback_threshold": threshold,
        "kb_phrases": len(kb_texts),
        "method": "classifier component per fold (scikit-learn), both languages trained together",
    }
    return rows, settings


def _score_fold(
    c: float,
    threshold: float,
    texts: list[str],
    labels: list[str],
    languages: list[str],
    kb_texts: list[str],
    kb_labels: list[str],
    train: list[int],
    test: list[int],
) -> list[dict[str, Any]]:
    from bot.knowledge import load_knowledge
    from bot.nlu.classifier import build_pipeline
    from bot.safety import danger
    from bot.search import build_index
    from bot.understanding import KIND_PREFIX, combine, intent_ranking

    index = build_index(load_knowledge())
    model = build_pipeline(c)
    model.fit([texts[i] for i in train] + kb_texts, [labels[i] for i in train] + kb_labels)
    held_out = [texts[i] for i in test]
    rows = []
    for i, text, probabilities in zip(test, held_out, model.predict_proba(held_out), strict=True):
        by_label = dict(zip(model.classes_, map(float, probabilities), strict=True))
        ranking = intent_ranking(by_label)
        predicted, confidence = ranking[0]
        forced = danger(text)
        if forced is not None:
            predicted, confidence = forced, 1.0
        row: dict[str, Any] = {
            "language": languages[i],
            "label": labels[i],
            "predicted_label": max(by_label, key=lambda label: by_label[label]),
            "intent": intent_ranking({labels[i]: 1.0})[0][0],
            "predicted_intent": predicted,
            "fallback": confidence < threshold,
        }
        if labels[i].startswith(KIND_PREFIX):
            kinds = combine(by_label, index.search(text, limit=50)).kinds
            row["kind"] = labels[i][len(KIND_PREFIX) :]
            row["predicted_kind"] = kinds[0][0] if kinds else None
        rows.append(row)
    return rows


def print_summary(results: dict[str, Any]) -> None:
    """Print the per-language headline numbers and the top confusions."""
    for language, r in results["languages"].items():
        print(
            f"{language}: {r['examples']} examples  intent macro-F1 {r['intent']['macro_f1']:.3f} "
            f"weighted-F1 {r['intent']['weighted_f1']:.3f}  label macro-F1 "
            f"{r['label']['macro_f1']:.3f} weighted-F1 {r['label']['weighted_f1']:.3f}  "
            f"kind after search {r['kind_after_search']['accuracy']:.1%}  "
            f"under fallback threshold {r['fallback_rate']:.1%}"
        )
        pairs = ", ".join(f"{g}→{p} {n}" for g, p, n in r["intent"]["confused"][:5])
        print(f"  most confused intents: {pairs}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="folds trained in parallel")
    parser.add_argument("--json", default="results/nlu-cv.json")
    args = parser.parse_args()
    start = time.perf_counter()
    rows, settings = cross_validate(args.folds, args.seed, args.jobs)
    settings["seconds"] = round(time.perf_counter() - start, 1)
    results = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": "scripts/nlu_eval.py " + " ".join(sys.argv[1:]),
        "settings": settings,
        "languages": aggregate(rows),
    }
    print_summary(results)
    print(f"{args.folds}-fold cross-validation in {settings['seconds']:.0f} s")
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
