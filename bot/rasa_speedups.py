"""Performance fixes for the Rasa server process.

Rasa 3.6 validates every action-server response with ``jsonschema.validate``,
which re-checks the schema itself against the draft meta-schema on every call:
profiling (py-spy, ``make run``) showed it took about 70% of the time of a turn.
The response schema never changes, so one validator is built once and reused.

Rasa's SQL tracker store commits twice or more per message, synchronously, inside
the event loop; with SQLite's default rollback journal each commit waits for
``fsync``, and every conversation waits with it: profiling ``make bench`` at 10
concurrent conversations showed the commits took about a quarter of the server's
time. SQLite connections of the tracker store therefore use write-ahead logging
with ``synchronous=NORMAL``: a commit appends to the log without ``fsync`` (the
log is synced at checkpoints), the database stays consistent after a crash of the
process or of the machine, and only the last transactions before a power loss can
be lost, which a conversation survives.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

import jsonschema
import sqlalchemy
import sqlalchemy.orm
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.constants import DOCS_BASE_URL

_PATCHED = "_carrefour_speedups"


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    return jsonschema.validators.validator_for(schema)(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    error = jsonschema.exceptions.best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response "
        f"from the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def sqlite_pragmas(connection: Any, _record: Any = None) -> None:
    """Write-ahead log, no ``fsync`` per commit: set on each new SQLite connection."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _with_sqlite_pragmas(init: Callable[..., None]) -> Callable[..., None]:
    @wraps(init)
    def patched(self: SQLTrackerStore, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if self.engine.dialect.name != "sqlite":
            return
        url = self.engine.url
        self.engine.dispose()
        # A pool that keeps its connections: SQLAlchemy 1.4 opens and closes a SQLite
        # file per session otherwise, and closing the last connection to a WAL database
        # checkpoints it with an fsync. Rasa uses the store from its event loop only;
        # the pool hands a connection to one user at a time.
        self.engine = sqlalchemy.create_engine(
            url,
            poolclass=sqlalchemy.pool.QueuePool,
            pool_size=2,
            max_overflow=8,
            connect_args={"check_same_thread": False},
        )
        sqlalchemy.event.listen(self.engine, "connect", sqlite_pragmas)
        self.sessionmaker = sqlalchemy.orm.sessionmaker(bind=self.engine)

    setattr(patched, _PATCHED, True)
    return patched


def apply() -> None:
    """Install the fixes (idempotent)."""
    RemoteAction._validate_action_result = _validate_action_result
    if not getattr(SQLTrackerStore.__init__, _PATCHED, False):
        SQLTrackerStore.__init__ = _with_sqlite_pragmas(SQLTrackerStore.__init__)
