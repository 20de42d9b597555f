"""Rasa's socket.io channel with the intent-injection guard."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from bot.channels.guard import guarded


class CarrefourSocketIOInput(SocketIOInput):
    """Socket.io for the web widget; ``/intent`` text only works for offered buttons."""

    @classmethod
    def name(cls) -> str:
        """Served at ``/socket.io``, like Rasa's own channel."""
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """Rasa's socket.io blueprint around a guarded message handler."""
        return super().blueprint(guarded(on_new_message))
