"""``make kb-report``: coverage holes fail it; freshness and contact problems are listed."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from bot.kb_report import (
    HOLE,
    NOT_OFFERED,
    SERVICE,
    build_report,
    main,
    render_markdown,
    url_problem,
)

TODAY = dt.date(2026, 11, 23)


def test_every_required_cell_is_a_service_or_declared(kb):
    report = build_report(kb, TODAY)
    assert report.provincial_kinds and report.municipal_kinds
    for kind, place in report.holes:
        assert report.cells.get((kind, place)) is None
    for kinds, places in (
        (report.provincial_kinds, report.provinces),
        (report.municipal_kinds, report.municipalities),
    ):
        for kind in kinds:
            for place in places:
                assert report.cells.get((kind, place), HOLE) in (SERVICE, NOT_OFFERED, HOLE)


def test_removing_a_service_makes_a_hole(kb):
    victim = next(s for s in kb.services.values() if s.id == "ca-on.health-card")
    services = {k: v for k, v in kb.services.items() if k != victim.id}
    report = build_report(replace(kb, services=services), TODAY)
    assert ("health-card", "ca-on") in report.holes
    assert "health-card in ca-on" in render_markdown(report, TODAY)


def test_old_entries_are_stale(kb):
    later = dt.date.fromisoformat(max(s.last_verified for s in kb.services.values()))
    report = build_report(kb, later + dt.timedelta(days=400))
    assert len(report.stale) >= len(kb.services)
    assert not build_report(kb, TODAY).stale or all(
        d < "2025-11-23" for _, d in build_report(kb, TODAY).stale
    )


def test_url_problems():
    assert url_problem("https://www.canada.ca/en.html") is None
    assert url_problem("http://www.canada.ca/") == "not https"
    assert url_problem("https://localhost/") == "bad host name"
    assert url_problem("https://www.canada.ca/a b") == "malformed"


def test_main_exit_code_follows_holes(kb, tmp_path, capsys):
    code = main(["--out", str(tmp_path / "r.md"), "--today", TODAY.isoformat()])
    out = capsys.readouterr().out
    assert code == (1 if build_report(kb, TODAY).holes else 0)
    assert "required cells covered" in out
    assert (tmp_path / "r.md").read_text().startswith("# Knowledge-base report")
