"""The redacting tracker store writes no personal information; retention deletes old trackers."""

from __future__ import annotations

import asyncio
import functools
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import tracker_store
from bot.tracker_store import RedactingSQLTrackerStore, delete_older_than

# Rasa warns about slot auto-fill for any domain with slots, mappings or not.
pytestmark = pytest.mark.filterwarnings("ignore:Slot auto-fill:UserWarning")


@functools.cache
def _domain() -> Domain:
    return Domain.from_dict({"slots": {"town": {"type": "text", "mappings": [{"type": "custom"}]}}})


PII = [
    "046 454 286",
    "046454286",
    "1234-567-890",
    "TREM 1234 5678",
    "4111 1111 1111 1111",
    "4111111111111111",
    "(613) 555-0147",
    "555-0147",
    "jean.tremblay@example.ca",
    "0B1",
    "45 Main St",
    "123 rue Principale",
    "819.555.0199",
]
KEPT = ["Ottawa", "Gatineau", "K1A", "J8X", "ON"]

MESSAGES = [
    "My SIN is 046 454 286 and my OHIP number is 1234-567-890-AB",
    "ma carte soleil TREM 1234 5678, mon NAS 046454286",
    "my card 4111 1111 1111 1111 was stolen",
    "call me at (613) 555-0147 or jean.tremblay@example.ca",
    "I live at 45 Main St, apt 4, Ottawa ON K1A 0B1",
    "j'habite au 123 rue Principale à Gatineau J8X 1A2, téléphone 819.555.0199",
]


def _store(path: Path) -> RedactingSQLTrackerStore:
    return RedactingSQLTrackerStore(domain=_domain(), dialect="sqlite", db=str(path))


def _tracker(sender: str, timestamp: float | None = None) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, _domain().slots)
    for text in MESSAGES:
        parse_data: dict[str, Any] = {
            "intent": {"name": "ask", "confidence": 1.0},
            "entities": [{"entity": "place", "value": text, "start": 0, "end": len(text)}],
        }
        tracker.update(
            UserUttered(
                text,
                parse_data["intent"],
                parse_data["entities"],
                parse_data,
                timestamp=timestamp,
                metadata={"location": text},
            )
        )
        tracker.update(SlotSet("town", text, timestamp=timestamp))
        tracker.update(ActionExecuted("action_answer", timestamp=timestamp))
        tracker.update(BotUttered("Call 1-800-622-6232", timestamp=timestamp))
    return tracker


def _raw(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_stored_trackers_hold_no_pii(tmp_path: Path) -> None:
    db = tmp_path / "trackers.db"
    store = _store(db)
    tracker = _tracker("citizen")
    asyncio.run(store.save(tracker))
    raw = _raw(db)
    assert raw.count(b"[SIN]") >= 2
    for text in PII:
        assert text.encode() not in raw, text
    for text in KEPT:
        assert text.encode() in raw, text
    # The bot's own numbers are not what a citizen typed: they stay.
    assert b"1-800-622-6232" in raw
    # The tracker in memory, which answers the current turn, is untouched.
    assert tracker.latest_message is not None
    assert "819.555.0199" in (tracker.latest_message.text or "")
    stored = asyncio.run(store.retrieve("citizen"))
    assert stored is not None
    assert len(stored.events) == len(tracker.events)
    assert stored.get_slot("town") == tracker.get_slot("town").replace(
        "123 rue Principale", "[ADDRESS]"
    ).replace("J8X 1A2", "J8X [POSTAL_CODE]").replace("819.555.0199", "[PHONE]")
    store.engine.dispose()


def test_saving_twice_appends_only_new_events(tmp_path: Path) -> None:
    db = tmp_path / "trackers.db"
    store = _store(db)
    tracker = _tracker("citizen")
    asyncio.run(store.save(tracker))
    tracker.update(UserUttered("SIN 046 454 286", {"name": "ask", "confidence": 1.0}))
    asyncio.run(store.save(tracker))
    stored = asyncio.run(store.retrieve("citizen"))
    assert stored is not None
    assert len(stored.events) == len(tracker.events)
    assert stored.latest_message is not None and stored.latest_message.text == "SIN [SIN]"
    store.engine.dispose()


def test_events_published_to_a_broker_are_redacted(tmp_path: Path) -> None:
    published: list[dict[str, Any]] = []

    class Broker:
        def publish(self, event: dict[str, Any]) -> None:
            published.append(event)

    store = RedactingSQLTrackerStore(
        domain=_domain(), dialect="sqlite", db=str(tmp_path / "t.db"), event_broker=Broker()
    )
    asyncio.run(store.save(_tracker("citizen")))
    text = repr(published)
    assert published and "[SIN]" in text
    for pii in PII:
        assert pii not in text, pii
    store.engine.dispose()


def test_sqlite_speedups_still_apply(tmp_path: Path) -> None:
    store = _store(tmp_path / "trackers.db")
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.engine.dispose()


def test_retention_deletes_old_conversations_only(tmp_path: Path) -> None:
    db = tmp_path / "trackers.db"
    store = _store(db)
    now = time.time()
    asyncio.run(store.save(_tracker("old", timestamp=now - 40 * 86400)))
    asyncio.run(store.save(_tracker("recent", timestamp=now - 2 * 86400)))
    store.engine.dispose()
    engine = sa.create_engine(f"sqlite:///{db}")
    assert delete_older_than(engine, 30, now=now) == 1
    with engine.connect() as connection:
        senders = {row[0] for row in connection.exec_driver_sql("SELECT sender_id FROM events")}
    assert senders == {"recent"}
    assert delete_older_than(engine, 30, now=now) == 0
    engine.dispose()


def test_retention_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "trackers.db"
    store = _store(db)
    asyncio.run(store.save(_tracker("old", timestamp=time.time() - 10 * 86400)))
    store.engine.dispose()
    monkeypatch.setenv(tracker_store.RETENTION_ENV, "30")
    assert tracker_store.main(["--db", str(db)]) == 0
    assert "Deleted 0 conversation(s)" in capsys.readouterr().out
    assert tracker_store.main(["--db", str(db), "--older-than-days", "7"]) == 0
    assert "Deleted 1 conversation(s)" in capsys.readouterr().out
    assert tracker_store.main(["--db", str(tmp_path / "missing.db")]) == 1
