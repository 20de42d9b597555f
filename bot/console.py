"""What a call-centre agent needs from one answer of the assistant: the transfer card.

The assistant decides; this module only reads its reply (the payloads of
``shared/contract/referral-payload.md``) and adds what an agent needs on a call:
which government is responsible, the number to transfer to with its hours and
whether it is open now, what the caller should have ready, and a transfer
script to read aloud in the caller's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from bot.hours import status
from bot.knowledge import Channel, KnowledgeBase, Service
from bot.rendering import phone_text, render, status_text

SCRIPT = "transfer_script"
SCRIPT_CLOSED = "transfer_script_closed"
SCRIPT_DOCUMENTS = "transfer_script_documents"
SCRIPT_GENERAL = "transfer_script_general"
SCRIPT_EMERGENCY = "transfer_script_emergency"
SCRIPT_HANDOFF = "transfer_script_handoff"


def _payloads(messages: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]


def line_view(
    kb: KnowledgeBase, line: Channel, lang: str, now: dt.datetime, caller_zone: str | None = None
) -> dict[str, Any]:
    """A phone line as the agent sees it: number, TTY, hours, and open now when known.

    Args:
        kb: The knowledge base (for the status sentences).
        line: A phone channel or a government's general line.
        lang: The caller's language.
        now: The moment of the call (aware).
        caller_zone: The caller's time zone, for a national line open in the caller's local time.

    Returns:
        ``number`` (E.164-like, for the dialler), ``display``, ``tty``, ``hours``,
        ``open_now`` (``None`` when the line's hours are not machine-readable, or are the
        caller's local time and the caller's zone is unknown) and ``status``.
    """
    view: dict[str, Any] = {
        "number": line.number,
        "display": phone_text(line.number or ""),
        "tty": line.tty,
        "hours": line.hours.get(lang) if line.hours else None,
        "open_now": None,
        "status": None,
    }
    hours = line.opening_hours
    if hours is not None and hours.is_local_time:
        hours = hours.in_zone(caller_zone) if caller_zone else None
    if hours is not None:
        state = status(hours, now)
        view["open_now"] = state.open_now
        view["status"] = status_text(kb, state, now, lang) or None
    return view


def _transfer_line(kb: KnowledgeBase, service: Service) -> tuple[Channel | None, bool]:
    """The service's own line, else its government's general line; and whether it is its own."""
    own = service.phone()
    if own is not None and own.number:
        return own, True
    jurisdiction = service.jurisdiction
    while jurisdiction:
        government = kb.government(jurisdiction)
        if government is not None and government.general_line is not None:
            return government.general_line, False
        jurisdiction = jurisdiction.rpartition("-")[0]
    return None, False


def _script(
    kb: KnowledgeBase, lang: str, key: str, values: dict[str, str], extra: list[str]
) -> str:
    return " ".join([render(kb, key, lang, values), *extra])


def service_view(
    kb: KnowledgeBase,
    service: Service,
    lang: str,
    now: dt.datetime,
    caller_zone: str | None = None,
) -> dict[str, Any]:
    """The transfer card of one service.

    Args:
        kb: The knowledge base.
        service: The service the assistant referred to (its first referral).
        lang: The caller's language: every string is in it.
        now: The moment of the call (aware).
        caller_zone: The caller's time zone, when known (see :func:`line_view`).

    Returns:
        The card: service, government, organization, why, transfer line, online link,
        documents, processing time and the script to read.
    """
    government = kb.government(service.jurisdiction)
    line, own = _transfer_line(kb, service)
    transfer = line_view(kb, line, lang, now, caller_zone) if line is not None else None
    organization = service.contact_org.name.get(lang)
    government_name = government.name.get(lang) if government else ""
    documents = [d.get(lang) for d in service.documents]
    values = {
        "service": service.name.get(lang),
        "organization": organization,
        "government": government_name,
        "number": transfer["display"] if transfer else "",
        "hours": (transfer or {}).get("hours") or "",
        "status": (transfer or {}).get("status") or "",
        "documents": "; ".join(documents),
    }
    extra = []
    if transfer and transfer["open_now"] is False and transfer["status"]:
        extra.append(render(kb, SCRIPT_CLOSED, lang, values))
    if documents:
        extra.append(render(kb, SCRIPT_DOCUMENTS, lang, values))
    online = next((c.url.get(lang) for c in service.channels if c.type == "online" and c.url), None)
    return {
        "kind": "referral",
        "service_id": service.id,
        "service": service.name.get(lang),
        "order": service.order,
        "order_label": kb.labels[service.order].get(lang),
        "jurisdiction": service.jurisdiction,
        "government": government_name,
        "organization": organization,
        "why": service.why.get(lang),
        "transfer": transfer,
        "transfer_is_general_line": not own,
        "online": online,
        "documents": documents,
        "processing_time": service.processing_time.get(lang) if service.processing_time else None,
        "script": _script(kb, lang, SCRIPT if own else SCRIPT_GENERAL, values, extra),
    }


def agent_view(
    kb: KnowledgeBase,
    messages: list[dict[str, Any]],
    lang: str,
    now: dt.datetime,
    caller_zone: str | None = None,
) -> dict[str, Any] | None:
    """The card for an agent from one reply of the assistant; None when it asks or offers choices.

    Args:
        kb: The knowledge base.
        messages: The assistant's messages for the turn (``text``, ``buttons``, ``custom``).
        lang: The caller's language.
        now: The moment of the call (aware).
        caller_zone: The caller's time zone, when known (see :func:`line_view`).

    Returns:
        An ``emergency`` card first (911 / 988 come before anything else), else the
        ``referral`` card of the best service, else a ``handoff`` card; None otherwise.
    """
    payloads = _payloads(messages)
    for payload in payloads:
        if payload.get("type") == "emergency":
            number = str(payload.get("number") or "")
            return {
                "kind": "emergency",
                "transfer": {**_unscheduled(number, number, None), "open_now": True},
                "script": render(kb, SCRIPT_EMERGENCY, lang, {"number": number}),
            }
    for payload in payloads:
        if payload.get("type") == "referral" and payload.get("referrals"):
            service = kb.services.get(str(payload["referrals"][0].get("service_id")))
            if service is not None:
                return service_view(kb, service, lang, now, caller_zone)
    for payload in payloads:
        if payload.get("type") == "handoff" and payload.get("number"):
            return handoff_view(kb, payload, lang)
    return None


def handoff_view(kb: KnowledgeBase, payload: dict[str, Any], lang: str) -> dict[str, Any]:
    """The card of a ``handoff`` payload: the line the assistant gave for a person."""
    number = str(payload["number"])
    hours = payload.get("hours")
    organization = str(payload.get("organization") or "")
    values = {"number": phone_text(number), "organization": organization, "hours": hours or ""}
    return {
        "kind": "handoff",
        "organization": organization or None,
        "transfer": _unscheduled(number, phone_text(number), hours),
        "script": render(kb, SCRIPT_HANDOFF, lang, values),
    }


def _unscheduled(number: str, display: str, hours: str | None) -> dict[str, Any]:
    return {
        "number": number,
        "display": display,
        "tty": None,
        "hours": hours,
        "open_now": None,
        "status": None,
    }
