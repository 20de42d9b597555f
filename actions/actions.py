"""Rasa SDK actions: read the tracker, call :mod:`bot.assistant`, dispatch the reply."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import assistant, places, privacy
from bot import constants as c
from bot.contract import load_contract
from bot.knowledge import KnowledgeBase, shared_knowledge
from bot.knowledge_reload import install_sighup_handler
from bot.language import decide_language, warm_up
from bot.location import Location, parse_location
from bot.nlu.classifier import OUTPUT_KEY
from bot.understanding import Understanding

logger = logging.getLogger(__name__)


def knowledge() -> KnowledgeBase:
    """The last good knowledge base: start-up fails on a bad file, a running server reloads.

    Changed files are picked up at most every ``$CARREFOUR_KB_RELOAD_SECONDS`` and on
    SIGHUP; a broken change is logged and the previous knowledge base kept (see
    :mod:`bot.knowledge_reload`).
    """
    return shared_knowledge()


def _user_metadata(tracker: Tracker) -> dict[str, Any]:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event.get("metadata") or {}
    return {}


def _metadata_location(tracker: Tracker) -> str:
    """Where the client says the citizen is: a city's own page, or what a caller told an agent."""
    place = _user_metadata(tracker).get("location")
    return place[:100] if isinstance(place, str) else ""


def _user_turns(tracker: Tracker) -> int:
    return sum(1 for event in tracker.events if event.get("event") == "user")


def _location(tracker: Tracker) -> Location:
    return Location(
        tracker.get_slot(c.SLOT_PROVINCE),
        tracker.get_slot(c.SLOT_MUNICIPALITY),
        tracker.get_slot(c.SLOT_POSTAL_FSA),
        tracker.get_slot(c.SLOT_TOWN),
    )


def turn_from_tracker(tracker: Tracker) -> assistant.Turn:
    """Build the assistant's view of the conversation from the tracker."""
    message = tracker.latest_message or {}
    entities = {e.get("entity"): e.get("value") for e in message.get("entities") or []}
    return assistant.Turn(
        text=message.get("text") or "",
        lang=tracker.get_slot(c.SLOT_LANGUAGE) or "en",
        intent=(message.get("intent") or {}).get("name"),
        understanding=Understanding.from_dict(message.get(OUTPUT_KEY)),
        location=_location(tracker),
        kind=tracker.get_slot(c.SLOT_KIND),
        event=tracker.get_slot(c.SLOT_EVENT),
        awaiting=tracker.get_slot(c.SLOT_AWAITING),
        services=tuple(tracker.get_slot(c.SLOT_SERVICES) or ()),
        offered=tuple(tracker.get_slot(c.SLOT_OFFERED) or ()),
        fallbacks=int(tracker.get_slot(c.SLOT_FALLBACKS) or 0),
        chosen_kind=entities.get(c.ENTITY_KIND),
        chosen_event=entities.get(c.ENTITY_EVENT),
        intents=tuple(
            (str(r.get("name")), float(r.get("confidence") or 0.0))
            for r in message.get("intent_ranking") or []
        ),
    )


def dispatch(
    dispatcher: CollectingDispatcher,
    reply: assistant.Reply,
    lang: str,
    kb: KnowledgeBase | None = None,
) -> list[EventType]:
    """Send a reply's messages and return its slot events.

    ``kb`` is the knowledge base the reply was built with: a reload in between must
    not render one knowledge base's services with another's texts.
    """
    for message, text in zip(reply.messages, reply.texts(kb or knowledge(), lang), strict=True):
        if message.response:
            dispatcher.utter_message(response=message.response)
            continue
        dispatcher.utter_message(
            text=text, buttons=message.buttons or None, json_message=message.payload
        )
    return [SlotSet(name, value) for name, value in reply.slots.items()]


class _AssistantAction(Action, ABC):
    """An action that answers with one function of :mod:`bot.assistant`."""

    action_name: str

    def name(self) -> str:
        """The action's name in the domain."""
        return self.action_name

    @staticmethod
    @abstractmethod
    def answer(kb: KnowledgeBase, turn: assistant.Turn) -> assistant.Reply:
        """The reply to one turn."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Answer the latest message."""
        turn = turn_from_tracker(tracker)
        kb = knowledge()
        return dispatch(dispatcher, self.answer(kb, turn), turn.lang, kb)


class ActionRoute(_AssistantAction):
    """Refer a need or a life event, asking for the location when it matters."""

    action_name = "action_route"
    answer = staticmethod(assistant.route)


class ActionFollowUp(_AssistantAction):
    """Answer how / where / documents / how long / why about the current service."""

    action_name = "action_follow_up"
    answer = staticmethod(assistant.follow_up)


class ActionHandoff(_AssistantAction):
    """Give the number of a person who can help."""

    action_name = "action_handoff"
    answer = staticmethod(assistant.handoff)


class ActionFallback(_AssistantAction):
    """Two-stage fallback on low NLU confidence, then a phone number."""

    action_name = "action_fallback"
    answer = staticmethod(assistant.fallback)


class ActionDefaultFallback(_AssistantAction):
    """When no rule applies: the same fallback, never silence."""

    action_name = "action_default_fallback"
    answer = staticmethod(assistant.fallback)


class ActionValidateSlotMappings(Action):
    """Runs after every user message: sets the language and the location slots.

    The location comes from the message, else (when none is known yet) from the
    client's metadata ``{"location": "Ottawa"}``.

    Only the first three characters of a postal code are kept: routing needs no more.
    """

    def name(self) -> str:
        """The name Rasa calls after every user message."""
        return "action_validate_slot_mappings"

    async def run(  # noqa: D102
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        current = tracker.get_slot(c.SLOT_LANGUAGE) if _user_turns(tracker) > 1 else None
        events: list[EventType] = []
        lang = decide_language(current, text, _user_metadata(tracker))
        if lang != tracker.get_slot(c.SLOT_LANGUAGE):
            events.append(SlotSet(c.SLOT_LANGUAGE, lang))
        if text.startswith("/"):
            return events
        place = parse_location(text, load_contract(), knowledge().fsa_cities)
        if not place.found and not _location(tracker).found:
            place = parse_location(
                _metadata_location(tracker), load_contract(), knowledge().fsa_cities
            )
        if place.found:
            events += [
                SlotSet(c.SLOT_PROVINCE, place.province),
                SlotSet(c.SLOT_MUNICIPALITY, place.municipality),
                SlotSet(c.SLOT_POSTAL_FSA, place.fsa),
                SlotSet(c.SLOT_TOWN, place.town),
            ]
        return events


# What the first messages would otherwise pay for: the knowledge base, the language
# detector, the towns of Canada.
knowledge()
# SIGHUP reloads the knowledge base (it would otherwise stop the server).
install_sighup_handler()
warm_up()
places.warm_up()
privacy.install_log_redaction()
