"""The conversation logic, as pure functions from one turn's state to a reply.

Actions (``actions/``) translate a Rasa tracker into a :class:`Turn`, call one of
these functions and dispatch the :class:`Reply`; the agent console and tests call
them directly.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from typing import Any

from bot import constants as c
from bot import payload as p
from bot.knowledge import KnowledgeBase, Service
from bot.location import Location
from bot.offices import nearest_offices, points_for
from bot.rendering import (
    bundle_text,
    describe_offices,
    offices_text,
    phone_text,
    referral_values,
    render,
)
from bot.routing import (
    Contact,
    event_needs_location,
    general_contact,
    needs_location,
    rank,
    resolve_event,
)
from bot.understanding import Decision, Understanding, decide

MAX_REFERRALS = 3
SHORT_MESSAGE_WORDS = 4
# Danger outranks everything: a message that is even partly likely to describe an
# emergency or a crisis gets 911 / 988 rather than a referral or a fallback.
DANGER_MIN = 0.3
DANGER_MIN_IN_FALLBACK = 0.2
DANGER_RESPONSES = {c.INTENT_EMERGENCY: c.UTTER_EMERGENCY, c.INTENT_CRISIS: c.UTTER_CRISIS}


@dataclass(frozen=True)
class Turn:
    """What the assistant knows when it answers one message."""

    text: str
    lang: str
    intent: str | None = None
    understanding: Understanding = field(default_factory=Understanding)
    location: Location = field(default_factory=Location)
    kind: str | None = None  # the kind under discussion (slot)
    event: str | None = None  # the life event under discussion (slot)
    awaiting: str | None = None
    services: tuple[str, ...] = ()  # ids of the last referral, best first
    fallbacks: int = 0
    chosen_kind: str | None = None  # from a choice button
    chosen_event: str | None = None
    intents: tuple[tuple[str, float], ...] = ()  # the NLU's intent ranking
    now: dt.datetime | None = None  # the time of the message (aware); None = now
    offered: tuple[str, ...] = ()  # button payloads of the choices just offered

    @property
    def moment(self) -> dt.datetime:
        """The time of the message, for opening hours."""
        return self.now or dt.datetime.now(dt.timezone.utc)


@dataclass
class Message:
    """One bot message: a message of ``knowledge/messages.yml``, its values, a payload, buttons.

    A message with ``response`` set is a domain response instead (emergency, crisis,
    out of scope), which carries its own payload.
    """

    key: str
    values: dict[str, str] = field(default_factory=dict)
    payload: dict[str, Any] | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)
    response: str | None = None


@dataclass
class Reply:
    """Messages to send and slots to set."""

    messages: list[Message]
    slots: dict[str, Any] = field(default_factory=dict)

    @property
    def payloads(self) -> list[dict[str, Any]]:
        """The structured payloads of the reply, in order."""
        return [m.payload for m in self.messages if m.payload is not None]

    def texts(self, kb: KnowledgeBase, lang: str) -> list[str]:
        """The reply's messages as text in ``lang`` (empty for domain responses)."""
        return [render(kb, m.key, lang, m.values) if not m.response else "" for m in self.messages]


def _domain_reply(response: str) -> Reply:
    return Reply([Message("", response=response)], {c.SLOT_OFFERED: []})


def _danger(turn: Turn, minimum: float) -> Reply | None:
    for name, confidence in turn.intents:
        if name in DANGER_RESPONSES and confidence >= minimum:
            return _domain_reply(DANGER_RESPONSES[name])
    return None


def choice_payload(option_type: str, code: str) -> str:
    """The button payload that selects a kind or a life event."""
    if option_type == "event":
        return f"/{c.CHOICE_INTENT_EVENT}" + json.dumps({c.ENTITY_EVENT: code})
    return f"/{c.CHOICE_INTENT_KIND}" + json.dumps({c.ENTITY_KIND: code})


def _decision(kb: KnowledgeBase, turn: Turn) -> Decision:
    if turn.chosen_event in kb.life_events:
        return Decision(event=turn.chosen_event)
    if turn.chosen_kind in kb.contract.kinds:
        return Decision(kind=turn.chosen_kind)
    return decide(turn.understanding, turn.intent)


