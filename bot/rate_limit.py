"""Per-sender rate limiting for the public channels: a token bucket per sender.

Each sender may send ``burst`` messages at once, then one more every
``60 / per_minute`` seconds. The limiter is pure (the clock is injected), keeps
no raw sender id (keys are keyed BLAKE2 hashes with a per-process secret, so a
phone number cannot be recovered from memory dumps or logs) and its memory is
bounded: a sender idle long enough to have a full bucket again is forgotten
(forgetting it changes nothing), and beyond ``max_senders`` the least recently
seen sender is forgotten first.

Configured from the environment (see :meth:`Limits.from_env`):

``CARREFOUR_RATE_PER_MINUTE``
    messages a sender may send per minute, sustained (default 30; 0 turns limiting off);
``CARREFOUR_RATE_BURST``
    messages a sender may send at once (default 10);
``CARREFOUR_RATE_MAX_SENDERS``
    senders remembered at most per channel (default 10,000).

Limits are per server process: several workers each count on their own.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

logger = logging.getLogger(__name__)

PER_MINUTE_ENV = "CARREFOUR_RATE_PER_MINUTE"
BURST_ENV = "CARREFOUR_RATE_BURST"
MAX_SENDERS_ENV = "CARREFOUR_RATE_MAX_SENDERS"

DEFAULT_PER_MINUTE = 30.0
DEFAULT_BURST = 10
DEFAULT_MAX_SENDERS = 10_000
# A refused sender is told at most once in this many seconds (an SMS costs money).
NOTICE_SECONDS = 60.0


@dataclass(frozen=True)
class Limits:
    """How fast one sender may send.

    Attributes:
        per_minute: Sustained messages per minute; 0 or less turns limiting off.
        burst: Messages that may arrive at once (the bucket's size).
        max_senders: Senders remembered at most.
        notice_seconds: The shortest time between two refusal notices to a sender.
    """

    per_minute: float = DEFAULT_PER_MINUTE
    burst: int = DEFAULT_BURST
    max_senders: int = DEFAULT_MAX_SENDERS
    notice_seconds: float = NOTICE_SECONDS

    @property
    def enabled(self) -> bool:
        """Whether senders are limited at all."""
        return self.per_minute > 0

    @property
    def refill_seconds(self) -> float:
        """Seconds for an empty bucket to fill up again."""
        return self.burst * 60.0 / self.per_minute if self.enabled else 0.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The limits set by ``CARREFOUR_RATE_*`` variables; a bad value keeps its default."""
        env = os.environ if environ is None else environ
        return cls(
            per_minute=_number(env, PER_MINUTE_ENV, DEFAULT_PER_MINUTE, minimum=0.0),
            burst=int(_number(env, BURST_ENV, DEFAULT_BURST, minimum=1.0)),
            max_senders=int(_number(env, MAX_SENDERS_ENV, DEFAULT_MAX_SENDERS, minimum=1.0)),
        )


def _number(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < minimum:
        logger.warning("Ignoring %s=%r: expected a number >= %s.", name, raw, minimum)
        return default
    return value


@dataclass(frozen=True)
class Decision:
    """The limiter's answer for one message.

    Attributes:
        allowed: Whether the message may be handled.
        retry_after: Seconds until the sender may send again (0 when allowed).
        notify: Refused, and the sender was not told in the last ``notice_seconds``:
            send the one short refusal notice now (later refusals stay silent).
    """

    allowed: bool
    retry_after: float = 0.0
    notify: bool = False

    @property
    def retry_after_seconds(self) -> int:
        """``retry_after`` rounded up to whole seconds (at least 1 when refused)."""
        return 0 if self.allowed else max(1, math.ceil(self.retry_after))


ALLOWED = Decision(True)


class _Bucket:
    __slots__ = ("tokens", "seen", "noticed")

    def __init__(self, tokens: float, seen: float) -> None:
        self.tokens = tokens
        self.seen = seen
        self.noticed: float | None = None


class RateLimiter:
    """Token buckets keyed by a hash of the sender."""

    def __init__(
        self,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
        secret: bytes | None = None,
    ) -> None:
        """Limit with ``limits`` (default: the environment's), timed by ``clock`` (seconds).

        Args:
            limits: The limits; default :meth:`Limits.from_env`.
            clock: A monotonic clock in seconds (injected by tests).
            secret: The key of the sender hashes; default a random one per process.
        """
        self.limits = limits if limits is not None else Limits.from_env()
        self._clock = clock
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self._buckets: OrderedDict[bytes, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        """How many senders are remembered."""
        return len(self._buckets)

    def key(self, sender: str) -> bytes:
        """The hash a sender is remembered by (never the sender itself)."""
        data = sender.encode("utf-8", "surrogatepass")
        return hashlib.blake2b(data, key=self._secret, digest_size=16).digest()

    def check(self, sender: str) -> Decision:
        """Take one message from ``sender``'s bucket.

        Args:
            sender: Who sends (a conversation id, a session, a phone number...).

        Returns:
            Whether the message may go on and, when not, when to retry and
            whether to tell the sender.
        """
        limits = self.limits
        if not limits.enabled:
            return ALLOWED
        now = self._clock()
        self._forget_idle(now)
        key = self.key(sender)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(float(limits.burst), now)
            self._buckets[key] = bucket
            while len(self._buckets) > limits.max_senders:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            rate = limits.per_minute / 60.0
            elapsed = max(0.0, now - bucket.seen)
            bucket.tokens = min(float(limits.burst), bucket.tokens + elapsed * rate)
            bucket.seen = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return ALLOWED
        retry = (1.0 - bucket.tokens) * 60.0 / limits.per_minute
        notify = bucket.noticed is None or now - bucket.noticed >= limits.notice_seconds
        if notify:
            bucket.noticed = now
        return Decision(False, retry, notify)

    def _forget_idle(self, now: float) -> None:
        """Drop the senders idle long enough that a new bucket would be the same."""
        idle = max(self.limits.refill_seconds, self.limits.notice_seconds)
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            if now - oldest.seen < idle:
                break
            self._buckets.popitem(last=False)
