"""Load and validate the YAML knowledge base.

The loader is all-or-nothing: the first problem raises :class:`KnowledgeError`
naming the file, line and field, and nothing is returned. Run
``python -m bot.knowledge`` to validate the ``knowledge/`` folder.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.contract import Contract, YamlLoader, load_contract
from bot.hours import (
    DAYS,
    LOCAL_TIME,
    OpeningHours,
    ScheduleError,
    check_timezone,
    parse_schedule,
)
from bot.paths import REPO_ROOT, knowledge_dir

LANGS = ("en", "fr")
CHANNEL_TYPES = ("online", "phone", "in_person", "mail", "email", "sms", "live_chat")
SHORT_CODES = ("211", "311", "811", "911", "988")
PHONE_RE = re.compile(r"^\+1-\d{3}-\d{3}-\d{4}$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$")


class KnowledgeError(ValueError):
    """A knowledge-base file is malformed.

    Attributes:
        file: Path of the offending file, relative to the repository when possible.
        line: 1-based line number of the offending node.
        field: Dotted path of the offending field.
    """

    def __init__(self, file: Path, line: int, field: str, message: str) -> None:
        try:
            shown = file.resolve().relative_to(REPO_ROOT)
        except ValueError:
            shown = file
        self.file = str(shown)
        self.line = line
        self.field = field
        super().__init__(f"{self.file}:{line}: {field}: {message}")


# --- YAML with line numbers -------------------------------------------------


class _Node(dict):
    """A mapping that remembers the line of itself and of each key's value."""

    line: int
    lines: dict[str, int]


class _Seq(list):
    """A sequence that remembers the line of each item."""

    line: int
    lines: list[int]


class _LineLoader(yaml.CSafeLoader):
    """libyaml's parser (the knowledge base is megabytes of YAML) with the contract's resolvers."""


_LineLoader.yaml_implicit_resolvers = dict(YamlLoader.yaml_implicit_resolvers)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Node:
    result = _Node()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[str(key)] = value_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _Seq:
    result = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


# --- Model --------------------------------------------------------------------


@dataclass(frozen=True)
class Localized:
    """A text in English and French."""

    en: str
    fr: str

    def get(self, lang: str) -> str:
        """Return the text in ``lang`` (English for anything but ``fr``)."""
        return self.fr if lang == "fr" else self.en


@dataclass(frozen=True)
class Organization:
    """An organization: a responsible authority or a delivery partner."""

    id: str
    name: Localized
    url: Localized | None = None
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    jurisdiction: str = "ca"  # where the organization is defined
    live_chat: Localized | None = None  # a live chat with a person, where the deployer has one


@dataclass(frozen=True)
class Channel:
    """One way to reach a service."""

    type: str
    url: Localized | None = None
    number: str | None = None
    tty: str | None = None
    hours: Localized | None = None
    name: Localized | None = None
    opening_hours: OpeningHours | None = None


@dataclass(frozen=True)
class Service:
    """A government service in one jurisdiction."""

    id: str
    kind: str
    jurisdiction: str
    order: str
    name: Localized
    authority: Organization
    why: Localized
    channels: tuple[Channel, ...]
    source: str
    last_verified: str
    delivered_by: Organization | None = None
    eligibility: Localized | None = None
    documents: tuple[Localized, ...] = ()
    processing_time: Localized | None = None
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    except_in: tuple[str, ...] = ()
    delivered_locally: bool = False
    prefer_when: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def contact_org(self) -> Organization:
        """The organization the citizen deals with."""
        return self.delivered_by or self.authority

    def phone(self) -> Channel | None:
        """Return the service's first phone channel, if any."""
        return next((c for c in self.channels if c.type == "phone"), None)


@dataclass(frozen=True)
class Government:
    """How a jurisdiction names itself and its general enquiries line."""

    jurisdiction: str
    name: Localized
    general_line: Channel | None


@dataclass(frozen=True)
class NotOffered:
    """A kind a jurisdiction does not offer, what to tell the citizen and where to go instead."""

    kind: str
    jurisdiction: str
    note: Localized
    refer_to: str | None
    source: str
    last_verified: str


