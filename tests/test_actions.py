"""The rasa-sdk actions, driven with trackers as Rasa sends them, in both languages."""

from __future__ import annotations

import asyncio
import dataclasses

import jsonschema
import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as actions_module
from actions.actions import (
    ActionFallback,
    ActionFollowUp,
    ActionHandoff,
    ActionRoute,
    ActionValidateSlotMappings,
)
from bot.knowledge import Localized
from tests.conftest import LANGS


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return dispatcher.messages, slots


def payloads(messages):
    return [m["custom"] for m in messages if m.get("custom")]


@pytest.fixture(scope="module")
def schema_validator(payload_schema):
    return jsonschema.Draft202012Validator(payload_schema)


@pytest.mark.parametrize("lang", LANGS)
def test_federal_need_is_referred_at_once(tracker_factory, schema_validator, lang, kb):
    tracker = tracker_factory(
        "passport", intent="need", language=lang, kinds=[("passport", 0.9), ("citizenship", 0.1)]
    )
    messages, slots = run(ActionRoute(), tracker)
    (payload,) = payloads(messages)
    schema_validator.validate(payload)
    assert payload["type"] == "referral" and payload["language"] == lang
    assert payload["referrals"][0]["kind"] == "passport"
    assert payload["referrals"][0]["jurisdiction"] == "ca"
    assert kb.services[payload["referrals"][0]["service_id"]].name.get(lang) in messages[0]["text"]
    assert slots["current_services"][0] == payload["referrals"][0]["service_id"]


@pytest.mark.parametrize("lang", LANGS)
def test_provincial_need_asks_location_then_refers(tracker_factory, schema_validator, lang):
    kinds = [("health-card", 0.9)]
    messages, slots = run(
        ActionRoute(), tracker_factory("health card", intent="need", language=lang, kinds=kinds)
    )
    assert payloads(messages) == [{"type": "ask", "slot": "location"}]
    assert slots["awaiting"] == "location" and slots["service_kind"] == "health-card"
    answer = tracker_factory(
        "Montréal",
        intent="inform_location",
        language=lang,
        slots={**slots, "province": "ca-qc", "municipality": "ca-qc-montreal"},
    )
    messages, slots = run(ActionRoute(), answer)
    (payload,) = payloads(messages)
    schema_validator.validate(payload)
    assert payload["referrals"][0]["jurisdiction"] == "ca-qc"
    assert payload["referrals"][0]["kind"] == "health-card"
    assert slots["awaiting"] is None


@pytest.mark.parametrize("lang", LANGS)
def test_ambiguous_need_offers_choices(tracker_factory, schema_validator, lang):
    tracker = tracker_factory(
        "card",
        intent="need",
        language=lang,
        kinds=[("health-card", 0.3), ("drivers-licence", 0.28)],
    )
    messages, slots = run(ActionRoute(), tracker)
    (payload,) = payloads(messages)
    schema_validator.validate(payload)
    assert payload["type"] == "choices"
    assert {o["kind"] for o in payload["options"]} == {"health-card", "drivers-licence"}
    assert slots["offered_payloads"] == [o["payload"] for o in payload["options"]]
    assert messages[0]["buttons"]


@pytest.mark.parametrize("lang", LANGS)
def test_choice_button_routes(tracker_factory, lang):
    tracker = tracker_factory(
        '/need{"service_kind": "drivers-licence"}',
        intent="need",
        language=lang,
        entities=[{"entity": "service_kind", "value": "drivers-licence"}],
        slots={"province": "ca-ab"},
    )
    messages, _ = run(ActionRoute(), tracker)
    (payload,) = payloads(messages)
    assert payload["referrals"][0]["service_id"].startswith("ca-ab.drivers-licence")


@pytest.mark.parametrize("lang", LANGS)
def test_life_event_bundle(tracker_factory, schema_validator, lang):
    tracker = tracker_factory(
        "lost my wallet",
        intent="life_event",
        language=lang,
        events=[("lost-wallet", 0.9)],
        slots={"province": "ca-on", "municipality": "ca-on-toronto"},
    )
    messages, _ = run(ActionRoute(), tracker)
    (payload,) = payloads(messages)
    schema_validator.validate(payload)
    assert payload["life_event"] == "lost-wallet"
    assert len({r["order"] for r in payload["referrals"]}) >= 2


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("intent", ["ask_documents", "ask_time", "ask_why", "ask_where", "ask_how"])
def test_follow_ups_answer_from_the_referral(tracker_factory, lang, intent, kb):
    slots = {
        "current_services": ["ca.passport"],
        "province": "ca-on",
        "municipality": "ca-on-toronto",
    }
    tracker = tracker_factory("and then?", intent=intent, language=lang, slots=slots)
    messages, _ = run(ActionFollowUp(), tracker)
    assert messages and messages[0]["text"]
    assert payloads(messages)[0]["referrals"][0]["service_id"] == "ca.passport"
    assert kb.services["ca.passport"].name.get(lang) in messages[0]["text"]


