"""Knowledge-base report for the people who keep the data (``make kb-report``).

Prints a coverage matrix (kinds by jurisdiction), English/French completeness,
entries not verified in the last twelve months, and malformed or duplicate URLs
and phone numbers. Exits 1 when a required cell of the coverage is empty: every
province and territory must have a service or a ``not_offered`` entry for every
kind usually delivered by provinces or territories, and every municipality for
every kind usually delivered by municipalities.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.knowledge import KnowledgeBase, Localized, Service, load_for_command

STALE_AFTER_DAYS = 365
SERVICE, NOT_OFFERED, HOLE = "●", "○", "·"
_HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
# North American numbering plan: area code and exchange never start with 0 or 1.
_NANP_RE = re.compile(r"^\+1-[2-9]\d{2}-[2-9]\d{2}-\d{4}$")


@dataclass
class Report:
    """Everything the report found."""

    provincial_kinds: list[str]
    municipal_kinds: list[str]
    provinces: list[str]
    municipalities: list[str]
    cells: dict[tuple[str, str], str]
    holes: list[tuple[str, str]] = field(default_factory=list)
    stale: list[tuple[str, str]] = field(default_factory=list)
    same_text: list[tuple[str, str]] = field(default_factory=list)
    missing_keywords: list[tuple[str, str]] = field(default_factory=list)
    bad_urls: list[tuple[str, str]] = field(default_factory=list)
    bad_phones: list[tuple[str, str]] = field(default_factory=list)
    duplicate_urls: list[tuple[str, list[str]]] = field(default_factory=list)
    duplicate_phones: list[tuple[str, list[str]]] = field(default_factory=list)


def required_kinds(kb: KnowledgeBase, orders: set[str]) -> list[str]:
    """Kinds whose ``usually`` names one of ``orders``, in taxonomy order."""
    return [k.code for k in kb.contract.kinds.values() if orders & set(k.usually)]


def build_report(kb: KnowledgeBase, today: dt.date) -> Report:
    """Check coverage, languages, freshness and contact details.

    Args:
        kb: The loaded knowledge base.
        today: The date freshness is measured against.

    Returns:
        The report; ``report.holes`` is what makes ``make kb-report`` fail.
    """
    contract = kb.contract
    report = Report(
        provincial_kinds=required_kinds(kb, {"provincial", "territorial"}),
        municipal_kinds=required_kinds(kb, {"municipal"}),
        provinces=list(contract.provinces),
        municipalities=list(contract.municipalities),
        cells={},
    )
    for service in kb.services.values():
        report.cells[(service.kind, service.jurisdiction)] = SERVICE
    for jurisdiction, kind in kb.not_offered:
        report.cells.setdefault((kind, jurisdiction), NOT_OFFERED)
    for kinds, places in (
        (report.provincial_kinds, report.provinces),
        (report.municipal_kinds, report.municipalities),
    ):
        for place in places:
            report.holes += [(k, place) for k in kinds if (k, place) not in report.cells]
    _check_entries(kb, today, report)
    _check_contacts(kb, report)
    return report


def _check_entries(kb: KnowledgeBase, today: dt.date, report: Report) -> None:
    limit = today - dt.timedelta(days=STALE_AFTER_DAYS)
    for service in kb.services.values():
        if dt.date.fromisoformat(service.last_verified) < limit:
            report.stale.append((service.id, service.last_verified))
        for lang in ("en", "fr"):
            if not service.keywords.get(lang):
                report.missing_keywords.append((service.id, lang))
        for name, text in _sentences(service):
            if text.en == text.fr:
                report.same_text.append((service.id, name))
    for (jurisdiction, kind), entry in kb.not_offered.items():
        if dt.date.fromisoformat(entry.last_verified) < limit:
            report.stale.append((f"{jurisdiction} not_offered {kind}", entry.last_verified))
    for point in kb.service_points.values():
        if dt.date.fromisoformat(point.last_verified) < limit:
            report.stale.append((f"service point {point.id}", point.last_verified))


def _sentences(service: Service) -> list[tuple[str, Localized]]:
    """Texts that are sentences in each language, so identical en/fr means untranslated."""
    texts = [("why", service.why)]
    if service.eligibility:
        texts.append(("eligibility", service.eligibility))
    if service.processing_time:
        texts.append(("processing_time", service.processing_time))
    texts += [(f"documents[{i}]", d) for i, d in enumerate(service.documents)]
    texts += [(f"channels[{i}].hours", c.hours) for i, c in enumerate(service.channels) if c.hours]
    return texts


def _check_contacts(kb: KnowledgeBase, report: Report) -> None:
    urls: dict[str, set[str]] = defaultdict(set)
    phones: dict[str, set[str]] = defaultdict(set)
    for service in kb.services.values():
        for i, channel in enumerate(service.channels):
            where = f"{service.id} channels[{i}]"
            for url in {channel.url.en, channel.url.fr} if channel.url else ():
                problem = url_problem(url)
                if problem:
                    report.bad_urls.append((where, f"{url} ({problem})"))
                if channel.type == "online":
                    urls[url.rstrip("/")].add(service.kind)
            for number in (channel.number, channel.tty):
                if number and number.startswith("+") and not _NANP_RE.match(number):
                    report.bad_phones.append((where, number))
                if number and number.startswith("+") and channel.type == "phone":
                    phones[number].add(service.jurisdiction)
    for point in kb.service_points.values():
        if point.phone and not _NANP_RE.match(point.phone):
            report.bad_phones.append((f"service point {point.id}", point.phone))
    # The same online page for several kinds, or the same number in several
    # jurisdictions, is usually a copy-paste error (a general line is listed on purpose).
    report.duplicate_urls = sorted((u, sorted(k)) for u, k in urls.items() if len(k) > 2)
    general = {g.general_line.number for g in kb.governments.values() if g.general_line}
    report.duplicate_phones = sorted(
        (n, sorted(j)) for n, j in phones.items() if len(j) > 1 and n not in general
    )


def url_problem(url: str) -> str | None:
    """What is wrong with a URL, or ``None``."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return "not https"
    if not _HOST_RE.match(parts.hostname or ""):
        return "bad host name"
    if any(ch.isspace() for ch in url) or url.count("://") != 1:
        return "malformed"
    return None


