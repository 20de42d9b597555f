"""The socket.io channel of the web widget.

Differences from Rasa's own socket.io channel:

- each bot message is emitted whole, ``{text, buttons, custom}`` in one
  ``bot_uttered`` event (Rasa's splits text on blank lines and cannot emit a
  ``custom`` payload that is not shaped like its own arguments);
- ``/intent`` text only works for the buttons the assistant offered;
- malformed events are dropped with a log line, never an exception in the server.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels.guard import MAX_MESSAGE_CHARS, guarded

logger = logging.getLogger(__name__)

MESSAGE_KEYS = ("text", "buttons", "image", "attachment", "custom")


def whole_message(message: dict[str, Any]) -> dict[str, Any]:
    """Keep the parts of a bot message a client renders, dropping the empty ones."""
    return {key: message[key] for key in MESSAGE_KEYS if message.get(key)}


def parse_user_event(data: Any, metadata_key: str) -> tuple[str, str | None, dict[str, Any]] | str:
    """Check a ``user_uttered`` event from a browser.

    Args:
        data: The event's data, as the client sent it.
        metadata_key: The key that holds the message metadata.

    Returns:
        ``(text, session_id, metadata)``, or why the event is dropped.
    """
    if not isinstance(data, dict):
        return "the event is not an object"
    text = data.get("message")
    if not isinstance(text, str) or not text.strip():
        return "no message text"
    if len(text) > MAX_MESSAGE_CHARS:
        return "the message is too long"
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
    return text, session_id, metadata


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
        """Rasa's options, plus ``cors_allowed_origins`` (a list; empty allows any page)."""
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
        channel.cors_allowed_origins = list(credentials.get("cors_allowed_origins") or [])
        return channel

    cors_allowed_origins: list[str] = []

    def get_output_channel(self) -> WholeMessageSocketOutput | None:
        """The output channel for messages sent outside a conversation turn."""
        if self.sio is None:
            return None
        return WholeMessageSocketOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The socket.io server and its health route."""
        handler = guarded(on_new_message)
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
        async def session_request(sid: str, data: Any) -> None:
            wanted = data.get("session_id") if isinstance(data, dict) else None
            valid = isinstance(wanted, str) and 0 < len(wanted) <= 128
            session_id = wanted if valid else uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            checked = parse_user_event(data, self.metadata_key or "metadata")
            if isinstance(checked, str):
                logger.info("Dropped a socket.io event: %s.", checked)
                return
            text, session_id, metadata = checked
            if self.session_persistence and not session_id:
                logger.info("Dropped a socket.io event: no session id.")
                return
            sender = session_id if self.session_persistence and session_id else sid
            output = WholeMessageSocketOutput(sio, self.bot_message_evt)
            try:
                await handler(
                    UserMessage(text, output, sender, input_channel=self.name(), metadata=metadata)
                )
            except Exception:  # noqa: BLE001 - the browser keeps its connection
                logger.exception("The message of a conversation could not be handled.")

        return hook

    def _authorized(self, auth: dict | None) -> bool:
        if not self.jwt_key:
            return True
        from rasa.core.channels.channel import decode_bearer_token

        token = auth.get("token") if isinstance(auth, dict) else None
        return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))
