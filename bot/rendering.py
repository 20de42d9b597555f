"""Turn knowledge-base records into text.

The messages of ``knowledge/messages.yml`` are filled with names, channels and
documents, with labels from ``knowledge/labels.yml``.
"""

from __future__ import annotations

from bot.knowledge import Channel, KnowledgeBase, Service


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
