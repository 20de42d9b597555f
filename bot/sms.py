"""Text for SMS: encoding, segment counts, numbered choices, splitting and keywords.

Pure functions (no Rasa, no Sanic) used by the Twilio channel
(:mod:`bot.channels.sms`) and its tests.

An SMS is sent in GSM-7 when every character is in the GSM 03.38 alphabet
(160 septets a segment, 153 when concatenated) and in UCS-2 otherwise (70 UTF-16
code units a segment, 67 when concatenated). Much French (ê, â, ç, ô...) needs
UCS-2, so its replies are counted at 70/67.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from bot.knowledge import KnowledgeBase
from bot.rendering import render

# GSM 03.38 basic character set (without the escape character 0x1B).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each character costs an escape plus itself (2 septets).
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67
MAX_SEGMENTS = 3

# Typographic characters that would force UCS-2 for nothing: a plain equivalent
# keeps an English reply in GSM-7 (three times cheaper). French letters stay.
_SAFE = {
    "\u2019": "'",
    "\u2018": "'",
    "\u201a": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2012": "-",
    "\u2212": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u2007": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2022": "-",
    "\u00b7": "-",
    "\u200b": "",
    "\ufeff": "",
}
_GUILLEMETS_OPEN = re.compile("\u00ab[\\s\u00a0\u202f]*")
_GUILLEMETS_CLOSE = re.compile("[\\s\u00a0\u202f]*\u00bb")

_URL = r"(?:https?://|www\.)[^\s<>\"]+"
_PHONE = (
    r"1[\s.-]?800[\s.-]?O-Canada"
    r"|(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}(?:\s?(?:ext\.?|poste)\s?\d+)?"
)
# Links and phone numbers are never cut: half a number is worse than none.
UNBREAKABLE = re.compile(f"{_URL}|{_PHONE}", re.IGNORECASE)

_CHOICE = re.compile(r"^\s*#?\s*(\d{1,2})\s*[.)]?\s*$")
_KEYWORDS = {
    "stop": ("stop", "en"),
    "arrêt": ("stop", "fr"),
    "arret": ("stop", "fr"),
    "start": ("start", "en"),
    "début": ("start", "fr"),
    "debut": ("start", "fr"),
    "help": ("help", "en"),
    "aide": ("help", "fr"),
    "en": ("en", "en"),
    "fr": ("fr", "fr"),
}
_TRAILING_PUNCTUATION = " \t\r\n.!?,;:"


def is_gsm7(text: str) -> bool:
    """Whether ``text`` can be sent in GSM-7 (basic set or extension table)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def septets(text: str) -> int:
    """The GSM-7 length of ``text`` (extension characters count two)."""
    return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)