def _cleared(**extra: Any) -> dict[str, Any]:
    slots: dict[str, Any] = {c.SLOT_AWAITING: None, c.SLOT_FALLBACKS: 0.0, c.SLOT_OFFERED: []}
    slots.update(extra)
    return slots


def refer(kb: KnowledgeBase, services: list[Service], turn: Turn) -> Reply:
    """Refer the citizen to ``services`` (best first)."""
    lang = turn.lang
    first = services[0]
    values = referral_values(kb, first, lang)
    messages = [Message(c.MSG_REFERRAL, values, p.referral(services, lang))]
    if first.documents:
        messages.append(Message(c.MSG_REFERRAL_DOCUMENTS, values))
    if first.processing_time:
        messages.append(Message(c.MSG_REFERRAL_TIME, values))
    return Reply(
        messages,
        _cleared(
            **{
                c.SLOT_KIND: first.kind,
                c.SLOT_EVENT: None,
                c.SLOT_SERVICES: [s.id for s in services],
            }
        ),
    )


def _ask_location(kb: KnowledgeBase, turn: Turn, kind: str | None, event: str | None) -> Reply:
    key = c.MSG_ASK_CITY if turn.location.province else c.MSG_ASK_LOCATION
    topic = kb.life_events[event].name.get(turn.lang) if event else ""
    if kind:
        topic = kb.contract.kinds[kind].name(turn.lang)
    return Reply(
        [Message(key, {"topic": topic}, p.ask(c.ASK_SLOT_LOCATION))],
        {
            c.SLOT_AWAITING: c.AWAITING_LOCATION,
            c.SLOT_KIND: kind,
            c.SLOT_EVENT: event,
            c.SLOT_OFFERED: [],
        },
    )


def _contact_message(
    kb: KnowledgeBase, contact: Contact, lang: str, key: str, reason: str, **values: str
) -> Message:
    line = contact.line
    values = {
        "government": contact.government.name.get(lang),
        "name": line.name.get(lang) if line.name else contact.government.name.get(lang),
        "number": phone_text(line.number or ""),
        "hours": line.hours.get(lang) if line.hours else "",
        **values,
    }
    return Message(key, values, p.handoff(line, lang, reason, line.name or contact.government.name))


def _no_service(kb: KnowledgeBase, turn: Turn, kind: str) -> Reply:
    contact = general_contact(kb, turn.location)
    topic = kb.contract.kinds[kind].name(turn.lang)
    message = _contact_message(kb, contact, turn.lang, c.MSG_NO_SERVICE, "not_covered", topic=topic)
    return Reply([message], _cleared(**{c.SLOT_KIND: kind, c.SLOT_SERVICES: []}))


def _town_service(kb: KnowledgeBase, turn: Turn, kind: str) -> Reply:
    """A municipal service in a town the knowledge base does not cover: say who runs it."""
    contact = general_contact(kb, turn.location)
    topic = kb.contract.kinds[kind].name(turn.lang)
    message = _contact_message(
        kb, contact, turn.lang, c.MSG_TOWN_SERVICE, "not_covered", topic=topic,
        town=turn.location.town or "",
    )  # fmt: skip
    return Reply([message], _cleared(**{c.SLOT_KIND: kind, c.SLOT_SERVICES: []}))


def _not_offered(kb: KnowledgeBase, turn: Turn, kind: str) -> Reply | None:
    """Say that the citizen's government does not offer ``kind``, and what to use instead."""
    for place in (turn.location.municipality, turn.location.province):
        entry = kb.not_offered.get((place or "", kind))
        if entry is None:
            continue
        note = Message(c.MSG_NOT_OFFERED, {"note": entry.note.get(turn.lang)})
        if entry.refer_to is None:
            reply = _no_service(kb, turn, kind)
        else:
            reply = refer(kb, [kb.services[entry.refer_to]], turn)
        reply.messages.insert(0, note)
        return reply
    return None


def _has_municipal(kb: KnowledgeBase, kind: str) -> bool:
    return any(s.order == "municipal" for s in kb.by_kind.get(kind, []))


