"""The socket.io channel of the web widget.

Differences from Rasa's own socket.io channel:

- each bot message is emitted whole, ``{text, buttons, custom}`` in one
  ``bot_uttered`` event (Rasa's splits text on blank lines and cannot emit a
  ``custom`` payload that is not shaped like its own arguments);
- ``/intent`` text only works for the buttons the assistant offered;
- the text is cleaned (:mod:`bot.sanitize`); an empty or too long message, and a
  session sending too fast (:mod:`bot.rate_limit`), get a short answer in the
  conversation's language instead of reaching the assistant (a flood: one answer,
  then silence until the sender slows down);
- malformed events (not an object, no text, a bad session id or metadata: never
  sent by the widget) are dropped with a log line, never an exception in the server.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels.guard import (
    MAX_MESSAGE_CHARS,
    MSG_RATE_LIMITED,
    conversation_language,
    guarded,
    input_problem,
)
from bot.knowledge import KnowledgeBase, shared_knowledge
from bot.rate_limit import RateLimiter
from bot.rendering import render
from bot.sanitize import clean_text

logger = logging.getLogger(__name__)

ORIGINS_ENV = "CARREFOUR_WIDGET_ORIGINS"
MESSAGE_KEYS = ("text", "buttons", "image", "attachment", "custom")


def whole_message(message: dict[str, Any]) -> dict[str, Any]:
    """Keep the parts of a bot message a client renders, dropping the empty ones."""
    return {key: message[key] for key in MESSAGE_KEYS if message.get(key)}


@dataclass(frozen=True)
class UserEvent:
    """A well-formed ``user_uttered`` event.

    Attributes:
        text: The cleaned text (:func:`bot.sanitize.clean_text`).
        session_id: The widget's session, if it sent one.
        metadata: The message metadata (the widget sends ``language``).
        problem: The message to answer instead of the assistant (empty or too
            long text, see :func:`bot.channels.guard.input_problem`), else None.
    """

    text: str
    session_id: str | None
    metadata: dict[str, Any]
    problem: str | None = None


def read_user_event(data: Any, metadata_key: str) -> UserEvent | str:
    """Read a ``user_uttered`` event: a :class:`UserEvent`, or why it is dropped unanswered.

    Args:
        data: The event's data, as the client sent it.
        metadata_key: The key that holds the message metadata.
    """
    if not isinstance(data, dict):
        return "the event is not an object"
    raw = data.get("message")
    if not isinstance(raw, str):
        return "no message text"
    session_id = data.get("session_id")
    if session_id is not None and (not isinstance(session_id, str) or len(session_id) > 128):
        return "the session id is not a short string"
    metadata = data.get(metadata_key) or {}
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return "the metadata is not JSON"
    if not isinstance(metadata, dict):
        return "the metadata is not an object"
    # Cleaning is linear, but a message over the limit is refused before any work.
    text = clean_text(raw) if len(raw) <= MAX_MESSAGE_CHARS else raw
    return UserEvent(text, session_id, metadata, input_problem(text))


def allowed_origins(configured: Any) -> list[str] | str | None:
    """The pages allowed to open the widget's socket, for python-socketio.

    Args:
        configured: ``$CARREFOUR_WIDGET_ORIGINS`` (origins separated by spaces) or the
            ``cors_allowed_origins`` list of ``credentials.yml``.

    Returns:
        The listed origins; ``"*"`` (any page) only when ``*`` is listed; None (the
        server's own pages only) when nothing is listed.
    """
    if isinstance(configured, str):
        configured = configured.split()
    origins = [str(o).strip().rstrip("/") for o in configured or [] if str(o).strip()]
    if "*" in origins:
        return "*"
    return origins or None


class WholeMessageSocketOutput(SocketIOOutput):
    """Emits each bot message as one ``bot_uttered`` event."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Emit one bot message with its text, buttons and payload together."""
        out = whole_message(message)
        if out:
            await self._send_message(recipient_id, out)


class CarrefourSocketIOInput(SocketIOInput):
    """Socket.io for the web widget."""

    @classmethod
    def name(cls) -> str:
        """Served at ``/socket.io``, like Rasa's own channel."""
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> CarrefourSocketIOInput:
        """Rasa's options, plus ``cors_allowed_origins`` (see :func:`allowed_origins`)."""
        credentials = credentials or {}
        channel = cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            credentials.get("session_persistence", True),
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "customData"),
        )
        channel.cors_allowed_origins = allowed_origins(
            os.environ.get(ORIGINS_ENV) or credentials.get("cors_allowed_origins")
        )
        return channel

    cors_allowed_origins: list[str] | str | None = None
    # Set before :meth:`blueprint` to inject them (tests); default: environment, shared KB.
    rate_limiter: RateLimiter | None = None
    knowledge: KnowledgeBase | None = None

    def get_output_channel(self) -> WholeMessageSocketOutput | None:
        """The output channel for messages sent outside a conversation turn."""
        if self.sio is None:
            return None
        return WholeMessageSocketOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The socket.io server and its health route."""
        handler = guarded(on_new_message)
        limiter = self.rate_limiter if self.rate_limiter is not None else RateLimiter()
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=self.cors_allowed_origins)
        hook = SocketBlueprint(sio, self.socketio_path, "carrefour_socketio", __name__)
        self.sio = sio

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: dict, auth: dict | None) -> bool:
            return self._authorized(auth)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            wanted = data.get("session_id") if isinstance(data, dict) else None
            valid = isinstance(wanted, str) and 0 < len(wanted) <= 128
            session_id = wanted if valid else uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            # ``data`` defaults: a client may emit the event with no argument at all.
            event = read_user_event(data, self.metadata_key or "metadata")
            if isinstance(event, str):
                logger.info("Dropped a socket.io event: %s.", event)
                return
            session_id = event.session_id
            if self.session_persistence and not session_id:
                logger.info("Dropped a socket.io event: no session id.")
                return
            sender = session_id if self.session_persistence and session_id else sid
            output = WholeMessageSocketOutput(sio, self.bot_message_evt)
            try:
                if event.problem is not None:
                    values = {"limit": str(MAX_MESSAGE_CHARS)}
                    await self._notice(output, sender, event, event.problem, values)
                    return
                decision = limiter.check(sender)
                if not decision.allowed:
                    # One notice, then silence: a flood must not cost a reply each time.
                    if decision.notify:
                        values = {"seconds": str(decision.retry_after_seconds)}
                        await self._notice(output, sender, event, MSG_RATE_LIMITED, values)
                    return
                await handler(
                    UserMessage(
                        event.text,
                        output,
                        sender,
                        input_channel=self.name(),
                        metadata=event.metadata,
                    )
                )
            except Exception:  # noqa: BLE001 - the browser keeps its connection
                logger.exception("The message of a conversation could not be handled.")

        return hook

    async def _notice(
        self,
        output: WholeMessageSocketOutput,
        sender: str,
        event: UserEvent,
        key: str,
        values: dict[str, str],
    ) -> None:
        """Answer ``sender`` with the message ``key`` in its language, without the assistant."""
        lang = await conversation_language(sender, event.metadata, event.text)
        kb = self.knowledge if self.knowledge is not None else shared_knowledge()
        text = render(kb, key, lang, values)
        await output.send_response(sender, {"text": text})

    def _authorized(self, auth: dict | None) -> bool:
        if not self.jwt_key:
            return True
        from rasa.core.channels.channel import decode_bearer_token

        token = auth.get("token") if isinstance(auth, dict) else None
        return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))
