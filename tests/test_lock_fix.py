"""The conversation lock frees itself when its holder dies (bot/lock_fix.py)."""

from __future__ import annotations

import asyncio
import time

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import InMemoryLockStore

from bot import lock_fix


def lock_with(*tickets: tuple[int, float]) -> TicketLock:
    return TicketLock("c", [Ticket(number, expires) for number, expires in tickets])


def test_a_ticket_waits_for_live_earlier_tickets_only() -> None:
    now = time.time()
    assert not lock_fix.first_in_line(lock_with((0, now + 10), (1, now + 10)), 1)
    assert lock_fix.first_in_line(lock_with((0, now - 1), (1, now + 10)), 1)
    assert lock_fix.first_in_line(lock_with((0, now + 10), (1, now + 10)), 0)


def test_a_message_whose_ticket_expired_with_the_dead_holder_goes_through() -> None:
    """Rasa 3.6 waits for ever here: no live ticket is left, so none is "now serving"."""
    lock_fix.apply()
    store = InMemoryLockStore()
    now = time.time()
    # The dead server's ticket 0 and the waiting ticket 1, both expired.
    store.save_lock(lock_with((0, now - 0.2), (1, now - 0.1)))

    async def acquire() -> TicketLock:
        return await asyncio.wait_for(store._acquire_lock("c", 1, 0.01), 2)

    assert isinstance(asyncio.run(acquire()), TicketLock)


def test_a_message_still_waits_for_a_live_holder() -> None:
    lock_fix.apply()
    store = InMemoryLockStore()
    store.save_lock(lock_with((0, time.time() + 0.3), (1, time.time() + 10)))
    started = time.monotonic()
    asyncio.run(asyncio.wait_for(store._acquire_lock("c", 1, 0.05), 2))
    assert 0.25 < time.monotonic() - started < 1.5


def test_messages_of_one_conversation_are_served_in_turn() -> None:
    lock_fix.apply()
    store = InMemoryLockStore()
    order: list[str] = []

    async def handle(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        async with store.lock("c", lock_lifetime=10, wait_time_in_seconds=0.01):
            order.append(f"{name} in")
            await asyncio.sleep(0.05)
            order.append(f"{name} out")

    async def both() -> None:
        await asyncio.gather(handle("first", 0), handle("second", 0.01))

    asyncio.run(both())
    assert order == ["first in", "first out", "second in", "second out"]