def route_kind(kb: KnowledgeBase, turn: Turn, kind: str) -> Reply:
    """Refer the citizen for ``kind``, asking where they live first when it matters."""
    named = turn.understanding.named
    location = turn.location
    if not location.found and needs_location(kb, kind, turn.text, named):
        return _ask_location(kb, turn, kind, None)
    services = rank(kb, kind, location, turn.text, named)
    if not services:
        if location.town and "municipal" in kb.contract.kinds[kind].usually:
            return _town_service(kb, turn, kind)
        if location.municipality is None and _has_municipal(kb, kind):
            return _ask_location(kb, turn, kind, None)
        return _not_offered(kb, turn, kind) or _no_service(kb, turn, kind)
    return refer(kb, services[:MAX_REFERRALS], turn)


def route_event(kb: KnowledgeBase, turn: Turn, event: str) -> Reply:
    """Give the bundle of services of a life event, asking for the location first if needed."""
    if not turn.location.found and event_needs_location(kb, event):
        return _ask_location(kb, turn, None, event)
    services = resolve_event(kb, event, turn.location)
    lang = turn.lang
    values = {
        "event": kb.life_events[event].name.get(lang),
        "items": bundle_text(kb, services, lang),
    }
    message = Message(c.MSG_LIFE_EVENT, values, p.referral(services, lang, life_event=event))
    return Reply(
        [message],
        _cleared(
            **{c.SLOT_EVENT: event, c.SLOT_KIND: None, c.SLOT_SERVICES: [s.id for s in services]}
        ),
    )


def _offered_options(kb: KnowledgeBase, payloads: tuple[str, ...]) -> list[tuple[str, str]]:
    """The (type, code) options behind button payloads made by :func:`choice_payload`."""
    options = []
    for payload in payloads:
        _, _, body = payload.partition("{")
        try:
            entity = json.loads("{" + body)
        except ValueError:
            continue
        if entity.get(c.ENTITY_EVENT) in kb.life_events:
            options.append(("event", entity[c.ENTITY_EVENT]))
        elif entity.get(c.ENTITY_KIND) in kb.contract.kinds:
            options.append(("kind", entity[c.ENTITY_KIND]))
    return options


def offer_choices(kb: KnowledgeBase, turn: Turn, options: list[tuple[str, str]]) -> Reply:
    """Offer two or three services or life events as buttons."""
    lang = turn.lang
    triples = []
    for option_type, code in options:
        if option_type == "event":
            title, kind = kb.life_events[code].name.get(lang), None
        else:
            title, kind = kb.contract.kinds[code].name(lang), code
        triples.append((title, choice_payload(option_type, code), kind))
    buttons = [{"title": title, "payload": payload} for title, payload, _ in triples]
    message = Message(c.MSG_CHOICES, {}, p.choices(triples), buttons)
    return Reply([message], {c.SLOT_OFFERED: [payload for _, payload, _ in triples]})


