"""Export the knowledge base as Open Referral HSDS 3.0 (``make export-hsds``).

HSDS has no multilingual fields, so each language is a dataset of its own,
``<out>/en/`` and ``<out>/fr/``. Each holds ``organizations.json`` (organizations
with their services and locations nested, the shape of HSDS's compiled
organization schema) and one CSV per HSDS table, named and with the columns of
the vendored HSDS 3.0 tabular schema (``schemas/hsds-3.0/tabular.json``).
Identifiers are UUIDs derived from our ids: stable from one export to the next,
and the same in both languages so that a record and its translation share an id.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.hours import OpeningHours
from bot.knowledge import (
    LANGS,
    Channel,
    KnowledgeBase,
    Organization,
    Service,
    ServicePoint,
    load_for_command,
)
from bot.offices import points_for
from bot.paths import REPO_ROOT
from bot.rendering import channel_line, government_text, schedule_text

TABULAR_SCHEMA = REPO_ROOT / "schemas" / "hsds-3.0" / "tabular.json"
# Changing this namespace would change every exported identifier.
_NAMESPACE = uuid.UUID("e40e1d81-5bb5-4af4-afc4-913cbfe38fc7")
TAXONOMY = "carrefour"
_ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

Record = dict[str, Any]

#: Keys under which a record nests others, and the HSDS table of what they hold.
NESTED = {
    "services": "service",
    "locations": "location",
    "location": "location",
    "phones": "phone",
    "schedules": "schedule",
    "service_areas": "service_area",
    "service_at_locations": "service_at_location",
    "addresses": "address",
    "languages": "language",
    "accessibility": "accessibility",
    "required_documents": "required_document",
    "attributes": "attribute",
    "taxonomy_term": "taxonomy_term",
    "metadata": "metadata",
}
#: The HSDS tables the export fills, in the tabular schema's order.
TABLES = (
    "organization",
    "service",
    "attribute",
    "service_at_location",
    "location",
    "phone",
    "address",
    "schedule",
    "service_area",
    "required_document",
    "language",
    "accessibility",
    "taxonomy_term",
    "metadata",
)


def hsds_id(entity: str, key: str) -> str:
    """The stable UUID of one of our records, e.g. ``hsds_id("service", "ca-on.health-card")``."""
    return str(uuid.uuid5(_NAMESPACE, f"{entity}:{key}"))


def load_tables(path: Path = TABULAR_SCHEMA) -> dict[str, Record]:
    """The JSON schema of each HSDS table, by table name (``service``, ``phone``...)."""
    schema = json.loads(path.read_text(encoding="utf-8"))
    return {name: entry["items"] for name, entry in schema["properties"].items()}


def columns(table: Record) -> list[str]:
    """A table's CSV columns: its properties that are not nested lists, in schema order."""
    return [name for name, prop in table["properties"].items() if prop.get("type") != "array"]


# --- Records -------------------------------------------------------------------


def _clock(minute: int) -> str:
    # HSDS times are HH:MM and 24:00 is not a valid time of day: midnight closing is 23:59.
    hour, mins = divmod(min(minute, 24 * 60 - 1), 60)
    return f"{hour:02d}:{mins:02d}"


def _schedules(
    kb: KnowledgeBase, hours: OpeningHours, lang: str, key: str, owner: Record, attending: str
) -> list[Record]:
    """One weekly RRULE per set of days with the same hours, and per interval."""
    days_by_hours: dict[tuple[tuple[int, int], ...], list[int]] = {}
    for day, intervals in enumerate(hours.weekly):
        if intervals:
            days_by_hours.setdefault(intervals, []).append(day)
    records = []
    for intervals, days in days_by_hours.items():
        byday = ",".join(_ICAL_DAYS[d] for d in days)
        for start, end in intervals:
            records.append(
                {
                    "id": hsds_id("schedule", f"{key}:{byday}:{start}"),
                    **owner,
                    "freq": "WEEKLY",
                    "byday": byday,
                    "opens_at": _clock(start),
                    "closes_at": _clock(end),
                    "description": schedule_text(kb, hours, lang),
                    "attending_type": attending,
                    # HSDS's own timezone field is a fixed UTC offset, wrong half the
                    # year with daylight saving time: the IANA zone goes in the notes.
                    "notes": hours.timezone,
                }
            )
    return records


