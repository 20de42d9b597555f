"""The production profile on loopback (``make test-cluster``): state, failover, faults, privacy.

``scripts/cluster.sh start`` runs PostgreSQL, Redis, nginx, two Rasa servers and two
action servers, and describes them in ``.run-cluster/cluster.json``. Without one these
tests are skipped, unless ``CARREFOUR_REQUIRE_CLUSTER=1`` (``make test-cluster``).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from bot.paths import REPO_ROOT
from scripts.sms_simulator import send

pytestmark = pytest.mark.cluster

CLUSTER = REPO_ROOT / "scripts" / "cluster.sh"
LANGS = ["en", "fr"]
FALLBACK_REASON = "assistant_unavailable"


@dataclass
class Cluster:
    public: str
    rasa: dict[str, str]
    actions: dict[str, str]
    database: str
    run_dir: Path
    token: str = field(repr=False)
    db_password: str = field(repr=False)

    def say(self, base: str, sender: str, text: str, lang: str | None = None) -> list[dict]:
        body: dict[str, Any] = {"sender": sender, "message": text}
        if lang:
            body["metadata"] = {"language": lang}
        reply = requests.post(f"{base}/webhooks/rest/webhook", json=body, timeout=60)
        assert reply.status_code == 200, reply.text
        messages: list[dict] = reply.json()
        return messages

    def stored_user_texts(self, sender: str, server: str = "rasa-2") -> list[str]:
        reply = requests.get(
            f"{self.rasa[server]}/conversations/{sender}/tracker",
            params={"token": self.token},
            timeout=30,
        )
        reply.raise_for_status()
        return [e["text"] for e in reply.json()["events"] if e["event"] == "user"]

    def control(self, verb: str, name: str) -> None:
        env = {**os.environ, "CARREFOUR_CLUSTER_DIR": str(self.run_dir)}
        subprocess.run([str(CLUSTER), verb, name], check=True, env=env, timeout=300)

    def engine(self) -> sa.engine.Engine:
        url = self.database.replace("carrefour@", f"carrefour:{self.db_password}@", 1)
        return sa.create_engine(url)


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    run_dir = Path(os.environ.get("CARREFOUR_CLUSTER_DIR", REPO_ROOT / ".run-cluster"))
    described = run_dir / "cluster.json"
    if not described.is_file():
        if os.environ.get("CARREFOUR_REQUIRE_CLUSTER") == "1":
            pytest.fail(f"no cluster at {run_dir}: run scripts/cluster.sh start")
        pytest.skip("no cluster running (make test-cluster starts one)")
    data = json.loads(described.read_text())
    return Cluster(
        public=data["public"],
        rasa=data["rasa"],
        actions=data["actions"],
        database=data["database"],
        run_dir=run_dir,
        token=(run_dir / "token").read_text().strip(),
        db_password=(run_dir / "db-password").read_text().strip(),
    )


def sender() -> str:
    return f"cluster-{uuid.uuid4().hex[:12]}"


def payloads(messages: list[dict]) -> list[dict]:
    return [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]


def referred(messages: list[dict]) -> list[str]:
    return [
        r["service_id"]
        for p in payloads(messages)
        if p.get("type") == "referral"
        for r in p["referrals"]
    ]


CONVERSATION = {
    "en": ["I need to renew my health card", "Ontario", "what documents do I need"],
    "fr": ["je dois renouveler ma carte santé", "Ontario", "quels documents dois-je apporter"],
}


@pytest.mark.parametrize("lang", LANGS)
def test_a_conversation_alternating_between_rasa_servers_keeps_its_state(
    cluster: Cluster, lang: str
) -> None:
    who = sender()
    servers = itertools.cycle([cluster.rasa["rasa-1"], cluster.rasa["rasa-2"]])
    first, second, third = (
        cluster.say(next(servers), who, text, lang) for text in CONVERSATION[lang]
    )
    assert [p.get("slot") for p in payloads(first) if p["type"] == "ask"] == ["location"]
    assert referred(second)[:1] == ["ca-on.health-card"], "the second server knew the need"
    assert "ca-on.health-card" in referred(third), "the first server knew the place"
    assert all(p.get("language") == lang for p in payloads(third) if "language" in p)
    for server in cluster.rasa:
        assert cluster.stored_user_texts(who, server) == CONVERSATION[lang]


def test_an_sms_choice_offered_by_one_server_is_understood_by_the_other(cluster: Cluster) -> None:
    """The SMS state (numbered choices) is shared through PostgreSQL."""
    number = f"+1555{uuid.uuid4().int % 10_000_000:07d}"
    token = os.environ.get("TWILIO_AUTH_TOKEN", "local-test-token")
    first, second = (f"{cluster.rasa[name]}/webhooks/twilio/webhook" for name in cluster.rasa)
    offer = send(first, token, number, "which card")
    assert offer and re.search(r"^2\. ", offer[0], re.MULTILINE), offer
    option = re.search(r"^2\. (.+)$", offer[0], re.MULTILINE)
    assert option is not None
    answer = send(second, token, number, "2")
    assert answer and option.group(1).split()[0] in answer[0], (offer, answer)


def test_messages_of_one_conversation_sent_at_once_to_both_servers_are_taken_in_turn(
    cluster: Cluster,
) -> None:
    """The Redis lock store: two servers never work on one conversation at the same time."""
    texts = ["I lost my passport", "I live in Halifax"]
    senders = [sender() for _ in range(40)]
    jobs = [(server, who, text) for who in senders for server, text in zip(
        cluster.rasa.values(), texts, strict=True
    )]  # fmt: skip
    with ThreadPoolExecutor(len(jobs)) as pool:
        replies = list(pool.map(lambda job: cluster.say(*job), jobs))
    assert all(replies), "every message was answered"
    for who in senders:
        response = requests.get(
            f"{cluster.rasa['rasa-1']}/conversations/{who}/tracker",
            params={"token": cluster.token},
            timeout=30,
        )
        events = response.json()["events"]
        assert sorted(e["text"] for e in events if e["event"] == "user") == sorted(texts)
        # Each message was answered before the other was read: user, bot..., user, bot...
        kinds = [e["event"] for e in events if e["event"] in ("user", "bot")]
        first_bot = kinds.index("bot")
        assert kinds.index("user") < first_bot < len(kinds) - 1 - kinds[::-1].index("user")


def test_personal_information_is_not_in_the_database(cluster: Cluster) -> None:
    who = sender()
    secrets = {
        "sin": "046 454 286",
        "card": "4111 1111 1111 1111",
        "email": "marie.tremblay@example.com",
        "phone": "613-555-0142",
        "address": "123 Rue Principale",
    }
    cluster.say(cluster.public, who, f"My SIN is {secrets['sin']} and I lost my SIN card")
    cluster.say(cluster.public, who, f"I live at {secrets['address']}, K1A 0B1, Ottawa")
    cluster.say(
        cluster.public,
        who,
        f"call me at {secrets['phone']} or {secrets['email']}, card {secrets['card']}",
    )
    with cluster.engine().connect() as connection:
        rows = connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :who"), {"who": who}
        ).fetchall()
    stored = "\n".join(row[0] for row in rows)
    assert len(rows) > 6 and "K1A" in stored, "the conversation and its FSA were stored"
    for name, value in secrets.items():
        digits = "".join(ch for ch in value if ch.isdigit())
        assert value not in stored, name
        if len(digits) >= 8:
            assert digits not in stored.replace(" ", "").replace("-", ""), name
    assert "K1A 0B1" not in stored and "K1A0B1" not in stored


@pytest.mark.parametrize(("lang", "need", "place", "fault"), [
    ("en", "I need to renew my health card", "I live in Quebec", "pause"),
    ("fr", "je dois renouveler ma carte santé", "j'habite au Québec", "kill"),
], ids=["en-slow", "fr-down"])  # fmt: skip
def test_without_action_servers_the_citizen_gets_the_general_line_in_time_then_resumes(
    cluster: Cluster, lang: str, need: str, place: str, fault: str
) -> None:
    who = sender()
    for name in cluster.actions:
        cluster.control(fault, name)
    try:
        for text in (place, need):
            started = time.monotonic()
            messages = cluster.say(cluster.public, who, text, lang)
            elapsed = time.monotonic() - started
            assert elapsed < 2.0, f"answered in {elapsed:.2f} s"
            handoffs = [p for p in payloads(messages) if p.get("reason") == FALLBACK_REASON]
            assert handoffs, messages
            assert handoffs[0]["number"] == "+1-877-644-4545", "Services Québec's line"
            assert "877-644-4545" in messages[0]["text"]
    finally:
        for name in cluster.actions:
            cluster.control("resume" if fault == "pause" else "restart", name)
    # Each Rasa server tries the action servers again after its retry period (5 s).
    for server in cluster.rasa.values():
        deadline = time.monotonic() + 30
        while True:
            messages = cluster.say(server, who, need, lang)
            if "ca-qc.health-card" in referred(messages) or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert referred(messages)[:1] == ["ca-qc.health-card"], "kept the place given earlier"
    stored = cluster.stored_user_texts(who)
    assert stored[:2] == [place, need] and set(stored[2:]) == {need}


@dataclass
class Exchange:
    sender: str
    text: str
    status: int
    answered: bool
    fallback: bool
    seconds: float


CONVERSATIONS = [
    ["I lost my passport", "what documents do I need"],
    ["renouveler ma carte soleil", "combien de temps ça prend"],
    ["my garbage wasn't picked up", "Ottawa"],
    ["need ei pls", "how do I apply"],
    ["permis de conduire", "Montréal"],
    ["I had a baby", "Manitoba"],
    ["mon père est décédé", "Nouveau-Brunswick"],
    ["I'm moving to Alberta", "driver's licence"],
]


def converse(base: str, stop: threading.Event, log: list[Exchange]) -> None:
    for turns in itertools.cycle(CONVERSATIONS):
        if stop.is_set():
            return
        who = sender()
        for text in turns:
            started = time.monotonic()
            try:
                reply = requests.post(
                    f"{base}/webhooks/rest/webhook",
                    json={"sender": who, "message": text},
                    timeout=60,
                )
                messages = reply.json() if reply.status_code == 200 else []
                status = reply.status_code
            except requests.RequestException:
                messages, status = [], 0
            fallback = any(p.get("reason") == FALLBACK_REASON for p in payloads(messages))
            log.append(
                Exchange(who, text, status, bool(messages), fallback, time.monotonic() - started)
            )


@pytest.fixture
def restart_after(cluster: Cluster) -> Iterator[list[str]]:
    killed: list[str] = []
    yield killed
    for name in killed:
        cluster.control("restart", name)


def test_killing_one_rasa_and_one_action_server_mid_conversation_loses_no_message(
    cluster: Cluster, restart_after: list[str]
) -> None:
    stop = threading.Event()
    log: list[Exchange] = []
    workers = [
        threading.Thread(target=converse, args=(cluster.public, stop, log)) for _ in range(8)
    ]
    for worker in workers:
        worker.start()
    time.sleep(6)
    before = len(log)
    for name in ("rasa-1", "actions-1"):
        cluster.control("kill", name)
        restart_after.append(name)
    time.sleep(14)
    stop.set()
    for worker in workers:
        worker.join(timeout=120)
    assert before > 20 and len(log) - before > 20, "messages flowed before and after the kill"
    failed = [e for e in log if not e.answered]
    assert not failed, f"{len(failed)} of {len(log)} messages unanswered: {failed[:3]}"
    assert not [e for e in log if e.fallback], "the other action server answered every call"
    sent: dict[str, list[str]] = {}
    for exchange in log:
        sent.setdefault(exchange.sender, []).append(exchange.text)
    # A message whose server died after storing it but before answering is sent again
    # by nginx and stored twice, back to back: nothing is lost, nothing reordered.
    for who, texts in sent.items():
        stored = cluster.stored_user_texts(who)
        assert [t for i, t in enumerate(stored) if i == 0 or t != stored[i - 1]] == texts, who


def test_retention_deletes_old_conversations_from_postgresql(cluster: Cluster) -> None:
    """Last: it deletes every conversation of the cluster."""
    who = sender()
    cluster.say(cluster.public, who, "I lost my passport")
    assert cluster.stored_user_texts(who)
    url = cluster.database.replace("carrefour@", f"carrefour:{cluster.db_password}@", 1)
    done = subprocess.run(
        [sys.executable, "-m", "bot.tracker_store", "--older-than-days", "0"],
        env={**os.environ, "CARREFOUR_RETENTION_URL": url},
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    )
    assert "Deleted" in done.stdout and cluster.db_password not in done.stdout
    with cluster.engine().connect() as connection:
        left = connection.execute(sa.text("SELECT count(*) FROM events")).scalar()
    assert left == 0
