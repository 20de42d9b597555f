"""``make soak``: many conversations for a long time against the loopback cluster.

Runs against the production profile started by ``scripts/cluster.sh start`` (``make
soak`` starts and stops it): nginx, two Rasa servers, two action servers,
PostgreSQL and Redis. Each of ``--conversations`` simulated citizens holds one
conversation at a time: a conversation of the held-out set (``tests/eval/cases.yml``,
both languages, one to three turns) under a new sender id, turn by turn through
nginx, thinking 1 to 3 s between messages (reading the answer, typing the next),
for ``--minutes``.

Every message is accounted for:

- sent: every request made;
- answered: HTTP 200 with at least one bot message (``fallback`` counts the answers
  that were the general line because an action call failed);
- stored: the user messages of the run's senders found in PostgreSQL afterwards.

The memory of each server (resident and proportional set) is read every ``--sample``
seconds; its growth is the mean of the last fifth of the run against the mean of the
second fifth (the first is warm-up). Writes ``results/soak.json`` and ``docs/soak.md``,
and exits 1 when a message was not answered or not stored, or the proportional memory
of a Rasa or action server grew by more than ``--max-growth`` percent.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine_info, pss_mb, rss_mb  # noqa: E402

WEBHOOK = "/webhooks/rest/webhook"
FALLBACK_REASON = "assistant_unavailable"
SERVERS = ("rasa-1", "rasa-2", "actions-1", "actions-2")


@dataclass
class Tally:
    """What happened to the messages of the run."""

    sent: int = 0
    answered: int = 0
    fallback: int = 0
    failed: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    per_sender: dict[str, int] = field(default_factory=dict)


def conversations() -> list[list[str]]:
    """The turns of every held-out conversation."""
    cases = yaml.safe_load((ROOT / "tests" / "eval" / "cases.yml").read_text(encoding="utf-8"))
    return [case["turns"] for case in cases["cases"]]


def server_pids(run_dir: Path) -> dict[str, int]:
    """The process ids of the cluster's servers (each with its children)."""
    pids: dict[str, int] = {}
    files = {name: run_dir / f"{name}.pid" for name in SERVERS}
    files |= {"nginx": run_dir / "nginx" / "nginx.pid", "redis": run_dir / "redis.pid"}
    files["postgresql"] = run_dir / "pg" / "data" / "postmaster.pid"
    for name, path in files.items():
        if path.is_file():
            pids[name] = int(path.read_text().split()[0])
    return pids


async def citizen(
    session: aiohttp.ClientSession,
    url: str,
    run_id: str,
    number: int,
    deadline: float,
    pool: list[list[str]],
    tally: Tally,
) -> None:
    """One simulated citizen: conversations one after another until the deadline."""
    rng = random.Random(f"{run_id}-{number}")
    while time.monotonic() < deadline:
        sender = f"soak-{run_id}-{number}-{uuid.uuid4().hex[:8]}"
        for text in rng.choice(pool):
            await asyncio.sleep(rng.uniform(1.0, 3.0))
            tally.sent += 1
            tally.per_sender[sender] = tally.per_sender.get(sender, 0) + 1
            started = time.perf_counter()
            try:
                async with session.post(url, json={"sender": sender, "message": text}) as reply:
                    messages = await reply.json() if reply.status == 200 else []
                    status = str(reply.status)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                messages, status = [], type(exc).__name__
            tally.latencies_ms.append((time.perf_counter() - started) * 1000)
            if not messages:
                tally.failed.append(status)
                continue
            tally.answered += 1
            if any(
                isinstance(m.get("custom"), dict) and m["custom"].get("reason") == FALLBACK_REASON
                for m in messages
            ):
                tally.fallback += 1


async def sample_memory(
    pids: dict[str, int], every: float, deadline: float, samples: list[dict[str, float]]
) -> None:
    """Read each server's resident memory every ``every`` seconds until the deadline."""
    started = time.monotonic()
    while True:
        sample = {"t": round(time.monotonic() - started, 1)}
        for name, pid in pids.items():
            sample[name] = round(rss_mb(pid), 1)
            sample[f"{name} pss"] = round(pss_mb(pid), 1)
        samples.append(sample)
        if time.monotonic() >= deadline:
            return
        await asyncio.sleep(min(every, max(0.0, deadline - time.monotonic())))


