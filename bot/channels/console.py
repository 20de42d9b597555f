"""The agent console's API: ``POST /api/referrals`` and its OpenAPI description.

An agent types what a caller says; the assistant answers as it would the citizen
(same understanding, same routing), and :mod:`bot.console` turns its reply into
the transfer card. The API is protected by a bearer token taken from the
environment (``CARREFOUR_CONSOLE_TOKEN``); without one it is disabled. What the
agent types is cleaned like any citizen's text (:mod:`bot.sanitize`), and each
caller's conversation is rate-limited (:mod:`bot.rate_limit`, 429 with ``Retry-After``).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import os
import time
import uuid
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import guarded, stored_tracker
from bot.channels.rest import (
    RefusedBody,
    WholeMessageOutputChannel,
    payload_language,
    read_json,
    refuse,
    too_many,
)
from bot.console import agent_view
from bot.constants import SLOT_PROVINCE
from bot.hours import PROVINCE_ZONES
from bot.knowledge import shared_knowledge
from bot.language import LANGUAGES
from bot.paths import REPO_ROOT
from bot.rate_limit import RateLimiter
from bot.sanitize import clean_text

logger = logging.getLogger(__name__)

TOKEN_ENV = "CARREFOUR_CONSOLE_TOKEN"
OPENAPI_FILE = REPO_ROOT / "docs" / "openapi" / "agent-console.yaml"
MAX_TEXT_CHARS = 1000
MAX_LOCATION_CHARS = 100
CONVERSATION_PREFIX = "console-"


def parse_request(body: Any) -> dict[str, Any] | str:
    """Check a ``POST /api/referrals`` body.

    Args:
        body: The parsed JSON body.

    Returns:
        ``{text, language, location, conversation_id}``, or why the request is refused.
    """
    if not isinstance(body, dict):
        return "the body must be a JSON object with 'text' and 'language'"
    text, lang = body.get("text"), body.get("language")
    location, conversation = body.get("location"), body.get("conversation_id")
    if not isinstance(text, str):
        return "'text' (what the caller said) is required"
    if len(text) > MAX_TEXT_CHARS:
        return f"'text' is longer than {MAX_TEXT_CHARS} characters"
    text = clean_text(text)
    if not text.strip():
        return "'text' (what the caller said) is required"
    if lang not in LANGUAGES:
        return "'language' must be 'en' or 'fr' (the caller's language)"
    if location is not None and (
        not isinstance(location, str) or len(location) > MAX_LOCATION_CHARS
    ):
        return f"'location' must be a string of at most {MAX_LOCATION_CHARS} characters"
    if conversation is not None and (
        not isinstance(conversation, str)
        or not conversation.isalnum()
        or not 8 <= len(conversation) <= 64
    ):
        return "'conversation_id' must be the id a previous answer returned"
    return {
        "text": text.strip(),
        "language": lang,
        "location": clean_text(location or "").strip() or None,
        "conversation_id": conversation or uuid.uuid4().hex,
    }


def text_too_long(body: Any) -> bool:
    """Whether a request is refused for its size (413) rather than its shape (400)."""
    text = body.get("text") if isinstance(body, dict) else None
    return isinstance(text, str) and len(text) > MAX_TEXT_CHARS


def authorized(header: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header carries the console token (compared in constant time)."""
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


async def caller_zone(sender_id: str) -> str | None:
    """The time zone of the caller's province when the conversation knows it, else None."""
    tracker = await stored_tracker(sender_id)
    province = tracker.get_slot(SLOT_PROVINCE) if tracker is not None else None
    return PROVINCE_ZONES.get(str(province)) if province else None


class AgentConsoleInput(InputChannel):
    """The JSON API behind the agent console page (the page itself is served by the web channel)."""

    def __init__(self, token: str | None, rate_limiter: RateLimiter | None = None) -> None:
        """Protect the API with ``token`` (``None`` disables it); limit with ``rate_limiter``.

        Args:
            token: The console token.
            rate_limiter: The per-conversation limiter (default: from the environment).
        """
        self.token = token
        self.rate_limiter = rate_limiter

    @classmethod
    def name(cls) -> str:
        """The channel's name in the conversations it starts."""
        return "console"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> AgentConsoleInput:
        """The token comes from the environment, never from a file in the repository."""
        token = os.environ.get(TOKEN_ENV) or None
        if token is None:
            logger.warning("The agent console API is disabled: set %s to enable it.", TOKEN_ENV)
        return cls(token)

    def url_prefix(self) -> str:
        """Served at ``/api``, not under ``/webhooks``."""
        return "/api"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """``POST /api/referrals`` and ``GET /api/openapi.yaml``."""
        handler = guarded(on_new_message)
        limiter = self.rate_limiter if self.rate_limiter is not None else RateLimiter()
        api = Blueprint("carrefour_console_api", __name__)

        @api.get("/openapi.yaml")
        async def openapi(_: Request) -> HTTPResponse:
            return await response.file(OPENAPI_FILE, mime_type="application/yaml")

        @api.post("/referrals")
        async def referrals(request: Request) -> HTTPResponse:
            if self.token is None:
                return refuse(f"the agent console is disabled: set {TOKEN_ENV}", 503)
            if not authorized(request.headers.get("authorization"), self.token):
                return refuse("a valid console token is required (Authorization: Bearer …)", 401)
            try:
                body = read_json(request, 8 * MAX_TEXT_CHARS)
            except RefusedBody as refused:
                return refuse(refused.reason, refused.status)
            checked = parse_request(body)
            if isinstance(checked, str):
                return refuse(checked, 413 if text_too_long(body) else 400)
            # One bucket per caller: the token is shared by the agents, the id is the call's.
            decision = limiter.check(f"{self.token}:{checked['conversation_id']}")
            if not decision.allowed:
                return too_many(decision)
            return await self._answer(handler, checked)

        return api

    async def _answer(
        self, handler: Callable[[UserMessage], Awaitable[Any]], request: dict[str, Any]
    ) -> HTTPResponse:
        started = time.perf_counter()
        collector = WholeMessageOutputChannel()
        metadata = {"language": request["language"]}
        if request["location"]:
            metadata["location"] = request["location"]
        sender = CONVERSATION_PREFIX + request["conversation_id"]
        try:
            await handler(
                UserMessage(
                    request["text"], collector, sender, input_channel=self.name(), metadata=metadata
                )
            )
        except CancelledError:
            logger.error("A console request timed out.")
            return refuse("the assistant did not answer in time", 504)
        except Exception:  # noqa: BLE001 - the agent gets a reason, the log the trace
            logger.exception("A console request could not be handled.")
            return refuse("the assistant could not answer", 500)
        messages = [{k: v for k, v in m.items() if k != "recipient_id"} for m in collector.messages]
        lang = payload_language(messages) or request["language"]
        card = agent_view(
            shared_knowledge(),
            messages,
            lang,
            dt.datetime.now(dt.timezone.utc),
            await caller_zone(sender),
        )
        return response.json(
            {
                "conversation_id": request["conversation_id"],
                "language": lang,
                "messages": messages,
                "card": card,
                "elapsed_ms": round((time.perf_counter() - started) * 1000),
            },
            headers={"Cache-Control": "no-store"},
        )
