"""The REST channel (``POST /webhooks/rest/webhook``) with input checks and one message per reply.

Differences from Rasa's own REST channel:

- bad requests get a 400 (413, 415) with a reason, never a stack trace;
- the text is cleaned (controls, NFKC, homoglyphs: :mod:`bot.sanitize`) before it is checked;
- a sender that sends too fast gets a 429 with ``Retry-After`` (:mod:`bot.rate_limit`);
- ``/intent`` commands are refused unless the assistant offered them;
- each bot message arrives whole, with its ``custom`` payload next to its ``text``
  (Rasa's channel splits text on blank lines and sends the payload separately).
"""

from __future__ import annotations

import logging
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import MAX_MESSAGE_CHARS, MSG_EMPTY, guarded, input_problem
from bot.language import LANGUAGES
from bot.rate_limit import Decision, RateLimiter
from bot.sanitize import clean_text

logger = logging.getLogger(__name__)


class WholeMessageOutputChannel(CollectingOutputChannel):
    """Collects each bot message as one JSON object: text, buttons and custom together."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Store one bot message without splitting it."""
        out: dict[str, Any] = {"recipient_id": recipient_id}
        for key in ("text", "buttons", "image", "attachment", "custom"):
            if message.get(key):
                out[key] = message[key]
        if len(out) > 1:
            await self._persist_message(out)


def payload_language(messages: list[dict[str, Any]]) -> str | None:
    """The language the assistant answered in, as its payloads say; None without one."""
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("language") in LANGUAGES:
            return str(custom["language"])
    return None


def refuse(reason: str, status: int = 400, headers: dict[str, str] | None = None) -> HTTPResponse:
    """A refused request: ``{"error": reason}``, never cached (the channels' one error shape)."""
    return response.json(
        {"error": reason}, status=status, headers={"Cache-Control": "no-store", **(headers or {})}
    )


def too_many(decision: Decision) -> HTTPResponse:
    """The 429 answer to a sender over its rate limit, with ``Retry-After`` in seconds."""
    seconds = decision.retry_after_seconds
    return refuse(
        f"too many messages from this sender: retry in {seconds} s",
        429,
        {"Retry-After": str(seconds)},
    )


class RefusedBody(ValueError):
    """A request body that cannot be read: ``reason`` for the client, with its HTTP ``status``."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def read_json(request: Request, max_bytes: int, what: str = "the request") -> Any:
    """The parsed JSON body of ``request``.

    Raises:
        RefusedBody: Not JSON (415), larger than ``max_bytes`` (413) or malformed (400).
    """
    if "json" not in (request.content_type or ""):
        raise RefusedBody(f"send {what} as application/json", 415)
    if len(request.body or b"") > max_bytes:
        raise RefusedBody("the request is too large", 413)
    try:
        (request.body or b"").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RefusedBody("the body is not valid UTF-8") from exc
    try:
        return request.json
    except Exception as exc:  # noqa: BLE001 - sanic raises several types on bad JSON
        raise RefusedBody("the body is not valid JSON") from exc


def validate_body(body: Any) -> tuple[str, str, dict[str, Any] | None] | str:
    """Check a webhook request body.

    Args:
        body: The parsed JSON body.

    Returns:
        ``(sender, message, metadata)``, or the reason the request is refused.
    """
    if not isinstance(body, dict):
        return "the body must be a JSON object with 'sender' and 'message'"
    sender, text, metadata = body.get("sender"), body.get("message"), body.get("metadata")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > 128:
        return "'sender' must be a non-empty string of at most 128 characters"
    if not isinstance(text, str):
        return "'message' must be a string"
    if not text.strip():
        return "'message' is empty"
    if metadata is not None and not isinstance(metadata, dict):
        return "'metadata' must be a JSON object"
    return sender, text, metadata


class CarrefourRestInput(RestInput):
    """Rasa's REST channel with validation, intent-injection guard and whole messages."""

    # Set before :meth:`blueprint` to inject one (tests); default: from the environment.
    rate_limiter: RateLimiter | None = None

    @classmethod
    def name(cls) -> str:
        """Served at ``/webhooks/rest/``, like Rasa's own REST channel."""
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """The health and webhook routes."""
        handler = guarded(on_new_message)
        limiter = self.rate_limiter if self.rate_limiter is not None else RateLimiter()
        hook = Blueprint("carrefour_rest_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = read_json(request, 4 * MAX_MESSAGE_CHARS, "the message")
            except RefusedBody as refused:
                return refuse(refused.reason, refused.status)
            checked = validate_body(body)
            if isinstance(checked, str):
                return refuse(checked)
            sender, raw, metadata = checked
            text = clean_text(raw) if len(raw) <= MAX_MESSAGE_CHARS else raw
            problem = input_problem(text)
            if problem == MSG_EMPTY:
                return refuse("'message' is empty (or only control characters)")
            if problem is not None:
                return refuse(f"'message' is longer than {MAX_MESSAGE_CHARS} characters", 413)
            decision = limiter.check(sender)
            if not decision.allowed:
                return too_many(decision)
            collector = WholeMessageOutputChannel()
            try:
                await handler(
                    UserMessage(
                        text, collector, sender, input_channel=self.name(), metadata=metadata
                    )
                )
            except CancelledError:
                logger.error("The message of a conversation timed out.")
            except Exception:  # noqa: BLE001 - the citizen gets a reply, the log the trace
                logger.exception("The message of a conversation could not be handled.")
                return response.json({"error": "the assistant could not answer"}, status=500)
            return response.json(collector.messages)

        return hook
