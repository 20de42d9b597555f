"""Keep citizens from triggering intents by typing ``/intent`` on public channels.

Rasa parses any message that starts with ``/`` as an intent with entities. On
the public channels only the payloads the assistant itself just offered (its
choice buttons) may do that; anything else is handled as ordinary text.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.trackers import DialogueStateTracker

from bot.constants import SLOT_OFFERED

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 5000


def neutralize(text: str, offered: Iterable[str]) -> str:
    """Return ``text`` unchanged unless it is an intent command the assistant did not offer.

    Args:
        text: What the citizen sent.
        offered: The payloads of the buttons the assistant showed last.

    Returns:
        The text to process: an offered payload as is, any other ``/...`` without
        its leading slashes (so it is understood as words, not as an intent).
    """
    stripped = text.strip()
    if not stripped.startswith("/"):
        return text
    if stripped in set(offered):
        return stripped
    return stripped.lstrip("/").strip() or "?"


async def stored_tracker(sender_id: str) -> DialogueStateTracker | None:
    """The conversation of ``sender_id`` as the server stored it; None without one."""
    from sanic import Sanic

    try:
        store = Sanic.get_app().ctx.agent.tracker_store
        tracker: DialogueStateTracker | None = await store.retrieve(sender_id)
    except Exception:  # noqa: BLE001 - no server or no store (tests) means no tracker
        logger.debug("No tracker store available.")
        return None
    return tracker


async def offered_payloads(sender_id: str) -> list[str]:
    """The payloads offered to ``sender_id`` in the assistant's last turn."""
    tracker = await stored_tracker(sender_id)
    if tracker is None:
        return []
    return list(tracker.get_slot(SLOT_OFFERED) or [])


def guarded(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Callable[[UserMessage], Awaitable[Any]]:
    """Wrap a channel's message handler so that it neutralizes un-offered intent commands."""

    async def handler(message: UserMessage) -> Any:
        text = message.text or ""
        if text.strip().startswith("/"):
            message.text = neutralize(text, await offered_payloads(message.sender_id or ""))
        return await on_new_message(message)

    return handler
