"""``make bench``: the assistant against a bare Rasa baseline, under the same load.

Trains (or reuses) two models: the assistant (``rasa train`` of this project into
``results/bench/assistant``) and the baseline of :mod:`bench.baseline` (same NLU
pipeline and policies, no custom actions). Then, ``--repeats`` times and one bot at
a time (order alternating between repeats, so that a drift of the machine's load
falls on both), it starts the bot, times its start-up, warms it up, runs Locust
headless (``bench/locustfile.py``, in ``.venv-bench``) at each concurrency for
``--duration``, reads the resident memory of its processes, and stops it.

Prints the medians over the repeats and writes ``results/bench/bench.json``,
``docs/benchmarks.md`` and ``docs/img/bench-latency.png``. Numbers are printed,
never checked: a benchmark does not fail on timing.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.baseline import write_baseline  # noqa: E402
from bench.machine import machine_info, rss_mb  # noqa: E402

OUT = ROOT / "results" / "bench"
RUN = ROOT / ".run-bench"
VENV = ROOT / ".venv-bench"
REQUIREMENTS = ROOT / "bench" / "requirements.txt"
DOC = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "img" / "bench-latency.png"
BOTS = ("assistant", "baseline")
PORTS = {"assistant": 5605, "actions": 5655, "baseline": 5705}
STARTUP_TIMEOUT_S = 300.0
WARMUP_S = 10
RASA = str(ROOT / ".venv" / "bin" / "rasa")


@dataclass
class Step:
    """One Locust run: a bot at a concurrency."""

    users: int
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def error_pct(self) -> float:
        """Failed requests, in percent of all requests."""
        return 100.0 * self.failures / self.requests if self.requests else 100.0


@dataclass
class Repeat:
    """What one start of a bot measured."""

    startup_s: float
    rss_warm_mb: dict[str, float]
    rss_loaded_mb: dict[str, float]
    steps: list[Step] = field(default_factory=list)


# ---------------------------------------------------------------- set-up


def ensure_venv() -> Path:
    """The Locust executable of ``.venv-bench``, creating the venv once (marker file)."""
    marker = VENV / ".installed"
    if not marker.exists() or marker.stat().st_mtime < REQUIREMENTS.stat().st_mtime:
        python = subprocess.run(
            [
                str(ROOT / "scripts" / "find-python.sh"),
                (ROOT / ".python-version").read_text().strip(),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if not (VENV / "bin" / "python").exists():
            subprocess.run([python, "-m", "venv", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--disable-pip-version-check", "-r", str(REQUIREMENTS)], check=True)
        marker.touch()
    return VENV / "bin" / "locust"


def conversations_file() -> Path:
    """The held-out conversations (turns only) as JSON, for the locustfile."""
    cases = yaml.safe_load((ROOT / "tests" / "eval" / "cases.yml").read_text(encoding="utf-8"))
    path = OUT / "conversations.json"
    path.write_text(json.dumps([case["turns"] for case in cases["cases"]], ensure_ascii=False))
    return path


def train(bot: str, retrain: bool) -> dict[str, Any]:
    """Train ``bot`` unless its model exists; the training time measured when it was trained.

    Each training gets an empty Rasa cache, so that it is timed from scratch.
    """
    folder = OUT / bot
    model, record = folder / f"{bot}.tar.gz", folder / "training.json"
    if model.exists() and record.exists() and not retrain:
        return dict(json.loads(record.read_text()), cached=True)
    folder.mkdir(parents=True, exist_ok=True)
    if bot == "baseline":
        files = write_baseline(ROOT, folder)
        inputs = ["--data", "data/nlu", str(files["rules"]), "--domain", str(files["domain"])]
        inputs += ["--config", str(files["config"])]
    else:
        inputs = []  # the project's own config.yml, domain.yml and data/
    with tempfile.TemporaryDirectory(prefix="bench-rasa-cache-") as cache:
        env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", RASA_CACHE_DIRECTORY=cache)
        print(f"Training the {bot} into {folder.relative_to(ROOT)} ...", flush=True)
        start = time.perf_counter()
        subprocess.run(
            [RASA, "train", *inputs, "--out", str(folder), "--fixed-model-name", bot]
            + ["--force", "--quiet"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        seconds = time.perf_counter() - start
    result = {"training_s": round(seconds, 1), "trained_at": now(), "load": os.getloadavg()}
    record.write_text(json.dumps(result, indent=2))
    return dict(result, cached=False)


# ---------------------------------------------------------------- processes


def now() -> str:
    """The current time, UTC, to the second."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def answers(url: str) -> bool:
    """Whether ``url`` answers 200."""
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_until_up(urls: list[str], started: float, procs: list[subprocess.Popen[bytes]]) -> float:
    """Seconds from ``started`` until every URL answers; raises if a process dies first."""
    while not all(answers(url) for url in urls):
        if any(proc.poll() not in (None, 0) for proc in procs):
            raise RuntimeError(f"a server did not start (see {RUN.relative_to(ROOT)}/*.log)")
        if time.perf_counter() - started > STARTUP_TIMEOUT_S:
            raise RuntimeError(f"no answer from {urls} within {STARTUP_TIMEOUT_S:.0f} s")
        time.sleep(0.2)
    return time.perf_counter() - started