def ucs2_units(text: str) -> int:
    """The UCS-2 length of ``text`` in UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """How many SMS segments ``text`` takes, in the encoding it needs.

    Args:
        text: The message.

    Returns:
        1 for a message that fits one SMS (or is empty), else the number of
        concatenated segments.
    """
    if is_gsm7(text):
        size, single, multi = septets(text), GSM7_SINGLE, GSM7_MULTI
    else:
        size, single, multi = ucs2_units(text), UCS2_SINGLE, UCS2_MULTI
    return 1 if size <= single else math.ceil(size / multi)


def sms_safe(text: str) -> str:
    """Replace typographic characters that force UCS-2 needlessly; keep accented letters.

    Args:
        text: A reply as written for the web.

    Returns:
        The same reply with straight quotes, plain dashes, ``...`` and plain spaces.
    """
    text = unicodedata.normalize("NFC", text)
    text = _GUILLEMETS_CLOSE.sub('"', _GUILLEMETS_OPEN.sub('"', text))
    return "".join(_SAFE.get(ch, ch) for ch in text)


def render_choices(
    text: str, options: Iterable[Mapping[str, Any]], lang: str, kb: KnowledgeBase
) -> str:
    """A question with its choices as a numbered list and how to answer.

    Args:
        text: The question the assistant asks.
        options: The choices (``title`` and ``payload``), in order.
        lang: ``en`` or ``fr``.
        kb: The knowledge base (holds the ``sms_choose`` hint).

    Returns:
        The text, then ``1. Title`` lines, then the hint.
    """
    titles = [str(option.get("title") or "") for option in options]
    lines = [f"{i}. {title}" for i, title in enumerate(titles, start=1)]
    hint = render(kb, "sms_choose", lang, {"count": str(len(titles))})
    return "\n".join(part for part in (text.strip(), "\n".join(lines), hint) if part)


def _fits(text: str, max_segments: int) -> bool:
    return segments(text) <= max_segments


def _atoms(text: str) -> list[tuple[str, str]]:
    """Split ``text`` into ``(separator, word)`` pairs, never inside a link or a number."""
    protected = [m.span() for m in UNBREAKABLE.finditer(text)]
    atoms: list[tuple[str, str]] = []
    position, separator = 0, ""
    for space in re.finditer(r"\s+", text):
        if any(start < space.start() and space.end() < end for start, end in protected):
            continue
        if space.start() > position:
            atoms.append((separator, text[position : space.start()]))
            separator = space.group()
        elif atoms:
            separator += space.group()
        position = space.end()
    if position < len(text):
        atoms.append((separator, text[position:]))
    return atoms


def _join(atoms: list[tuple[str, str]]) -> str:
    return "".join(sep + word if i else word for i, (sep, word) in enumerate(atoms))


def _strength(atoms: list[tuple[str, str]], k: int) -> int:
    """How good a place the break before atom ``k`` is: paragraph > line > sentence > word."""
    separator = atoms[k][0]
    if separator.count("\n") >= 2:
        return 3
    if "\n" in separator:
        return 2
    return 1 if atoms[k - 1][1][-1:] in ".!?:;" else 0


def _hard_split(word: str, max_segments: int) -> list[str]:
    """Cut a word too long for any message (a last resort: it never happens to real replies)."""
    parts, current = [], ""
    for ch in word:
        if current and not _fits(current + ch, max_segments):
            parts.append(current)
            current = ""
        current += ch
    return [*parts, current] if current else parts


def split_for_sms(text: str, max_segments: int = MAX_SEGMENTS) -> list[str]:
    """Split a reply into messages that each fit in ``max_segments`` segments.

    Breaks at a paragraph, a line, a sentence or a word, preferring the strongest
    boundary in the second half of what fits; never inside a link or a phone number.

    Args:
        text: The reply (already :func:`sms_safe`).
        max_segments: The most segments one message may take.

    Returns:
        The messages, in order (none for an empty reply).
    """
    text = text.strip()
    if not text:
        return []
    if _fits(text, max_segments):
        return [text]
    atoms = _atoms(text)
    parts: list[str] = []
    start = 0
    while start < len(atoms):
        end = start
        while end < len(atoms) and _fits(_join(atoms[start : end + 1]), max_segments):
            end += 1
        if end == start:  # one word longer than a whole message
            parts.extend(_hard_split(atoms[start][1], max_segments))
            start += 1
            continue
        if end < len(atoms):
            half = len(_join(atoms[start:end])) / 2
            candidates = [
                k for k in range(start + 1, end + 1) if len(_join(atoms[start:k])) >= half
            ]
            end = max(candidates, key=lambda k: (_strength(atoms, k), k))
        parts.append(_join(atoms[start:end]))
        start = end
    return parts


def choice_index(reply: str) -> int | None:
    """The 0-based choice a reply like ``1``, `` 2 ``, ``2.`` or ``#2`` picks, else ``None``."""
    match = _CHOICE.match(reply or "")
    if match is None or int(match.group(1)) < 1:
        return None
    return int(match.group(1)) - 1


def _keyword_entry(reply: str) -> tuple[str, str] | None:
    word = unicodedata.normalize("NFC", reply or "").strip().rstrip(_TRAILING_PUNCTUATION)
    return _KEYWORDS.get(word.casefold())


def keyword(reply: str) -> str | None:
    """The keyword a whole message is: ``stop``, ``start``, ``help``, ``en``, ``fr`` or ``None``.

    STOP/ARRÊT/ARRET, START/DÉBUT/DEBUT, HELP/AIDE, EN and FR, in any case,
    with trailing punctuation allowed; a keyword inside a sentence is not one.
    """
    entry = _keyword_entry(reply)
    return entry[0] if entry else None


def keyword_language(reply: str) -> str | None:
    """The language a keyword is written in (``AIDE`` → ``fr``), or ``None`` for other text."""
    entry = _keyword_entry(reply)
    return entry[1] if entry else None


def offered_choices(messages: Iterable[Mapping[str, Any]]) -> list[str]:
    """The payloads of the choices offered in a turn's messages (the last offer wins)."""
    offered: list[str] = []
    for message in messages:
        buttons = message.get("buttons") or []
        custom = message.get("custom") or {}
        if not buttons and isinstance(custom, dict) and custom.get("type") == "choices":
            buttons = custom.get("options") or []
        if buttons:
            offered = [str(b.get("payload") or "") for b in buttons]
    return offered


def turn_text(messages: Iterable[Mapping[str, Any]], lang: str, kb: KnowledgeBase) -> str:
    """The assistant's messages for one turn as one plain SMS text.

    Args:
        messages: The bot messages (``text``, ``buttons``, ``custom``).
        lang: The language for the choice hint.
        kb: The knowledge base.

    Returns:
        The messages' texts, choices numbered, separated by blank lines.
    """
    texts = []
    for message in messages:
        text = str(message.get("text") or "")
        buttons = message.get("buttons") or []
        custom = message.get("custom") or {}
        if not buttons and isinstance(custom, dict) and custom.get("type") == "choices":
            buttons = custom.get("options") or []
        if buttons:
            text = render_choices(text, buttons, lang, kb)
        if text.strip():
            texts.append(text.strip())
    return sms_safe("\n\n".join(texts))


def sms_parts(
    messages: Iterable[Mapping[str, Any]],
    lang: str,
    kb: KnowledgeBase,
    max_segments: int = MAX_SEGMENTS,
) -> list[str]:
    """The SMS messages to send for a turn: plain text, numbered choices, split to fit."""
    return split_for_sms(turn_text(list(messages), lang, kb), max_segments)
