"""Locust load for ``make bench``: each simulated user is one conversation at a time.

A user picks a conversation of the held-out set (``tests/eval/cases.yml``, both
languages, single and multi-turn: questions, follow-ups, a place), sends its turns
in order under a fresh sender id through ``POST /webhooks/rest/webhook``, then starts
the next conversation. Closed loop with no think time: a user sends its next
message as soon as the reply arrives, so N users are N concurrent conversations.

A request fails on a non-2xx status, an exception, or an empty reply (no bot message).

Runs in ``.venv-bench`` (Locust's own packages); ``scripts/bench.py`` extracts the
conversations to the JSON file named by ``$BENCH_CONVERSATIONS``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from typing import Any

from locust import HttpUser, constant, task

WEBHOOK = "/webhooks/rest/webhook"


def _conversations() -> list[list[str]]:
    with open(os.environ["BENCH_CONVERSATIONS"], encoding="utf-8") as handle:
        loaded: list[list[str]] = json.load(handle)
    return loaded


CONVERSATIONS = _conversations()
_USERS = itertools.count()


class Conversation(HttpUser):
    """One citizen after another, each a conversation of one to three turns."""

    wait_time = constant(0)

    def on_start(self) -> None:
        """Seed per user so that every run draws the same conversations in the same order."""
        self._random = random.Random(f"{os.environ.get('BENCH_SEED', '0')}-{next(_USERS)}")

    @task
    def converse(self) -> None:
        """Send one whole conversation, turn by turn."""
        sender = f"bench-{uuid.uuid4().hex}"
        for text in self._random.choice(CONVERSATIONS):
            with self.client.post(
                WEBHOOK,
                json={"sender": sender, "message": text},
                name=WEBHOOK,
                catch_response=True,
            ) as response:
                if not 200 <= response.status_code < 300:
                    response.failure(f"HTTP {response.status_code}")
                    return
                try:
                    messages: Any = response.json()
                except ValueError:
                    response.failure("reply is not JSON")
                    return
                if not isinstance(messages, list) or not messages:
                    response.failure("empty reply")
                    return
                response.success()
