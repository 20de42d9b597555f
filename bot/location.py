"""Find where a citizen lives in free text: provinces, territories, cities, postal codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.contract import Contract
from bot.places import Place, find_town, lookup
from bot.text import fold

# Postal codes: "H2X 1Y4", "h2x1y4", or a forward sortation area alone ("M5V").
_POSTAL_RE = re.compile(
    r"\b([abceghj-nprstvxy])\s?(\d)\s?([a-z])(?:[\s-]?(\d)\s?([a-z])\s?(\d))?\b"
)

# Abbreviations that are also common words ("on", "nu", "pe", "ab", "nt") count only
# when written in capitals or when the whole message is the abbreviation.
# They must then be written as the contract spells them (case-sensitive: "ON", "Ont.", "Man.").
_STRICT = {"on", "nu", "pe", "ab", "to", "man", "ont", "que", "yuk", "nt", "ns"}

# Nunavut and the Northwest Territories share the letter X.
_X_FSA = {
    "X0A": "ca-nu",
    "X0B": "ca-nu",
    "X0C": "ca-nu",
    "X0E": "ca-nt",
    "X0G": "ca-nt",
    "X1A": "ca-nt",
}

# Extra names people use for places in jurisdictions.yml.
_ALIASES = {
    "ca-qc": ["la belle province", "province de quebec", "province of quebec"],
    "ca-nl": ["newfoundland", "terre neuve", "labrador"],
    "ca-pe": ["pei", "ipe"],
    "ca-nt": ["nwt", "tno"],
    "ca-bc": ["colombie britannique"],
    "ca-qc-montreal": ["mtl", "montreal"],
    "ca-qc-quebec": ["quebec city", "ville de quebec", "la ville de quebec"],
    "ca-on-toronto": ["to", "the 6ix", "tdot"],
    "ca-nl-st-johns": ["st johns", "saint johns", "st john s", "saint john s"],
    "ca-bc-vancouver": ["van city", "vancity"],
}


@dataclass(frozen=True)
class Location:
    """A parsed location. Only what routing needs is kept (never a full postal code)."""

    province: str | None = None
    municipality: str | None = None
    fsa: str | None = None
    town: str | None = None  # a town outside the contract's municipalities ("Truro")

    @property
    def found(self) -> bool:
        """Whether anything was recognized."""
        return self.province is not None


@lru_cache(maxsize=4)
def _place_names(contract: Contract) -> tuple[dict[str, str], dict[str, str]]:
    """Folded names → jurisdiction id, for provinces/territories and for cities."""
    provinces: dict[str, str] = {}
    cities: dict[str, str] = {}
    for jur in contract.jurisdictions.values():
        if jur.order == "federal":
            continue
        target = cities if jur.order == "municipal" else provinces
        for name in (jur.name_en, jur.name_fr):
            target[fold(name)] = jur.id
        for abbr in jur.abbr:
            key = fold(abbr).replace(" ", "")
            # Dotted forms with several letters ("N.-É.", "T.N.-O.") are matched as written
            # (see _dotted): folded, "N.-É." would be the French word "ne".
            if key and not _is_dotted(abbr):
                target.setdefault(key, jur.id)
    for jur_id, names in _ALIASES.items():
        target = cities if contract.jurisdictions[jur_id].order == "municipal" else provinces
        for name in names:
            target.setdefault(fold(name), jur_id)
    # "Quebec" alone is the province; the city is "Quebec City" / "ville de Québec".
    cities.pop("quebec", None)
    return provinces, cities


def _is_dotted(abbr: str) -> bool:
    """Whether an abbreviation is a dotted form of several letters ("N.-B.", "P.E.I.")."""
    return abbr.count(".") >= 2


@lru_cache(maxsize=4)
def _dotted(contract: Contract) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Regexes for the dotted abbreviations, any case, spaces optional."""
    patterns = []
    for jur in contract.jurisdictions.values():
        for abbr in jur.abbr:
            if _is_dotted(abbr):
                body = r"\s*".join(re.escape(ch) for ch in abbr if not ch.isspace())
                patterns.append((re.compile(rf"(?<![\w.]){body}(?!\w)", re.IGNORECASE), jur.id))
    return tuple(patterns)


def _postal(text: str, contract: Contract, fsa_cities: dict[str, str]) -> Location | None:
    for match in _POSTAL_RE.finditer(text.lower()):
        full = match.group(4) is not None
        fsa = "".join(match.group(1, 2, 3)).upper()
        stripped = text.strip()
        # A bare three-character token counts only when it is the whole message or a full code.
        if (
            not full
            and len(stripped.replace(" ", "")) > 3
            and not re.search(r"\b(postal|code|fsa)\b", text.lower())
        ):
            continue
        province = _X_FSA.get(fsa) if fsa[0] == "X" else None
        if province is None:
            province = next(
                (
                    j.id
                    for j in contract.jurisdictions.values()
                    if fsa[0] in j.postal_prefixes and j.id != "ca-nu"
                ),
                None,
            )
        if province is None:
            continue
        city = fsa_cities.get(fsa) or fsa_cities.get(fsa[:2]) or fsa_cities.get(fsa[:1])
        return Location(province, city, fsa)
    return None


