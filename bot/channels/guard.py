"""What every public channel does to a citizen's text before the assistant sees it.

Rasa parses any message that starts with ``/`` as an intent with entities. On
the public channels only the payloads the assistant itself just offered (its
choice buttons) may do that; anything else is handled as ordinary text. The text
is also cleaned (:func:`bot.sanitize.clean_text`: controls, NFKC, homoglyphs).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.trackers import DialogueStateTracker

from bot.constants import SLOT_LANGUAGE, SLOT_OFFERED
from bot.language import DEFAULT_LANGUAGE, LANGUAGES, detect
from bot.sanitize import clean_text

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 5000
# Message names (knowledge/messages.yml) of the answers to unusable text.
MSG_EMPTY = "input_empty"
MSG_TOO_LONG = "input_too_long"
MSG_RATE_LIMITED = "rate_limited"
# Language detection only needs the start of a long message.
_DETECT_CHARS = 500


def input_problem(text: str, max_chars: int = MAX_MESSAGE_CHARS) -> str | None:
    """The message to answer instead of handling ``text`` (already cleaned), or None.

    Returns:
        :data:`MSG_EMPTY` for nothing but spaces, :data:`MSG_TOO_LONG` above
        ``max_chars`` characters, else None.
    """
    if not text.strip():
        return MSG_EMPTY
    if len(text) > max_chars:
        return MSG_TOO_LONG
    return None


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


async def conversation_language(
    sender_id: str, metadata: dict[str, Any] | None, text: str = ""
) -> str:
    """The language to answer ``sender_id`` in without the assistant.

    The client's metadata first, then the conversation's language slot, then the
    language ``text`` is written in, else English.
    """
    stated = (metadata or {}).get("language")
    if stated in LANGUAGES:
        return str(stated)
    tracker = await stored_tracker(sender_id)
    slot = tracker.get_slot(SLOT_LANGUAGE) if tracker is not None else None
    if slot in LANGUAGES:
        return str(slot)
    return written_language(text)


def written_language(text: str) -> str:
    """The language ``text`` is written in (its start is enough), else English."""
    detected, _, _ = detect(text[:_DETECT_CHARS]) if text.strip() else (None, 0.0, 0)
    return detected or DEFAULT_LANGUAGE


async def offered_payloads(sender_id: str) -> list[str]:
    """The payloads offered to ``sender_id`` in the assistant's last turn."""
    tracker = await stored_tracker(sender_id)
    if tracker is None:
        return []
    return list(tracker.get_slot(SLOT_OFFERED) or [])


def guarded(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Callable[[UserMessage], Awaitable[Any]]:
    """Wrap a channel's message handler: clean the text, neutralize un-offered intent commands."""

    async def handler(message: UserMessage) -> Any:
        # The channels clean the text already (to check it); cleaning is idempotent,
        # so doing it here too covers any channel that forgets.
        text = clean_text(message.text or "")
        message.text = text
        if text.strip().startswith("/"):
            message.text = neutralize(text, await offered_payloads(message.sender_id or ""))
        return await on_new_message(message)

    return handler
