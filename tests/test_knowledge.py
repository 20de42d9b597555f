"""The knowledge base loads whole or not at all, and names file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeError, load_knowledge
from bot.paths import knowledge_dir

GOOD_SERVICE = """\
jurisdiction: ca-on
government: {en: Government of Ontario, fr: gouvernement de l'Ontario}
organizations:
  - id: test-org
    name: {en: Test office, fr: Bureau test}
services:
  - id: ca-on.health-card.test
    kind: health-card
    name: {en: Test card, fr: Carte test}
    authority: test-org
    why: {en: Provinces do this., fr: Les provinces s'en occupent.}
    channels:
      - type: phone
        number: "+1-800-555-0100"
    source: https://www.ontario.ca/
    last_verified: 2026-11-01
"""


def _copy_kb(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(knowledge_dir(), folder)
    return folder


def test_real_knowledge_base_loads(kb):
    assert len(kb.services) > 100
    assert set(kb.life_events) == set(kb.contract.life_events)


def test_good_extra_file_loads(tmp_path):
    folder = _copy_kb(tmp_path)
    (folder / "zz-test.yml").write_text(GOOD_SERVICE, encoding="utf-8")
    assert "ca-on.health-card.test" in load_knowledge(folder).services


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "message"),
    [
        ("kind: health-card", "kind: health-cards", 8, "services[0].kind", "unknown kind"),
        ("jurisdiction: ca-on", "jurisdiction: ca-zz", 1, "jurisdiction", "unknown jurisdiction"),
        (", fr: Carte test}", "}", 9, "services[0].name.fr", "missing text"),
        ('"+1-800-555-0100"', '"1 800 555 0100"', 14, "services[0].channels[0].number", "phone"),
        ("source: https", "source: https", None, None, None),
        ("type: phone", "type: carrier-pigeon", 13, "services[0].channels[0].type", "channel type"),
        ("authority: test-org", "authority: nobody", 10, "services[0].authority", "organization"),
        ("last_verified: 2026-11-01", "last_verified: soon", 16, "last_verified", "YYYY-MM-DD"),
        # The caller's local time only makes sense for a national line.
        (
            '"+1-800-555-0100"',
            '"+1-800-555-0100"\n        schedule: {mon-fri: "08:30-16:30"}'
            "\n        timezone: local",
            16,
            "services[0].channels[0].timezone",
            "federal",
        ),
    ],
)
def test_malformed_file_names_file_line_field(tmp_path, old, new, line, field, message):
    folder = _copy_kb(tmp_path)
    (folder / "zz-test.yml").write_text(GOOD_SERVICE.replace(old, new), encoding="utf-8")
    if field is None:
        load_knowledge(folder)
        return
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(folder)
    assert error.value.file.endswith("zz-test.yml")
    assert error.value.line == line
    assert field in error.value.field
    assert message in str(error.value)


def test_malformed_url(tmp_path):
    folder = _copy_kb(tmp_path)
    bad = GOOD_SERVICE.replace(
        '      - type: phone\n        number: "+1-800-555-0100"',
        "      - type: online\n        url: www.ontario.ca",
    )
    (folder / "zz-test.yml").write_text(bad, encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"zz-test.yml:14: .*url: malformed URL"):
        load_knowledge(folder)


def test_duplicate_service_id(tmp_path, kb):
    folder = _copy_kb(tmp_path)
    existing = next(iter(s for s in kb.services.values() if s.jurisdiction == "ca-on"))
    dup = GOOD_SERVICE.replace("ca-on.health-card.test", existing.id).replace(
        "kind: health-card", f"kind: {existing.kind}"
    )
    (folder / "zz-test.yml").write_text(dup, encoding="utf-8")
    with pytest.raises(KnowledgeError, match="duplicate service id"):
        load_knowledge(folder)


def test_yaml_syntax_error_has_line(tmp_path):
    folder = _copy_kb(tmp_path)
    (folder / "zz-test.yml").write_text(GOOD_SERVICE + "  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(folder)
    assert error.value.line >= 17
    assert error.value.field == "(yaml)"


def test_every_kind_order_and_jurisdiction_agree(kb):
    for service in kb.services.values():
        jurisdiction = kb.contract.jurisdictions[service.jurisdiction]
        assert service.order == jurisdiction.order
        assert service.kind in kb.contract.kinds


def test_required_coverage(kb):
    """Issue 2 coverage: federal kinds, four provinces, four cities."""
    contract = kb.contract
    federal_only = [k.code for k in contract.kinds.values() if k.usually == ("federal",)]
    for kind in federal_only:
        assert any(s.order == "federal" for s in kb.by_kind.get(kind, [])), kind
    for province in ("ca-on", "ca-qc", "ca-bc", "ca-ab"):
        assert kb.government(province) and kb.government(province).general_line, province
        covered = {s.kind for s in kb.services.values() if s.jurisdiction == province}
        assert len(covered) >= 30, (province, len(covered))
    for city in ("ca-on-toronto", "ca-qc-montreal", "ca-on-ottawa", "ca-bc-vancouver"):
        covered = {s.kind for s in kb.services.values() if s.jurisdiction == city}
        municipal_only = {k.code for k in contract.kinds.values() if k.usually == ("municipal",)}
        assert municipal_only <= covered, (city, municipal_only - covered)
    assert kb.government("ca") is not None and kb.government("ca").general_line is not None
