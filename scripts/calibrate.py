"""Choose the decision thresholds of bot/understanding.py by cross-validation.

Uses the NLU training data only (never tests/eval): the classifier is trained on
part of the examples and the held-out part is scored with the knowledge-base
search, as at run time. For each (CONFIDENT, MARGIN) pair it prints how often a
need is referred correctly, referred wrongly, or answered with choices that
contain the right kind. A wrong referral costs more than a choice.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402

from bot.knowledge import load_knowledge  # noqa: E402
from bot.nlu.classifier import build_pipeline, labelled_examples  # noqa: E402
from bot.search import build_index  # noqa: E402
from bot.understanding import KIND_PREFIX, combine, intent_ranking  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--use-folds", type=int, default=2)
    parser.add_argument("--C", type=float, default=30.0)
    args = parser.parse_args()
    kb = load_knowledge()
    index = build_index(kb)
    training_data = load_data("data/nlu")
    texts, labels = labelled_examples(training_data, None)
    no_examples = training_data.filter_training_examples(lambda _: False)
    kb_texts, kb_labels = labelled_examples(no_examples, kb)
    x, y = np.array(texts), np.array(labels)
    rows = []  # (true kind, ranked kinds, true intent, predicted intent, intent confidence)
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=0).split(x, y)
    for train, test in list(folds)[: args.use_folds]:
        model = build_pipeline(args.C)
        model.fit(list(x[train]) + kb_texts, list(y[train]) + kb_labels)
        for text, label, row in zip(
            x[test], y[test], model.predict_proba(list(x[test])), strict=True
        ):
            probabilities = dict(zip(model.classes_, map(float, row), strict=True))
            understanding = combine(probabilities, index.search(text, limit=50))
            intents = intent_ranking(probabilities)
            true_intent = intent_ranking({label: 1.0})[0][0]
            rows.append((label, understanding.kinds, true_intent, intents[0][0], intents[0][1]))
    intent_rows = [(t, p, c) for _, _, t, p, c in rows]
    print(f"intent accuracy (held out): {np.mean([t == p for t, p, _ in intent_rows]):.3f}")
    for threshold in (0.3, 0.35, 0.4, 0.5):
        kept = [(t, p) for t, p, c in intent_rows if c >= threshold]
        print(
            f"  fallback threshold {threshold}: keeps {len(kept) / len(intent_rows):.1%}, "
            f"accuracy of kept {np.mean([t == p for t, p in kept]):.3f}"
        )
    needs = [
        (label[len(KIND_PREFIX) :], kinds)
        for label, kinds, *_ in rows
        if label.startswith(KIND_PREFIX)
    ]
    print(f"\nneeds held out: {len(needs)}")
    print("CONFIDENT MARGIN  right  wrong  choices(hit)  utility")
    for confident in (0.25, 0.3, 0.35, 0.4, 0.45, 0.5):
        for margin in (0.0, 0.05, 0.1, 0.15):
            right = wrong = hit = 0
            for kind, ranked in needs:
                best = ranked[0][1] if ranked else 0.0
                second = ranked[1][1] if len(ranked) > 1 else 0.0
                if ranked and best >= confident and best - second >= margin:
                    right += ranked[0][0] == kind
                    wrong += ranked[0][0] != kind
                else:
                    hit += any(code == kind for code, _ in ranked[:3])
            utility = (right - 2 * wrong + 0.3 * hit) / len(needs)
            print(
                f"{confident:9.2f} {margin:6.2f}  {right / len(needs):5.1%}  "
                f"{wrong / len(needs):5.1%}  {hit / len(needs):11.1%}  {utility:7.3f}"
            )


if __name__ == "__main__":
    main()
