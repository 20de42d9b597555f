"""A useful answer when the action server is down or slow: the citizen's general line.

Rasa 3.6 waits up to five minutes for the action server and, when a call fails,
logs it and answers nothing: the citizen sees silence. In the Rasa server process,
each call to the action server gets ``$CARREFOUR_ACTION_TIMEOUT`` seconds (default
1.2). When a call fails or runs out of time, the citizen gets their government's
general line (their city's, else their province's or territory's, else 1 800
O-Canada) and the circuit opens: for ``$CARREFOUR_ACTION_RETRY`` seconds (default 5)
the next messages get that answer at once rather than waiting for a server that is
not answering. Then one message tries the action server again; as soon as it
answers, the conversation goes on as before (its slots were kept).

The slot-mapping validation that Rasa runs before the answer
(``action_validate_slot_mappings``) fails silently: the answer that follows it
gives the general line, once per message, and keeps the place the message names
(as the validation would have), so that the conversation resumes knowing it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.constants import ACTION_VALIDATE_SLOT_MAPPINGS
from rasa.shared.core.events import BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

from bot import assistant, places
from bot import constants as c
from bot.contract import load_contract
from bot.knowledge import shared_knowledge
from bot.language import decide_language, warm_up
from bot.location import Location, parse_location

logger = logging.getLogger(__name__)

TIMEOUT_ENV = "CARREFOUR_ACTION_TIMEOUT"
RETRY_ENV = "CARREFOUR_ACTION_RETRY"
DEFAULT_TIMEOUT = 1.2
DEFAULT_RETRY = 5.0
REASON = "assistant_unavailable"
_PATCHED = "_carrefour_fallback"


def _seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        logger.warning("%s is not a number of seconds; using %s.", name, default)
        return default
    return value if value > 0 else default


class Breaker:
    """A circuit breaker: after a failure, calls are skipped until ``retry`` seconds pass.

    Then one call at a time is let through (a probe); its success closes the circuit.
    """

    def __init__(self, retry: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.retry = retry
        self._clock = clock
        self._failed_at: float | None = None
        self._probe_at: float | None = None

    @property
    def open(self) -> bool:
        """Whether the last call failed."""
        return self._failed_at is not None

    def allow(self) -> bool:
        """Whether a call may go to the server now."""
        if self._failed_at is None:
            return True
        now = self._clock()
        if now - self._failed_at < self.retry:
            return False
        # A probe that never reported back (cancelled) does not block the next one.
        if self._probe_at is not None and now - self._probe_at < self.retry:
            return False
        self._probe_at = now
        return True

    def succeeded(self) -> None:
        """The server answered: close the circuit."""
        self._failed_at = self._probe_at = None

    def failed(self) -> None:
        """The server failed or was too slow: open the circuit."""
        self._failed_at = self._clock()
        self._probe_at = None


def _this_turn(tracker: DialogueStateTracker) -> list[Event]:
    events: list[Event] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        events.append(event)
    return events


def _already_told(tracker: DialogueStateTracker) -> bool:
    for event in _this_turn(tracker):
        if isinstance(event, BotUttered):
            custom = (event.data or {}).get("custom")
            if isinstance(custom, dict) and custom.get("reason") == REASON:
                return True
    return False


def _location(tracker: DialogueStateTracker, text: str) -> tuple[Location, list[Event]]:
    """Where the citizen lives: the place this message names, else the one already known."""
    named = parse_location(text, load_contract(), shared_knowledge().fsa_cities)
    if named.found:
        return named, [
            SlotSet(c.SLOT_PROVINCE, named.province),
            SlotSet(c.SLOT_MUNICIPALITY, named.municipality),
            SlotSet(c.SLOT_POSTAL_FSA, named.fsa),
            SlotSet(c.SLOT_TOWN, named.town),
        ]
    known = Location(
        tracker.get_slot(c.SLOT_PROVINCE),
        tracker.get_slot(c.SLOT_MUNICIPALITY),
        tracker.get_slot(c.SLOT_POSTAL_FSA),
        tracker.get_slot(c.SLOT_TOWN),
    )
    return known, []


def unavailable_events(tracker: DialogueStateTracker) -> list[Event]:
    """The events that tell the citizen their general line, in their language.

    Args:
        tracker: The conversation, with the message being answered.

    Returns:
        The bot message (text and ``handoff`` payload) and the language slot; nothing
        when this message was already answered that way.
    """
    if _already_told(tracker):
        return []
    message = tracker.latest_message
    text = (message.text if message else None) or ""
    metadata = message.metadata if message else None
    users = sum(1 for event in tracker.events if isinstance(event, UserUttered))
    current = tracker.get_slot(c.SLOT_LANGUAGE) if users > 1 else None
    lang = decide_language(current, text, metadata)
    kb = shared_knowledge()
    location, slots = _location(tracker, text)
    reply = assistant.unavailable(kb, location, lang)
    texts = reply.texts(kb, lang)
    events: list[Event] = [
        BotUttered(said, {"custom": sent.payload})
        for said, sent in zip(texts, reply.messages, strict=True)
    ]
    if lang != tracker.get_slot(c.SLOT_LANGUAGE):
        events.append(SlotSet(c.SLOT_LANGUAGE, lang))
    return events + slots


BREAKER = Breaker(_seconds(RETRY_ENV, DEFAULT_RETRY))


def _guarded(run: Callable[..., Any], timeout: float) -> Callable[..., Any]:
    async def guarded_run(
        self: RemoteAction, output_channel: Any, nlg: Any, tracker: DialogueStateTracker,
        domain: Any,
    ) -> list[Event]:  # fmt: skip
        silent = self.name() == ACTION_VALIDATE_SLOT_MAPPINGS
        if not BREAKER.allow():
            return [] if silent else unavailable_events(tracker)
        try:
            events: list[Event] = await asyncio.wait_for(
                run(self, output_channel, nlg, tracker, domain), timeout
            )
        except ActionExecutionRejection:
            BREAKER.succeeded()
            raise
        except (asyncio.TimeoutError, RasaException, aiohttp.ClientError) as exc:
            BREAKER.failed()
            logger.error(
                "The action server did not run %s (%s): answering with the general line "
                "for %.0f s.", self.name(), type(exc).__name__, BREAKER.retry,
            )  # fmt: skip
            return [] if silent else unavailable_events(tracker)
        BREAKER.succeeded()
        return events

    setattr(guarded_run, _PATCHED, True)
    return guarded_run


def _warm_up() -> None:
    # The language detector and the towns of Canada take about 4 s to load: done on
    # the first fallback, that would break its time limit.
    warm_up()
    places.warm_up()


def install() -> None:
    """Give every call to the action server its time limit and fallback (idempotent).

    Also loads, in the background, what the fallback answer needs.
    """
    if getattr(RemoteAction.run, _PATCHED, False):
        return
    RemoteAction.run = _guarded(RemoteAction.run, _seconds(TIMEOUT_ENV, DEFAULT_TIMEOUT))
    threading.Thread(target=_warm_up, name="carrefour-fallback-warm-up", daemon=True).start()