def _phone_description(label: str | None, channel: Channel, lang: str) -> str | None:
    name = label or (channel.name.get(lang) if channel.name else None)
    hours = channel.hours.get(lang) if channel.hours else None
    if name and hours:
        return f"{name} ({hours})"
    return name or hours


def _phones(kb: KnowledgeBase, service: Service, service_id: str, lang: str) -> list[Record]:
    records: list[Record] = []
    for i, channel in enumerate(service.channels):
        if channel.number is not None:
            records.append(
                {
                    "id": hsds_id("phone", f"{service.id}:{i}"),
                    "service_id": service_id,
                    "number": channel.number,
                    "type": "text" if channel.type == "sms" else "voice",
                    "description": _phone_description(None, channel, lang),
                }
            )
        if channel.tty is not None:
            records.append(
                {
                    "id": hsds_id("phone", f"{service.id}:{i}:tty"),
                    "service_id": service_id,
                    "number": channel.tty,
                    "type": "textphone",
                    "description": _phone_description(kb.labels["tty"].get(lang), channel, lang),
                }
            )
    return [{k: v for k, v in r.items() if v is not None} for r in records]


def _term(entity: str, code: str, name: str, lang: str) -> Record:
    return {
        "id": hsds_id("taxonomy_term", f"{entity}:{code}"),
        "code": code,
        "name": name,
        # HSDS requires a description; our vocabulary has only names.
        "description": name,
        "taxonomy": TAXONOMY,
        "language": lang,
    }


def _attribute(link_id: str, link_type: str, term: Record, value: str | None = None) -> Record:
    record = {
        "id": hsds_id("attribute", f"{link_id}:{link_type}:{term['code']}"),
        "link_id": link_id,
        "link_type": link_type,
        "link_entity": "service",
        "taxonomy_term_id": term["id"],
        "taxonomy_term": term,
    }
    if value is not None:
        record["value"] = value
    return record


def _attributes(kb: KnowledgeBase, service: Service, service_id: str, lang: str) -> list[Record]:
    """The service's kind, order of government and jurisdiction as ``carrefour`` terms."""
    kind = kb.contract.kinds[service.kind]
    jurisdiction = kb.contract.jurisdictions[service.jurisdiction]
    return [
        _attribute(service_id, "kind", _term("kind", kind.code, kind.name(lang), lang)),
        _attribute(
            service_id,
            "order",
            _term("order", service.order, kb.labels[service.order].get(lang), lang),
            government_text(kb, service, lang),
        ),
        _attribute(
            service_id,
            "jurisdiction",
            _term("jurisdiction", jurisdiction.id, jurisdiction.name(lang), lang),
        ),
    ]


def _service_areas(kb: KnowledgeBase, service: Service, service_id: str, lang: str) -> list[Record]:
    """Where the service applies: its province, territory or city.

    A federal service applies in every province and territory but those of ``except_in``.
    """
    if service.order == "federal":
        places = [p for p in kb.contract.provinces if p not in service.except_in]
    else:
        places = [service.jurisdiction]
    return [
        {
            "id": hsds_id("service_area", f"{service.id}:{place}"),
            "service_id": service_id,
            "name": kb.contract.jurisdictions[place].name(lang),
        }
        for place in places
    ]


def _metadata(entity: str, key: str, record_id: str, source: str, verified: str) -> Record:
    """Provenance: the official page the record was last checked against, and when."""
    return {
        "id": hsds_id("metadata", f"{entity}:{key}"),
        "resource_id": record_id,
        "resource_type": entity,
        "last_action_date": verified,
        "last_action_type": "verified",
        "field_name": "source",
        "previous_value": "",
        "replacement_value": source,
        "updated_by": TAXONOMY,
    }


