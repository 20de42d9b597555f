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

Rasa 3.6's Redis lock store also reads a lock, changes it and writes it back in three
steps: two servers taking a ticket for one conversation at the same moment both read
"no lock", both take ticket 0, and both handle the conversation at once; the tracker
store then loses one of the two messages (``make test-cluster`` saw it). Here each
change of a lock in Redis is a transaction (``WATCH``/``MULTI``), retried when another
server changed the lock in between.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockStore, RedisLockStore

logger = logging.getLogger(__name__)

_PATCHED = "_carrefour_lock_fix"
T = TypeVar("T")
# A change that returns the lock to save (None: delete it) and its result.
Change = Callable[[TicketLock | None], tuple[TicketLock | None, T]]


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


def change_lock(store: RedisLockStore, conversation_id: str, change: Change[T]) -> T:
    """Apply ``change`` to a conversation's lock in Redis as one transaction.

    Args:
        store: The Redis lock store.
        conversation_id: The conversation.
        change: Gets the lock (None when there is none); returns the lock to save
            (None to delete it) and a result.

    Returns:
        The result of the change that was saved.
    """
    key = store.key_prefix + conversation_id
    with store.red.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)
                raw = pipe.get(key)
                lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                saved, result = change(lock)
                pipe.multi()
                if saved is None:
                    pipe.delete(key)
                else:
                    pipe.set(key, saved.dumps())
                pipe.execute()
                return result
            except redis.WatchError:
                # Another server changed the lock since it was read: read it again.
                continue


def _issue_ticket(
    self: RedisLockStore, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME
) -> int:
    def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
        lock = lock or TicketLock(conversation_id)
        return lock, lock.issue_ticket(lock_lifetime)

    return change_lock(self, conversation_id, issue)


def _update_lock(self: RedisLockStore, conversation_id: str) -> None:
    def update(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
        if lock is not None:
            lock.remove_expired_tickets()
        return lock, None

    change_lock(self, conversation_id, update)


def _cleanup(self: RedisLockStore, conversation_id: str, ticket_number: int) -> None:
    def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
        if lock is None:
            return None, None
        lock.remove_ticket_for(ticket_number)
        return (lock if lock.is_someone_waiting() else None), None

    change_lock(self, conversation_id, finish)


_REDIS_FIXES: dict[str, Any] = {
    "issue_ticket": _issue_ticket,
    "update_lock": _update_lock,
    "cleanup": _cleanup,
}
for _fix in (_acquire_lock, *_REDIS_FIXES.values()):
    setattr(_fix, _PATCHED, True)


def apply() -> None:
    """Install the fixes in Rasa's lock stores (idempotent)."""
    if not getattr(LockStore._acquire_lock, _PATCHED, False):
        LockStore._acquire_lock = _acquire_lock
    for name, fix in _REDIS_FIXES.items():
        if not getattr(getattr(RedisLockStore, name), _PATCHED, False):
            setattr(RedisLockStore, name, fix)
