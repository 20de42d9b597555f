"""A conversation lock that frees itself when the server holding it dies (Rasa 3.6 fix).

Rasa serves the messages of one conversation in turn with numbered tickets in the
lock store (Redis in the production profile). A ticket expires after
``$TICKET_LOCK_LIFETIME`` seconds, so that a server killed while it holds one does
not block the conversation for ever. But Rasa 3.6 waits until the first live ticket
is its own: when the dead server's ticket and the waiting one expire together, as
they do when a load balancer sends the message again at once (``make test-cluster``
kills a server under load and sees it), no ticket is left, the waiting message
never goes through and the conversation is stuck. Here a message goes through as
soon as no live ticket was issued before its own.
"""

from __future__ import annotations

import asyncio
import logging

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockStore

logger = logging.getLogger(__name__)

_PATCHED = "_carrefour_lock_fix"


def first_in_line(lock: TicketLock, ticket: int) -> bool:
    """Whether no live ticket of ``lock`` was issued before ``ticket``."""
    return not any(t.number < ticket and not t.has_expired() for t in lock.tickets)


async def _acquire_lock(
    self: LockStore, conversation_id: str, ticket: int, wait_time_in_seconds: float
) -> TicketLock:
    while True:
        lock = self.get_lock(conversation_id)
        # A lock that is gone has no ticket before this one either.
        if lock is None or first_in_line(lock, ticket):
            return lock or TicketLock(conversation_id)
        await asyncio.sleep(wait_time_in_seconds)
        self.update_lock(conversation_id)


setattr(_acquire_lock, _PATCHED, True)


def apply() -> None:
    """Install the fix in Rasa's lock stores (idempotent)."""
    if not getattr(LockStore._acquire_lock, _PATCHED, False):
        LockStore._acquire_lock = _acquire_lock