def location_record(kb: KnowledgeBase, point: ServicePoint, lang: str) -> Record:
    """A service point as an HSDS location, with its address, hours and languages."""
    location_id = hsds_id("location", point.id)
    city = kb.contract.jurisdictions.get(point.city)
    record: Record = {
        "id": location_id,
        "location_type": "physical",
        "organization_id": hsds_id("organization", point.organization.id),
        "name": point.name.get(lang),
    }
    if point.url is not None:
        record["url"] = point.url.get(lang)
    if point.coordinates is not None:
        record["latitude"], record["longitude"] = point.coordinates
    record["addresses"] = [
        {
            "id": hsds_id("address", point.id),
            "location_id": location_id,
            "address_1": point.address.get(lang),
            "city": city.name(lang) if city else point.city,
            "state_province": point.jurisdiction.split("-")[1].upper(),
            "postal_code": point.postal_code,
            "country": "CA",
            "address_type": "physical",
        }
    ]
    record["phones"] = (
        [{"id": hsds_id("phone", point.id), "location_id": location_id, "number": point.phone}]
        if point.phone is not None
        else []
    )
    record["schedules"] = _schedules(
        kb,
        point.hours,
        lang,
        point.id,
        {"location_id": location_id},
        kb.labels["in_person"].get(lang),
    )
    record["languages"] = [
        {"id": hsds_id("language", f"{point.id}:{code}"), "location_id": location_id, "code": code}
        for code in point.languages
    ]
    record["accessibility"] = (
        [
            {
                "id": hsds_id("accessibility", point.id),
                "location_id": location_id,
                "description": point.accessibility.get(lang),
            }
        ]
        if point.accessibility is not None
        else []
    )
    record["metadata"] = [
        _metadata("location", point.id, location_id, point.source, point.last_verified)
    ]
    return record


def service_record(kb: KnowledgeBase, service: Service, lang: str) -> Record:
    """A service as an HSDS service, with everything HSDS nests in it."""
    service_id = hsds_id("service", service.id)
    record: Record = {
        "id": service_id,
        "organization_id": hsds_id("organization", service.contact_org.id),
        "name": service.name.get(lang),
        "description": service.why.get(lang),
        "status": "active",
        "application_process": "\n".join(channel_line(kb, c, lang) for c in service.channels),
        "assured_date": service.last_verified,
        "last_modified": f"{service.last_verified}T00:00:00Z",
    }
    online = next((c for c in service.channels if c.type == "online" and c.url), None)
    if online is not None and online.url is not None:
        record["url"] = online.url.get(lang)
    if service.eligibility is not None:
        record["eligibility_description"] = service.eligibility.get(lang)
    if service.processing_time is not None:
        # Deprecated in HSDS 3.0 but still its only field for how long the citizen waits.
        record["wait_time"] = service.processing_time.get(lang)
    record["phones"] = _phones(kb, service, service_id, lang)
    record["schedules"] = [
        schedule
        for i, channel in enumerate(service.channels)
        if channel.opening_hours is not None
        for schedule in _schedules(
            kb,
            channel.opening_hours,
            lang,
            f"{service.id}:{i}",
            {"service_id": service_id},
            kb.labels[channel.type].get(lang),
        )
    ]
    record["service_areas"] = _service_areas(kb, service, service_id, lang)
    record["service_at_locations"] = [
        {
            "id": hsds_id("service_at_location", f"{service.id}@{point.id}"),
            "service_id": service_id,
            "location_id": hsds_id("location", point.id),
            "location": location_record(kb, point, lang),
        }
        for point in points_for(kb, service)
    ]
    record["required_documents"] = [
        {
            "id": hsds_id("required_document", f"{service.id}:{i}"),
            "service_id": service_id,
            "document": document.get(lang),
        }
        for i, document in enumerate(service.documents)
    ]
    record["attributes"] = _attributes(kb, service, service_id, lang)
    record["metadata"] = [
        _metadata("service", service.id, service_id, service.source, service.last_verified)
    ]
    return record