@dataclass(frozen=True)
class ServicePoint:
    """An office citizens walk into."""

    id: str
    organization: Organization
    name: Localized
    address: Localized
    city: str
    jurisdiction: str
    postal_code: str
    hours: OpeningHours
    languages: tuple[str, ...]
    source: str
    last_verified: str
    kinds: tuple[str, ...] = ()
    coordinates: tuple[float, float] | None = None
    accessibility: Localized | None = None
    phone: str | None = None
    url: Localized | None = None

    def serves(self, service: Service) -> bool:
        """Whether a citizen can get ``service`` here."""
        org_ids = {service.authority.id, service.contact_org.id}
        return self.organization.id in org_ids and (not self.kinds or service.kind in self.kinds)


@dataclass(frozen=True)
class LifeEvent:
    """A life event: services across orders of government, most urgent first."""

    code: str
    name: Localized
    kinds: tuple[str, ...]
    keywords: dict[str, tuple[str, ...]]


@dataclass
class KnowledgeBase:
    """The validated knowledge base, indexed for routing and search."""

    contract: Contract
    services: dict[str, Service]
    organizations: dict[str, Organization]
    governments: dict[str, Government]
    life_events: dict[str, LifeEvent]
    fsa_cities: dict[str, str]
    labels: dict[str, Localized] = field(default_factory=dict)
    messages: dict[str, Localized] = field(default_factory=dict)
    not_offered: dict[tuple[str, str], NotOffered] = field(default_factory=dict)
    service_points: dict[str, ServicePoint] = field(default_factory=dict)
    by_kind: dict[str, list[Service]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_kind = {}
        for service in self.services.values():
            self.by_kind.setdefault(service.kind, []).append(service)

    def government(self, jurisdiction_id: str) -> Government | None:
        """Return the government record of a jurisdiction, if the knowledge base has one."""
        return self.governments.get(jurisdiction_id)


# --- Validation ---------------------------------------------------------------


class _Reader:
    """Validates one file's nodes, raising with file, line and field on the first problem."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: Any, key: str | int | None, fieldname: str, message: str) -> None:
        line = 1
        if isinstance(node, _Node):
            line = node.lines.get(str(key), node.line) if key is not None else node.line
        elif isinstance(node, _Seq):
            line = node.lines[key] if isinstance(key, int) and key < len(node.lines) else node.line
        raise KnowledgeError(self.path, line, fieldname, message)

    def mapping(self, parent: Any, key: str | int, fieldname: str) -> _Node:
        value = parent[key]
        if not isinstance(value, _Node):
            self.fail(parent, key, fieldname, "expected a mapping")
        return value

    def require(self, node: _Node, key: str, fieldname: str) -> Any:
        if key not in node or node[key] is None or node[key] == "":
            self.fail(node, None, f"{fieldname}.{key}" if fieldname else key, "missing")
        return node[key]

    def text(self, node: _Node, key: str, fieldname: str) -> Localized:
        value = self.require(node, key, fieldname)
        path = f"{fieldname}.{key}" if fieldname else key
        return self.localized(value, node, key, path)

    def localized(self, value: Any, parent: Any, key: str | int, path: str) -> Localized:
        if not isinstance(value, _Node):
            self.fail(parent, key, path, "expected {en: ..., fr: ...}")
        for lang in LANGS:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                self.fail(value, lang if lang in value else None, f"{path}.{lang}", "missing text")
        extra = set(value) - set(LANGS)
        if extra:
            self.fail(value, sorted(extra)[0], path, f"unexpected language {sorted(extra)[0]!r}")
        return Localized(value["en"].strip(), value["fr"].strip())

    def optional_text(self, node: _Node, key: str, fieldname: str) -> Localized | None:
        return self.text(node, key, fieldname) if node.get(key) is not None else None

    def url(self, node: _Node, key: str, fieldname: str) -> Localized:
        value = self.require(node, key, fieldname)
        path = f"{fieldname}.{key}"
        if isinstance(value, str):
            self._check_url(node, key, path, value)
            return Localized(value, value)
        if isinstance(value, _Node):
            for lang in LANGS:
                if lang not in value:
                    self.fail(value, None, f"{path}.{lang}", "missing URL")
                self._check_url(value, lang, f"{path}.{lang}", value[lang])
            return Localized(value["en"], value["fr"])
        self.fail(node, key, path, "expected a URL or {en: URL, fr: URL}")
        raise AssertionError  # unreachable: fail() raises

    def _check_url(self, node: _Node, key: str, path: str, value: Any) -> None:
        if not isinstance(value, str) or not URL_RE.match(value.strip()):
            self.fail(node, key, path, f"malformed URL {value!r}")

    def phone(self, node: _Node, key: str, fieldname: str) -> str:
        value = node[key]
        if not isinstance(value, str) or not (PHONE_RE.match(value) or value in SHORT_CODES):
            self.fail(
                node,
                key,
                f"{fieldname}.{key}",
                f"malformed phone number {value!r} (expected +1-NNN-NNN-NNNN or "
                f"one of {', '.join(SHORT_CODES)})",
            )
        return str(value)

    def words(self, node: _Node, key: str, fieldname: str) -> dict[str, tuple[str, ...]]:
        value = node.get(key)
        if value is None:
            return {}
        path = f"{fieldname}.{key}"
        if not isinstance(value, _Node):
            self.fail(node, key, path, "expected {en: [...], fr: [...]}")
        result = {}
        for lang in LANGS:
            items = value.get(lang)
            if not isinstance(items, list) or not items:
                self.fail(value, lang if lang in value else None, f"{path}.{lang}", "missing list")
            for i, item in enumerate(items):
                if not isinstance(item, str) or not item.strip():
                    self.fail(items, i, f"{path}.{lang}[{i}]", "expected a non-empty string")
            result[lang] = tuple(str(item).strip() for item in items)
        return result

    def channel(
        self, node: _Node, fieldname: str, region: str | None = None, national: bool = False
    ) -> Channel:
        kind = self.require(node, "type", fieldname)
        if kind not in CHANNEL_TYPES:
            self.fail(node, "type", f"{fieldname}.type", f"unknown channel type {kind!r}")
        url = self.url(node, "url", fieldname) if "url" in node else None
        number = self.phone(node, "number", fieldname) if "number" in node else None
        tty = self.phone(node, "tty", fieldname) if "tty" in node else None
        if kind in ("phone", "sms") and number is None:
            self.fail(node, None, f"{fieldname}.number", "missing")
        if kind in ("online", "live_chat") and url is None:
            self.fail(node, None, f"{fieldname}.url", "missing")
        if kind == "in_person" and url is None and "name" not in node:
            self.fail(node, None, f"{fieldname}.url", "missing (give the official locator URL)")
        return Channel(
            type=kind,
            url=url,
            number=number,
            tty=tty,
            hours=self.optional_text(node, "hours", fieldname),
            name=self.optional_text(node, "name", fieldname),
            opening_hours=(
                self.opening_hours(node, fieldname, region, national=national)
                if "schedule" in node
                else None
            ),
        )

    def opening_hours(
        self,
        node: _Node,
        fieldname: str,
        region: str | None,
        key: str = "schedule",
        categories: tuple[str, ...] = ("public",),
        national: bool = False,
    ) -> OpeningHours:
        """Read ``key`` (a weekly schedule) and ``timezone`` into :class:`OpeningHours`."""
        spec = self.mapping(node, key, f"{fieldname}.{key}")
        try:
            weekly = parse_schedule(spec)
        except ScheduleError as exc:
            self.fail(spec, exc.key, f"{fieldname}.{key}.{exc.key}", str(exc))
        zone = self.require(node, "timezone", fieldname)
        if not isinstance(zone, str) or not check_timezone(zone):
            self.fail(node, "timezone", f"{fieldname}.timezone", f"unknown time zone {zone!r}")
        if zone == LOCAL_TIME and not national:
            self.fail(
                node,
                "timezone",
                f"{fieldname}.timezone",
                "'local' (the caller's time) is only for a federal service's phone line",
            )
        closes = node.get("closed_on_holidays", True)
        if not isinstance(closes, bool):
            self.fail(
                node,
                "closed_on_holidays",
                f"{fieldname}.closed_on_holidays",
                "expected true or false",
            )
        return OpeningHours(weekly, zone, region if closes else None, categories)

    def date(self, node: _Node, key: str, fieldname: str) -> str:
        """Read a ``YYYY-MM-DD`` date and return it in ISO form."""
        value = self.require(node, key, fieldname)
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                self.fail(node, key, f"{fieldname}.{key}", "expected YYYY-MM-DD")
        if not isinstance(value, dt.date):
            self.fail(node, key, f"{fieldname}.{key}", "expected YYYY-MM-DD")
        return value.isoformat()

    def source(self, node: _Node, fieldname: str) -> str:
        """Read the non-empty ``source`` of a record."""
        value = self.require(node, "source", fieldname)
        if not isinstance(value, str):
            self.fail(node, "source", f"{fieldname}.source", "expected text")
        return value.strip()


def knowledge_files(folder: Path) -> list[Path]:
    """The YAML files of a knowledge folder, in the order they are loaded."""
    return sorted(p for p in folder.rglob("*.yml") if p.is_file())


def _iter_files(folder: Path) -> Iterator[Path]:
    yield from knowledge_files(folder)


def _parse(path: Path) -> _Node:
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise KnowledgeError(path, line, "(yaml)", str(exc.problem or exc)) from exc
    except UnicodeDecodeError as exc:
        raise KnowledgeError(path, 1, "(file)", "not valid UTF-8") from exc
    if not isinstance(data, _Node):
        raise KnowledgeError(path, 1, "(file)", "expected a mapping at the top level")
    return data


@dataclass
class _Draft:
    organizations: dict[str, Organization] = field(default_factory=dict)
    pending_services: list[tuple[_Reader, _Node, str, str]] = field(default_factory=list)
    governments: dict[str, Government] = field(default_factory=dict)
    life_events: dict[str, LifeEvent] = field(default_factory=dict)
    fsa_cities: dict[str, str] = field(default_factory=dict)
    labels: dict[str, Localized] = field(default_factory=dict)
    messages: dict[str, Localized] = field(default_factory=dict)
    pending_not_offered: list[tuple[_Reader, _Node, str, str]] = field(default_factory=list)
    pending_points: list[tuple[_Reader, _Node, str]] = field(default_factory=list)


_PLACEHOLDER_RE = re.compile(r"{(\w+)}")


def _read_messages(reader: _Reader, data: _Node, draft: _Draft) -> None:
    table = reader.mapping(data, "messages", "messages")
    for name in table:
        text = reader.text(table, name, "messages")
        en, fr = (set(_PLACEHOLDER_RE.findall(t)) for t in (text.en, text.fr))
        if en != fr:
            reader.fail(
                table[name], None, f"messages.{name}", f"placeholders differ: en {en}, fr {fr}"
            )
        draft.messages[name] = text


LABELS = (
    CHANNEL_TYPES
    + ("tty", "colon", "federal", "provincial", "territorial", "municipal", "french_service")
    + tuple(f"day_{d}" for d in DAYS)
    + tuple(f"dayshort_{d}" for d in DAYS)
)


def _read_labels(reader: _Reader, data: _Node, draft: _Draft) -> None:
    table = reader.mapping(data, "labels", "labels")
    for name in table:
        if name not in LABELS:
            reader.fail(table, name, f"labels.{name}", "unknown label")
        draft.labels[name] = reader.text(table, name, "labels")
    for name in LABELS:
        if name not in draft.labels:
            reader.fail(table, None, f"labels.{name}", "missing")


def _read_service_file(reader: _Reader, data: _Node, contract: Contract, draft: _Draft) -> None:
    jurisdiction = reader.require(data, "jurisdiction", "")
    if jurisdiction not in contract.jurisdictions:
        reader.fail(data, "jurisdiction", "jurisdiction", f"unknown jurisdiction {jurisdiction!r}")
    government = reader.text(data, "government", "")
    line = None
    if data.get("general_line") is not None:
        node = reader.mapping(data, "general_line", "general_line")
        line = reader.channel(
            _with_type(node, "phone"), "general_line", contract.holiday_region(jurisdiction)
        )
    known = draft.governments.get(jurisdiction)
    if known is None or (known.general_line is None and line is not None):
        draft.governments[jurisdiction] = Government(jurisdiction, government, line)
    for i, org_node in enumerate(data.get("organizations") or []):
        path = f"organizations[{i}]"
        if not isinstance(org_node, _Node):
            reader.fail(data["organizations"], i, path, "expected a mapping")
        org_id = reader.require(org_node, "id", path)
        if org_id in draft.organizations:
            reader.fail(org_node, "id", f"{path}.id", f"duplicate organization id {org_id!r}")
        url = reader.url(org_node, "url", path) if "url" in org_node else None
        chat = reader.url(org_node, "live_chat", path) if "live_chat" in org_node else None
        draft.organizations[org_id] = Organization(
            org_id,
            reader.text(org_node, "name", path),
            url,
            reader.words(org_node, "aliases", path),
            live_chat=chat,
        )
    for i, item in enumerate(_list(reader, data, "not_offered")):
        draft.pending_not_offered.append((reader, item, f"not_offered[{i}]", jurisdiction))
    services = data.get("services") or []
    if not isinstance(services, list):
        reader.fail(data, "services", "services", "expected a list")
    for i, node in enumerate(services):
        if not isinstance(node, _Node):
            reader.fail(services, i, f"services[{i}]", "expected a mapping")
        draft.pending_services.append((reader, node, f"services[{i}]", jurisdiction))


def _list(reader: _Reader, data: _Node, key: str) -> list[_Node]:
    items = data.get(key) or []
    if not isinstance(items, list):
        reader.fail(data, key, key, "expected a list")
    for i, item in enumerate(items):
        if not isinstance(item, _Node):
            reader.fail(items, i, f"{key}[{i}]", "expected a mapping")
    return items


def _build_not_offered(
    reader: _Reader,
    node: _Node,
    path: str,
    jurisdiction: str,
    contract: Contract,
    services: dict[str, Service],
) -> NotOffered:
    kind = reader.require(node, "kind", path)
    if kind not in contract.kinds:
        reader.fail(node, "kind", f"{path}.kind", f"unknown kind {kind!r}")
    refer_to = node.get("refer_to")
    if refer_to is not None and refer_to not in services:
        reader.fail(node, "refer_to", f"{path}.refer_to", f"unknown service {refer_to!r}")
    if any(s.kind == kind and s.jurisdiction == jurisdiction for s in services.values()):
        reader.fail(node, "kind", f"{path}.kind", f"{jurisdiction} has a {kind} service")
    return NotOffered(
        kind=kind,
        jurisdiction=jurisdiction,
        note=reader.text(node, "note", path),
        refer_to=refer_to,
        source=reader.source(node, path),
        last_verified=reader.date(node, "last_verified", path),
    )


# A full postal code, or only its forward sortation area when the rest is not confirmed.
_POSTAL_CODE_RE = re.compile(r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]( \d[ABCEGHJ-NPRSTV-Z]\d)?$")
_POINT_ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _build_point(
    reader: _Reader, node: _Node, path: str, contract: Contract, draft: _Draft
) -> ServicePoint:
    point_id = reader.require(node, "id", path)
    if not isinstance(point_id, str) or not _POINT_ID_RE.match(point_id):
        reader.fail(node, "id", f"{path}.id", "expected lowercase letters, digits and hyphens")
    org_id = reader.require(node, "organization", path)
    if org_id not in draft.organizations:
        reader.fail(
            node, "organization", f"{path}.organization", f"unknown organization {org_id!r}"
        )
    kinds = tuple(node.get("kinds") or ())
    for kind in kinds:
        if kind not in contract.kinds:
            reader.fail(node, "kinds", f"{path}.kinds", f"unknown kind {kind!r}")
    jurisdiction = reader.require(node, "jurisdiction", path)
    if jurisdiction not in contract.provinces:
        reader.fail(
            node, "jurisdiction", f"{path}.jurisdiction", "expected a province or territory id"
        )
    city = reader.require(node, "city", path)
    if not isinstance(city, str):
        reader.fail(node, "city", f"{path}.city", "expected a municipality id or a town name")
    if city in contract.jurisdictions and contract.province_of(city) != jurisdiction:
        reader.fail(node, "city", f"{path}.city", f"{city} is not in {jurisdiction}")
    postal = reader.require(node, "postal_code", path)
    if not isinstance(postal, str) or not _POSTAL_CODE_RE.match(postal):
        reader.fail(
            node,
            "postal_code",
            f"{path}.postal_code",
            f"malformed postal code {postal!r} (expected A1A 1A1, or A1A alone)",
        )
    if postal[0] not in contract.postal_prefixes(jurisdiction):
        reader.fail(
            node,
            "postal_code",
            f"{path}.postal_code",
            f"{postal} is not a {jurisdiction} postal code",
        )
    coordinates = None
    if node.get("coordinates") is not None:
        value = node["coordinates"]
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int | float) for v in value)
            or not (41 <= value[0] <= 84 and -142 <= value[1] <= -52)
        ):
            reader.fail(
                node,
                "coordinates",
                f"{path}.coordinates",
                "expected [latitude, longitude] in Canada",
            )
        coordinates = (float(value[0]), float(value[1]))
    languages = tuple(node.get("languages") or ())
    if not languages or any(lang not in LANGS for lang in languages):
        reader.fail(node, "languages", f"{path}.languages", "expected a list of en, fr")
    # Federal offices also close on the federal government's holidays (Remembrance Day
    # in Ontario, for one); provincial offices on the province's statutory holidays.
    federal = draft.organizations[org_id].jurisdiction == "ca"
    categories = ("public", "government") if federal else ("public",)
    address = node.get("address")
    return ServicePoint(
        id=point_id,
        organization=draft.organizations[org_id],
        kinds=kinds,
        name=reader.text(node, "name", path),
        address=(
            Localized(address.strip(), address.strip())
            if isinstance(address, str) and address.strip()
            else reader.text(node, "address", path)
        ),
        city=city,
        jurisdiction=jurisdiction,
        postal_code=postal,
        coordinates=coordinates,
        hours=reader.opening_hours(
            node, path, contract.holiday_region(jurisdiction), "hours", categories
        ),
        languages=languages,
        accessibility=reader.optional_text(node, "accessibility", path),
        phone=reader.phone(node, "phone", path) if "phone" in node else None,
        url=reader.url(node, "url", path) if "url" in node else None,
        source=reader.source(node, path),
        last_verified=reader.date(node, "last_verified", path),
    )


def _with_type(node: _Node, kind: str) -> _Node:
    if "type" not in node:
        node["type"] = kind
        node.lines["type"] = node.line
    return node


def _build_service(
    reader: _Reader, node: _Node, path: str, jurisdiction: str, contract: Contract, draft: _Draft
) -> Service:
    service_id = reader.require(node, "id", path)
    if not isinstance(service_id, str) or not service_id.startswith(f"{jurisdiction}."):
        reader.fail(node, "id", f"{path}.id", f"must start with {jurisdiction!r} and a dot")
    kind = reader.require(node, "kind", path)
    if kind not in contract.kinds:
        reader.fail(node, "kind", f"{path}.kind", f"unknown kind {kind!r}")
    if service_id.split(".")[1] != kind:
        reader.fail(node, "id", f"{path}.id", f"must be {jurisdiction}.{kind}[.variant]")

    def org(key: str) -> Organization | None:
        if node.get(key) is None:
            return None
        org_id = node[key]
        if org_id not in draft.organizations:
            reader.fail(node, key, f"{path}.{key}", f"unknown organization {org_id!r}")
        return draft.organizations[org_id]

    authority = org("authority")
    if authority is None:
        reader.fail(node, None, f"{path}.authority", "missing")
    channel_nodes = reader.require(node, "channels", path)
    if not isinstance(channel_nodes, list) or not channel_nodes:
        reader.fail(node, "channels", f"{path}.channels", "expected at least one channel")
    channels = []
    for i, _ in enumerate(channel_nodes):
        channels.append(
            reader.channel(
                reader.mapping(channel_nodes, i, ""),
                f"{path}.channels[{i}]",
                contract.holiday_region(jurisdiction),
                national=jurisdiction == "ca",
            )
        )
    documents = []
    doc_nodes = node.get("documents") or []
    for i, item in enumerate(doc_nodes):
        documents.append(reader.localized(item, doc_nodes, i, f"{path}.documents[{i}]"))
    verified = reader.date(node, "last_verified", path)
    except_in = tuple(node.get("except_in") or ())
    if except_in and jurisdiction != "ca":
        reader.fail(node, "except_in", f"{path}.except_in", "allowed on federal services only")
    for place in except_in:
        if place not in contract.provinces:
            reader.fail(node, "except_in", f"{path}.except_in", f"unknown province {place!r}")
    return Service(
        id=service_id,
        kind=kind,
        jurisdiction=jurisdiction,
        order=contract.order_of(jurisdiction),
        name=reader.text(node, "name", path),
        authority=authority,  # type: ignore[arg-type]
        delivered_by=org("delivered_by"),
        why=reader.text(node, "why", path),
        eligibility=reader.optional_text(node, "eligibility", path),
        channels=tuple(channels),
        documents=tuple(documents),
        processing_time=reader.optional_text(node, "processing_time", path),
        keywords=reader.words(node, "keywords", path),
        except_in=except_in,
        delivered_locally=bool(node.get("delivered_locally", False)),
        prefer_when=reader.words(node, "prefer_when", path),
        source=reader.source(node, path),
        last_verified=verified,
    )


def _read_life_events(reader: _Reader, data: _Node, contract: Contract, draft: _Draft) -> None:
    for i, node in enumerate(data["life_events"]):
        path = f"life_events[{i}]"
        if not isinstance(node, _Node):
            reader.fail(data["life_events"], i, path, "expected a mapping")
        code = reader.require(node, "code", path)
        if code not in contract.life_events:
            reader.fail(node, "code", f"{path}.code", f"unknown life event {code!r}")
        kinds = tuple(reader.require(node, "kinds", path))
        if sorted(kinds) != sorted(contract.life_events[code].kinds):
            reader.fail(node, "kinds", f"{path}.kinds", "must be the taxonomy's kinds, reordered")
        draft.life_events[code] = LifeEvent(
            code, reader.text(node, "name", path), kinds, reader.words(node, "keywords", path)
        )


def _read_postal(reader: _Reader, data: _Node, contract: Contract, draft: _Draft) -> None:
    table = reader.mapping(data, "fsa_cities", "fsa_cities")
    for city, prefixes in table.items():
        if contract.jurisdictions.get(city) is None or contract.order_of(city) != "municipal":
            reader.fail(table, city, f"fsa_cities.{city}", "unknown municipality")
        for prefix in prefixes:
            if not re.match(r"^[A-Z](\d[A-Z]?)?$", str(prefix)):
                reader.fail(table, city, f"fsa_cities.{city}", f"malformed FSA prefix {prefix!r}")
            draft.fsa_cities[str(prefix)] = city


def load_knowledge(folder: Path | None = None, contract: Contract | None = None) -> KnowledgeBase:
    """Load and validate every file of the knowledge base.

    Args:
        folder: The knowledge folder; defaults to :func:`bot.paths.knowledge_dir`.
        contract: The contract to validate against; defaults to the shared contract.

    Returns:
        The complete knowledge base.

    Raises:
        KnowledgeError: On the first problem, naming file, line and field.
    """
    folder = folder or knowledge_dir()
    contract = contract or load_contract()
    draft = _Draft()
    files = list(_iter_files(folder))
    if not files:
        raise KnowledgeError(folder, 1, "(folder)", "no knowledge-base files")
    for path in files:
        data = _parse(path)
        reader = _Reader(path)
        if "service_points" in data:
            for i, item in enumerate(_list(reader, data, "service_points")):
                draft.pending_points.append((reader, item, f"service_points[{i}]"))
        elif "life_events" in data:
            _read_life_events(reader, data, contract, draft)
        elif "fsa_cities" in data:
            _read_postal(reader, data, contract, draft)
        elif "labels" in data:
            _read_labels(reader, data, draft)
        elif "messages" in data:
            _read_messages(reader, data, draft)
        else:
            _read_service_file(reader, data, contract, draft)
    services: dict[str, Service] = {}
    for service_reader, node, field_path, jurisdiction in draft.pending_services:
        service = _build_service(service_reader, node, field_path, jurisdiction, contract, draft)
        if service.id in services:
            service_reader.fail(
                node, "id", f"{field_path}.id", f"duplicate service id {service.id!r}"
            )
        services[service.id] = service
    not_offered: dict[tuple[str, str], NotOffered] = {}
    for item_reader, node, field_path, jurisdiction in draft.pending_not_offered:
        entry = _build_not_offered(item_reader, node, field_path, jurisdiction, contract, services)
        if (jurisdiction, entry.kind) in not_offered:
            item_reader.fail(node, "kind", f"{field_path}.kind", f"{entry.kind} declared twice")
        not_offered[(jurisdiction, entry.kind)] = entry
    points: dict[str, ServicePoint] = {}
    for item_reader, node, field_path in draft.pending_points:
        point = _build_point(item_reader, node, field_path, contract, draft)
        if point.id in points:
            item_reader.fail(
                node, "id", f"{field_path}.id", f"duplicate service point {point.id!r}"
            )
        points[point.id] = point
    if not draft.labels:
        raise KnowledgeError(folder / "labels.yml", 1, "labels", "missing")
    for code in contract.life_events:
        if code not in draft.life_events:
            raise KnowledgeError(folder / "life-events.yml", 1, "life_events", f"missing {code!r}")
    return KnowledgeBase(
        contract=contract,
        services=services,
        organizations=draft.organizations,
        governments=draft.governments,
        life_events=draft.life_events,
        fsa_cities=draft.fsa_cities,
        labels=draft.labels,
        messages=draft.messages,
        not_offered=not_offered,
        service_points=points,
    )


def shared_knowledge() -> KnowledgeBase:
    """The default knowledge base shared by a process's components: the last good one.

    The first call loads it and raises :class:`KnowledgeError` on a broken file; later
    calls pick up changed files and SIGHUP (see :mod:`bot.knowledge_reload`).
    """
    # Imported here: the reloader is built on this module's loader.
    from bot.knowledge_reload import shared_reloader

    return shared_reloader().current()


def load_for_command(folder: Path | None = None) -> KnowledgeBase | None:
    """Load the knowledge base for a command-line tool: on a problem, print it and return None."""
    try:
        return load_knowledge(folder)
    except KnowledgeError as exc:
        print(f"knowledge base error: {exc}", file=sys.stderr)
        return None


def main(argv: list[str] | None = None) -> int:
    """Validate the knowledge base from the command line.

    Returns:
        0 when valid, 1 with the error on standard error otherwise.
    """
    args = argv if argv is not None else sys.argv[1:]
    folder = Path(args[0]) if args else None
    kb = load_for_command(folder)
    if kb is None:
        return 1
    print(
        f"knowledge base OK: {len(kb.services)} services, {len(kb.not_offered)} kinds not offered, "
        f"{len(kb.service_points)} service points, {len(kb.organizations)} organizations, "
        f"{len(kb.governments)} jurisdictions, {len(kb.life_events)} life events"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
