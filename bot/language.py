"""Decide the conversation language: client metadata, explicit requests, detection."""

from __future__ import annotations

import re
from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from bot.text import fold

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"

# A sentence must have this many words and this confidence to switch an ongoing
# conversation: a city name, "ok" or a postal code never does.
CLEAR_MIN_WORDS = 3
CLEAR_MIN_CONFIDENCE = 0.80

_REQUESTS = {
    "fr": re.compile(
        r"\b(en francais|in french|french please|francais svp|francais s il vous plait|"
        r"parlez vous francais|parle francais|speak french|francais stp|en francais svp|"
        r"french)\b"
    ),
    "en": re.compile(
        r"\b(in english|english please|en anglais|speak english|parlez vous anglais|"
        r"anglais svp|anglais stp|english)\b"
    ),
}
_REQUEST_MAX_WORDS = 8
_WORD_RE = re.compile(r"[^\W\d_]{2,}")

# Function words that only one of the two languages uses. Statistical detection
# is unsure of unaccented SMS French ("mes vidanges ont pas ete ramassees"), while
# these words settle it.
_MARKERS = {
    "fr": frozenset(
        "je j jai jsuis jveux chu mes mon ma nos notre vos votre les des du une est sont ont "
        "pas suis avec pour dans sur mais ou quoi comment pourquoi quand ai avoir etre veux "
        "peux dois faut besoin svp stp pcq merci bonjour allo oui non ca cest quil elle nous "
        "vous ils leur aussi tres ete fait perdu".split()
    ),
    "en": frozenset(
        "i my me the is was were are and to for with need please pls have has can could how "
        "what where when why who wasnt didnt dont cant im ive got get lost just our your "
        "their this that it of from want thanks thank hello hi yes no".split()
    ),
}
_MARKER_MIN = 2


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    return (
        LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.FRENCH)
        .with_preloaded_language_models()
        .build()
    )


def warm_up() -> None:
    """Load the detector's models now rather than on the first message."""
    _detector().detect_language_of("bonjour hello")


def requested_language(text: str) -> str | None:
    """Return the language the citizen explicitly asks for ("English please", "en français").

    Args:
        text: The message.

    Returns:
        ``en``, ``fr`` or None. Only short messages count, so that "I speak French
        at home and need a passport" is not a request.
    """
    folded = fold(text)
    if not folded or len(folded.split()) > _REQUEST_MAX_WORDS:
        return None
    hits = [lang for lang, pattern in _REQUESTS.items() if pattern.search(folded)]
    return hits[0] if len(hits) == 1 else None


def detect(text: str) -> tuple[str | None, float, int]:
    """Detect the language of ``text``.

    Returns:
        ``(language, confidence, number of words)``; language is None when nothing
        could be said.
    """
    words = _WORD_RE.findall(text)
    if not words:
        return None, 0.0, 0
    folded = fold(" ".join(words)).split()
    counts = {lang: sum(w in markers for w in folded) for lang, markers in _MARKERS.items()}
    for lang, other in (("fr", "en"), ("en", "fr")):
        if counts[lang] >= _MARKER_MIN and counts[lang] >= 2 * counts[other] + 1:
            return lang, 0.9, len(words)
    values = _detector().compute_language_confidence_values(" ".join(words))
    if not values:
        return None, 0.0, len(words)
    best = values[0]
    lang = "fr" if best.language == Language.FRENCH else "en"
    return lang, float(best.value), len(words)


def decide_language(current: str | None, text: str, metadata: dict | None = None) -> str:
    """Return the language to use after the citizen's message.

    Order of precedence: the client's metadata (``{"language": "fr"}``), an explicit
    request, a clear sentence in the other language; a short or unclear message
    keeps the current language (or, on the first message, takes its best guess).

    Args:
        current: The conversation's language so far (None on the first message).
        text: The citizen's message.
        metadata: The message metadata sent by the client.

    Returns:
        ``en`` or ``fr``.
    """
    wanted = (metadata or {}).get("language")
    if isinstance(wanted, str) and wanted.lower()[:2] in LANGUAGES:
        return wanted.lower()[:2]
    requested = requested_language(text or "")
    if requested:
        return requested
    lang, confidence, words = detect(text or "")
    if current not in LANGUAGES:
        return lang or DEFAULT_LANGUAGE
    if lang and lang != current and words >= CLEAR_MIN_WORDS and confidence >= CLEAR_MIN_CONFIDENCE:
        return lang
    return str(current)
