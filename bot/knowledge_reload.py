"""Reload the knowledge base of a running server, keeping the last good one.

A process loads the knowledge base once at start-up, where a broken file stops it
with file, line and field (see :mod:`bot.knowledge`). Afterwards, on access and at
most every ``$CARREFOUR_KB_RELOAD_SECONDS`` seconds (default 10, ``0`` turns
polling off), the names, sizes and modification times of the YAML files are
compared with those of the last load; on a change, or after SIGHUP, the whole
knowledge base is loaded again. A broken one is logged at ERROR level with its
file, line and field, and the last good one keeps serving until a later change
loads cleanly.

Checks happen on access rather than in a background thread: a process that
answers nobody has nothing to refresh.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType

from bot.knowledge import KnowledgeBase, KnowledgeError, knowledge_files, load_knowledge
from bot.paths import knowledge_dir

logger = logging.getLogger(__name__)

RELOAD_ENV = "CARREFOUR_KB_RELOAD_SECONDS"
DEFAULT_INTERVAL = 10.0

# (relative path, modification time in ns, size) of every file; None for a file that
# vanished between the listing and its stat.
Fingerprint = tuple[tuple[str, int | None, int | None], ...]


def reload_interval(environ: Mapping[str, str] | None = None) -> float:
    """Seconds between checks for changed files, from ``$CARREFOUR_KB_RELOAD_SECONDS``.

    Raises:
        ValueError: When the variable is not a number of seconds, zero or more: a
            mistyped setting stops start-up rather than silently changing behaviour.
    """
    raw = (os.environ if environ is None else environ).get(RELOAD_ENV, "").strip()
    if not raw:
        return DEFAULT_INTERVAL
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):  # also rejects NaN
        raise ValueError(f"{RELOAD_ENV} must be a number of seconds, 0 or more (got {raw!r})")
    return value


def fingerprint(folder: Path) -> Fingerprint:
    """Names, sizes and modification times of the files :func:`load_knowledge` reads."""
    entries: list[tuple[str, int | None, int | None]] = []
    try:
        files = knowledge_files(folder)
    except OSError:
        return ()
    for path in files:
        name = str(path.relative_to(folder))
        try:
            stat = path.stat()
        except OSError:
            entries.append((name, None, None))
            continue
        entries.append((name, stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


class KnowledgeReloader:
    """The current good knowledge base of a folder, reloaded when its files change.

    Args:
        folder: The knowledge folder; defaults to :func:`bot.paths.knowledge_dir`.
        interval: Seconds between checks for changes; 0 checks only after :meth:`request`.
            Defaults to ``$CARREFOUR_KB_RELOAD_SECONDS``.
        clock: Monotonic seconds (injectable so that tests need not sleep).
        loader: Loads a folder, raising :class:`KnowledgeError` on a problem.
    """

    def __init__(
        self,
        folder: Path | None = None,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        loader: Callable[[Path], KnowledgeBase] = load_knowledge,
    ) -> None:
        self.folder = folder or knowledge_dir()
        self.interval = reload_interval() if interval is None else interval
        self._clock = clock
        self._loader = loader
        self._kb: KnowledgeBase | None = None
        self._seen: Fingerprint = ()
        self._checked = 0.0
        # Set by the signal handler, which must not take the lock: it runs in the
        # main thread, possibly in the middle of a reload holding it.
        self._requested = False
        self._lock = threading.Lock()

    def current(self) -> KnowledgeBase:
        """The last good knowledge base, reloaded first if its files changed or SIGHUP came.

        Raises:
            KnowledgeError: Only on the first load: a process never starts on a broken
                knowledge base.
        """
        kb = self._kb
        if kb is None:
            with self._lock:
                kb = self._kb
                if kb is None:
                    self._seen = fingerprint(self.folder)
                    kb = self._kb = self._loader(self.folder)
                    self._checked = self._clock()
            return kb
        if self._due() and self._lock.acquire(blocking=False):
            # Another thread already reloading serves the previous one meanwhile.
            try:
                kb = self._refresh(kb)
            finally:
                self._lock.release()
        return kb

    def request(self) -> None:
        """Reload at the next access, changed or not (what SIGHUP does)."""
        self._requested = True

    def handle_signal(self, signum: int, frame: FrameType | None) -> None:
        """Signal handler: only flags the reload, which the next access performs."""
        self.request()

    def _due(self) -> bool:
        if self._requested:
            return True
        return self.interval > 0 and self._clock() - self._checked >= self.interval

    def _refresh(self, kb: KnowledgeBase) -> KnowledgeBase:
        """Reload when requested or when the files changed; keep ``kb``, the last good, on error."""
        requested, self._requested = self._requested, False
        self._checked = self._clock()
        # Taken before loading: a file written during the load changes it again, so
        # the next check loads the finished file.
        seen = fingerprint(self.folder)
        if not requested and seen == self._seen:
            return kb
        self._seen = seen
        reason = "SIGHUP" if requested else "files changed"
        started = time.perf_counter()
        try:
            fresh = self._loader(self.folder)
        except KnowledgeError as exc:
            # The knowledge base is configuration, not personal data: its place is logged.
            logger.error(
                "Knowledge base not reloaded (%s), still serving the last good one: %s",
                reason,
                exc,
                extra={"kb_file": exc.file, "kb_line": exc.line, "kb_field": exc.field},
            )
            return kb
        except Exception:
            # A running server keeps answering whatever the loader trips on.
            logger.exception(
                "Knowledge base not reloaded (%s), still serving the last good one", reason
            )
            return kb
        self._kb = fresh
        logger.info(
            "Knowledge base reloaded (%s): %d services from %d files in %.2fs",
            reason,
            len(fresh.services),
            len(seen),
            time.perf_counter() - started,
        )
        return fresh


_shared: KnowledgeReloader | None = None
_shared_lock = threading.Lock()


def shared_reloader() -> KnowledgeReloader:
    """The process's reloader of the default knowledge folder."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = KnowledgeReloader()
    return _shared


def install_sighup_handler(reloader: KnowledgeReloader | None = None) -> bool:
    """Make SIGHUP reload the knowledge base (by default the shared one).

    Returns:
        Whether the handler was installed: only the main thread of a process can, and
        not on platforms without SIGHUP.
    """
    if not hasattr(signal, "SIGHUP") or threading.current_thread() is not threading.main_thread():
        return False
    signal.signal(signal.SIGHUP, (reloader or shared_reloader()).handle_signal)
    return True
