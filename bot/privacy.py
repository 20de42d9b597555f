"""Redaction of the personal information citizens type, before it is stored or logged.

What a citizen types may hold a social insurance number, a health card number, a
payment card, a phone number, an e-mail address or a full address. :func:`redact`
replaces each with a typed placeholder (``[SIN]``, ``[HEALTH_CARD]``, ``[CARD]``,
``[PHONE]``, ``[EMAIL]``, ``[POSTAL_CODE]``, ``[ADDRESS]``, ``[NUMBER]``) and keeps
what routing needs: province and city names, the first three characters of a postal
code (the forward sortation area), ages, years, short numbers ("2", "911", "811").

Any run of eight digits or more becomes a placeholder, whatever it is, so that no
identifier survives because its format was not foreseen; shorter runs are kept
unless they are written like a local phone number ("555-1234").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

SIN = "[SIN]"
HEALTH_CARD = "[HEALTH_CARD]"
CARD = "[CARD]"
PHONE = "[PHONE]"
EMAIL = "[EMAIL]"
POSTAL_CODE = "[POSTAL_CODE]"
ADDRESS = "[ADDRESS]"
NUMBER = "[NUMBER]"

# Starting only where a run of address characters starts keeps the search linear.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# Canada Post never uses D, F, I, O, Q, U, nor W or Z as a first letter.
_POSTAL = re.compile(
    r"(?<![^\W_])(?P<fsa>[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])"
    r"[ -]?\d[ABCEGHJ-NPRSTV-Z]\d(?![^\W_])",
    re.IGNORECASE,
)

# Quebec's RAMQ number: three letters of the surname, one of the first name, eight digits.
# Upper case, or glued to the digits, so that "call 1234 5678" keeps its verb.
_RAMQ = re.compile(
    r"(?<![^\W_])(?:[A-Z]{4}[ -]?|[A-Za-z]{4})\d{4}[ -]?\d{4}(?!\d)(?![^\W_])",
)

# A run of digits in groups separated by one space, dash or dot (" - " too), optionally
# with a "+" and a "(613)"-style area code; then an Ontario health card version code.
# The separator is mandatory between groups, which keeps the match linear.
_SEP = r"(?:\s?[.-]\s?|\s)"
_RUN = re.compile(
    rf"(?<!\d)(?P<plus>\+\s?)?(?:(?:\d{{1,3}}{_SEP}?)?\(\d{{3}}\)\s?)?\d+(?:{_SEP}\d+)*"
    r"(?P<version>-?[A-Z]{2}(?![^\W_]))?(?!\d)"
)

_HEALTH_WORDS = re.compile(
    r"health|sant[ée]|soleil|maladie|ramq|ohip|msp|phn|ahcip|medicare|care\s*card|\bnam\b",
    re.IGNORECASE,
)
_SIN_WORDS = re.compile(r"\b(?:sin|nas)\b|social insurance|assurance sociale", re.IGNORECASE)
_CONTEXT_CHARS = 40
_YEAR = re.compile(r"(?:19|20)\d\d")

_STREET_TYPES_EN = (
    r"st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|cres|crescent|crt|ct|court|way|"
    r"lane|ln|pl|place|terr?|terrace|hwy|highway|pkwy|parkway|cir|circle|trail|row|sq|square"
)
_STREET_TYPES_FR = (
    r"rue|av|avenue|boul|boulevard|bd|ch|chemin|route|rang|place|mont[ée]e|c[ôo]te|"
    r"croissant|impasse|all[ée]e|promenade|terrasse|carr[ée]"
)
_NOT_STREET_WORDS = (
    r"and|or|my|the|on|in|at|of|to|for|with|our|your|their|his|her|a|an|is|are|was|i|we|"
    r"kids?|children|years?|days?|months?|weeks?|people|times?|dollars?"
)
_CIVIC = r"(?<![^\W_])\d{1,6}[A-Za-z]?(?:-\d{1,6})?,?"
_ADDRESS_EN = re.compile(
    rf"{_CIVIC}(?:\s+(?!(?:{_NOT_STREET_WORDS})\b)[A-Za-zÀ-ÿ][\w'’.-]*){{1,3}}?"
    rf"\s+(?:{_STREET_TYPES_EN})\b\.?(?:\s+(?:north|south|east|west|[NSEW])\b\.?)?",
    re.IGNORECASE,
)
_NOT_NAME_WORDS_FR = r"à|a|au|aux|en|et|dans|pour|sur|près|avec|chez|est|ou|qui|que"
_ADDRESS_FR = re.compile(
    rf"{_CIVIC}\s+(?:{_STREET_TYPES_FR})\b\.?"
    r"(?:\s+(?:de|du|des|la|le|l'|l’|d'|d’)(?=[\s\w]))*\s*"
    rf"(?!(?:{_NOT_NAME_WORDS_FR})\b)[^\W\d_][\w'’-]*",
    re.IGNORECASE,
)
_UNIT = re.compile(
    r"(?<![^\W_])(?:apt|apartment|app|appartement|unit|unité|suite|logement|bureau)\.?\s*(?:no\.?\s*|#\s*)?"
    r"\d+[A-Za-z]?(?![^\W_])",
    re.IGNORECASE,
)


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn checksum (SIN, payment cards)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def bc_phn_valid(digits: str) -> bool:
    """Whether ten digits are a valid British Columbia personal health number (mod 11)."""
    if len(digits) != 10 or digits[0] != "9":
        return False
    weights = (2, 4, 8, 5, 10, 9, 7, 3)
    remainder = sum(int(d) * w for d, w in zip(digits[1:9], weights, strict=True)) % 11
    check = 11 - remainder
    return check < 10 and check == int(digits[9])


def _nanp(digits: str) -> bool:
    """Ten digits (or eleven starting with 1) shaped like a North American phone number."""
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    return len(digits) == 10 and digits[0] in "23456789" and digits[3] in "23456789"


def _last_end(words: re.Pattern[str], text: str) -> int:
    return max((m.end() for m in words.finditer(text)), default=-1)


def _classify(run: re.Match[str], text: str) -> str | None:
    """The placeholder for a run of digits, or None to keep it."""
    raw = run.group(0)
    digits = "".join(ch for ch in raw if ch.isdigit())
    count = len(digits)
    # Only the words since the previous number count: "health card 1234-567-890, phone
    # 613 555 1234" must not make the phone number a health card.
    before = re.split(r"[\d\]]", text[max(0, run.start() - _CONTEXT_CHARS) : run.start()])[-1]
    # The nearer word wins: "my health card, my SIN is 046 454 286" is a SIN.
    health = _last_end(_HEALTH_WORDS, before) > _last_end(_SIN_WORDS, before)
    groups = [len(g) for g in re.findall(r"\d+", raw)]
    if 13 <= count <= 19 and luhn_valid(digits):
        return CARD
    if count == 9 and not health and (luhn_valid(digits) or _SIN_WORDS.search(before)):
        return SIN
    if count in (9, 10) and health:
        return HEALTH_CARD
    if count == 10 and (
        groups == [4, 3, 3] or run.group("version") or (groups == [10] and bc_phn_valid(digits))
    ):
        return HEALTH_CARD
    phone_like = "(" in raw or run.group("plus") or groups in ([3, 3, 4], [1, 3, 3, 4])
    if count in (10, 11) and (phone_like or _nanp(digits)):
        return PHONE
    if count >= 8 and not all(_YEAR.fullmatch(g) for g in re.findall(r"\d+", raw)):
        return NUMBER
    if groups == [3, 4] and not run.group("version"):
        return PHONE
    return None


def _redact_runs(text: str) -> str:
    def replace(run: re.Match[str]) -> str:
        placeholder = _classify(run, text)
        return run.group(0) if placeholder is None else placeholder

    return _RUN.sub(replace, text)


def redact(text: str) -> str:
    """Replace the personal information in a citizen's text with typed placeholders.

    Args:
        text: What a citizen typed.

    Returns:
        The text with SIN, health card, payment card and phone numbers, e-mail
        addresses, civic addresses and the last three characters of postal codes
        replaced; idempotent, and unchanged when it holds neither a digit nor "@".
    """
    if not text or not any(ch.isdigit() or ch == "@" for ch in text):
        return text
    if "@" in text:
        text = _EMAIL.sub(EMAIL, text)
    text = _POSTAL.sub(lambda m: f"{m.group('fsa')} {POSTAL_CODE}", text)
    text = _RAMQ.sub(HEALTH_CARD, text)
    text = _UNIT.sub(ADDRESS, text)
    text = _ADDRESS_FR.sub(ADDRESS, text)
    text = _ADDRESS_EN.sub(ADDRESS, text)
    return _redact_runs(text)


def redact_value(value: Any) -> Any:
    """Redact every string inside a JSON-like value (dict keys are kept)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's message (it never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message by its redacted, fully formatted form."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is for logging itself to report
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_INSTALLED = "_carrefour_redacting"


def install_log_redaction() -> None:
    """Redact every log record of the process when it is created (idempotent).

    A filter on the root logger would only see records logged to the root logger
    itself, and one on its handlers would miss handlers added later (Sanic's, for
    instance): wrapping the record factory covers every logger and every handler.
    """
    factory: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
    if getattr(factory, _INSTALLED, False):
        return
    redacting = RedactingFilter()

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        redacting.filter(record)
        return record

    setattr(make_record, _INSTALLED, True)
    logging.setLogRecordFactory(make_record)