def stored_user_messages(run_dir: Path, database: str, run_id: str) -> dict[str, int]:
    """How many user messages PostgreSQL holds for each sender of the run."""
    password = (run_dir / "db-password").read_text().strip()
    engine = sa.create_engine(database.replace("carrefour@", f"carrefour:{password}@", 1))
    query = sa.text(
        "SELECT sender_id, count(*) FROM events WHERE type_name = 'user' "
        "AND sender_id LIKE :prefix GROUP BY sender_id"
    )
    try:
        with engine.connect() as connection:
            rows = connection.execute(query, {"prefix": f"soak-{run_id}-%"}).fetchall()
    finally:
        engine.dispose()
    return {str(sender): int(count) for sender, count in rows}


def growth(samples: list[dict[str, float]], name: str) -> dict[str, float]:
    """Memory at the second fifth of the run against the last fifth (MB and %)."""
    values = [s[name] for s in samples if name in s]
    fifth = max(1, len(values) // 5)
    early = statistics.mean(values[fifth : 2 * fifth] or values[:1])
    late = statistics.mean(values[-fifth:])
    return {
        "early_mb": round(early, 1),
        "late_mb": round(late, 1),
        "max_mb": round(max(values), 1),
        "growth_pct": round((late - early) / early * 100, 2) if early else 0.0,
    }


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    """Run the load and the memory sampling; return the raw figures."""
    cluster = json.loads((args.cluster_dir / "cluster.json").read_text())
    pids = server_pids(args.cluster_dir)
    run_id = uuid.uuid4().hex[:8]
    tally = Tally()
    samples: list[dict[str, float]] = []
    pool = conversations()
    deadline = time.monotonic() + args.minutes * 60
    timeout = aiohttp.ClientTimeout(total=60)
    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=args.conversations)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(
            sample_memory(pids, args.sample, deadline, samples),
            *(
                citizen(session, cluster["public"] + WEBHOOK, run_id, n, deadline, pool, tally)
                for n in range(args.conversations)
            ),
        )
    elapsed = time.perf_counter() - started
    stored = stored_user_messages(args.cluster_dir, cluster["database"], run_id)
    missing = {
        sender: sent - stored.get(sender, 0)
        for sender, sent in tally.per_sender.items()
        if stored.get(sender, 0) != sent
    }
    return {
        "run_id": run_id,
        "finished_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "machine": machine_info(),
        "load_end": os.getloadavg(),
        "conversations": args.conversations,
        "minutes": args.minutes,
        "seconds": round(elapsed, 1),
        "senders": len(tally.per_sender),
        "sent": tally.sent,
        "answered": tally.answered,
        "fallback": tally.fallback,
        "failed": tally.failed,
        "stored": sum(stored.values()),
        "senders_not_matching": missing,
        "latency_ms": {
            "p50": round(percentile(tally.latencies_ms, 0.50), 1),
            "p95": round(percentile(tally.latencies_ms, 0.95), 1),
            "p99": round(percentile(tally.latencies_ms, 0.99), 1),
            "max": round(max(tally.latencies_ms), 1),
        },
        "messages_per_s": round(tally.sent / elapsed, 1),
        "memory": {name: growth(samples, name) for name in pids},
        "memory_pss": {name: growth(samples, f"{name} pss") for name in pids},
        "samples": samples,
    }


def verdict(result: dict[str, Any], max_growth: float) -> list[str]:
    """What failed, in words; empty when every message was accounted for."""
    problems = []
    if result["answered"] != result["sent"]:
        problems.append(f"{result['sent'] - result['answered']} message(s) not answered")
    if result["stored"] != result["sent"] or result["senders_not_matching"]:
        problems.append(f"{result['sent'] - result['stored']} message(s) not stored")
    for name, memory in result["memory_pss"].items():
        # PostgreSQL fills its shared buffers (a fixed size) as its tables grow: it is
        # reported, and the gate is on this project's servers.
        if name in SERVERS and memory["growth_pct"] > max_growth:
            problems.append(f"{name} memory grew {memory['growth_pct']} %")
    return problems