@dataclass
class Server:
    """A started bot: its processes by name and its start-up time."""

    procs: dict[str, subprocess.Popen[bytes]]
    startup_s: float
    url: str

    def rss(self) -> dict[str, float]:
        """Resident memory of each process (with its children), in MB."""
        return {name: round(rss_mb(proc.pid), 1) for name, proc in self.procs.items()}


def _launch(args: list[str], log: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with open(RUN / log, "wb") as out:
        return subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


@contextmanager
def running(bot: str) -> Iterator[Server]:
    """Start ``bot`` on its bench port, time its start-up, and stop it on exit.

    The assistant runs as ``scripts/serve.sh`` runs it (all its channels, the HTTP API,
    its endpoints.yml with the bench's action port and a fresh tracker database in
    ``.run-bench``); the baseline with Rasa's defaults and only the REST channel.
    """
    RUN.mkdir(exist_ok=True)
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
    port = PORTS[bot]
    model = str(OUT / bot / f"{bot}.tar.gz")
    urls = [f"http://localhost:{port}/webhooks/rest/"]
    procs: dict[str, subprocess.Popen[bytes]] = {}
    started = time.perf_counter()
    try:
        if bot == "assistant":
            (RUN / "trackers.db").unlink(missing_ok=True)
            endpoints = (ROOT / "endpoints.yml").read_text()
            endpoints = endpoints.replace(
                "http://localhost:5055/webhook", f"http://localhost:{PORTS['actions']}/webhook"
            ).replace("db: .run/trackers.db", f"db: {RUN.name}/trackers.db")
            (RUN / "endpoints.yml").write_text(endpoints)
            started = time.perf_counter()
            procs["actions"] = _launch(
                [RASA, "run", "actions", "--actions", "actions", "--port", str(PORTS["actions"])],
                "actions.log",
                env,
            )
            procs["rasa"] = _launch(
                [RASA, "run", "--model", model, "--port", str(port), "--enable-api"]
                # Hex: a token starting with "-" would be read as an option.
                + ["--auth-token=" + secrets.token_hex(24)]
                + ["--endpoints", str(RUN / "endpoints.yml"), "--credentials", "credentials.yml"],
                "rasa.log",
                env,
            )
            urls.append(f"http://localhost:{PORTS['actions']}/health")
        else:
            started = time.perf_counter()
            procs["rasa"] = _launch(
                [RASA, "run", "--model", model, "--port", str(port)]
                + ["--credentials", str(OUT / "baseline" / "credentials.yml")],
                "baseline.log",
                env,
            )
        startup = wait_until_up(urls, started, list(procs.values()))
        yield Server(procs, startup, f"http://localhost:{port}")
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


# ---------------------------------------------------------------- load


def locust(
    executable: Path, url: str, users: int, seconds: int, prefix: Path, conversations: Path
) -> Step:
    """Run Locust headless with ``users`` concurrent conversations; its aggregated stats."""
    env = dict(os.environ, BENCH_CONVERSATIONS=str(conversations))
    with open(f"{prefix}.log", "wb") as log:
        subprocess.run(
            [str(executable), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless"]
            + ["-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", url]
            + ["--csv", str(prefix), "--only-summary", "--reset-stats", "--loglevel", "ERROR"],
            cwd=ROOT,
            env=env,
            check=False,  # Locust exits 1 when a request failed: the stats say which
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")

    def number(key: str) -> float:
        # "N/A" when no request completed: no latency to report, and every message failed.
        return math.nan if row[key] == "N/A" else float(row[key])

    return Step(
        users=users,
        requests=int(row["Request Count"]),
        failures=int(row["Failure Count"]),
        rps=number("Requests/s"),
        p50_ms=number("50%"),
        p95_ms=number("95%"),
        p99_ms=number("99%"),
    )


def measure(
    bot: str, repeat: int, users: list[int], seconds: int, executable: Path, conversations: Path
) -> Repeat:
    """Start ``bot``, warm it up, run every concurrency step, read its memory, stop it."""
    with running(bot) as server:
        print(f"  {bot}: up in {server.startup_s:.1f} s", flush=True)
        raw = OUT / "raw"
        raw.mkdir(exist_ok=True)
        # Warm-up: the first messages of a fresh server are slow in both bots (lazily
        # built state); they are part of start-up, not of the steady state measured here.
        locust(executable, server.url, 5, WARMUP_S, raw / f"{bot}-warmup", conversations)
        result = Repeat(server.startup_s, server.rss(), {})
        for n in users:
            step = locust(
                executable, server.url, n, seconds, raw / f"{bot}-{n}-r{repeat}", conversations
            )
            print(
                f"  {bot} {n:>3} users: p50 {step.p50_ms:.0f} ms, p95 {step.p95_ms:.0f} ms, "
                f"{step.rps:.1f} msg/s, errors {step.error_pct:.2f} %",
                flush=True,
            )
            result.steps.append(step)
        result.rss_loaded_mb = server.rss()
    return result


# ---------------------------------------------------------------- report


def median(values: list[float]) -> float:
    """The median, rounded for the report."""
    return round(statistics.median(values), 2)


def summarize(repeats: list[Repeat], users: list[int]) -> dict[str, Any]:
    """Medians over the repeats, per concurrency, and of memory and start-up."""
    steps: dict[str, Any] = {}
    for i, n in enumerate(users):
        runs = [r.steps[i] for r in repeats]
        steps[str(n)] = {
            "p50_ms": median([s.p50_ms for s in runs]),
            "p95_ms": median([s.p95_ms for s in runs]),
            "p99_ms": median([s.p99_ms for s in runs]),
            "rps": median([s.rps for s in runs]),
            "error_pct": median([s.error_pct for s in runs]),
            "requests": sum(s.requests for s in runs),
            "failures": sum(s.failures for s in runs),
        }
    names = repeats[0].rss_warm_mb.keys()
    return {
        "steps": steps,
        "saturation_rps": max(step["rps"] for step in steps.values()),
        "startup_s": median([r.startup_s for r in repeats]),
        "rss_warm_mb": {n: median([r.rss_warm_mb[n] for r in repeats]) for n in names},
        "rss_loaded_mb": {n: median([r.rss_loaded_mb[n] for r in repeats]) for n in names},
        "runs": [asdict(r) for r in repeats],
    }


def machine() -> dict[str, Any]:
    """The machine and software versions the numbers were measured on, with Locust's."""
    locust_version = "not installed"
    if (VENV / "bin" / "python").exists():
        locust_version = subprocess.run(
            [str(VENV / "bin" / "python"), "-c", "import locust; print(locust.__version__)"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    return {**machine_info(), "locust": locust_version}


def ratio(a: float, b: float) -> float | None:
    """``a / b`` to two decimals, or None when ``b`` is zero."""
    return round(a / b, 2) if b else None


def ratios(result: dict[str, Any], users: list[int]) -> dict[str, dict[str, float | None]]:
    """The assistant's p50 and p95 over the baseline's, per concurrency."""
    a, b = result["bots"]["assistant"]["steps"], result["bots"]["baseline"]["steps"]
    return {
        str(n): {
            "p50": ratio(a[str(n)]["p50_ms"], b[str(n)]["p50_ms"]),
            "p95": ratio(a[str(n)]["p95_ms"], b[str(n)]["p95_ms"]),
        }
        for n in users
    }


def table(result: dict[str, Any], users: list[int]) -> str:
    """The Markdown table of latency, throughput and errors, both bots."""
    lines = [
        "| bot | concurrent conversations | p50 ms | p95 ms | p99 ms | messages/s | errors % |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for bot in BOTS:
        for n in users:
            s = result["bots"][bot]["steps"][str(n)]
            lines.append(
                f"| {bot} | {n} | {s['p50_ms']:.0f} | {s['p95_ms']:.0f} | {s['p99_ms']:.0f} "
                f"| {s['rps']:.1f} | {s['error_pct']:.2f} |"
            )
    return "\n".join(lines)


def ratio_table(result: dict[str, Any], users: list[int]) -> str:
    """The Markdown table of the assistant/baseline latency ratios."""
    lines = ["| concurrent conversations | p50 ratio | p95 ratio |", "| ---: | ---: | ---: |"]
    for n in users:
        r = result["ratios"][str(n)]
        lines.append(f"| {n} | {r['p50']} | {r['p95']} |")
    return "\n".join(lines)


def resources_table(result: dict[str, Any]) -> str:
    """The Markdown table of memory, start-up, training and saturation."""
    lines = [
        "| bot | process | RSS after warm-up MB | RSS after 50 users MB |",
        "| --- | --- | ---: | ---: |",
    ]
    for bot in BOTS:
        b = result["bots"][bot]
        for name, warm in b["rss_warm_mb"].items():
            lines.append(f"| {bot} | {name} | {warm:.0f} | {b['rss_loaded_mb'][name]:.0f} |")
    lines += [
        "",
        "| bot | start-up s | training s | saturation messages/s |",
        "| --- | ---: | ---: | ---: |",
    ]
    for bot in BOTS:
        b = result["bots"][bot]
        lines.append(
            f"| {bot} | {b['startup_s']:.1f} | {b['training']['training_s']:.0f} "
            f"| {b['saturation_rps']:.1f} |"
        )
    return "\n".join(lines)


def plot(result: dict[str, Any], users: list[int], path: Path) -> None:
    """Latency (p50 and p95) by concurrency for both bots, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for bot, colour in zip(BOTS, ("tab:blue", "tab:orange"), strict=True):
        steps = result["bots"][bot]["steps"]
        for key, style in (("p50_ms", "-o"), ("p95_ms", "--s")):
            ax.plot(
                users,
                [steps[str(n)][key] for n in users],
                style,
                color=colour,
                label=f"{bot} {key[:3]}",
            )
    ax.set_xscale("log")
    ax.set_xticks(users, [str(n) for n in users])
    ax.set_xlabel("concurrent conversations (closed loop, no think time)")
    ax.set_ylabel("latency per message (ms)")
    ax.set_title(f"Latency by concurrency, median of {result['conditions']['repeats']} runs")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


SEARCH_JSON = ROOT / "results" / "bench" / "search.json"


def search_section(path: Path = SEARCH_JSON) -> str:
    """The knowledge-base search figures of the last ``make bench-search``, if it ran."""
    if not path.is_file():
        return (
            "## Knowledge-base search\n\nNot measured in this checkout: run "
            "`make bench-search`, then `make bench` again.\n"
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    m = data["machine"]
    rows = [
        "| size | services | phrases | indexed p50 / p95 / p99 ms | naive p50 / p95 ms |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for size in data["sizes"]:
        fast, slow = size["indexed"], size.get("naive") or {}
        naive = f"{slow['p50_ms']:.0f} / {slow['p95_ms']:.0f}" if slow else "n/a"
        rows.append(
            f"| {size['factor']}x | {size['services']:,} | {size['phrases']:,} | "
            f"{fast['p50_ms']:.2f} / {fast['p95_ms']:.2f} / {fast['p99_ms']:.2f} | {naive} |"
        )
    table_text = "\n".join(rows)
    return f"""## Knowledge-base search

`make bench-search` (`scripts/bench_search.py`): one query of the search alone, over the
real knowledge base (1x) and synthetic ones 10x and 100x its size, {data['repeat']} passes
over the query set; "naive" is a plain `rapidfuzz.process.extract` over every phrase (few
queries: its tail is rough). Target: p95 under {data['target_p95_ms']} ms at 100x.
{m['cpu']}, {m['cores']} cores, Python {m['python']}, rapidfuzz {m['rapidfuzz']}, load
average (1 min) {m['load_average'][0]:.2f}.

{table_text}

![Search latency by knowledge-base size](img/bench-search.png)
"""


def markdown(result: dict[str, Any], users: list[int]) -> str:
    """docs/benchmarks.md."""
    m, c = result["machine"], result["conditions"]
    headline = result["ratios"].get("10", {}).get("p95")
    return f"""# Benchmarks

Written by `make bench` (`scripts/bench.py`) on {c['finished']}; do not edit by hand.
Raw numbers: `results/bench/bench.json`.

## What is measured

The assistant (Rasa server with this project's channels, SQLite tracker store and
action server) against a **bare Rasa baseline**: a bot trained by the benchmark with
the same `config.yml` (the same NLU pipeline with the custom components, the same
policies) and the same NLU data, but one plain response per intent, no custom
actions, no action server, and Rasa's defaults (in-memory tracker store, Rasa's own
REST channel). The ratio of the assistant to the baseline is its overhead over Rasa.

Both are loaded the same way, one bot at a time: Locust, headless, through
`POST /webhooks/rest/webhook`. Each simulated user is one conversation at a time, drawn
from the held-out set (`tests/eval/cases.yml`: {c['conversations']} conversations in
English and French, one to three turns: questions, follow-ups, places), each under a
fresh sender id; closed loop with no think time, so N users are N concurrent
conversations, each sending its next message as soon as the reply arrives. A message
is an error on a non-2xx status, an exception or an empty reply.

## Machine and conditions

- CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram_gb']} GB; {m['os']}
- Python {m['python']}, Rasa {m['rasa']}, rasa-sdk {m['rasa_sdk']}, Locust {m['locust']}
- Command: `{c['command']}`; each step {c['duration_s']} s, {c['repeats']} runs (each run
  starts the bot anew, after a {WARMUP_S} s warm-up at 5 users); the median of the runs is quoted.
- Load average (1 min) at the start {c['load_start'][0]:.2f}, at the end {c['load_end'][0]:.2f};
  Locust runs on the same {m['cores']} cores as the bot it measures. {c['note']}

## Results (medians of {c['repeats']} runs)

**Headline: the assistant's p95 at 10 concurrent conversations is {headline}x the
baseline's** (target ≤ 1.3x). Median single-conversation latency: assistant
{result['bots']['assistant']['steps'].get('1', {}).get('p50_ms', 'n/a')} ms (target < 100 ms).

{table(result, users)}

Assistant / baseline:

{ratio_table(result, users)}

{resources_table(result)}

![Latency by concurrency, both bots](img/bench-latency.png)

{search_section()}
## How to read it

- Latency is per message, from the request to the whole reply, as Locust sees it
  (Locust rounds times above 100 ms to two significant figures).
- Messages per second at saturation is the highest throughput of the concurrency steps
  ({', '.join(str(n) for n in users)} users): with no think time the server is saturated
  once latency grows with the number of users while throughput stops growing.
- Memory is the resident set (VmRSS, with child processes) of each server process,
  after the warm-up and after the 50-user step. Start-up is from launching the
  processes until the REST channel (and the action server's `/health`) answer.
  Training is one `rasa train` with an empty cache, measured when the model was last
  trained (`--retrain` trains again).
- On a shared 2-core machine the absolute numbers move with the load; the ratios,
  measured in the same run with the bots alternating, move less.
"""


def main() -> None:
    """Run the benchmark and write its report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="1,10,50", help="concurrency steps (default 1,10,50)")
    parser.add_argument("--duration", type=int, default=30, help="seconds per step (default 30)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per bot (default 3)")
    parser.add_argument("--retrain", action="store_true", help="train both models again")
    parser.add_argument("--note", default="", help="a sentence on the run conditions")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/")
    args = parser.parse_args()
    users = [int(n) for n in args.users.split(",")]

    OUT.mkdir(parents=True, exist_ok=True)
    executable = ensure_venv()
    conversations = conversations_file()
    trainings = {bot: train(bot, args.retrain) for bot in BOTS}
    load_start = os.getloadavg()
    repeats: dict[str, list[Repeat]] = {bot: [] for bot in BOTS}
    for r in range(args.repeats):
        print(f"Run {r + 1} of {args.repeats} (load average {os.getloadavg()[0]:.2f})", flush=True)
        for bot in BOTS if r % 2 == 0 else reversed(BOTS):
            repeats[bot].append(measure(bot, r, users, args.duration, executable, conversations))

    result: dict[str, Any] = {
        "machine": machine(),
        "conditions": {
            "command": "make bench",
            "users": users,
            "duration_s": args.duration,
            "repeats": args.repeats,
            "conversations": len(json.loads(conversations.read_text())),
            "load_start": load_start,
            "load_end": os.getloadavg(),
            "finished": now(),
            "note": args.note,
        },
        "bots": {
            bot: dict(summarize(repeats[bot], users), training=trainings[bot]) for bot in BOTS
        },
    }
    result["ratios"] = ratios(result, users)
    (OUT / "bench.json").write_text(json.dumps(result, indent=2))

    print(f"\nMedians of {args.repeats} runs, {args.duration} s a step:\n")
    print(table(result, users), "\n")
    print(ratio_table(result, users), "\n")
    print(resources_table(result), "\n")
    print(f"Load average at the end: {result['conditions']['load_end']}; {OUT / 'bench.json'}")
    if not args.no_doc:
        plot(result, users, PLOT)
        DOC.write_text(markdown(result, users))
        print(f"Wrote {DOC.relative_to(ROOT)} and {PLOT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