def route(kb: KnowledgeBase, turn: Turn) -> Reply:
    """Answer a need, a life event, or a location given in answer to a question.

    Args:
        kb: The knowledge base.
        turn: The state of the conversation.

    Returns:
        A referral, a question (location), choices, or a fallback.
    """
    danger = _danger(turn, DANGER_MIN)
    if danger is not None and turn.chosen_kind is None and turn.chosen_event is None:
        return danger
    decision = _decision(kb, turn)
    # A short answer that holds a place is the answer to "where do you live?", whatever
    # the NLU makes of a misspelled town ("iqualuit").
    place_answer = turn.location.found and len(turn.text.split()) <= SHORT_MESSAGE_WORDS
    if (
        turn.intent == c.INTENT_LOCATION
        or (decision.kind is None and decision.event is None)
        or (place_answer and turn.awaiting in (c.AWAITING_LOCATION, c.AWAITING_OFFICE))
    ):
        if turn.awaiting == c.AWAITING_OFFICE and turn.location.found:
            return follow_up(kb, replace(turn, intent=c.INTENT_ASK_WHERE))
        if turn.awaiting == c.AWAITING_LOCATION and turn.location.found:
            if turn.event:
                return route_event(kb, turn, turn.event)
            if turn.kind:
                return route_kind(kb, turn, turn.kind)
        # A long message that gives a place and also hints at needs ("I live in Montréal
        # now, how do I swap my licence") gets the choices, not just "noted".
        if (
            turn.intent == c.INTENT_LOCATION
            and turn.location.found
            and not (decision.kind or decision.event)
            and (len(decision.choices) < 2 or len(turn.text.split()) <= SHORT_MESSAGE_WORDS)
        ):
            name = turn.location.municipality or turn.location.province or ""
            place = kb.contract.jurisdictions[name].name(turn.lang) if name else ""
            if turn.location.town and not turn.location.municipality:
                place = f"{turn.location.town} ({place})"
            pending = _offered_options(kb, turn.offered)
            if len(pending) >= 2:
                # The citizen answered the choices with a place: keep the choices open.
                reply = offer_choices(kb, turn, pending)
                reply.messages[0] = replace(
                    reply.messages[0], key=c.MSG_LOCATION_NOTED_CHOICES, values={"place": place}
                )
                return reply
            return Reply([Message(c.MSG_LOCATION_NOTED, {"place": place})], {c.SLOT_OFFERED: []})
    if decision.event:
        return route_event(kb, turn, decision.event)
    if decision.kind:
        return route_kind(kb, turn, decision.kind)
    if decision.choices and len(decision.choices) >= 2:
        return offer_choices(kb, turn, decision.choices)
    return fallback(kb, turn)


def fallback(kb: KnowledgeBase, turn: Turn) -> Reply:
    """Two-stage fallback: ask to rephrase (with choices when any), then give a phone number.

    The intent the NLU found most likely, although below the confidence threshold,
    still decides when it is danger, a request for a person, or out of scope.
    """
    danger = _danger(turn, DANGER_MIN_IN_FALLBACK)
    if danger is not None:
        return danger
    likely = next((name for name, _ in turn.intents if name != c.INTENT_NLU_FALLBACK), None)
    if likely == c.INTENT_HUMAN:
        return handoff(kb, turn)
    if likely == c.INTENT_OUT_OF_SCOPE:
        return _domain_reply(c.UTTER_OUT_OF_SCOPE)
    decision = decide(turn.understanding, None)
    if decision.kind or decision.event:
        return route(kb, turn)
    if turn.fallbacks + 1 < c.FALLBACK_STAGES:
        reply = (
            offer_choices(kb, turn, decision.choices)
            if len(decision.choices) >= 2
            else Reply([Message(c.MSG_REPHRASE)], {c.SLOT_OFFERED: []})
        )
        if reply.messages[0].key == c.MSG_CHOICES:
            reply.messages.insert(0, Message(c.MSG_REPHRASE))
        reply.slots[c.SLOT_FALLBACKS] = float(turn.fallbacks + 1)
        return reply
    federal = turn.kind is not None and turn.location.province is None
    contact = general_contact(kb, turn.location, federal=federal or not turn.location.found)
    message = _contact_message(kb, contact, turn.lang, c.MSG_FALLBACK_PHONE, "low_confidence")
    return Reply([message], {c.SLOT_FALLBACKS: 0.0, c.SLOT_OFFERED: []})


def unavailable(kb: KnowledgeBase, location: Location, lang: str) -> Reply:
    """The reply when the assistant cannot answer now: the citizen's general line.

    Args:
        kb: The knowledge base.
        location: Where the citizen lives, as far as is known.
        lang: The reply's language.

    Returns:
        One message with the general line of the citizen's city, province or territory,
        else 1 800 O-Canada, and its ``handoff`` payload.
    """
    contact = general_contact(kb, location)
    return Reply([_contact_message(kb, contact, lang, c.MSG_UNAVAILABLE, "assistant_unavailable")])


def _current(kb: KnowledgeBase, turn: Turn) -> Service | None:
    for service_id in turn.services:
        if service_id in kb.services:
            return kb.services[service_id]
    return None


