"""Redaction of what citizens type: examples in both languages and properties."""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.privacy import (
    ADDRESS,
    CARD,
    EMAIL,
    HEALTH_CARD,
    NUMBER,
    PHONE,
    POSTAL_CODE,
    SIN,
    RedactingFilter,
    bc_phn_valid,
    install_log_redaction,
    luhn_valid,
    redact,
    redact_value,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My SIN is 046 454 286", f"My SIN is {SIN}"),
        ("mon NAS : 046-454-286", f"mon NAS : {SIN}"),
        ("046454286", SIN),
        ("I lost my health card, my SIN is 046 454 286", f"I lost my health card, my SIN is {SIN}"),
        ("health card 1234-567-890-AB please", f"health card {HEALTH_CARD} please"),
        ("OHIP 1234 567 890", f"OHIP {HEALTH_CARD}"),
        ("ma carte soleil TREM 1234 5678 est perdue", f"ma carte soleil {HEALTH_CARD} est perdue"),
        ("RAMQ trem12345678", f"RAMQ {HEALTH_CARD}"),
        ("Manitoba health card 123456789", f"Manitoba health card {HEALTH_CARD}"),
        ("carte santé 9876543210", f"carte santé {HEALTH_CARD}"),
        ("card 4111 1111 1111 1111 was charged", f"card {CARD} was charged"),
        ("carte de crédit 5500-0000-0000-0004", f"carte de crédit {CARD}"),
        ("call me at (613) 555-1234", f"call me at {PHONE}"),
        ("appelez-moi au 819.555.9876", f"appelez-moi au {PHONE}"),
        ("+1 416 555 0199", PHONE),
        ("1-800-555-0199", PHONE),
        ("my cell 5551234", "my cell 5551234"),
        ("my cell 555-1234", f"my cell {PHONE}"),
        ("write to jean.tremblay+gc@example.qc.ca", f"write to {EMAIL}"),
        ("Ottawa ON K1A 0B1", f"Ottawa ON K1A {POSTAL_CODE}"),
        ("mon code postal est h2x1y4", f"mon code postal est h2x {POSTAL_CODE}"),
        ("I live at 45 Main St, apt 4, Ottawa", f"I live at {ADDRESS}, {ADDRESS}, Ottawa"),
        ("12 Queen Elizabeth Drive, Ottawa", f"{ADDRESS}, Ottawa"),
        ("j'habite au 123 rue Principale à Gatineau", f"j'habite au {ADDRESS} à Gatineau"),
        ("1200 boulevard de la Gauchetière, Montréal", f"{ADDRESS}, Montréal"),
        ("appartement 5, Laval", f"{ADDRESS}, Laval"),
        ("reference 12345678", f"reference {NUMBER}"),
    ],
)
def test_redacts(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I lost my passport in Winnipeg",
        "renouveler ma carte soleil à Québec",
        "I have 2 kids and I am 67",
        "j'ai 2 enfants et 3 chats",
        "1",
        "2",
        "911",
        "call 811 for health advice",
        "taxes for 2026",
        "tax years 2024-2025",
        "K1A",
        "my postal code starts with H2X",
        "I moved 3 times in the last 12 months",
        "1 route à suivre",
        "form T2125 and IMM 5257",
        "$35,000 a year",
        "Saint-Jean-sur-Richelieu, QC",
    ],
)
def test_keeps_what_routing_needs(text: str) -> None:
    assert redact(text) == text


def test_luhn_and_phn_checks() -> None:
    assert luhn_valid("046454286")
    assert not luhn_valid("046454287")
    assert luhn_valid("4111111111111111")
    phn = _bc_phn("969865821")
    assert bc_phn_valid(phn)
    assert not bc_phn_valid(phn[:-1] + str((int(phn[-1]) + 1) % 10))
    assert redact(f"PHN {phn}") == f"PHN {HEALTH_CARD}"
    assert redact(phn) == HEALTH_CARD


def _bc_phn(first_nine: str) -> str:
    weights = (2, 4, 8, 5, 10, 9, 7, 3)
    check = 11 - sum(int(d) * w for d, w in zip(first_nine[1:], weights, strict=True)) % 11
    assert check < 10, "pick other digits for the example"
    return first_nine + str(check)


def test_redact_value_walks_json() -> None:
    value = {"text": "SIN 046 454 286", "n": 3, "items": ["x@y.ca", None], "K1A 0B1": True}
    assert redact_value(value) == {
        "text": f"SIN {SIN}",
        "n": 3,
        "items": [EMAIL, None],
        "K1A 0B1": True,
    }


def test_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    install_log_redaction()
    with caplog.at_level(logging.INFO):
        logging.getLogger("carrefour.test").info("user said %s", "my SIN is 046 454 286")
    assert caplog.messages == [f"user said my SIN is {SIN}"]


def test_filter_keeps_every_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "mail %s", ("a@b.ca",), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == f"mail {EMAIL}"


def _sin() -> st.SearchStrategy[str]:
    def complete(body: str) -> str:
        for last in "0123456789":
            if luhn_valid(body + last):
                return body + last
        raise AssertionError("unreachable: one check digit always fits")

    return st.from_regex(r"\A[1-9]\d{7}\Z").map(complete)


def _card() -> st.SearchStrategy[str]:
    def complete(body: str) -> str:
        return next(body + d for d in "0123456789" if luhn_valid(body + d))

    return st.from_regex(r"\A[3-6]\d{14}\Z").map(complete)


def _formatted(digits: str, sep: str, size: int) -> str:
    return sep.join(digits[i : i + size] for i in range(0, len(digits), size))


_SIN_IN_OUTPUT = re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{3}(?!\d)")
_CARD_IN_OUTPUT = re.compile(r"\d(?:[ -]?\d){12,18}")


# Arbitrary text, and text made of what the patterns look for, which finds more edge cases.
_DENSE = st.text(alphabet=st.sampled_from(list("0123456789 -.()+@#,'abKAHXrueMainStapt")))


@settings(max_examples=300)
@given(st.text() | _DENSE)
def test_never_crashes_and_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",), blacklist_characters="@")))
def test_text_without_digits_or_at_is_unchanged(text: str) -> None:
    assert redact(text) == text


@settings(max_examples=300)
@given(st.text(max_size=30), _sin(), st.sampled_from(["", " ", "-"]), st.text(max_size=30))
def test_no_valid_sin_survives(before: str, sin: str, sep: str, after: str) -> None:
    output = redact(before + _formatted(sin, sep, 3) + after)
    for found in _SIN_IN_OUTPUT.findall(output):
        assert not luhn_valid(re.sub(r"\D", "", found)), output


@settings(max_examples=300)
@given(st.text(max_size=30), _card(), st.sampled_from(["", " ", "-"]), st.text(max_size=30))
def test_no_valid_card_survives(before: str, card: str, sep: str, after: str) -> None:
    output = redact(before + _formatted(card, sep, 4) + after)
    for match in _CARD_IN_OUTPUT.finditer(output):
        digits = re.sub(r"\D", "", match.group(0))
        assert not luhn_valid(digits), output
