"""The binding contract shared with integrators: service kinds and jurisdictions."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from bot.paths import REPO_ROOT

ORDERS = ("federal", "provincial", "territorial", "municipal")


class YamlLoader(yaml.SafeLoader):
    """A safe loader where only ``true``/``false`` are booleans.

    YAML 1.1 reads ``ON`` (Ontario), ``NO`` and ``yes`` as booleans; place
    abbreviations and keywords must stay strings.
    """


YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def contract_dir() -> Path:
    """Return the folder holding the contract files.

    Returns:
        ``$CARREFOUR_CONTRACT_DIR`` if set, else ``../shared/contract`` beside the repository.
    """
    override = os.environ.get("CARREFOUR_CONTRACT_DIR")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "contract"


@dataclass(frozen=True)
class Kind:
    """A service kind from ``taxonomy.yml``."""

    code: str
    en: str
    fr: str
    usually: tuple[str, ...]
    notes: str = ""

    def name(self, lang: str) -> str:
        """Return the kind's display name in ``lang``."""
        return self.fr if lang == "fr" else self.en


@dataclass(frozen=True)
class LifeEventKinds:
    """A life event from ``taxonomy.yml``: a bundle of kinds."""

    code: str
    en: str
    fr: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Jurisdiction:
    """A jurisdiction from ``jurisdictions.yml``."""

    id: str
    order: str
    name_en: str
    name_fr: str
    province: str | None = None
    abbr: tuple[str, ...] = ()
    postal_prefixes: tuple[str, ...] = ()

    def name(self, lang: str) -> str:
        """Return the jurisdiction's name in ``lang``."""
        return self.name_fr if lang == "fr" else self.name_en


@dataclass(frozen=True, eq=False)
class Contract:
    """Kinds, life events and jurisdictions, indexed by id."""

    kinds: dict[str, Kind]
    life_events: dict[str, LifeEventKinds]
    jurisdictions: dict[str, Jurisdiction]
    provinces: tuple[str, ...] = field(default=())
    municipalities: tuple[str, ...] = field(default=())

    def order_of(self, jurisdiction_id: str) -> str:
        """Return the order of government of a jurisdiction id."""
        return self.jurisdictions[jurisdiction_id].order

    def province_of(self, jurisdiction_id: str) -> str | None:
        """Return the province or territory a jurisdiction belongs to (None for federal)."""
        jur = self.jurisdictions[jurisdiction_id]
        if jur.order == "municipal":
            return jur.province
        if jur.order == "federal":
            return None
        return jur.id

    def holiday_region(self, jurisdiction_id: str) -> str | None:
        """The ``holidays`` subdivision code (``"ON"``) of a jurisdiction's province, if any."""
        province = self.province_of(jurisdiction_id)
        return province.split("-")[1].upper() if province else None

    def postal_prefixes(self, jurisdiction_id: str) -> tuple[str, ...]:
        """First letters of the postal codes of a jurisdiction's province (all for federal)."""
        province = self.province_of(jurisdiction_id)
        if province is None:
            return tuple(p for j in self.provinces for p in self.jurisdictions[j].postal_prefixes)
        return self.jurisdictions[province].postal_prefixes


def _rejoin_commas(entry: dict) -> dict:
    """Undo YAML flow-mapping splits: ``{en: Garbage, recycling and compost}``.

    In a flow mapping an unquoted comma ends the value, so the rest of the name
    becomes a key with no value. The text the contract's author wrote is the
    value followed by those keys, joined again with ", ".
    """
    out: dict = {}
    last: str | None = None
    for key, value in entry.items():
        if value is None and last is not None and isinstance(out[last], str):
            out[last] = f"{out[last]}, {key}"
            continue
        out[key] = value
        last = key
    return out


def _load_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=YamlLoader)  # noqa: S506 - safe loader
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


@lru_cache(maxsize=4)
def load_contract(directory: Path | None = None) -> Contract:
    """Load and index the contract files.

    Args:
        directory: Folder with ``taxonomy.yml`` and ``jurisdictions.yml``; defaults to
            :func:`contract_dir`.

    Returns:
        The indexed contract.
    """
    folder = directory or contract_dir()
    taxonomy = _load_yaml(folder / "taxonomy.yml")
    places = _load_yaml(folder / "jurisdictions.yml")
    kinds = {}
    for raw in taxonomy["kinds"]:
        k = _rejoin_commas(raw)
        kinds[k["code"]] = Kind(
            k["code"], k["en"], k["fr"], tuple(k["usually"]), k.get("notes", "")
        )
    events = {}
    for raw in taxonomy["life_events"]:
        e = _rejoin_commas(raw)
        events[e["code"]] = LifeEventKinds(e["code"], e["en"], e["fr"], tuple(e["kinds"]))
    jurisdictions: dict[str, Jurisdiction] = {}
    for j in places["federal"]:
        jurisdictions[j["id"]] = Jurisdiction(j["id"], "federal", j["name_en"], j["name_fr"])
    provinces = []
    for j in places["provinces_and_territories"]:
        provinces.append(j["id"])
        jurisdictions[j["id"]] = Jurisdiction(
            j["id"],
            j["order"],
            j["name_en"],
            j["name_fr"],
            abbr=tuple(j.get("abbr", ())),
            postal_prefixes=tuple(j.get("postal_prefixes", ())),
        )
    cities = []
    for j in places["municipalities"]:
        cities.append(j["id"])
        jurisdictions[j["id"]] = Jurisdiction(
            j["id"], "municipal", j["name_en"], j["name_fr"], province=j["province"]
        )
    return Contract(kinds, events, jurisdictions, tuple(provinces), tuple(cities))
