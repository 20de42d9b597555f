"""Canadian towns and distances: where a citizen is, and how far an office is.

The table (``bot/data/places.tsv``) comes from GeoNames (CC BY 4.0) through
``scripts/build_places.py``. The 27 municipalities of the contract are found by
:mod:`bot.location`; this module adds every other town of 1,000 people or more
(500 in the territories) and the coordinates used to find the nearest office.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from bot.paths import REPO_ROOT
from bot.text import STOPWORDS, fold, lemma_table

PLACES_FILE = REPO_ROOT / "bot" / "data" / "places.tsv"
_MAX_WORDS = 4
# A town name that is also an ordinary word ("Hope", "Mission", "Paradise") counts
# only when capitalized; any town counts only after one of these words, or alone.
_CUES = frozenset(
    fold(w)
    for w in (
        "in", "at", "to", "from", "near", "around", "live", "living", "lives", "moved", "moving",
        "à", "a", "de", "du", "pres", "habite", "vis", "reste", "demeure", "proche",
    )
)  # fmt: skip
_WORD_RE = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Place:
    """A town with its province or territory and coordinates."""

    name: str
    province: str
    latitude: float
    longitude: float
    population: int

    @property
    def coordinates(self) -> tuple[float, float]:
        """Latitude and longitude."""
        return self.latitude, self.longitude


@lru_cache(maxsize=1)
def load_places() -> tuple[Place, ...]:
    """Every place of the table, most populous first."""
    with PLACES_FILE.open(encoding="utf-8") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        places = [
            Place(
                row["name"],
                row["province"],
                float(row["latitude"]),
                float(row["longitude"]),
                int(row["population"]),
            )
            for row in rows
        ]
    return tuple(sorted(places, key=lambda p: -p.population))


@lru_cache(maxsize=1)
def _index() -> dict[str, tuple[Place, ...]]:
    index: dict[str, list[Place]] = {}
    for place in load_places():
        key = _key(place.name)
        if key:
            index.setdefault(key, []).append(place)
        # "Greater Sudbury" is called Sudbury.
        if key.startswith("greater "):
            index.setdefault(key.removeprefix("greater "), []).append(place)
    return {key: tuple(found) for key, found in index.items()}


def _key(name: str) -> str:
    """Folded name with "Saint"/"St." spelled one way."""
    words = _WORD_RE.findall(fold(name))
    return " ".join("st" if w in ("saint", "sainte", "ste") else w for w in words)


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    words: set[str] = {fold(w) for w in STOPWORDS}
    for lang in ("en", "fr"):
        table = lemma_table(lang)
        words.update(fold(w) for w in table)
        words.update(fold(w) for w in table.values())
    return frozenset(words)


def warm_up() -> None:
    """Build the town index and the common-word table now (about 4 s) rather than on a message."""
    _index()
    _common_words()


def lookup(name: str, province: str | None = None) -> Place | None:
    """The most populous place called ``name`` (in ``province`` when given)."""
    for place in _index().get(_key(name), ()):
        if province is None or place.province == province:
            return place
    return None


def find_town(text: str, province: str | None = None) -> Place | None:
    """Find a town named in ``text``: after "in", "à", "near"... or as the whole message.

    Args:
        text: What the citizen typed.
        province: A province or territory already recognized in the text, if any;
            the town must then be in it.

    Returns:
        The town, or ``None``.
    """
    words = _WORD_RE.findall(fold(text))
    raw_words = re.findall(r"[^\W_]+", text)
    keys = ["st" if w in ("saint", "sainte", "ste") else w for w in words]
    capitalized = {fold(w) for w in raw_words if w[:1].isupper()}
    best: Place | None = None
    for start in range(len(keys)):
        alone = start == 0
        if not alone and keys[start - 1] not in _CUES:
            continue
        for size in range(min(_MAX_WORDS, len(keys) - start), 0, -1):
            phrase = " ".join(keys[start : start + size])
            candidates = _index().get(phrase)
            if not candidates:
                continue
            rest = keys[start + size :]
            if alone and rest and not _is_province_tail(rest):
                continue
            if size == 1 and phrase in _common_words() and phrase not in capitalized:
                continue
            place = next((p for p in candidates if province in (None, p.province)), None)
            if place is not None and (best is None or place.population > best.population):
                best = place
            break
    return best


_PROVINCE_TAILS = frozenset(
    fold(w)
    for w in (
        "nl", "nfld", "ns", "pe", "pei", "nb", "qc", "que", "on", "ont", "mb", "man", "sk",
        "sask", "ab", "alta", "bc", "yt", "nt", "nwt", "nu", "canada",
    )
)  # fmt: skip


def _is_province_tail(words: Iterable[str]) -> bool:
    """Whether the words after a town name are only a province abbreviation ("truro ns")."""
    rest = list(words)
    return len(rest) <= 3 and all(w in _PROVINCE_TAILS or len(w) <= 2 for w in rest)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points, in kilometres."""
    lat1, lon1, lat2, lon2 = (math.radians(v) for v in (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))
