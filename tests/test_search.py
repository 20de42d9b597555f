"""Search over the knowledge base: typos, SMS spelling, both languages, never crashes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.search import SearchIndex, Target, build_index, rank_kinds


@pytest.fixture(scope="module")
def index(kb):
    return build_index(kb)


def top_kind(index, text):
    scores = rank_kinds(index.search(text, limit=50))
    return max(scores, key=scores.get) if scores else None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("passport", "passport"),
        ("pasport renewal", "passport"),
        ("passeport", "passport"),
        ("carte soleil", "health-card"),
        ("ohip card", "health-card"),
        ("numéro d'assurance sociale", "social-insurance-number"),
        ("assurance emploi", "employment-insurance"),
        ("green bin", "garbage-recycling"),
        ("nids de poule", "roads-potholes"),
        ("permis de conduire", "drivers-licence"),
    ],
)
def test_finds_kind(index, text, kind):
    assert top_kind(index, text) == kind


def test_scores_are_bounded_and_sorted(index):
    hits = index.search("renew my driver licence and health card", limit=20)
    assert hits
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_short_tokens_match_exactly():
    index = SearchIndex(
        [("ei", Target("kind", "employment-insurance")), ("en", Target("kind", "x"))]
    )
    assert [h.target.code for h in index.search("ei")] == ["employment-insurance"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_never_crashes(index, text):
    for hit in index.search(text):
        assert 0.0 <= hit.score <= 1.0
