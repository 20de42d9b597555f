"""The conversation language: metadata, explicit requests, clear sentences only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.language import decide_language


@pytest.mark.parametrize(
    ("current", "text", "expected"),
    [
        (None, "bonjour", "fr"),
        (None, "I lost my wallet", "en"),
        (None, "renouveler ma carte soleil", "fr"),
        ("en", "mes vidanges ont pas ete ramassees", "fr"),
        ("fr", "my garbage wasn't picked up", "en"),
        ("fr", "ok", "fr"),
        ("fr", "Toronto", "fr"),
        ("en", "H2X 1Y4", "en"),
        ("en", "merci", "en"),
        ("en", "Montréal", "en"),
        ("en", "en français svp", "fr"),
        ("fr", "English please", "en"),
    ],
)
def test_decide(current, text, expected):
    assert decide_language(current, text) == expected


def test_metadata_wins():
    assert decide_language("en", "I lost my wallet", {"language": "fr"}) == "fr"
    assert decide_language("fr", "bonjour", {"language": "EN"}) == "en"
    assert decide_language("fr", "bonjour", {"language": "de"}) == "fr"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([None, "en", "fr"]), st.text(max_size=200))
def test_always_en_or_fr(current, text):
    assert decide_language(current, text) in ("en", "fr")