def follow_up(kb: KnowledgeBase, turn: Turn) -> Reply:
    """Answer how / where / documents / how long / why about the service under discussion.

    A follow-up that names another service ("what do I need for a passport?")
    first refers to that service, then answers.
    """
    decision = decide(turn.understanding, None)
    current = _current(kb, turn)
    prefix: list[Message] = []
    slots: dict[str, Any] = {}
    # A question about the service under discussion may use words that sound like
    # another service ("what do I need to bring?"): switch only to a service the
    # citizen named by one of its own keywords.
    named_kinds = {kb.services[i].kind for i in turn.understanding.named if i in kb.services}
    target = decision.kind if current is None or decision.kind in named_kinds else None
    if target and (current is None or current.kind != target):
        routed = route_kind(kb, turn, target)
        if not any(m.payload and m.payload.get("type") == "referral" for m in routed.messages):
            return routed
        prefix, slots = routed.messages[:1], routed.slots
        current = kb.services[routed.slots[c.SLOT_SERVICES][0]]
    if current is None:
        return Reply([Message(c.MSG_WHICH_SERVICE)], {c.SLOT_OFFERED: []})
    lang = turn.lang
    values = referral_values(kb, current, lang)
    referral = p.referral([current], lang)
    if turn.intent == c.INTENT_ASK_DOCUMENTS:
        key = c.MSG_DOCUMENTS if current.documents else c.MSG_DOCUMENTS_UNKNOWN
    elif turn.intent == c.INTENT_ASK_TIME:
        key = c.MSG_TIME if current.processing_time else c.MSG_TIME_UNKNOWN
    elif turn.intent == c.INTENT_ASK_WHY:
        key = c.MSG_WHY
    elif turn.intent == c.INTENT_ASK_WHERE:
        if points_for(kb, current):
            return _offices(kb, turn, current, prefix, slots)
        in_person = [ch for ch in current.channels if ch.type == "in_person"]
        key = c.MSG_IN_PERSON if in_person else c.MSG_NO_IN_PERSON
    else:
        key = c.MSG_HOW
    answer = Message(key, values, None if prefix else referral)
    slots.setdefault(c.SLOT_OFFERED, [])
    return Reply(prefix + [answer], slots)


def _offices(
    kb: KnowledgeBase, turn: Turn, service: Service, prefix: list[Message], slots: dict[str, Any]
) -> Reply:
    """The nearest offices for ``service``, or a question for the citizen's town."""
    lang = turn.lang
    now = turn.moment
    offices = nearest_offices(kb, service, turn.location, now)
    name = service.name.get(lang)
    if not offices:
        ask = Message(c.MSG_OFFICES_ASK, {"service": name}, p.ask(c.ASK_SLOT_LOCATION))
        slots.update({c.SLOT_AWAITING: c.AWAITING_OFFICE, c.SLOT_OFFERED: []})
        return Reply(prefix + [ask], slots)
    locator = next((ch.url for ch in service.channels if ch.type == "in_person" and ch.url), None)
    described = describe_offices(kb, offices, now, lang)
    values = {
        "service": name,
        "offices": offices_text(kb, described, lang),
        "locator": render(kb, c.MSG_OFFICES_LOCATOR, lang, {"url": locator.get(lang)})
        if locator
        else "",
    }
    payload = p.offices_referral(service, described, lang)
    slots.update({c.SLOT_AWAITING: None, c.SLOT_OFFERED: []})
    return Reply(prefix + [Message(c.MSG_OFFICES, values, payload)], slots)


def handoff(kb: KnowledgeBase, turn: Turn) -> Reply:
    """Give the number of a person: the service's own line, else the general line."""
    current = _current(kb, turn)
    lang = turn.lang
    line = current.phone() if current else None
    if current is not None and line is not None:
        government = kb.government(current.jurisdiction)
        values = {
            "name": current.contact_org.name.get(lang),
            "number": phone_text(line.number or ""),
            "hours": line.hours.get(lang) if line.hours else "",
            "government": government.name.get(lang) if government else "",
        }
        org = current.contact_org
        payload = p.handoff(line, lang, "requested", org.name, org.live_chat)
        message = Message(c.MSG_HANDOFF, values, payload)
    else:
        contact = general_contact(kb, turn.location, federal=not turn.location.found)
        message = _contact_message(kb, contact, lang, c.MSG_HANDOFF, "requested")
    return Reply([message], {c.SLOT_OFFERED: []})
