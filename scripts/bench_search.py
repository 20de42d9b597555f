"""Benchmark knowledge-base search latency at 1x, 10x and 100x the real knowledge base.

The larger knowledge bases are the real one plus synthetic services, generated in
memory from a fixed seed (nothing is written to ``knowledge/``): each one copies a
real service's kind, jurisdiction and organizations, and gets new names and
keywords in English and French that recombine the real vocabulary with invented
words (program names), so that the vocabulary grows with the size, as a real,
larger knowledge base's would.

A fixed set of queries (needs in both languages, with typos and SMS spellings) is
run against each size, as the NLU classifier runs it (``limit=50``), and the
latency of one query is reported as percentiles; next to it, a plain
``rapidfuzz.process.extract`` over every indexed phrase, which is what the index
avoids. Numbers depend on the machine and on what else runs on it: the JSON
records the machine and its load average.

Usage: ``.venv/bin/python scripts/bench_search.py [--sizes 1,10,100] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import rapidfuzz
from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.knowledge import KnowledgeBase, Localized, Service, shared_knowledge  # noqa: E402
from bot.search import SearchIndex, build_index  # noqa: E402
from bot.text import fold  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "results" / "bench" / "search.json"
DEFAULT_PLOT = ROOT / "docs" / "img" / "bench-search.png"
SEED = 20261204
TARGET_P95_MS = 5.0

# Syllables of invented program names; both languages read them as proper nouns.
_ONSETS = ["b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "br", "tr", "gr"]
_VOWELS = ["a", "e", "i", "o", "u", "ou", "ai", "ea"]
_CODAS = ["", "", "n", "r", "l", "s", "x", "nd", "rt"]

# Needs as citizens type them; variants with typos and SMS spellings are derived below.
BASE_QUERIES = {
    "en": [
        "renew my passport",
        "how do i get a passport for my child",
        "replace lost health card",
        "apply for employment insurance",
        "my garbage was not collected this week",
        "pothole on my street",
        "get a fishing licence",
        "register my newborn baby",
        "death certificate for my father",
        "change address on my driver licence",
        "social insurance number application",
        "old age security pension",
        "child care subsidy",
        "property tax bill",
        "building permit for a deck",
        "report a noise complaint",
        "recycling pickup schedule",
        "file my income tax return",
        "canada child benefit",
        "student loan repayment",
        "marriage licence",
        "vehicle registration renewal",
        "housing assistance low income",
        "workplace injury claim",
        "minimum wage complaint",
        "citizenship application",
        "hunting licence",
        "dog licence for my puppy",
        "parking ticket dispute",
        "water bill question",
        "snow removal on my road",
        "lost my wallet with all my ids",
        "i lost my job",
        "moving to another province",
        "business number registration",
        "veterans disability benefits",
        "immigration permanent residence",
        "criminal record check",
        "small claims court",
        "vaccination records",
    ],
    "fr": [
        "renouveler mon passeport",
        "carte d'assurance maladie perdue",
        "demande d'assurance emploi",
        "mes ordures n'ont pas été ramassées",
        "nid de poule dans ma rue",
        "permis de pêche",
        "enregistrer la naissance de mon bébé",
        "certificat de décès de mon père",
        "changer d'adresse sur mon permis de conduire",
        "numéro d'assurance sociale",
        "pension de la sécurité de la vieillesse",
        "place en garderie subventionnée",
        "compte de taxes foncières",
        "permis de construction pour une terrasse",
        "plainte pour le bruit",
        "calendrier de collecte du recyclage",
        "faire ma déclaration de revenus",
        "allocation canadienne pour enfants",
        "remboursement de prêt étudiant",
        "licence de mariage",
        "immatriculation de mon auto",
        "logement à prix modique",
        "accident de travail réclamation",
        "plainte salaire minimum",
        "demande de citoyenneté",
        "permis de chasse",
        "licence pour mon chien",
        "contester une contravention de stationnement",
        "facture d'eau",
        "déneigement de ma rue",
        "j'ai perdu mon portefeuille",
        "j'ai perdu mon emploi",
        "déménager dans une autre province",
        "enregistrer une entreprise",
        "prestations d'invalidité anciens combattants",
        "résidence permanente",
        "vérification du casier judiciaire",
        "cour des petites créances",
        "carnet de vaccination",
        "renouveler ma carte soleil",
    ],
}
_SMS = {
    "you": "u",
    "your": "ur",
    "my": "ma",
    "please": "pls",
    "for": "4",
    "to": "2",
    "with": "w",
    "licence": "lisence",
    "je": "j",
    "suis": "chu",
    "pour": "pr",
    "mon": "mn",
    "de": "d",
    "dans": "ds",
    "une": "1",
}


def invented_words(rng: random.Random, count: int) -> list[str]:
    """Return ``count`` distinct pronounceable invented words (program names)."""
    words: set[str] = set()
    while len(words) < count:
        syllables = rng.randint(2, 4)
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)
        )
        words.add(word.capitalize())
    return sorted(words)


def _real_words(kb: KnowledgeBase, lang: str) -> list[str]:
    """Content words of the real knowledge base's keywords in ``lang``, sorted."""
    words = {
        word
        for service in kb.services.values()
        for phrase in service.keywords.get(lang, ())
        for word in phrase.split()
        if len(word) > 3
    }
    return sorted(words)


