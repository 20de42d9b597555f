"""The answer when the action server is down or slow (bot/action_fallback.py), without a server."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from rasa.core.actions.action import ActionExecutionRejection
from rasa.shared.core.constants import ACTION_VALIDATE_SLOT_MAPPINGS
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

from bot import action_fallback as af
from bot.paths import REPO_ROOT
from tests.fakes import Clock

LANGS = ["en", "fr"]
NEED = {"en": "I need to renew my passport", "fr": "je dois renouveler mon passeport"}
QUEBEC_LINE = "877-644-4545"
O_CANADA = "800-622-6232"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO_ROOT / "domain.yml"))


def tracker(
    domain: Domain, text: str, lang: str | None = None, **slots: Any
) -> DialogueStateTracker:
    events: list[Event] = [SlotSet(name, value) for name, value in slots.items()]
    metadata = {"language": lang} if lang else {}
    events.append(UserUttered(text, {"name": "need", "confidence": 0.9}, metadata=metadata))
    return DialogueStateTracker.from_events("citizen", events, domain.slots)


def told(events: list[Event]) -> list[BotUttered]:
    return [e for e in events if isinstance(e, BotUttered)]


class FakeAction:
    def __init__(self, name: str = "action_route") -> None:
        self._name = name

    def name(self) -> str:
        return self._name


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(af, "BREAKER", af.Breaker(5.0, fake))
    return fake


def test_breaker_skips_calls_until_retry_then_lets_one_probe_through() -> None:
    clock = Clock()
    breaker = af.Breaker(5.0, clock)
    assert breaker.allow() and not breaker.open
    breaker.failed()
    assert breaker.open and not breaker.allow()
    clock.now += 4.9
    assert not breaker.allow()
    clock.now += 0.2
    assert breaker.allow(), "after the retry period one probe goes through"
    assert not breaker.allow(), "only one probe at a time"
    breaker.succeeded()
    assert not breaker.open and breaker.allow() and breaker.allow()


def test_breaker_lets_a_new_probe_through_when_one_never_reported() -> None:
    clock = Clock()
    breaker = af.Breaker(5.0, clock)
    breaker.failed()
    clock.now += 5
    assert breaker.allow()
    clock.now += 5
    assert breaker.allow()


@pytest.mark.parametrize("lang", LANGS)
def test_the_answer_gives_the_province_general_line_in_the_citizen_language(
    domain: Domain, lang: str
) -> None:
    conversation = tracker(domain, NEED[lang], lang, province="ca-qc")
    events = af.unavailable_events(conversation)
    [message] = told(events)
    assert QUEBEC_LINE in (message.text or "")
    payload = message.data["custom"]
    assert payload["type"] == "handoff" and payload["reason"] == af.REASON
    assert payload["number"] == "+1-877-644-4545"
    for event in events:
        conversation.update(event)
    assert conversation.get_slot("language") == lang


@pytest.mark.parametrize("lang", LANGS)
def test_without_a_known_place_the_answer_is_1_800_o_canada(domain: Domain, lang: str) -> None:
    [message] = told(af.unavailable_events(tracker(domain, NEED[lang])))
    assert O_CANADA in (message.text or "")
    assert message.data["custom"]["number"] == "+1-800-622-6232"


def test_a_place_in_the_message_itself_is_used_and_kept(domain: Domain) -> None:
    conversation = tracker(domain, "health card, I live in Quebec", province="ca-on")
    events = af.unavailable_events(conversation)
    [message] = told(events)
    assert QUEBEC_LINE in (message.text or "")
    for event in events:
        conversation.update(event)
    assert conversation.get_slot("province") == "ca-qc"


def test_the_language_is_detected_from_the_message_without_metadata(domain: Domain) -> None:
    events = af.unavailable_events(tracker(domain, "j'ai perdu mon portefeuille hier soir"))
    assert SlotSet("language", "fr") in events


def test_one_message_gets_the_general_line_once(domain: Domain) -> None:
    conversation = tracker(domain, NEED["en"], "en", province="ca-qc")
    for event in af.unavailable_events(conversation):
        conversation.update(event)
    assert af.unavailable_events(conversation) == []


def run_guarded(
    run: Any, conversation: DialogueStateTracker, name: str = "action_route", timeout: float = 0.2
) -> list[Event]:
    guarded = af._guarded(run, timeout)
    return asyncio.run(guarded(FakeAction(name), None, None, conversation, None))


ANSWER = [BotUttered("the referral", {"custom": {"type": "referral"}})]


async def answers(*_: Any) -> list[Event]:
    return list(ANSWER)


async def hangs(*_: Any) -> list[Event]:
    await asyncio.sleep(30)
    return list(ANSWER)


async def refuses(*_: Any) -> list[Event]:
    raise RasaException("Couldn't connect to the server")


async def drops(*_: Any) -> list[Event]:
    raise aiohttp.ServerDisconnectedError()


@pytest.mark.parametrize("failure", [hangs, refuses, drops], ids=["slow", "down", "dropped"])
def test_a_failing_action_server_gets_the_general_line_in_time(
    domain: Domain, clock: Clock, failure: Any
) -> None:
    started = time.monotonic()
    events = run_guarded(failure, tracker(domain, NEED["fr"], "fr", province="ca-qc"))
    assert time.monotonic() - started < 1.0
    [message] = told(events)
    assert QUEBEC_LINE in (message.text or "")
    assert af.BREAKER.open


def test_validation_fails_silently(domain: Domain, clock: Clock) -> None:
    events = run_guarded(refuses, tracker(domain, NEED["en"]), ACTION_VALIDATE_SLOT_MAPPINGS)
    assert events == []
    assert af.BREAKER.open


def test_while_open_the_server_is_not_called_then_the_conversation_resumes(
    domain: Domain, clock: Clock
) -> None:
    calls: list[str] = []

    async def counted(*args: Any) -> list[Event]:
        calls.append("called")
        return await answers(*args)

    run_guarded(refuses, tracker(domain, NEED["en"]))
    events = run_guarded(counted, tracker(domain, NEED["en"]))
    assert calls == [] and O_CANADA in (told(events)[0].text or "")
    clock.now += 5
    assert run_guarded(counted, tracker(domain, NEED["en"])) == ANSWER
    assert calls == ["called"] and not af.BREAKER.open


def test_a_rejection_is_not_a_failure(domain: Domain, clock: Clock) -> None:
    async def rejects(*_: Any) -> list[Event]:
        raise ActionExecutionRejection("action_route")

    with pytest.raises(ActionExecutionRejection):
        run_guarded(rejects, tracker(domain, NEED["en"]))
    assert not af.BREAKER.open


def test_install_is_idempotent() -> None:
    from rasa.core.actions.action import RemoteAction

    af.install()
    patched = RemoteAction.run
    af.install()
    assert RemoteAction.run is patched
    assert getattr(RemoteAction.run, af._PATCHED)