def render_markdown(report: Report, today: dt.date) -> str:
    """The report as Markdown (written to ``results/kb-report.md``)."""
    lines = [f"# Knowledge-base report ({today.isoformat()})", ""]
    lines += [f"{SERVICE} service · {NOT_OFFERED} declared not offered (refers elsewhere) · "
              f"{HOLE} hole", ""]  # fmt: skip
    for title, kinds, places in (
        ("Provinces and territories", report.provincial_kinds, report.provinces),
        ("Municipalities", report.municipal_kinds, report.municipalities),
    ):
        lines += [f"## {title}", "", "| kind | " + " | ".join(_short(p) for p in places) + " |"]
        lines.append("|---|" + "---|" * len(places))
        for kind in kinds:
            row = [report.cells.get((kind, p), HOLE) for p in places]
            lines.append(f"| {kind} | " + " | ".join(row) + " |")
        lines.append("")
    stale_title = f"Not verified in the last {STALE_AFTER_DAYS} days"
    sections = [
        ("Holes in the required coverage", [f"{k} in {p}" for k, p in report.holes]),
        (stale_title, [f"{i} ({d})" for i, d in report.stale]),
        ("Identical English and French text", [f"{i}: {f}" for i, f in report.same_text]),
        ("Keywords missing in a language", [f"{i}: {g}" for i, g in report.missing_keywords]),
        ("Malformed URLs", [f"{w}: {u}" for w, u in report.bad_urls]),
        ("Malformed phone numbers", [f"{w}: {n}" for w, n in report.bad_phones]),
        (
            "One online page for more than two kinds",
            [f"{u}: {', '.join(k)}" for u, k in report.duplicate_urls],
        ),
        (
            "One phone number in several jurisdictions",
            [f"{n}: {', '.join(j)}" for n, j in report.duplicate_phones],
        ),
    ]
    for title, items in sections:
        lines += [f"## {title} ({len(items)})", ""] + [f"- {item}" for item in items] + [""]
    return "\n".join(lines)


def _short(jurisdiction: str) -> str:
    return jurisdiction.removeprefix("ca-")


def summary(report: Report) -> str:
    """A few lines for the terminal."""
    pt_total = len(report.provincial_kinds) * len(report.provinces)
    mu_total = len(report.municipal_kinds) * len(report.municipalities)
    pt_holes = sum(1 for _, p in report.holes if p in report.provinces)
    mu_holes = len(report.holes) - pt_holes
    lines = [
        f"provinces/territories: {pt_total - pt_holes}/{pt_total} required cells covered",
        f"municipalities: {mu_total - mu_holes}/{mu_total} required cells covered",
        f"stale (> {STALE_AFTER_DAYS} days): {len(report.stale)}; identical en/fr text: "
        f"{len(report.same_text)}; keywords missing in a language: {len(report.missing_keywords)}",
        f"malformed URLs: {len(report.bad_urls)}; malformed phones: {len(report.bad_phones)}; "
        f"shared online pages: {len(report.duplicate_urls)}; shared phone numbers: "
        f"{len(report.duplicate_phones)}",
    ]
    if report.holes:
        per_place: dict[str, int] = defaultdict(int)
        for _, place in report.holes:
            per_place[_short(place)] += 1
        lines.append(
            f"{len(report.holes)} HOLES (kinds missing per jurisdiction): "
            + ", ".join(f"{p} {n}" for p, n in per_place.items())
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the report, write it as Markdown, exit 1 on a coverage hole."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", type=Path, default=None, help="knowledge folder")
    parser.add_argument("--out", type=Path, default=Path("results/kb-report.md"))
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today())
    args = parser.parse_args(argv)
    kb = load_for_command(args.knowledge)
    if kb is None:
        return 2
    report = build_report(kb, args.today)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_markdown(report, args.today), encoding="utf-8")
    print(summary(report))
    print(f"full report: {args.out}")
    return 1 if report.holes else 0


if __name__ == "__main__":
    sys.exit(main())
