"""A SQL tracker store that redacts personal information, and the retention command.

``RedactingSQLTrackerStore`` is Rasa's ``SQLTrackerStore`` (with the SQLite fixes of
:mod:`bot.rasa_speedups`) whose events go through :func:`bot.privacy.redact` on the
way out of the process: ``_additional_events`` yields the events ``save`` writes,
and ``_stream_new_events`` the events ``stream_events`` publishes to an event broker
(none is configured; one added to ``endpoints.yml`` only ever gets redacted events).
What is redacted is what citizens send: the text, parse data and metadata of user
events, entity values, and slot values. The current turn is answered from the
unredacted message in memory; the actions read the previous turns only through
slots (province, municipality, postal FSA...), which redaction keeps.

Retention, from a shell (the default number of days is ``$CARREFOUR_RETENTION_DAYS``,
else 30; the default database is ``$CARREFOUR_RETENTION_URL`` (any SQLAlchemy URL:
PostgreSQL in the production profile), else the SQLite file
``$CARREFOUR_RUN_DIR/trackers.db``, else ``.run/trackers.db``)::

    python -m bot.tracker_store --older-than-days 30 [--db .run/trackers.db | --url URL]

deletes every conversation whose last event is older than that.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import EntitiesAdded, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_speedups
from bot.privacy import install_log_redaction, redact, redact_value

RETENTION_ENV = "CARREFOUR_RETENTION_DAYS"
URL_ENV = "CARREFOUR_RETENTION_URL"
DEFAULT_RETENTION_DAYS = 30
SECONDS_PER_DAY = 86400


def redact_event(event: Event) -> Event:
    """A copy of the event without the personal information a citizen sent (or the event)."""
    if isinstance(event, UserUttered):
        redacted = copy.copy(event)
        redacted.text = redact(event.text) if event.text else event.text
        redacted.parse_data = redact_value(event.parse_data)
        redacted.entities = redact_value(event.entities)
        redacted.metadata = redact_value(event.metadata)
        return redacted
    if isinstance(event, SlotSet):
        redacted_slot = copy.copy(event)
        redacted_slot.value = redact_value(event.value)
        return redacted_slot
    if isinstance(event, EntitiesAdded):
        redacted_entities = copy.copy(event)
        redacted_entities.entities = redact_value(event.entities)
        return redacted_entities
    return event


class RedactingSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store, storing and publishing redacted events only.

    Rasa builds it from ``endpoints.yml`` (``type: bot.tracker_store.RedactingSQLTrackerStore``)
    with ``domain``, ``host``, ``event_broker`` and the section's other keys (``dialect``,
    ``db``...). Building it also installs the log redaction of :mod:`bot.privacy` in
    the Rasa server's process.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The channels apply the speedups first when Rasa loads them; a store built
        # elsewhere (tests, scripts) gets them too.
        rasa_speedups.apply()
        install_log_redaction()
        super().__init__(*args, **kwargs)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        return (redact_event(event) for event in super()._additional_events(session, tracker))

    async def _stream_new_events(
        self, event_broker: EventBroker, new_events: list[Event], sender_id: str
    ) -> None:
        await super()._stream_new_events(
            event_broker, [redact_event(event) for event in new_events], sender_id
        )


def delete_older_than(engine: sa.engine.Engine, days: float, now: float | None = None) -> int:
    """Delete the conversations whose last event is older than ``days``.

    Args:
        engine: The tracker store's database.
        days: The retention period.
        now: The current time (Unix seconds); the clock's by default.

    Returns:
        How many conversations were deleted.
    """
    cutoff = (time.time() if now is None else now) - days * SECONDS_PER_DAY
    events = SQLTrackerStore.SQLEvent.__table__
    expired = (
        sa.select(events.c.sender_id)
        .group_by(events.c.sender_id)
        .having(sa.func.max(events.c.timestamp) < cutoff)
    )
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            # Deleted rows would otherwise stay readable in the file's free pages.
            connection.exec_driver_sql("PRAGMA secure_delete=ON")
        senders = [row[0] for row in connection.execute(expired)]
        for batch in _batches(senders, 500):
            connection.execute(sa.delete(events).where(events.c.sender_id.in_(batch)))
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            # Older copies of the pages may still sit in the write-ahead log.
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return len(senders)


def _batches(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _default_db() -> str:
    return os.path.join(os.environ.get("CARREFOUR_RUN_DIR", ".run"), "trackers.db")


def main(argv: Sequence[str] | None = None) -> int:
    """Delete old conversations from the SQLite tracker store; print how many."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.tracker_store",
        description="Delete conversations whose last event is older than N days.",
    )
    parser.add_argument(
        "--older-than-days",
        type=float,
        default=float(os.environ.get(RETENTION_ENV, DEFAULT_RETENTION_DAYS)),
        help=f"retention period in days (default: ${RETENTION_ENV}, else "
        f"{DEFAULT_RETENTION_DAYS})",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db", help=f"the SQLite file (default: {_default_db()})")
    where.add_argument(
        "--url",
        default=os.environ.get(URL_ENV),
        help=f"the database as a SQLAlchemy URL, e.g. postgresql://... (default: ${URL_ENV}); "
        "prefer the variable: a password on the command line is visible to other users",
    )
    args = parser.parse_args(argv)
    if args.older_than_days < 0:
        parser.error("--older-than-days must not be negative")
    if args.db or not args.url:
        db = args.db or _default_db()
        if not os.path.exists(db):
            print(f"No tracker store at {db}.", file=sys.stderr)
            return 1
        url, shown = f"sqlite:///{db}", db
    else:
        url = args.url
        shown = sa.engine.make_url(url).render_as_string(hide_password=True)
    engine = sa.create_engine(url)
    try:
        deleted = delete_older_than(engine, args.older_than_days)
    except sa.exc.SQLAlchemyError as exc:
        print(f"Could not delete from {shown}: {type(exc).__name__}.", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    days = args.older_than_days
    print(f"Deleted {deleted} conversation(s) older than {days:g} days from {shown}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
