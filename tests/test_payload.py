"""Every payload the assistant can send matches the contract's JSON Schema."""

from __future__ import annotations

import jsonschema
import pytest

from bot import payload as p
from bot.assistant import Turn, handoff, route_event
from bot.location import Location
from tests.conftest import LANGS


@pytest.fixture(scope="module")
def validator(payload_schema):
    return jsonschema.Draft202012Validator(payload_schema)


def check(validator, contract, payload):
    validator.validate(payload)
    for item in payload.get("referrals", []):
        assert item["kind"] in contract.kinds
        assert contract.jurisdictions[item["jurisdiction"]].order == item["order"]


@pytest.mark.parametrize("lang", LANGS)
def test_every_service_referral_is_valid(kb, contract, validator, lang):
    for service in kb.services.values():
        payload = p.referral([service], lang)
        check(validator, contract, payload)
        assert payload["language"] == lang
        assert payload["referrals"][0]["name"] == service.name.get(lang)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("event", ["having-a-baby", "lost-wallet", "moving", "losing-a-job"])
def test_life_event_payloads(kb, contract, validator, lang, event):
    reply = route_event(
        kb, Turn(text="", lang=lang, location=Location("ca-on", "ca-on-ottawa")), event
    )
    (payload,) = reply.payloads
    check(validator, contract, payload)
    assert payload["life_event"] == event
    assert len(payload["referrals"]) >= 3


def test_other_payloads(validator, kb):
    validator.validate(p.ask("location"))
    validator.validate(p.choices([("Passport", "/need{}", "passport"), ("SIN", "/need{}", None)]))
    validator.validate(p.emergency("911", "emergency"))
    validator.validate(p.out_of_scope())
    for lang in LANGS:
        for payload in handoff(kb, Turn(text="", lang=lang)).payloads:
            validator.validate(payload)


def test_domain_payloads_are_valid(validator, repo_root):
    import yaml

    domain = yaml.safe_load((repo_root / "domain.yml").read_text())
    customs = [v["custom"] for vs in domain["responses"].values() for v in vs if "custom" in v]
    assert len(customs) >= 6
    for custom in customs:
        validator.validate(custom)
