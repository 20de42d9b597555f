"""Shared fixtures: the real knowledge base, and trackers built the way Rasa sends them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker

from bot.contract import Contract, contract_dir, load_contract
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.understanding import Understanding

LANGS = ["en", "fr"]


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture(scope="session")
def payload_schema() -> dict[str, Any]:
    return json.loads((contract_dir() / "referral-payload.schema.json").read_text())


TrackerFactory = Callable[..., Tracker]


@pytest.fixture
def tracker_factory() -> TrackerFactory:
    """Build a rasa-sdk tracker whose latest message has the given text, intent and kinds."""

    def make(
        text: str = "",
        intent: str | None = None,
        language: str = "en",
        slots: dict[str, Any] | None = None,
        kinds: list[tuple[str, float]] | None = None,
        events: list[tuple[str, float]] | None = None,
        entities: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        history: int = 1,
    ) -> Tracker:
        all_slots = {"language": language, **(slots or {})}
        latest = {
            "text": text,
            "intent": {"name": intent, "confidence": 0.9} if intent else {},
            "entities": entities or [],
            "carrefour": Understanding(kinds or [], events or []).as_dict(),
        }
        user_events = [
            {"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}}
            for _ in range(history)
        ]
        return Tracker(
            sender_id="test",
            slots=all_slots,
            latest_message=latest,
            events=user_events,
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )

    return make


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
