"""Clean what a citizen typed before any channel hands it to the assistant.

:func:`clean_text` is the one function every public channel (REST, socket.io, SMS,
agent console) applies to incoming text. It is pure and idempotent:

- control characters go (C0 and C1, NUL, DEL, lone surrogates, bidirectional
  overrides and zero-width characters), except newline and tab; CR LF, a lone CR
  and the Unicode line separators become a newline;
- Unicode NFKC folds compatibility forms (fullwidth ``ｐａｓｓｐｏｒｔ``, ligatures,
  superscripts) to their plain letters;
- in a word that mixes Latin letters with Cyrillic or Greek look-alikes
  (``pаssport`` with a Cyrillic ``а``), the look-alikes become Latin letters. A word
  written wholly in Cyrillic or Greek is a real word of those languages and is kept.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Line breaks other than "\n" that would otherwise split or hide words.
_NEWLINES = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")

# Invisible characters that reorder or hide text (spoofing) without meaning anything
# to the assistant: zero-width space and joiners' kin, word joiner, BOM, bidi controls.
_INVISIBLE = frozenset(
    "\u200b\u2060\ufeff\u180e"
    "\u200e\u200f\u061c"  # directional marks
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
)

# Cyrillic and Greek letters drawn like a Latin letter (Unicode's confusables,
# restricted to the unambiguous ones).
HOMOGLYPHS: dict[str, str] = {
    # Cyrillic, lowercase
    "а": "a",
    "е": "e",
    "о": "o",
    "р": "p",
    "с": "c",
    "у": "y",
    "х": "x",
    "ѕ": "s",
    "і": "i",
    "ј": "j",
    "ԁ": "d",
    "һ": "h",
    "ԛ": "q",
    "ԝ": "w",
    "ӏ": "l",
    "к": "k",
    # Cyrillic, uppercase
    "А": "A",
    "В": "B",
    "Е": "E",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "Х": "X",
    "У": "Y",
    "Ѕ": "S",
    "І": "I",
    "Ј": "J",
    "Ԛ": "Q",
    "Ԝ": "W",
    "Ӏ": "I",
    # Greek, lowercase
    "α": "a",
    "ο": "o",
    "ν": "v",
    "ρ": "p",
    "ι": "i",
    "κ": "k",
    "υ": "u",
    "ϲ": "c",
    "ϳ": "j",
    # Greek, uppercase
    "Α": "A",
    "Β": "B",
    "Ε": "E",
    "Ζ": "Z",
    "Η": "H",
    "Ι": "I",
    "Κ": "K",
    "Μ": "M",
    "Ν": "N",
    "Ο": "O",
    "Ρ": "P",
    "Τ": "T",
    "Υ": "Y",
    "Χ": "X",
}


def _is_control(ch: str) -> bool:
    """Whether ``ch`` is removed: a control (but newline and tab), a surrogate or invisible."""
    if ch in "\n\t":
        return False
    category = unicodedata.category(ch)
    return category in ("Cc", "Cs") or ch in _INVISIBLE


@lru_cache(maxsize=4096)
def _is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN ")


def _in_word(ch: str) -> bool:
    """Letters and combining marks make words (``é`` decomposed stays one word)."""
    return ch.isalpha() or unicodedata.category(ch).startswith("M")


def strip_controls(text: str) -> str:
    """Remove control and invisible characters, keeping newlines (normalized) and tabs."""
    text = _NEWLINES.sub("\n", text)
    return "".join(ch for ch in text if not _is_control(ch))


def fold_homoglyphs(text: str) -> str:
    """Replace Cyrillic and Greek look-alikes with Latin letters in words that mix scripts.

    Args:
        text: Any text.

    Returns:
        ``text`` where each word holding a Latin letter and a look-alike has the
        look-alikes replaced; other words are unchanged.
    """
    out: list[str] = []
    word: list[str] = []

    def flush() -> None:
        if word:
            if any(_is_latin_letter(c) for c in word) and any(c in HOMOGLYPHS for c in word):
                out.extend(HOMOGLYPHS.get(c, c) for c in word)
            else:
                out.extend(word)
            word.clear()

    for ch in text:
        if _in_word(ch):
            word.append(ch)
        else:
            flush()
            out.append(ch)
    flush()
    return "".join(out)


def clean_text(text: str) -> str:
    """The text a channel passes to the assistant: controls removed, NFKC, homoglyphs folded.

    Pure and idempotent (``clean_text(clean_text(t)) == clean_text(t)``); plain
    printable ASCII (with newlines and tabs) is returned unchanged.

    Args:
        text: What the citizen sent, as the channel decoded it.

    Returns:
        The cleaned text (possibly empty: a message of control characters only).
    """
    text = unicodedata.normalize("NFKC", strip_controls(text))
    folded = fold_homoglyphs(text)
    if folded != text:
        # A Latin letter now before a combining mark may compose (a + ́ → á).
        folded = unicodedata.normalize("NFKC", folded)
    return folded