def organization_record(
    kb: KnowledgeBase, organization: Organization, services: list[Service], lang: str
) -> Record:
    """An organization with the services it delivers and its service points."""
    record: Record = {
        "id": hsds_id("organization", organization.id),
        "name": organization.name.get(lang),
        # HSDS requires a description and the knowledge base has none beyond the name.
        "description": organization.name.get(lang),
    }
    if organization.url is not None:
        record["website"] = organization.url.get(lang)
    record["services"] = [service_record(kb, s, lang) for s in services]
    record["locations"] = [
        location_record(kb, p, lang)
        for p in kb.service_points.values()
        if p.organization.id == organization.id
    ]
    return record


def build_dataset(kb: KnowledgeBase, lang: str) -> list[Record]:
    """Every organization in ``lang``, each service nested under the one that delivers it."""
    delivered: dict[str, list[Service]] = {}
    for service in kb.services.values():
        delivered.setdefault(service.contact_org.id, []).append(service)
    return [
        organization_record(kb, org, delivered.get(org.id, []), lang)
        for org in kb.organizations.values()
    ]


# --- Tables --------------------------------------------------------------------


def _walk(table: str, record: Record) -> Iterator[tuple[str, Record]]:
    yield table, record
    for key, child_table in NESTED.items():
        value = record.get(key)
        for child in value if isinstance(value, list) else [value] if value else []:
            yield from _walk(child_table, child)


def flatten(organizations: list[Record]) -> dict[str, list[Record]]:
    """The rows of each HSDS table: nested records without their nesting, once each."""
    rows: dict[str, dict[str, Record]] = {table: {} for table in TABLES}
    for organization in organizations:
        for table, record in _walk("organization", organization):
            flat = {k: v for k, v in record.items() if k not in NESTED}
            rows[table].setdefault(record["id"], flat)
    return {table: list(by_id.values()) for table, by_id in rows.items()}


def _write_csv(path: Path, header: list[str], rows: list[Record]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def write_dataset(
    organizations: list[Record], folder: Path, tables: dict[str, Record]
) -> dict[str, int]:
    """Write ``organizations.json`` and the CSV tables; return the row count of each table.

    Raises:
        ValueError: A record has a field its HSDS table does not define.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "organizations.json").write_text(
        json.dumps(organizations, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    counts = {}
    for table, rows in flatten(organizations).items():
        header = columns(tables[table])
        unknown = {key for row in rows for key in row} - set(header)
        if unknown:
            raise ValueError(f"{table}: fields not in HSDS 3.0: {', '.join(sorted(unknown))}")
        _write_csv(folder / tables[table]["path"], header, rows)
        counts[table] = len(rows)
    return counts


def export(kb: KnowledgeBase, out: Path) -> dict[str, dict[str, int]]:
    """Write one HSDS dataset per language under ``out/<lang>/``.

    Returns:
        For each language, the number of rows of each table.
    """
    tables = load_tables()
    return {lang: write_dataset(build_dataset(kb, lang), out / lang, tables) for lang in LANGS}


def main(argv: list[str] | None = None) -> int:
    """Export the knowledge base; exit 2 when it does not load."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("exports/hsds"))
    parser.add_argument("--knowledge", type=Path, default=None, help="knowledge folder")
    args = parser.parse_args(argv)
    kb = load_for_command(args.knowledge)
    if kb is None:
        return 2
    counts = export(kb, args.out)
    first = counts[LANGS[0]]
    print(
        f"HSDS 3.0 export ({', '.join(LANGS)}): {first['organization']} organizations, "
        f"{first['service']} services, {first['location']} locations, "
        f"{first['service_at_location']} services at locations, {first['phone']} phones, "
        f"{first['schedule']} schedules -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
