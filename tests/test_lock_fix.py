"""The conversation lock frees itself when its holder dies (bot/lock_fix.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import redis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore

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


class FakeRedis:
    """Enough of redis-py for the lock store: get/set/delete and WATCH/MULTI pipelines."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.on_read: list[Callable[[], None]] = []

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def set(self, key: str, value: str) -> None:
        self.data[key] = value
        self.versions[key] = self.versions.get(key, 0) + 1

    def delete(self, key: str) -> int:
        existed = self.data.pop(key, None) is not None
        self.versions[key] = self.versions.get(key, 0) + 1
        return int(existed)

    def pipeline(self) -> FakePipeline:
        return FakePipeline(self)


class FakePipeline:
    def __init__(self, server: FakeRedis) -> None:
        self.server = server
        self.watched: dict[str, int] = {}
        self.queued: list[tuple[str, tuple[str, ...]]] = []

    def __enter__(self) -> FakePipeline:
        return self

    def __exit__(self, *_: object) -> None:
        self.watched, self.queued = {}, []

    def watch(self, key: str) -> None:
        self.watched[key] = self.server.versions.get(key, 0)

    def get(self, key: str) -> str | None:
        value = self.server.get(key)
        # Another server acts between this read and this transaction's write.
        while self.server.on_read:
            self.server.on_read.pop()()
        return value

    def multi(self) -> None:
        self.queued = []

    def set(self, key: str, value: str) -> None:
        self.queued.append(("set", (key, value)))

    def delete(self, key: str) -> None:
        self.queued.append(("delete", (key,)))

    def execute(self) -> None:
        changed = any(self.server.versions.get(k, 0) != v for k, v in self.watched.items())
        self.watched = {}
        if changed:
            raise redis.WatchError
        for name, args in self.queued:
            getattr(self.server, name)(*args)


def redis_store(server: FakeRedis) -> RedisLockStore:
    store = object.__new__(RedisLockStore)
    store.red = server
    store.key_prefix = "carrefour:lock:"
    return store


def test_two_servers_taking_a_ticket_at_once_get_different_tickets() -> None:
    """Rasa 3.6 gives both ticket 0 here: each reads "no lock", then writes its own."""
    lock_fix.apply()
    server = FakeRedis()
    first, second = redis_store(server), redis_store(server)
    taken: list[int] = []
    server.on_read.append(lambda: taken.append(second.issue_ticket("c", 10)))
    taken.append(first.issue_ticket("c", 10))
    assert sorted(taken) == [0, 1]
    lock = first.get_lock("c")
    assert lock is not None and [t.number for t in lock.tickets] == [0, 1]


def test_finishing_keeps_a_ticket_taken_meanwhile_and_deletes_an_unused_lock() -> None:
    lock_fix.apply()
    server = FakeRedis()
    first, second = redis_store(server), redis_store(server)
    mine = first.issue_ticket("c", 10)
    server.on_read.append(lambda: second.issue_ticket("c", 10))
    first.cleanup("c", mine)
    lock = first.get_lock("c")
    assert lock is not None and [t.number for t in lock.tickets] == [1]
    second.cleanup("c", 1)
    assert first.get_lock("c") is None


def test_expired_tickets_are_removed_in_redis() -> None:
    lock_fix.apply()
    server = FakeRedis()
    store = redis_store(server)
    store.save_lock(lock_with((0, time.time() - 1), (1, time.time() + 10)))
    store.update_lock("c")
    lock = store.get_lock("c")
    assert lock is not None and [t.number for t in lock.tickets] == [1]
