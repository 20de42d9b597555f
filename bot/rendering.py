"""Turn knowledge-base records into text.

The messages of ``knowledge/messages.yml`` are filled with names, channels and
documents, with labels from ``knowledge/labels.yml``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.hours import DAYS, HoursStatus, OpeningHours
from bot.knowledge import Channel, KnowledgeBase, Service
from bot.offices import NearbyOffice


class _Values(dict):
    """Template values; a missing one renders empty rather than as ``{name}``."""

    def __missing__(self, key: str) -> str:
        return ""


def render(kb: KnowledgeBase, key: str, lang: str, values: dict[str, str]) -> str:
    """Fill the message ``key`` of ``knowledge/messages.yml`` in ``lang``.

    Args:
        kb: The knowledge base (holds the messages).
        key: The message id.
        lang: ``en`` or ``fr``.
        values: The placeholders' values.

    Returns:
        The text to send.
    """
    return kb.messages[key].get(lang).format_map(_Values(values))


def phone_text(number: str) -> str:
    """Format a phone number for reading: ``+1-800-622-6232`` → ``1-800-622-6232``."""
    return number[1:] if number.startswith("+") else number


def channel_line(kb: KnowledgeBase, channel: Channel, lang: str) -> str:
    """One channel as a line of text, e.g. ``Phone: 1-800-567-6868 (hours) · TTY: ...``."""
    label = kb.labels[channel.type].get(lang)
    parts = []
    if channel.name is not None:
        parts.append(channel.name.get(lang))
    if channel.number is not None:
        parts.append(phone_text(channel.number))
    if channel.url is not None:
        parts.append(channel.url.get(lang))
    colon = kb.labels["colon"].get(lang)
    text = f"{label}{colon} " + " — ".join(parts)
    if channel.hours is not None:
        text += f" ({channel.hours.get(lang)})"
    if channel.tty is not None:
        text += f" · {kb.labels['tty'].get(lang)}{colon} {phone_text(channel.tty)}"
    return text


def channels_text(
    kb: KnowledgeBase, channels: tuple[Channel, ...] | list[Channel], lang: str
) -> str:
    """All channels, one per line, in the recommended order."""
    return "\n".join(f"• {channel_line(kb, c, lang)}" for c in channels)


def government_text(kb: KnowledgeBase, service: Service, lang: str) -> str:
    """The government that handles a service, e.g. ``Government of Ontario``."""
    government = kb.government(service.jurisdiction)
    if government is not None:
        return government.name.get(lang)
    return kb.labels[service.order].get(lang)


def organization_text(service: Service, lang: str) -> str:
    """The organization, naming the authority too when a partner delivers the service."""
    if service.delivered_by is not None and service.delivered_by != service.authority:
        return f"{service.delivered_by.name.get(lang)} ({service.authority.name.get(lang)})"
    return service.authority.name.get(lang)


def referral_values(kb: KnowledgeBase, service: Service, lang: str) -> dict[str, str]:
    """The template variables of a referral to ``service``."""
    return {
        "service": service.name.get(lang),
        "organization": organization_text(service, lang),
        "government": government_text(kb, service, lang),
        "order": kb.labels[service.order].get(lang),
        "why": service.why.get(lang),
        "channels": channels_text(kb, service.channels, lang),
        "documents": "\n".join(f"• {d.get(lang)}" for d in service.documents),
        "processing_time": service.processing_time.get(lang) if service.processing_time else "",
        "in_person": channels_text(
            kb, [c for c in service.channels if c.type == "in_person"], lang
        ),
    }


def bundle_text(kb: KnowledgeBase, services: list[Service], lang: str) -> str:
    """A life event's services as a numbered list with each one's first channel."""
    lines = []
    for i, service in enumerate(services, start=1):
        first = channel_line(kb, service.channels[0], lang)
        lines.append(
            f"{i}. {service.name.get(lang)} — {service.contact_org.name.get(lang)} "
            f"({government_text(kb, service, lang)})\n   {first}"
        )
    return "\n".join(lines)


_DOUBLE_PERIOD = re.compile(r"(?<!\.)\.\.(?!\.)")


def format_time(minute: int, lang: str) -> str:
    """A time of day as each language writes it: ``8:30 a.m.`` / ``8 h 30``."""
    hour, mins = divmod(minute % (24 * 60), 60)
    if lang == "fr":
        return f"{hour} h {mins:02d}" if mins else f"{hour} h"
    suffix = "a.m." if hour < 12 else "p.m."
    shown = hour % 12 or 12
    return f"{shown}:{mins:02d} {suffix}" if mins else f"{shown} {suffix}"


def schedule_text(kb: KnowledgeBase, hours: OpeningHours, lang: str) -> str:
    """A weekly schedule, runs of days with the same hours grouped: ``Mon–Fri 8:30 a.m.–4 p.m.``."""
    parts: list[str] = []
    day = 0
    while day < len(DAYS):
        intervals = hours.weekly[day]
        last = day
        while last + 1 < len(DAYS) and hours.weekly[last + 1] == intervals:
            last += 1
        if intervals:
            days = kb.labels[f"dayshort_{DAYS[day]}"].get(lang)
            if last > day:
                days += "–" + kb.labels[f"dayshort_{DAYS[last]}"].get(lang)
            times = ", ".join(
                f"{format_time(start, lang)}–{format_time(end, lang)}" for start, end in intervals
            )
            parts.append(f"{days} {times}")
        day = last + 1
    return "; ".join(parts)


def status_text(kb: KnowledgeBase, state: HoursStatus, now: dt.datetime, lang: str) -> str:
    """Open now until…, or when it opens next, naming a holiday that closes it today."""
    if state.open_now and state.closes_at is not None:
        text = render(kb, "hours_open_until", lang, {"time": _clock(state.closes_at, lang)})
        return _DOUBLE_PERIOD.sub(".", text)
    if state.opens_at is None:
        return ""
    today = now.astimezone(state.opens_at.tzinfo).date()
    opens = state.opens_at.date()
    values = {"time": _clock(state.opens_at, lang)}
    if opens == today:
        key = "hours_opens_today"
    elif opens == today + dt.timedelta(days=1):
        key = "hours_opens_tomorrow"
    else:
        key = "hours_opens_on"
        values["day"] = kb.labels[f"day_{DAYS[opens.weekday()]}"].get(lang)
    # "4 p.m." ends the sentence by itself.
    return _DOUBLE_PERIOD.sub(".", render(kb, key, lang, values))


def _clock(moment: dt.datetime, lang: str) -> str:
    return format_time(moment.hour * 60 + moment.minute, lang)


def distance_text(km: float, lang: str) -> str:
    """``2.4 km`` / ``2,4 km``; whole kilometres beyond 10."""
    text = f"{km:.0f}" if km >= 10 else f"{km:.1f}"
    return (text.replace(".", ",") if lang == "fr" else text) + " km"


@dataclass(frozen=True)
class DescribedOffice:
    """A nearby office with its opening status and weekly hours as text."""

    office: NearbyOffice
    status: str
    schedule: str


def describe_offices(
    kb: KnowledgeBase, offices: list[NearbyOffice], now: dt.datetime, lang: str
) -> list[DescribedOffice]:
    """Each office's status ("Open now, until 4 p.m.") and hours, for the text and the payload."""
    return [
        DescribedOffice(
            office,
            status_text(kb, office.status, now, lang),
            schedule_text(kb, office.point.hours, lang),
        )
        for office in offices
    ]


def offices_text(kb: KnowledgeBase, offices: list[DescribedOffice], lang: str) -> str:
    """The nearest offices, one paragraph each: name, address, distance, status and hours."""
    items = []
    for described in offices:
        office = described.office
        point = office.point
        today = office.status.holiday_today
        holiday = point.hours.holiday_on(today, lang) if today is not None else None
        values = {
            "name": point.name.get(lang),
            "address": f"{point.address.get(lang)} {point.postal_code}",
            "distance": distance_text(office.distance_km, lang)
            if office.distance_km is not None
            else "",
            "status": described.status,
            "holiday": render(kb, "hours_holiday", lang, {"holiday": holiday}) if holiday else "",
            "hours": described.schedule,
            "french": kb.labels["french_service"].get(lang) if "fr" in point.languages else "",
        }
        text = render(kb, "office_item", lang, values)
        # "4 p.m." ends a sentence by itself; empty values leave double spaces.
        items.append(_DOUBLE_PERIOD.sub(".", text).replace("  ", " ").strip())
    return "\n".join(items)
