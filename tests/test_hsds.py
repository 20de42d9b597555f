"""``make export-hsds``: the export validates against the official HSDS 3.0 schema.

The schema is the vendored ``schemas/hsds-3.0/tabular.json`` (Open Referral's
compiled schema of every HSDS table). Its tables refer to one another by file name
(``"$ref": "phone.json"``); the references resolve locally, never over the network.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
from jsonschema import Draft202012Validator, FormatChecker, RefResolver

from bot import hsds
from bot.knowledge import LANGS

SCHEMA_BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
# The service the docs use as their example; its French name differs from the English one.
KNOWN_SERVICE = "ca-on.health-card"


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.path)) and not any(
        c.isspace() for c in value
    )


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return "T" in value


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(hsds.TABULAR_SCHEMA.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validators(schema) -> dict[str, Draft202012Validator]:
    """One validator per HSDS table, resolving ``phone.json`` & co. from the vendored file."""
    tables = {name: entry["items"] for name, entry in schema["properties"].items()}
    store = {f"{SCHEMA_BASE}{name}.json": table for name, table in tables.items()}
    store[f"{SCHEMA_BASE}compiled/tabular.json"] = schema
    # jsonschema checks uri and date-time only with optional packages the project does not pin.
    checker = FormatChecker()
    checker.checks("uri")(_is_uri)
    checker.checks("date-time", raises=ValueError)(_is_date_time)
    Draft202012Validator.check_schema(schema)
    return {
        name: Draft202012Validator(
            table,
            resolver=RefResolver(f"{SCHEMA_BASE}{name}.json", table, store=store),
            format_checker=checker,
        )
        for name, table in tables.items()
    }


@pytest.fixture(scope="module")
def exported(kb, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hsds")
    hsds.export(kb, out)
    return out


@pytest.fixture(scope="module")
def datasets(exported) -> dict[str, list[dict[str, Any]]]:
    """Each language's ``organizations.json``."""
    return {
        lang: json.loads((exported / lang / "organizations.json").read_text(encoding="utf-8"))
        for lang in LANGS
    }


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _problems(validator: Draft202012Validator, record: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(record)
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_every_object_validates_against_hsds_3_0(datasets, validators, lang):
    problems = []
    for organization in datasets[lang]:
        # Each table's schema checks the lists it nests (phones, schedules, addresses...)
        # through its references; services, locations and terms are checked by their own.
        problems += _problems(validators["organization"], organization)
        locations = list(organization["locations"])
        for service in organization["services"]:
            problems += _problems(validators["service"], service)
            locations += [link["location"] for link in service["service_at_locations"]]
            for attribute in service["attributes"]:
                problems += _problems(validators["taxonomy_term"], attribute["taxonomy_term"])
        for location in locations:
            problems += _problems(validators["location"], location)
    assert not problems, problems[:10]


@pytest.mark.parametrize("lang", LANGS)
def test_csv_headers_are_the_schema_columns(exported, schema, lang):
    tables = {entry["items"]["path"]: entry["items"] for entry in schema["properties"].values()}
    files = sorted(p.name for p in (exported / lang).glob("*.csv"))
    assert "services.csv" in files and all(name in tables for name in files)
    for name in files:
        table = tables[name]
        header, rows = _rows(exported / lang / name)
        assert header == [c for c, p in table["properties"].items() if p.get("type") != "array"]
        # The keys that link rows across tables, which the nested JSON leaves implicit.
        for column in table.get("tabular_required", []):
            assert all(row[column] for row in rows), f"{name}: {column}"


@pytest.mark.parametrize("lang", LANGS)
def test_counts_match_the_knowledge_base(kb, exported, datasets, lang):
    organizations = datasets[lang]
    services = [s for o in organizations for s in o["services"]]
    assert len(organizations) == len(kb.organizations)
    assert sorted(s["id"] for s in services) == sorted(
        hsds.hsds_id("service", s) for s in kb.services
    )
    located = sum(p.serves(s) for p in kb.service_points.values() for s in kb.services.values())
    assert sum(len(s["service_at_locations"]) for s in services) == located
    assert sum(len(o["locations"]) for o in organizations) == len(kb.service_points)

    rows = {p.stem: _rows(p)[1] for p in (exported / lang).glob("*.csv")}
    assert len(rows["organizations"]) == len(kb.organizations)
    assert len(rows["services"]) == len(kb.services)
    assert len(rows["locations"]) == len(kb.service_points)
    assert len(rows["service_at_location"]) == located
    for table in rows.values():
        ids = [row["id"] for row in table]
        assert len(ids) == len(set(ids))
    codes = [row["code"] for row in rows["taxonomy_terms"]]
    assert len(codes) == len(set(codes))
    known = {row["id"] for table in rows.values() for row in table}
    for name, key in (("services", "organization_id"), ("service_at_location", "location_id")):
        assert all(row[key] in known for row in rows[name]), name


def test_french_export_is_in_french(kb, datasets):
    service = kb.services[KNOWN_SERVICE]
    assert service.name.fr != service.name.en
    wanted = hsds.hsds_id("service", KNOWN_SERVICE)
    by_lang = {
        lang: next(s for o in datasets[lang] for s in o["services"] if s["id"] == wanted)
        for lang in LANGS
    }
    assert by_lang["fr"]["name"] == service.name.fr
    assert by_lang["en"]["name"] == service.name.en
    assert by_lang["fr"]["description"] == service.why.fr
    kind = next(a for a in by_lang["fr"]["attributes"] if a["link_type"] == "kind")
    assert kind["taxonomy_term"]["name"] == kb.contract.kinds[service.kind].fr
    assert kind["taxonomy_term"]["language"] == "fr"


def test_broken_objects_are_rejected(datasets, validators):
    service = next(s for o in datasets["en"] for s in o["services"] if s["phones"])
    assert not _problems(validators["service"], service)
    nameless = {k: v for k, v in service.items() if k != "name"}
    bad_id = {**service, "id": "ca-on.health-card"}
    bad_phone = copy.deepcopy(service)
    bad_phone["phones"] = [{"id": hsds.hsds_id("phone", "test")}]
    bad_status = {**service, "status": "open"}
    for broken in (nameless, bad_id, bad_phone, bad_status):
        with pytest.raises(jsonschema.ValidationError):
            validators["service"].validate(broken)


def test_main_writes_both_languages(kb, tmp_path, monkeypatch, capsys):
    service = kb.services[KNOWN_SERVICE]
    small = replace(
        kb,
        services={service.id: service},
        organizations={service.contact_org.id: service.contact_org},
        service_points={},
    )
    monkeypatch.setattr(hsds, "load_for_command", lambda folder: small)
    assert hsds.main(["--out", str(tmp_path)]) == 0
    assert "1 organizations, 1 services, 0 locations" in capsys.readouterr().out
    for lang in LANGS:
        assert (tmp_path / lang / "organizations.json").is_file()
        assert (tmp_path / lang / "services.csv").is_file()


def test_main_reports_a_broken_knowledge_base(tmp_path, capsys):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "ca-on.yml").write_text("jurisdiction: ca-on\nservices: [\n", encoding="utf-8")
    assert hsds.main(["--out", str(tmp_path / "out"), "--knowledge", str(folder)]) == 2
    assert "ca-on.yml:" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_identifiers_are_stable_uuids():
    first = hsds.hsds_id("service", KNOWN_SERVICE)
    assert first == hsds.hsds_id("service", KNOWN_SERVICE)
    assert first != hsds.hsds_id("organization", KNOWN_SERVICE)
    assert str(uuid.UUID(first)) == first


def test_a_field_hsds_does_not_define_is_refused(tmp_path):
    record = {"id": hsds.hsds_id("organization", "x"), "name": "x", "description": "x"}
    with pytest.raises(ValueError, match="organization: fields not in HSDS 3.0: nickname"):
        hsds.write_dataset([{**record, "nickname": "x"}], tmp_path, hsds.load_tables())