@pytest.mark.parametrize("lang", LANGS)
def test_handoff_gives_a_number(tracker_factory, schema_validator, lang):
    messages, _ = run(ActionHandoff(), tracker_factory("a person please", "human", lang))
    (payload,) = payloads(messages)
    schema_validator.validate(payload)
    assert payload["number"] == "+1-800-622-6232"
    assert "1-800-622-6232" in messages[0]["text"]


@pytest.mark.parametrize("lang", LANGS)
def test_two_stage_fallback_then_phone(tracker_factory, lang):
    first, slots = run(ActionFallback(), tracker_factory("blorp", "nlu_fallback", lang))
    assert not payloads(first) and slots["fallback_count"] == 1.0
    second, slots = run(
        ActionFallback(),
        tracker_factory(
            "zzz", "nlu_fallback", lang, slots={"fallback_count": 1.0, "province": "ca-bc"}
        ),
    )
    (payload,) = payloads(second)
    assert payload["type"] == "handoff" and payload["number"] == "+1-800-663-7867"
    assert slots["fallback_count"] == 0.0


@pytest.mark.parametrize(
    ("text", "history", "current", "metadata", "expected"),
    [
        ("bonjour", 1, "en", None, "fr"),
        ("ok", 3, "fr", None, None),
        ("hello", 2, "fr", {"language": "fr"}, None),
        ("I lost my wallet", 3, "fr", None, "en"),
    ],
)
def test_language_slot(tracker_factory, text, history, current, metadata, expected):
    tracker = tracker_factory(text, language=current, history=history, metadata=metadata)
    _, slots = run(ActionValidateSlotMappings(), tracker)
    assert slots.get("language") == expected


def test_location_slots_keep_only_fsa(tracker_factory):
    _, slots = run(ActionValidateSlotMappings(), tracker_factory("H2X 1Y4", history=2))
    assert slots["province"] == "ca-qc"
    assert slots["municipality"] == "ca-qc-montreal"
    assert slots["postal_fsa"] == "H2X"


@pytest.mark.parametrize("lang", LANGS)
def test_follow_up_stays_on_the_current_service(tracker_factory, lang):
    """A follow-up whose words merely sound like another service keeps the referral."""
    tracker = tracker_factory(
        "what do I need to bring?",
        intent="ask_documents",
        language=lang,
        kinds=[("customs-and-border", 0.6)],
        slots={"current_services": ["ca.passport"]},
    )
    messages, _ = run(ActionFollowUp(), tracker)
    assert payloads(messages)[0]["referrals"][0]["service_id"] == "ca.passport"


@pytest.mark.parametrize(
    ("text", "metadata", "slots", "expected"),
    [
        ("my garbage was not picked up", {"location": "Ottawa"}, {}, "ca-on-ottawa"),
        ("I live in Laval", {"location": "Ottawa"}, {}, "ca-qc-laval"),
        ("my garbage", {"location": "Ottawa"}, {"province": "ca-qc"}, None),
        ("my garbage", {"location": ["Ottawa"]}, {}, None),
    ],
)
def test_location_from_metadata_when_none_is_known(
    tracker_factory, text, metadata, slots, expected
):
    """A city's page (or an agent) may say where the citizen is; the citizen's words come first."""
    tracker = tracker_factory(text, metadata=metadata, slots=slots, history=2)
    _, events = run(ActionValidateSlotMappings(), tracker)
    assert events.get("municipality") == expected


@pytest.mark.parametrize("lang", LANGS)
def test_handoff_names_the_organization_and_its_live_chat(
    tracker_factory, schema_validator, lang, kb, monkeypatch
):
    service = kb.services["ca.passport"]
    chat = Localized("https://chat.example.ca/en", "https://chat.example.ca/fr")
    org = dataclasses.replace(service.contact_org, live_chat=chat)
    field = "delivered_by" if service.delivered_by else "authority"
    changed = dataclasses.replace(service, **{field: org})
    monkeypatch.setattr(
        actions_module,
        "knowledge",
        lambda: dataclasses.replace(kb, services={**kb.services, service.id: changed}),
    )
    tracker = tracker_factory(
        "a person please", "human", lang, slots={"current_services": [service.id]}
    )
    messages, _ = run(ActionHandoff(), tracker)
    (payload,) = payloads(messages)
    schema_validator.validate(payload)
    assert payload["organization"] == org.name.get(lang)
    assert payload["live_chat"] == chat.get(lang)
    assert payload["number"] == service.phone().number


def test_handoff_without_a_live_chat_has_none(tracker_factory):
    tracker = tracker_factory("a person", "human", slots={"current_services": ["ca.passport"]})
    messages, _ = run(ActionHandoff(), tracker)
    assert "live_chat" not in payloads(messages)[0]
