"""The agent console: the transfer card (pure) and ``POST /api/referrals`` (Sanic, no Rasa)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
import yaml
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from sanic_testing import TestManager

from bot import payload as p
from bot.channels.console import AgentConsoleInput, authorized, parse_request
from bot.console import agent_view, service_view
from bot.hours import OpeningHours, parse_schedule
from bot.rendering import phone_text
from tests.conftest import LANGS

TUESDAY_10_ET = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.timezone.utc)
TUESDAY_18_ET = dt.datetime(2026, 11, 24, 23, 0, tzinfo=dt.timezone.utc)


def _with_schedule(service):
    """The service with its phone line open weekdays 8:30-17:00 Toronto time."""
    hours = OpeningHours(parse_schedule({"mon-fri": "08:30-17:00"}), "America/Toronto", "ON")
    channels = tuple(
        dataclasses.replace(c, opening_hours=hours) if c.type == "phone" else c
        for c in service.channels
    )
    return dataclasses.replace(service, channels=channels)


@pytest.mark.parametrize("lang", LANGS)
def test_referral_card_has_what_an_agent_needs(kb, lang):
    service = kb.services["ca.passport"]
    card = service_view(kb, service, lang, TUESDAY_10_ET)
    line = service.phone()
    assert card["organization"] == service.contact_org.name.get(lang)
    assert card["government"] == kb.government("ca").name.get(lang)
    assert card["order"] == "federal"
    assert card["order_label"] == kb.labels["federal"].get(lang)
    assert card["transfer"]["number"] == line.number
    assert card["transfer"]["tty"] == line.tty
    assert card["transfer_is_general_line"] is False
    assert card["documents"] == [d.get(lang) for d in service.documents]
    script = card["script"]
    assert phone_text(line.number) in script and card["organization"] in script
    # The last document is named in the script: the caller hears what to have ready.
    assert service.documents[-1].get(lang) in script


def test_script_is_in_the_callers_language(kb):
    service = kb.services["ca.passport"]
    en = service_view(kb, service, "en", TUESDAY_10_ET)["script"]
    fr = service_view(kb, service, "fr", TUESDAY_10_ET)["script"]
    assert service.name.get("en") in en and service.name.get("fr") in fr
    assert en != fr


@pytest.mark.parametrize("lang", LANGS)
def test_open_now_follows_the_lines_schedule(kb, lang):
    service = _with_schedule(kb.services["ca.passport"])
    open_card = service_view(kb, service, lang, TUESDAY_10_ET)
    closed_card = service_view(kb, service, lang, TUESDAY_18_ET)
    assert open_card["transfer"]["open_now"] is True
    # Closing at 5 p.m. ends the sentence with the time's own period, not two.
    assert open_card["transfer"]["status"].endswith(".")
    assert ".." not in open_card["transfer"]["status"]
    assert closed_card["transfer"]["open_now"] is False
    assert closed_card["transfer"]["status"]
    # A closed line is said in the script, so the caller is not surprised by a recording.
    assert closed_card["transfer"]["status"] in closed_card["script"]
    assert open_card["transfer"]["status"] not in open_card["script"]


@pytest.mark.parametrize("lang", LANGS)
def test_a_national_line_in_local_time_is_open_in_the_callers_zone(kb, lang):
    service = kb.services["ca.employment-insurance"]
    assert service.phone().opening_hours.is_local_time
    # 10 a.m. in Toronto is 7 a.m. in Vancouver, before the line opens there.
    toronto = service_view(kb, service, lang, TUESDAY_10_ET, "America/Toronto")["transfer"]
    vancouver = service_view(kb, service, lang, TUESDAY_10_ET, "America/Vancouver")["transfer"]
    unknown = service_view(kb, service, lang, TUESDAY_10_ET)["transfer"]
    assert toronto["open_now"] is True
    assert vancouver["open_now"] is False and vancouver["status"]
    assert unknown["open_now"] is None and unknown["status"] is None


def test_hours_without_a_schedule_are_unknown_not_guessed(kb):
    service = kb.services["ca.passport"]
    assert service.phone().opening_hours is None
    card = service_view(kb, service, "en", TUESDAY_10_ET)
    assert card["transfer"]["open_now"] is None and card["transfer"]["status"] is None


@pytest.mark.parametrize("lang", LANGS)
def test_a_service_with_no_line_gets_its_governments_general_line(kb, lang):
    service = next(
        s for s in kb.services.values() if s.phone() is None and s.jurisdiction.count("-") == 1
    )
    card = service_view(kb, service, lang, TUESDAY_10_ET)
    general = kb.government(service.jurisdiction).general_line
    assert card["transfer_is_general_line"] is True
    assert card["transfer"]["number"] == general.number


def _referral_messages(kb, service_id, lang):
    return [{"text": "…", "custom": p.referral([kb.services[service_id]], lang)}]


@pytest.mark.parametrize("lang", LANGS)
def test_agent_view_picks_emergency_first_then_referral(kb, lang):
    messages = _referral_messages(kb, "ca.passport", lang)
    assert agent_view(kb, messages, lang, TUESDAY_10_ET)["service_id"] == "ca.passport"
    urgent = [{"text": "…", "custom": p.emergency("911", "emergency")}, *messages]
    card = agent_view(kb, urgent, lang, TUESDAY_10_ET)
    assert card["kind"] == "emergency" and card["transfer"]["number"] == "911"
    assert "911" in card["script"]


@pytest.mark.parametrize("lang", LANGS)
def test_agent_view_of_a_handoff_and_of_a_question(kb, lang):
    general = kb.government("ca").general_line
    handoff = p.handoff(general, lang, "requested", general.name)
    card = agent_view(kb, [{"text": "…", "custom": handoff}], lang, TUESDAY_10_ET)
    assert card["kind"] == "handoff"
    assert phone_text(general.number) in card["script"]
    assert general.name.get(lang) in card["script"]
    question = [{"text": "Which city?", "custom": p.ask("location")}]
    assert agent_view(kb, question, lang, TUESDAY_10_ET) is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (["text"], "JSON object"),
        ({"language": "en"}, "'text'"),
        ({"text": "   ", "language": "en"}, "'text'"),
        ({"text": "x" * 1001, "language": "en"}, "longer"),
        ({"text": "passport", "language": "de"}, "'language'"),
        ({"text": "passport", "language": "en", "location": 5}, "'location'"),
        ({"text": "passport", "language": "en", "conversation_id": "../../x"}, "conversation_id"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(body, problem):
    reason = parse_request(body)
    assert isinstance(reason, str) and problem in reason


def test_a_good_request_is_normalized():
    checked = parse_request({"text": " passport ", "language": "fr", "location": " Laval "})
    assert isinstance(checked, dict)
    assert checked["text"] == "passport" and checked["location"] == "Laval"
    assert checked["conversation_id"].isalnum()


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("Bearer s3cret", True),
        ("bearer s3cret", True),
        ("Bearer wrong", False),
        (None, False),
        ("s3cret", False),
        ("Basic s3cret", False),
    ],
)
def test_token_check(header, ok):
    assert authorized(header, "s3cret") is ok


@pytest.fixture
def console_app(kb):
    """A Sanic app with only the console API, and an assistant that refers to passports."""
    received: list[UserMessage] = []

    async def assistant(message: UserMessage) -> None:
        received.append(message)
        lang = message.metadata["language"]
        custom = p.referral([kb.services["ca.passport"]], lang)
        await message.output_channel.send_response(
            message.sender_id, {"text": "…", "custom": custom}
        )

    app = Sanic(f"console_{len(Sanic._app_registry)}")
    TestManager(app)
    app.blueprint(AgentConsoleInput("s3cret").blueprint(assistant), url_prefix="/api")
    return app, received


AUTH = {"Authorization": "Bearer s3cret"}


@pytest.mark.parametrize("lang", LANGS)
def test_api_answers_with_a_card_in_the_callers_language(console_app, lang):
    app, received = console_app
    body = {"text": "lost passport", "language": lang, "location": "Winnipeg"}
    _, response = app.test_client.post("/api/referrals", json=body, headers=AUTH)
    assert response.status == 200
    answer = response.json
    assert answer["language"] == lang and answer["card"]["service_id"] == "ca.passport"
    assert received[0].metadata == {"language": lang, "location": "Winnipeg"}
    assert received[0].sender_id == "console-" + answer["conversation_id"]
    # The next question of the same call continues the same conversation.
    again = {"text": "documents?", "language": lang, "conversation_id": answer["conversation_id"]}
    app.test_client.post("/api/referrals", json=again, headers=AUTH)
    assert received[1].sender_id == received[0].sender_id


@pytest.mark.parametrize(
    ("headers", "data", "status"),
    [
        ({}, json.dumps({"text": "x", "language": "en"}), 401),
        ({"Authorization": "Bearer nope"}, json.dumps({"text": "x", "language": "en"}), 401),
        ({**AUTH, "Content-Type": "text/plain"}, "lost passport", 415),
        ({**AUTH, "Content-Type": "application/json"}, "{not json", 400),
        ({**AUTH, "Content-Type": "application/json"}, json.dumps({"text": "x"}), 400),
    ],
)
def test_api_refusals_say_why(console_app, headers, data, status):
    app, received = console_app
    _, response = app.test_client.post("/api/referrals", data=data, headers=headers)
    assert response.status == status
    assert response.json["error"]
    assert not received


def test_api_is_disabled_without_a_token(kb):
    app = Sanic(f"console_off_{len(Sanic._app_registry)}")
    TestManager(app)

    async def assistant(message: UserMessage) -> None:  # pragma: no cover - never called
        raise AssertionError

    app.blueprint(AgentConsoleInput(None).blueprint(assistant), url_prefix="/api")
    _, response = app.test_client.post(
        "/api/referrals", json={"text": "x", "language": "en"}, headers=AUTH
    )
    assert response.status == 503 and "CARREFOUR_CONSOLE_TOKEN" in response.json["error"]


def test_api_failure_is_a_reason_not_a_trace(kb):
    app = Sanic(f"console_fail_{len(Sanic._app_registry)}")
    TestManager(app)

    async def assistant(message: UserMessage) -> None:
        raise RuntimeError("secret internals")

    app.blueprint(AgentConsoleInput("s3cret").blueprint(assistant), url_prefix="/api")
    _, response = app.test_client.post(
        "/api/referrals", json={"text": "x", "language": "en"}, headers=AUTH
    )
    assert response.status == 500
    assert "secret internals" not in response.text and "Traceback" not in response.text


def test_openapi_file_describes_the_api(repo_root, console_app):
    spec = yaml.safe_load((repo_root / "docs/openapi/agent-console.yaml").read_text())
    assert spec["openapi"].startswith("3.")
    operation = spec["paths"]["/api/referrals"]["post"]
    assert {"200", "400", "401", "503"} <= set(operation["responses"])
    schemas = spec["components"]["schemas"]
    assert set(schemas["ReferralRequest"]["required"]) == {"text", "language"}
    app, _ = console_app
    _, response = app.test_client.post(
        "/api/referrals", json={"text": "passport", "language": "en"}, headers=AUTH
    )
    assert set(schemas["ReferralResponse"]["required"]) <= set(response.json)
    assert set(response.json["card"]) <= set(schemas["Card"]["properties"])
    assert set(response.json["card"]["transfer"]) <= set(schemas["Line"]["properties"])
