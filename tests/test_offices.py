"""Towns, service points and the nearest office, with opening status, in both languages."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import assistant
from bot import constants as c
from bot.knowledge import KnowledgeBase, KnowledgeError, Localized, NotOffered, load_knowledge
from bot.location import Location, parse_location
from bot.offices import citizen_coordinates, nearest_offices
from bot.paths import knowledge_dir
from bot.places import distance_km, find_town, lookup
from bot.rendering import format_time

LANGS = ["en", "fr"]

POINTS = """\
service_points:
  - id: zz-sc-moncton
    organization: service-canada
    name: {en: Test Centre Moncton, fr: Centre test Moncton}
    address: {en: "1 Main Street, Moncton, NB", fr: "1, rue Main, Moncton (N.-B.)"}
    city: ca-nb-moncton
    jurisdiction: ca-nb
    postal_code: E1C 1A1
    coordinates: [46.0878, -64.7782]
    timezone: America/Moncton
    hours: {mon-fri: "08:30-16:00"}
    languages: [en, fr]
    source: https://www.canada.ca/
    last_verified: 2026-11-23
  - id: zz-sc-halifax
    organization: service-canada
    name: {en: Test Centre Halifax, fr: Centre test Halifax}
    address: "2 Barrington Street, Halifax, NS"
    city: ca-ns-halifax
    jurisdiction: ca-ns
    postal_code: B3J 1A1
    coordinates: [44.6488, -63.5752]
    timezone: America/Halifax
    hours: {mon-fri: "08:30-16:00"}
    languages: [en]
    source: https://www.canada.ca/
    last_verified: 2026-11-23
"""

NOT_OFFERED = """\
jurisdiction: ca-on-toronto
government: {en: City of Toronto, fr: Ville de Toronto}
not_offered:
  - kind: passport
    note: {en: Test note., fr: Note test.}
    refer_to: ca.passport
    source: https://www.toronto.ca/
    last_verified: 2026-11-23
