"""The per-sender token bucket: bursts, refill, notices, bounded memory, hashed keys."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rate_limit import (
    BURST_ENV,
    DEFAULT_BURST,
    DEFAULT_MAX_SENDERS,
    DEFAULT_PER_MINUTE,
    MAX_SENDERS_ENV,
    PER_MINUTE_ENV,
    Limits,
    RateLimiter,
)
from tests.fakes import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


def limiter(clock: Clock, **limits: float) -> RateLimiter:
    return RateLimiter(Limits(**limits), clock=clock)  # type: ignore[arg-type]


def test_a_burst_is_allowed_then_refused_with_a_retry_time(clock):
    rl = limiter(clock, per_minute=30, burst=10)
    assert all(rl.check("alice").allowed for _ in range(10))
    refused = rl.check("alice")
    assert not refused.allowed
    # 30 a minute: one message every 2 seconds.
    assert refused.retry_after == pytest.approx(2.0)
    assert refused.retry_after_seconds == 2


def test_tokens_come_back_at_the_sustained_rate(clock):
    rl = limiter(clock, per_minute=30, burst=10)
    for _ in range(10):
        rl.check("alice")
    clock.advance(1.9)
    assert not rl.check("alice").allowed
    clock.advance(0.2)
    assert rl.check("alice").allowed
    assert not rl.check("alice").allowed
    clock.advance(3600)  # never more than the burst, however long the pause
    assert sum(rl.check("alice").allowed for _ in range(15)) == 10


def test_senders_do_not_share_a_bucket(clock):
    rl = limiter(clock, per_minute=30, burst=3)
    for _ in range(5):
        rl.check("flooder")
    assert not rl.check("flooder").allowed
    assert rl.check("citizen").allowed


def test_a_refused_sender_is_told_once_a_minute(clock):
    rl = limiter(clock, per_minute=6, burst=1)
    assert rl.check("flooder").allowed
    notices = []
    for _ in range(30):  # a message a second for thirty seconds
        decision = rl.check("flooder")
        if not decision.allowed:
            notices.append(decision.notify)
        clock.advance(1)
    assert notices[0] is True and notices.count(True) == 1
    clock.advance(60)  # a minute later the bucket is full again: the next refusal is told
    assert rl.check("flooder").allowed
    assert rl.check("flooder").notify is True
    assert rl.check("flooder").notify is False


def test_idle_senders_are_forgotten(clock):
    rl = limiter(clock, per_minute=60, burst=5)
    for n in range(100):
        rl.check(f"sender-{n}")
    assert len(rl) == 100
    clock.advance(61)  # longer than both the refill time (5 s) and the notice interval
    rl.check("someone")
    assert len(rl) == 1


def test_memory_is_bounded_by_max_senders(clock):
    rl = limiter(clock, per_minute=30, burst=2, max_senders=50)
    for n in range(500):
        rl.check(f"sender-{n}")
        assert len(rl) <= 50
    # The least recently seen are forgotten first: the latest keeps its empty bucket.
    rl.check("sender-499")
    assert not rl.check("sender-499").allowed


def test_no_raw_sender_id_is_kept(clock):
    rl = limiter(clock)
    number = "+15555550100"
    rl.check(number)
    stored = list(rl._buckets)  # noqa: SLF001 - what the limiter keeps is the point
    assert stored == [rl.key(number)]
    assert number.encode() not in stored[0] and b"5555550100" not in stored[0]
    # Keyed by a secret per limiter: the same number has another hash elsewhere.
    assert RateLimiter(Limits(), clock=clock).key(number) != rl.key(number)


def test_zero_per_minute_turns_limiting_off(clock):
    rl = limiter(clock, per_minute=0, burst=1)
    assert all(rl.check("x").allowed for _ in range(1000))
    assert len(rl) == 0


def test_limits_come_from_the_environment():
    limits = Limits.from_env({PER_MINUTE_ENV: "120", BURST_ENV: "4", MAX_SENDERS_ENV: "99"})
    assert (limits.per_minute, limits.burst, limits.max_senders) == (120.0, 4, 99)
    assert Limits.from_env({}) == Limits(DEFAULT_PER_MINUTE, DEFAULT_BURST, DEFAULT_MAX_SENDERS)
    assert (DEFAULT_PER_MINUTE, DEFAULT_BURST) == (30.0, 10)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (PER_MINUTE_ENV, "lots"),
        (PER_MINUTE_ENV, "-1"),
        (PER_MINUTE_ENV, "nan"),
        (BURST_ENV, "0"),
        (MAX_SENDERS_ENV, "inf"),
    ],
)
def test_a_bad_setting_keeps_its_default_and_says_so(name, value, caplog):
    with caplog.at_level(logging.WARNING):
        assert Limits.from_env({name: value}) == Limits()
    assert name in caplog.text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.floats(min_value=0, max_value=30)),
        max_size=200,
    ),
    st.integers(min_value=1, max_value=20),
    st.floats(min_value=1, max_value=600),
)
def test_no_sender_ever_exceeds_burst_plus_the_sustained_rate(events, burst, per_minute):
    clock = Clock()
    rl = RateLimiter(Limits(per_minute=per_minute, burst=burst), clock=clock)
    start = clock.now
    allowed: dict[str, int] = {}
    for sender, pause in events:
        clock.advance(pause)
        if rl.check(sender).allowed:
            allowed[sender] = allowed.get(sender, 0) + 1
    elapsed = clock.now - start
    for count in allowed.values():
        assert count <= burst + elapsed * per_minute / 60 + 1e-6
