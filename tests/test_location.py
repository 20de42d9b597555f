"""Location parsing: names in both languages, abbreviations, cities, postal codes.

Any text, however odd, is in test_no_crash.
"""

from __future__ import annotations

import pytest

from bot.location import Location, parse_location


@pytest.fixture(scope="module")
def parse(kb):
    return lambda text: parse_location(text, kb.contract, kb.fsa_cities)


@pytest.mark.parametrize(
    ("text", "province", "city"),
    [
        ("I live in Ontario", "ca-on", None),
        ("j'habite en Colombie-Britannique", "ca-bc", None),
        ("Nouveau-Brunswick", "ca-nb", None),
        ("ON", "ca-on", None),
        ("qc", "ca-qc", None),
        ("pei", "ca-pe", None),
        ("Toronto", "ca-on", "ca-on-toronto"),
        ("on est à montréal", "ca-qc", "ca-qc-montreal"),
        ("montreal", "ca-qc", "ca-qc-montreal"),
        ("ville de Québec", "ca-qc", "ca-qc-quebec"),
        ("Quebec", "ca-qc", None),
        ("st. john's", "ca-nl", "ca-nl-st-johns"),
        ("H2X 1Y4", "ca-qc", "ca-qc-montreal"),
        ("h2x1y4", "ca-qc", "ca-qc-montreal"),
        ("M5V", "ca-on", "ca-on-toronto"),
        ("my postal code is k1a 0b1", "ca-on", "ca-on-ottawa"),
        ("X0A 0H0", "ca-nu", None),  # X0A is all of eastern Nunavut, not one town
        ("X1A 2P3", "ca-nt", "ca-nt-yellowknife"),
        ("saskatoun", "ca-sk", "ca-sk-saskatoon"),
        ("carte didentite de lalberta", "ca-ab", None),  # elision typed without apostrophe
        ("london ontario", "ca-on", "ca-on-london"),
    ],
)
def test_recognized(parse, text, province, city):
    found = parse(text)
    assert (found.province, found.municipality) == (province, city)


@pytest.mark.parametrize(
    "text",
    [
        "a man stole my wallet",  # "Man." is Manitoba only written so
        "ils ont perdu mon dossier",  # "Ont." likewise
        "renouveler ma carte soleil",
        "I need to go to the office",
        "",
    ],
)
def test_not_a_location(parse, text):
    assert parse(text) == Location()


def test_only_the_fsa_is_kept(parse):
    found = parse("H2X 1Y4")
    assert found.fsa == "H2X"
    assert "1Y4" not in repr(found)