"""


def _extended(tmp_path: Path, name: str, text: str, folder: str = "") -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(knowledge_dir(), root)
    target = root / folder if folder else root
    target.mkdir(exist_ok=True)
    (target / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def points_kb(tmp_path_factory) -> KnowledgeBase:
    root = _extended(tmp_path_factory.mktemp("kb"), "zz-test.yml", POINTS, "service-points")
    kb = load_knowledge(root)
    # Only the test's points, so the real offices' data can change without breaking this.
    points = {k: v for k, v in kb.service_points.items() if k.startswith("zz-")}
    return replace(kb, service_points=points)


def test_towns_are_recognized_with_their_province(contract):
    assert parse_location("I live in Truro", contract) == Location("ca-ns", town="Truro")
    assert parse_location("j'habite à Rimouski", contract).province == "ca-qc"
    assert parse_location("rankin inlet", contract).province == "ca-nu"
    assert parse_location("truro ns", contract).town == "Truro"
    # A contract municipality stays a municipality.
    assert parse_location("in moncton", contract).municipality == "ca-nb-moncton"


@pytest.mark.parametrize("text", ["Hope you can help", "i live in hope", "on a mission", "ok"])
def test_ordinary_words_are_not_towns(text):
    assert find_town(text) is None


def test_same_name_in_two_provinces_follows_the_province():
    assert lookup("Richmond").province == "ca-bc"
    assert find_town("in Richmond, ON", "ca-on").province == "ca-on"


def test_distance():
    toronto, ottawa = lookup("Toronto").coordinates, lookup("Ottawa").coordinates
    assert 340 < distance_km(toronto, ottawa) < 360


@given(st.text(max_size=200))
def test_find_town_never_crashes(text):
    find_town(text)


def test_service_points_load(points_kb):
    point = points_kb.service_points["zz-sc-moncton"]
    assert point.hours.holiday_region == "NB"
    assert point.hours.holiday_categories == ("public", "government")
    assert points_kb.service_points["zz-sc-halifax"].address.fr.startswith("2 Barrington")


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("postal_code: E1C 1A1", "postal_code: M5V 1A1", "postal_code"),
        ("postal_code: E1C 1A1", "postal_code: E1C1A1", "postal_code"),
        (
            'hours: {mon-fri: "08:30-16:00"}\n    languages: [en, fr]',
            'hours: {mon-fry: "08:30-16:00"}\n    languages: [en, fr]',
            "hours.mon-fry",
        ),
        ("timezone: America/Moncton", "timezone: Atlantic/Moncton", "timezone"),
        (
            "organization: service-canada\n    name: {en: Test Centre Moncton",
            "organization: nobody\n    name: {en: Test Centre Moncton",
            "organization",
        ),
        ("coordinates: [46.0878, -64.7782]", "coordinates: [-64.7782, 46.0878]", "coordinates"),
    ],
)
def test_malformed_service_point(tmp_path, old, new, field):
    assert old in POINTS
    root = _extended(tmp_path, "zz-test.yml", POINTS.replace(old, new, 1), "service-points")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(root)
    assert error.value.file.endswith("zz-test.yml")
    assert field in error.value.field


def _moncton_tuesday_10am() -> dt.datetime:
    return dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("America/Moncton"))


def test_nearest_office_from_city_town_and_postal_code(points_kb):
    service = points_kb.services["ca.passport"]
    now = _moncton_tuesday_10am()
    for location in (
        Location("ca-nb", "ca-nb-moncton"),
        Location("ca-nb", town="Dieppe"),
        Location("ca-nb", fsa="E1C"),
    ):
        offices = nearest_offices(points_kb, service, location, now)
        assert offices[0].point.id == "zz-sc-moncton", location
        assert offices[0].status.open_now
    from_truro = nearest_offices(points_kb, service, Location("ca-ns", town="Truro"), now)
    assert from_truro[0].point.id == "zz-sc-halifax"
    assert 80 < from_truro[0].distance_km < 110


def test_vague_location_gives_no_distance(points_kb):
    assert citizen_coordinates(points_kb, Location("ca-nb")) is None
    assert (
        nearest_offices(
            points_kb, points_kb.services["ca.passport"], Location("ca-nb"), _moncton_tuesday_10am()
        )
        == []
    )


def test_provincial_service_has_no_federal_office(points_kb):
    health = next(s for s in points_kb.by_kind["health-card"] if s.jurisdiction == "ca-nb")
    assert (
        nearest_offices(
            points_kb, health, Location("ca-nb", "ca-nb-moncton"), _moncton_tuesday_10am()
        )
        == []
    )


@pytest.mark.parametrize("lang", LANGS)
def test_ask_where_gives_nearest_offices_with_status(points_kb, payload_schema, lang):
    import jsonschema

    turn = assistant.Turn(
        text="where is the nearest office?",
        lang=lang,
        intent=c.INTENT_ASK_WHERE,
        services=("ca.passport",),
        location=Location("ca-nb", "ca-nb-moncton"),
        now=dt.datetime(2026, 11, 11, 10, 0, tzinfo=ZoneInfo("America/Moncton")),
    )
    reply = assistant.follow_up(points_kb, turn)
    text = reply.texts(points_kb, lang)[0]
    payload = reply.payloads[0]
    jsonschema.validate(payload, payload_schema)
    first = payload["referrals"][0]["channels"][0]
    assert first["type"] == "in_person" and first["postal_code"] == "E1C 1A1"
    assert first["open_now"] is False
    # Remembrance Day closes federal offices in New Brunswick; it opens Thursday.
    assert ".." not in text.replace("...", "")
    if lang == "en":
        assert "Closed today (Remembrance Day)" in text
        assert "opens tomorrow at 8:30 a.m." in text
    else:
        assert "Fermé aujourd'hui (Jour du Souvenir)" in text
        assert "ouvre demain à 8 h 30" in text
        assert "Service en français" in text


@pytest.mark.parametrize("lang", LANGS)
def test_ask_where_without_a_place_asks_then_answers(points_kb, lang):
    turn = assistant.Turn(
        text="where do I go?", lang=lang, intent=c.INTENT_ASK_WHERE, services=("ca.passport",)
    )
    asked = assistant.follow_up(points_kb, turn)
    assert asked.payloads == [{"type": "ask", "slot": "location"}]
    assert asked.slots[c.SLOT_AWAITING] == c.AWAITING_OFFICE
    answer = assistant.route(
        points_kb,
        assistant.Turn(
            text="Truro",
            lang=lang,
            intent=c.INTENT_LOCATION,
            services=("ca.passport",),
            awaiting=c.AWAITING_OFFICE,
            location=parse_location("Truro", points_kb.contract),
        ),
    )
    assert answer.payloads[0]["referrals"][0]["channels"][0]["name"].endswith("Halifax")


def test_not_offered_loads_and_checks_its_reference(tmp_path):
    kb = load_knowledge(_extended(tmp_path, "zz-toronto.yml", NOT_OFFERED))
    entry = kb.not_offered[("ca-on-toronto", "passport")]
    assert entry.refer_to == "ca.passport" and entry.note.fr == "Note test."
    broken = NOT_OFFERED.replace("refer_to: ca.passport", "refer_to: ca.passports")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(_extended(tmp_path / "b", "zz-toronto.yml", broken))
    assert error.value.field == "not_offered[0].refer_to"


@pytest.mark.parametrize("lang", LANGS)
def test_not_offered_says_so_and_refers_to_what_exists(kb, lang):
    entry = NotOffered(
        "provincial-immigration",
        "ca-nu",
        Localized("Test note.", "Note test."),
        "ca.permanent-residence",
        "https://www.gov.nu.ca/",
        "2026-11-23",
    )
    services = {
        k: v
        for k, v in kb.services.items()
        if not (v.kind == "provincial-immigration" and v.jurisdiction == "ca-nu")
    }
    trimmed = replace(kb, services=services, not_offered={("ca-nu", entry.kind): entry})
    turn = assistant.Turn(text="nominee program", lang=lang, location=Location("ca-nu"))
    reply = assistant.route_kind(trimmed, turn, "provincial-immigration")
    assert reply.texts(trimmed, lang)[0] == entry.note.get(lang)
    assert reply.payloads[0]["referrals"][0]["service_id"] == "ca.permanent-residence"


@pytest.mark.parametrize(
    ("minute", "en", "fr"),
    [
        (510, "8:30 a.m.", "8 h 30"),
        (720, "12 p.m.", "12 h"),
        (1020, "5 p.m.", "17 h"),
        (0, "12 a.m.", "0 h"),
    ],
)
def test_time_formats(minute, en, fr):
    assert format_time(minute, "en") == en
    assert format_time(minute, "fr") == fr


@pytest.mark.parametrize("lang", LANGS)
def test_a_place_given_after_choices_keeps_the_choices(kb, lang):
    offered = (
        assistant.choice_payload("kind", "social-assistance"),
        assistant.choice_payload("kind", "social-housing"),
    )
    turn = assistant.Turn(
        text="charlottetown",
        lang=lang,
        intent=c.INTENT_LOCATION,
        location=Location("ca-pe", "ca-pe-charlottetown"),
        offered=offered,
    )
    reply = assistant.route(kb, turn)
    assert reply.payloads[0]["type"] == "choices"
    assert [o["payload"] for o in reply.payloads[0]["options"]] == list(offered)
    assert "Charlottetown" in reply.texts(kb, lang)[0]