def markdown(result: dict[str, Any], problems: list[str], command: str, max_growth: float) -> str:
    """The report for ``docs/soak.md``."""
    m = result["machine"]
    lat = result["latency_ms"]
    counts = " | ".join(
        str(result[key]) for key in ("sent", "answered", "fallback", "stored", "senders")
    )
    rows = "\n".join(
        f"| {name} | {rss['early_mb']} | {rss['late_mb']} | {rss['growth_pct']} "
        f"| {pss['early_mb']} | {pss['late_mb']} | {pss['growth_pct']} |"
        for (name, rss), pss in zip(
            result["memory"].items(), result["memory_pss"].values(), strict=True
        )
    )
    outcome = "**Every message was answered and stored.**" if not problems else (
        "**Problems:** " + "; ".join(problems) + "."
    )  # fmt: skip
    return f"""# Soak test

Written by `{command}` (`scripts/soak.py`) on {result["finished_at"]}; do not edit by hand.
Raw numbers: `results/soak.json`.

## What is measured

The production profile on loopback (`scripts/cluster.sh`): nginx in front of two Rasa
servers and two action servers, PostgreSQL tracker store, Redis lock store.
{result["conversations"]} simulated citizens, each holding one conversation at a time (a
held-out conversation of `tests/eval/cases.yml`, one to three turns, under a new sender
id), think 1 to 3 s before each message and send it through nginx, for
{result["minutes"]} minutes. Sent: every request; answered: HTTP 200 with at least one bot
message; stored: the user messages of the run's senders in PostgreSQL afterwards.
Memory: the resident set (RSS) and the proportional set (PSS: shared pages divided
between the processes sharing them) of each server with its child processes, read
every few seconds; growth compares the mean of the last fifth of the run with the mean of the
second fifth (the first fifth is warm-up).

Machine: {m["cpu"]}, {m["cores"]} cores, {m["ram_gb"]} GB RAM, {m["os"]}; Python
{m["python"]}, Rasa {m["rasa"]}, rasa-sdk {m["rasa_sdk"]}. The load generator runs on
the same cores. Load average at the end: {result["load_end"][0]:.2f}.

## Results

{outcome}

| sent | answered | of which the general line (fallback) | stored | conversations |
| ---: | ---: | ---: | ---: | ---: |
| {counts} |

Throughput {result["messages_per_s"]} messages/s over {result["seconds"]} s. Latency
through nginx: p50 {lat["p50"]} ms, p95 {lat["p95"]} ms, p99 {lat["p99"]} ms,
max {lat["max"]} ms.

| process | RSS MB, 2nd fifth | last fifth | growth % | PSS MB, 2nd fifth | last fifth | growth % |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
{rows}

The pass mark is on the proportional set (PSS) of the Rasa and action servers: no more
than {max_growth:g} % growth. PostgreSQL is shown for information: its resident set
counts its shared buffers once in each of its processes, and they fill (up to their
fixed size, 128 MB by default) as the conversation table grows.
"""


def main() -> int:
    """Run the soak test against a running cluster and write its report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sample", type=float, default=10.0, help="memory sampling period (s)")
    parser.add_argument("--max-growth", type=float, default=10.0, help="percent")
    parser.add_argument(
        "--cluster-dir",
        type=Path,
        default=Path(os.environ.get("CARREFOUR_CLUSTER_DIR", ROOT / ".run-cluster")),
    )
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "soak.json")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "soak.md")
    args = parser.parse_args()
    if not (args.cluster_dir / "cluster.json").is_file():
        print(f"No cluster at {args.cluster_dir}: run scripts/cluster.sh start.", file=sys.stderr)
        return 2
    print(
        f"Soak: {args.conversations} conversations for {args.minutes:g} min against the cluster...",
        flush=True,
    )
    result = asyncio.run(soak(args))
    problems = verdict(result, args.max_growth)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    command = "make soak" if args.minutes == 10 and args.conversations == 50 else (
        f"python scripts/soak.py --conversations {args.conversations} --minutes {args.minutes:g}"
    )  # fmt: skip
    args.report.write_text(markdown(result, problems, command, args.max_growth))
    print(
        f"sent {result['sent']}, answered {result['answered']} ({result['fallback']} fallback), "
        f"stored {result['stored']}; p50 {result['latency_ms']['p50']} ms, "
        f"p95 {result['latency_ms']['p95']} ms; {result['messages_per_s']} msg/s"
    )
    for name, memory in result["memory_pss"].items():
        early, late, pct = memory["early_mb"], memory["late_mb"], memory["growth_pct"]
        print(f"  {name}: PSS {early} -> {late} MB ({pct} %)")
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    print(f"Wrote {args.report} and {args.json}.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
