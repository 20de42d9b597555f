"""What the SMS channel remembers about a phone number, without keeping the number.

Each number is stored under an HMAC-SHA256 of it, so the database alone does
not reveal who texted: whether the number sent STOP, its language, and the
choices it was last offered (so that a reply of ``2`` means the second one).

The key comes from ``SMS_STATE_KEY``, else is derived from ``TWILIO_AUTH_TOKEN``.
The store is a SQLite file (``SMS_STATE_DB``, default ``.run/sms.db``) for one server,
or the database at ``SMS_STATE_URL`` (PostgreSQL in the production profile) shared by
every Rasa server, so that a reply of ``2`` may reach another server than the list.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.paths import REPO_ROOT

DB_ENV = "SMS_STATE_DB"
URL_ENV = "SMS_STATE_URL"
KEY_ENV = "SMS_STATE_KEY"
TOKEN_ENV = "TWILIO_AUTH_TOKEN"
DEFAULT_DB = REPO_ROOT / ".run" / "sms.db"
SENDER_PREFIX = "sms-"

_METADATA = sa.MetaData()
NUMBERS = sa.Table(
    "sms_number",
    _METADATA,
    sa.Column("number_hash", sa.String(64), primary_key=True),
    sa.Column("stopped", sa.Boolean, nullable=False, default=False),
    sa.Column("language", sa.String(8)),
    sa.Column("offered", sa.Text, nullable=False, default="[]"),
    sa.Column("updated", sa.DateTime, nullable=False, server_default=sa.func.now()),
)
_UPSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


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
    """The store of :class:`NumberState`, keyed by :func:`number_hash`."""

    def __init__(self, path: Path | str | None = None, url: str | None = None) -> None:
        """Use ``url`` or ``$SMS_STATE_URL``, else the SQLite file ``path`` or ``$SMS_STATE_DB``.

        The table is created if needed.

        Raises:
            ValueError: For a database other than SQLite or PostgreSQL.
        """
        url = url or (None if path else os.environ.get(URL_ENV))
        if url is None:
            file = Path(path or os.environ.get(DB_ENV) or DEFAULT_DB)
            file.parent.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{file}"
        self.engine = sa.create_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name not in _UPSERTS:
            raise ValueError(f"{URL_ENV}: use SQLite or PostgreSQL, not {self.engine.dialect.name}")
        _METADATA.create_all(self.engine, checkfirst=True)

    def get(self, digest: str) -> NumberState:
        """The state of a number (a fresh one if it never texted)."""
        query = sa.select(NUMBERS.c.stopped, NUMBERS.c.language, NUMBERS.c.offered).where(
            NUMBERS.c.number_hash == digest
        )
        with self.engine.connect() as db:
            row = db.execute(query).fetchone()
        if row is None:
            return NumberState()
        offered = json.loads(row[2] or "[]")
        return NumberState(bool(row[0]), row[1], [str(p) for p in offered])

    def put(self, digest: str, state: NumberState) -> None:
        """Store the state of a number."""
        values = {
            "stopped": state.stopped,
            "language": state.language,
            "offered": json.dumps(state.offered),
            "updated": sa.func.now(),
        }
        insert = _UPSERTS[self.engine.dialect.name](NUMBERS).values(number_hash=digest, **values)
        with self.engine.begin() as db:
            db.execute(insert.on_conflict_do_update(index_elements=["number_hash"], set_=values))
