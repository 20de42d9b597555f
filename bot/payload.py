"""Build the structured payloads of ``shared/contract/referral-payload.md``.

Every channel (web chat, SMS, the agent console, the REST API) reads these;
every string in a payload is in the payload's ``language``.
"""

from __future__ import annotations

from typing import Any

from bot.knowledge import Channel, Localized, Service
from bot.rendering import DescribedOffice

Payload = dict[str, Any]


def channel_payload(channel: Channel, lang: str) -> dict[str, str]:
    """Return one channel as the contract's channel object."""
    out: dict[str, str] = {"type": channel.type}
    if channel.url is not None:
        out["url"] = channel.url.get(lang)
    if channel.number is not None:
        out["number"] = channel.number
    if channel.tty is not None:
        out["tty"] = channel.tty
    if channel.hours is not None:
        out["hours"] = channel.hours.get(lang)
    if channel.name is not None:
        out["name"] = channel.name.get(lang)
    return out


def service_payload(service: Service, lang: str) -> dict[str, Any]:
    """Return one service as the contract's referral item."""
    item: dict[str, Any] = {
        "service_id": service.id,
        "kind": service.kind,
        "name": service.name.get(lang),
        "order": service.order,
        "jurisdiction": service.jurisdiction,
        "organization": service.contact_org.name.get(lang),
        "why": service.why.get(lang),
        "channels": [channel_payload(c, lang) for c in service.channels],
        "documents": [d.get(lang) for d in service.documents],
        "last_verified": service.last_verified,
    }
    if service.processing_time is not None:
        item["processing_time"] = service.processing_time.get(lang)
    return item


def referral(services: list[Service], lang: str, life_event: str | None = None) -> Payload:
    """Return a ``referral`` payload: services best first (a life event's whole bundle)."""
    return {
        "type": "referral",
        "language": lang,
        "life_event": life_event,
        "referrals": [service_payload(s, lang) for s in services],
    }


def ask(slot: str) -> Payload:
    """Return an ``ask`` payload: the assistant needs ``slot`` before it can refer."""
    return {"type": "ask", "slot": slot}


def choices(options: list[tuple[str, str, str | None]]) -> Payload:
    """Return a ``choices`` payload from ``(title, payload, kind)`` triples."""
    out = []
    for title, payload, kind in options:
        option = {"title": title, "payload": payload}
        if kind:
            option["kind"] = kind
        out.append(option)
    return {"type": "choices", "options": out}


def emergency(number: str, kind: str) -> Payload:
    """Return an ``emergency`` payload (911 or 988)."""
    return {"type": "emergency", "number": number, "kind": kind}


def handoff(
    channel: Channel,
    lang: str,
    reason: str,
    organization: Localized | None = None,
    live_chat: Localized | None = None,
) -> Payload:
    """Return a ``handoff`` payload pointing at a phone line.

    Besides the contract's fields it names the ``organization`` that answers, and
    gives its ``live_chat`` URL when the deployer configured one.
    """
    out: Payload = {"type": "handoff", "channel": channel.type, "reason": reason}
    if channel.number:
        out["number"] = channel.number
    if channel.hours:
        out["hours"] = channel.hours.get(lang)
    if organization is not None:
        out["organization"] = organization.get(lang)
    if live_chat is not None:
        out["live_chat"] = live_chat.get(lang)
    return out


def out_of_scope() -> Payload:
    """Return an ``out_of_scope`` payload."""
    return {"type": "out_of_scope"}


def office_channel(described: DescribedOffice, lang: str) -> dict[str, Any]:
    """One office as an ``in_person`` channel, with the extra fields an office has."""
    office = described.office
    point = office.point
    out: dict[str, Any] = {
        "type": "in_person",
        "name": point.name.get(lang),
        "address": point.address.get(lang),
        "postal_code": point.postal_code,
        "open_now": office.status.open_now,
        "status": described.status,
        "hours": described.schedule,
        "languages": list(point.languages),
    }
    if office.distance_km is not None:
        out["distance_km"] = round(office.distance_km, 1)
    if point.phone is not None:
        out["number"] = point.phone
    if point.url is not None:
        out["url"] = point.url.get(lang)
    if point.coordinates is not None:
        out["coordinates"] = list(point.coordinates)
    return out


def offices_referral(service: Service, offices: list[DescribedOffice], lang: str) -> Payload:
    """A referral to ``service`` whose first channels are the nearest offices."""
    item = service_payload(service, lang)
    item["channels"] = [office_channel(o, lang) for o in offices] + [
        ch for ch in item["channels"] if ch["type"] != "in_person"
    ]
    return {"type": "referral", "language": lang, "life_event": None, "referrals": [item]}