_ELISION_RE = re.compile(r"\b([ld])(?=[aeiouy][a-z]{3,})")


def _unelide(folded: str) -> str:
    """Split French elisions typed without the apostrophe: "lalberta" → "l alberta".

    The split copy is appended, so a word that merely starts with l or d
    ("london", "dartmouth") still matches as written.
    """
    split = _ELISION_RE.sub(r"\1 ", folded)
    return folded if split == folded else f"{folded} {split}"


def _find_phrase(
    folded: str, names: dict[str, str], raw: str, spellings: dict[str, list[str]]
) -> str | None:
    """Longest place name that appears as whole words in ``folded``."""
    padded = f" {folded} "
    for name in sorted(names, key=len, reverse=True):
        if f" {name} " not in padded:
            continue
        if name in _STRICT and folded != name:
            written = spellings.get(name, [])
            if not any(re.search(rf"(?<![\w.]){re.escape(w)}(?!\w)", raw) for w in written):
                continue
        return names[name]
    return None


@lru_cache(maxsize=4)
def _spellings(contract: Contract) -> dict[str, list[str]]:
    """Folded abbreviation → the ways the contract writes it (for case-sensitive matching)."""
    out: dict[str, list[str]] = {}
    for jur in contract.jurisdictions.values():
        for abbr in jur.abbr:
            out.setdefault(fold(abbr).replace(" ", ""), []).append(abbr)
    return out


def parse_location(
    text: str, contract: Contract, fsa_cities: dict[str, str] | None = None
) -> Location:
    """Find the province or territory, and the city when named, in ``text``.

    A city gives both its municipality and its province; another town ("Truro")
    its province and its name; a postal code gives the province from its first
    letter, and the city when its forward sortation area identifies one.

    Args:
        text: What the citizen typed.
        contract: The jurisdictions to recognize.
        fsa_cities: Postal prefixes that identify a municipality (from ``knowledge/postal.yml``).

    Returns:
        The location; ``Location()`` when nothing is recognized.
    """
    if not text or not text.strip():
        return Location()
    text = text[:500]
    postal = _postal(text, contract, fsa_cities or {})
    if postal is not None:
        return postal
    folded = _unelide(fold(text))
    provinces, cities = _place_names(contract)
    spellings = _spellings(contract)
    city = _find_phrase(folded, cities, text, spellings)
    if city is not None:
        return Location(contract.jurisdictions[city].province, city)
    province = _find_phrase(folded, provinces, text, spellings) or next(
        (jur for pattern, jur in _dotted(contract) if pattern.search(text)), None
    )
    town = find_town(text, province)
    if town is not None and province is not None and _is_province_name(town, contract, folded):
        town = None
    if town is not None:
        city = _municipality_of(town, contract)
        if city is not None:
            return Location(town.province, city)
        return Location(town.province, town=town.name)
    if province is not None:
        return Location(province)
    return _fuzzy_single_place(folded, provinces, cities, contract)


def _is_province_name(town: Place, contract: Contract, folded: str) -> bool:
    """Whether the "town" is really the province's own name.

    "Quebec" is the province, except after "à": "à Québec" is the city, "au Québec"
    the province.
    """
    jur = contract.jurisdictions[town.province]
    name = fold(town.name)
    if name not in (fold(jur.name_en), fold(jur.name_fr)):
        return False
    return re.search(rf"\ba {re.escape(name)}\b", folded) is None


def municipality_place(contract: Contract, city: str) -> Place | None:
    """The town-table entry of a contract municipality (its centre, population)."""
    jur = contract.jurisdictions[city]
    for name in (jur.name_en, jur.name_fr):
        place = lookup(name, jur.province)
        if place is not None:
            return place
    return None


def _municipality_of(town: Place, contract: Contract) -> str | None:
    """The contract municipality a town is, if any ("Québec" the city is ca-qc-quebec)."""
    return next(
        (city for city in contract.municipalities if municipality_place(contract, city) == town),
        None,
    )


def _fuzzy_single_place(
    folded: str, provinces: dict[str, str], cities: dict[str, str], contract: Contract
) -> Location:
    """Typos in a message that is only a place name ("mont real", "saskatchewan")."""
    if not folded or len(folded) < 5 or len(folded.split()) > 4:
        return Location()
    names = {k: v for k, v in {**provinces, **cities}.items() if len(k) >= 5}
    best = process.extractOne(folded, list(names), scorer=fuzz.ratio, score_cutoff=85)
    if best is None:
        return Location()
    jur = contract.jurisdictions[names[best[0]]]
    if jur.order == "municipal":
        return Location(jur.province, jur.id)
    return Location(jur.id)