def _mutate(rng: random.Random, phrase: str, brand: str, vocabulary: list[str]) -> str:
    """A keyword of a synthetic service: the template's, recombined or branded."""
    draw = rng.random()
    if draw < 0.4:
        return phrase
    words = phrase.split()
    if draw < 0.75:
        words[rng.randrange(len(words))] = rng.choice(vocabulary)
        return " ".join(words)
    return f"{brand.lower()} {phrase}"


def synthetic_knowledge(kb: KnowledgeBase, factor: int, seed: int = SEED) -> KnowledgeBase:
    """The real knowledge base plus ``(factor - 1)`` times as many synthetic services.

    Args:
        kb: The real knowledge base; its kinds, jurisdictions and organizations are reused.
        factor: The size relative to ``kb`` (1 returns ``kb`` itself).
        seed: Seed of the generator; the same seed gives the same knowledge base.

    Returns:
        A knowledge base held in memory only.
    """
    if factor <= 1:
        return kb
    rng = random.Random(seed)
    templates = sorted(kb.services.values(), key=lambda s: s.id)
    count = (factor - 1) * len(templates)
    brands = invented_words(rng, max(count // 2, 10))
    vocabulary = {lang: _real_words(kb, lang) for lang in ("en", "fr")}
    services: dict[str, Service] = dict(kb.services)
    for n in range(count):
        template = rng.choice(templates)
        brand = rng.choice(brands)
        other = rng.choice(brands)
        name = Localized(
            rng.choice(
                [
                    f"{brand} {template.name.en}",
                    f"{template.name.en} ({brand} program)",
                    f"{brand} {other} {rng.choice(vocabulary['en'])}",
                ]
            ),
            rng.choice(
                [
                    f"{template.name.fr} {brand}",
                    f"Programme {brand} : {template.name.fr}",
                    f"{rng.choice(vocabulary['fr'])} {brand} {other}",
                ]
            ),
        )
        keywords = {
            lang: tuple(
                [_mutate(rng, phrase, brand, vocabulary[lang]) for phrase in phrases]
                + [f"{brand.lower()} {rng.choice(vocabulary[lang])}"]
            )
            for lang, phrases in template.keywords.items()
        }
        service_id = f"{template.jurisdiction}.synthetic-{n}"
        services[service_id] = replace(template, id=service_id, name=name, keywords=keywords)
    return replace(kb, services=services)


def _typo(rng: random.Random, text: str) -> str:
    """One random deletion, swap or substitution in one word of five letters or more."""
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 5]
    if not long_words:
        return text
    i = rng.choice(long_words)
    word = words[i]
    pos = rng.randrange(1, len(word) - 1)
    edit = rng.choice(["delete", "swap", "substitute"])
    if edit == "delete":
        word = word[:pos] + word[pos + 1 :]
    elif edit == "swap":
        word = word[:pos] + word[pos + 1] + word[pos] + word[pos + 2 :]
    else:
        word = word[:pos] + rng.choice("aeioustrnl") + word[pos + 1 :]
    words[i] = word
    return " ".join(words)


def _sms(text: str) -> str:
    """SMS spelling: short forms, no accents, no apostrophes."""
    words = fold(text.replace("'", " ")).split()
    return " ".join(_SMS.get(w, w) for w in words)


def query_set(seed: int = SEED) -> list[str]:
    """The benchmark's queries: each base query as written, with typos, and in SMS spelling."""
    rng = random.Random(seed)
    queries: list[str] = []
    for lang in ("en", "fr"):
        for text in BASE_QUERIES[lang]:
            queries += [text, _typo(rng, text), _typo(rng, _typo(rng, text)), _sms(text)]
            queries.append(_sms(_typo(rng, text)))
    return queries


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    """p50, p95, p99 and mean of latencies in milliseconds (nearest-rank percentiles)."""
    ordered = sorted(samples_ms)

    def rank(p: float) -> float:
        return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]

    return {
        "p50_ms": round(rank(50), 3),
        "p95_ms": round(rank(95), 3),
        "p99_ms": round(rank(99), 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
        "n": len(ordered),
    }


def time_indexed(index: SearchIndex, queries: list[str], repeat: int) -> list[float]:
    """Latency in ms of each query (after one warm-up pass), ``repeat`` times over."""
    for query in queries:
        index.search(query, limit=50)
    samples: list[float] = []
    for _ in range(repeat):
        for query in queries:
            start = time.perf_counter()
            index.search(query, limit=50)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def time_naive(phrases: list[str], queries: list[str]) -> list[float]:
    """Latency in ms of a plain ``process.extract`` (WRatio) over every phrase, per query."""
    samples: list[float] = []
    for query in queries:
        folded = fold(query)
        start = time.perf_counter()
        process.extract(folded, phrases, scorer=fuzz.WRatio, limit=50)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def machine_info() -> dict[str, Any]:
    """CPU model, cores, Python and rapidfuzz versions, and the load when the run started."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "rapidfuzz": rapidfuzz.__version__,
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def run(
    sizes: list[int], repeat: int, naive_queries: int, seed: int = SEED
) -> list[dict[str, Any]]:
    """Measure every size; return one row per size."""
    real = shared_knowledge()
    queries = query_set(seed)
    step = max(1, len(queries) // max(naive_queries, 1))
    naive_sample = queries[::step][:naive_queries]
    rows: list[dict[str, Any]] = []
    for factor in sizes:
        kb = synthetic_knowledge(real, factor, seed)
        start = time.perf_counter()
        index = build_index(kb)
        build_s = time.perf_counter() - start
        row: dict[str, Any] = {
            "factor": factor,
            "services": len(kb.services),
            "phrases": len(index),
            "vocabulary": index.vocabulary_size,
            "build_s": round(build_s, 2),
            "queries": len(queries),
            "indexed": percentiles(time_indexed(index, queries, repeat)),
        }
        if naive_sample:
            phrases = [fold(text) for text in index.phrases()]
            row["naive"] = percentiles(time_naive(phrases, naive_sample))
        rows.append(row)
        print(_format_row(row), flush=True)
        del index, kb
    return rows


_HEADER = (
    f"{'size':>5} {'services':>9} {'phrases':>9} {'vocab':>8} {'build s':>8} "
    f"{'method':>8} {'n':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}"
)


def _format_row(row: dict[str, Any]) -> str:
    lines = []
    for method in ("indexed", "naive"):
        if method not in row:
            continue
        stats = row[method]
        lines.append(
            f"{str(row['factor']) + 'x':>5} {row['services']:>9} {row['phrases']:>9} "
            f"{row['vocabulary']:>8} {row['build_s']:>8} {method:>8} {stats['n']:>6} "
            f"{stats['p50_ms']:>9} {stats['p95_ms']:>9} {stats['p99_ms']:>9}"
        )
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    """Write a PNG of p50 and p95 by size (log scales), indexed against naive."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    factors = [row["factor"] for row in rows]
    styles = {"indexed": "tab:blue", "naive": "tab:red"}
    for method, color in styles.items():
        present = [row for row in rows if method in row]
        if not present:
            continue
        xs = [row["factor"] for row in present]
        for pct, style in (("p50_ms", "-"), ("p95_ms", "--")):
            ys = [row[method][pct] for row in present]
            label = f"{method} {pct.split('_')[0]}"
            ax.plot(xs, ys, style, marker="o", color=color, label=label)
    ax.axhline(TARGET_P95_MS, color="grey", linewidth=0.8, linestyle=":", label="p95 target")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(
        factors, [f"{f}x\n{row['phrases']:,} phrases" for f, row in zip(factors, rows, strict=True)]
    )
    ax.set_xlabel("knowledge base size (real = 1x)")
    ax.set_ylabel("latency of one query (ms)")
    ax.set_title("Knowledge-base search latency")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,100", help="comma-separated multiples")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the queries")
    parser.add_argument(
        "--naive-queries",
        type=int,
        default=10,
        help="queries timed with the naive scan (it takes seconds at 100x); 0 skips it",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--plot", type=Path, default=DEFAULT_PLOT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    info = machine_info()
    print(
        f"{info['cpu']}, {info['cores']} cores, Python {info['python']}, "
        f"rapidfuzz {info['rapidfuzz']}, load {info['load_average']}"
    )
    print(_HEADER)
    rows = run(sizes, args.repeat, args.naive_queries, args.seed)
    result = {
        "machine": info,
        "seed": args.seed,
        "repeat": args.repeat,
        "target_p95_ms": TARGET_P95_MS,
        "sizes": rows,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    plot(rows, args.plot)
    print(f"wrote {args.json} and {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
