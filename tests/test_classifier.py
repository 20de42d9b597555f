"""The NLU classifier's model: a layout change for speed must not change a prediction."""

from __future__ import annotations

import numpy as np

from bot.nlu.classifier import _column_major, build_pipeline

TEXTS = [
    "I lost my passport",
    "passport renewal",
    "j'ai perdu mon passeport",
    "my garbage wasn't picked up",
    "collecte des ordures",
    "garbage day",
    "need ei pls",
    "assurance emploi",
    "employment insurance",
]
LABELS = ["passport"] * 3 + ["garbage"] * 3 + ["ei"] * 3


def test_column_major_weights_predict_the_same():
    pipeline = build_pipeline(30.0).fit(TEXTS, LABELS)
    queries = ["lost pasport", "ordures pas ramassées", "ei benefits", "bonjour"]
    before = pipeline.predict_proba(queries)
    _column_major(pipeline)
    assert pipeline.named_steps["model"].coef_.flags["F_CONTIGUOUS"]
    np.testing.assert_allclose(pipeline.predict_proba(queries), before)
