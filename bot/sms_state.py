"""What the SMS channel remembers about a phone number, without keeping the number.

Each number is stored under an HMAC-SHA256 of it, so the database alone does
not reveal who texted: whether the number sent STOP, its language, and the
choices it was last offered (so that a reply of ``2`` means the second one).

The key comes from ``SMS_STATE_KEY``, else is derived from ``TWILIO_AUTH_TOKEN``.
Each call opens its own short sqlite connection, which is enough for one server
process (sqlite serializes the writes).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from bot.paths import REPO_ROOT

DB_ENV = "SMS_STATE_DB"
KEY_ENV = "SMS_STATE_KEY"
TOKEN_ENV = "TWILIO_AUTH_TOKEN"
DEFAULT_DB = REPO_ROOT / ".run" / "sms.db"
SENDER_PREFIX = "sms-"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sms_number (
    number_hash TEXT PRIMARY KEY,
    stopped INTEGER NOT NULL DEFAULT 0,
    language TEXT,
    offered TEXT NOT NULL DEFAULT '[]',
    updated TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
)
"""


@dataclass
class NumberState:
    """What is known about one number."""

    stopped: bool = False
    language: str | None = None
    offered: list[str] = field(default_factory=list)


def state_key(token: str | None = None) -> bytes:
    """The HMAC key: ``SMS_STATE_KEY``, else one derived from the Twilio auth token.

    Args:
        token: The Twilio auth token (default: ``$TWILIO_AUTH_TOKEN``).

    Raises:
        RuntimeError: when neither is set (numbers must never be stored in clear).
    """
    explicit = os.environ.get(KEY_ENV)
    if explicit:
        return explicit.encode()
    token = token or os.environ.get(TOKEN_ENV)
    if not token:
        raise RuntimeError(f"set {KEY_ENV} or {TOKEN_ENV} to key the SMS state")
    # A separate derivation, so the stored hashes are no use for forging Twilio signatures.
    return hmac.new(token.encode(), b"carrefour-sms-state", hashlib.sha256).digest()


def number_hash(number: str, key: bytes | None = None) -> str:
    """The HMAC-SHA256 (hex) of a phone number, ignoring spaces and dashes."""
    canonical = "".join(ch for ch in number if ch.isdigit() or ch == "+")
    return hmac.new(key or state_key(), canonical.encode(), hashlib.sha256).hexdigest()


def sender_id(digest: str) -> str:
    """The conversation id of a number: never the number itself."""
    return SENDER_PREFIX + digest[:24]


class SmsState:
    """The sqlite store of :class:`NumberState`, keyed by :func:`number_hash`."""

    def __init__(self, path: Path | str | None = None) -> None:
        """Use ``path``, else ``$SMS_STATE_DB``, else ``.run/sms.db``; create it if needed."""
        self.path = Path(path or os.environ.get(DB_ENV) or DEFAULT_DB)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def get(self, digest: str) -> NumberState:
        """The state of a number (a fresh one if it never texted)."""
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT stopped, language, offered FROM sms_number WHERE number_hash = ?",
                (digest,),
            ).fetchone()
        if row is None:
            return NumberState()
        offered = json.loads(row[2] or "[]")
        return NumberState(bool(row[0]), row[1], [str(p) for p in offered])

    def put(self, digest: str, state: NumberState) -> None:
        """Store the state of a number."""
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO sms_number (number_hash, stopped, language, offered, updated) "
                "VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP) "
                "ON CONFLICT(number_hash) DO UPDATE SET stopped = excluded.stopped, "
                "language = excluded.language, offered = excluded.offered, "
                "updated = CURRENT_TIMESTAMP",
                (digest, int(state.stopped), state.language, json.dumps(state.offered)),
            )
