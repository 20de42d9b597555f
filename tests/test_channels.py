"""Public channels: no intent injection, clear 4xx on bad requests."""

from __future__ import annotations

import pytest

from bot.channels.guard import neutralize
from bot.channels.rest import validate_body

OFFERED = ['/need{"service_kind": "passport"}']


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/greet", "greet"),
        ('/need{"service_kind": "passport"}', '/need{"service_kind": "passport"}'),
        ('/need{"service_kind": "firearms-licence"}', 'need{"service_kind": "firearms-licence"}'),
        ("//", "?"),
        ("I lost my passport", "I lost my passport"),
    ],
)
def test_neutralize(text, expected):
    assert neutralize(text, OFFERED) == expected


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([], "JSON object"),
        ({"message": "hi"}, "'sender'"),
        ({"sender": "a", "message": 3}, "'message' must be a string"),
        ({"sender": "a", "message": "   "}, "empty"),
        ({"sender": "a", "message": "hi", "metadata": "fr"}, "'metadata'"),
    ],
)
def test_bad_bodies(body, reason):
    result = validate_body(body)
    assert isinstance(result, str) and reason in result


def test_good_body():
    assert validate_body({"sender": "a", "message": "hi", "metadata": {"language": "fr"}}) == (
        "a",
        "hi",
        {"language": "fr"},
    )
