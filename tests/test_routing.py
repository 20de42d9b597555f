"""Routing: the taxonomy's exceptions, location questions, life-event bundles."""

from __future__ import annotations

import pytest

from bot.location import Location
from bot.routing import general_contact, needs_location, rank, resolve_event

ON, QC, BC, AB = Location("ca-on"), Location("ca-qc"), Location("ca-bc"), Location("ca-ab")
TORONTO = Location("ca-on", "ca-on-toronto")
OTTAWA = Location("ca-on", "ca-on-ottawa")
MONTREAL = Location("ca-qc", "ca-qc-montreal")


def first(kb, kind, where, text=""):
    ranked = rank(kb, kind, where, text)
    assert ranked, (kind, where)
    return ranked[0].jurisdiction


@pytest.mark.parametrize(
    ("kind", "where", "expected"),
    [
        ("parental-benefits", ON, "ca"),  # EI maternity and parental
        ("parental-benefits", QC, "ca-qc"),  # RQAP, not EI
        ("public-pension", AB, "ca"),  # CPP
        ("public-pension", QC, "ca-qc"),  # QPP (Retraite Québec)
        ("sales-tax-registration", ON, "ca"),  # CRA GST/HST
        ("sales-tax-registration", QC, "ca-qc"),  # Revenu Québec administers GST and QST
        ("social-assistance", TORONTO, "ca-on-toronto"),  # Ontario Works, delivered by the city
        ("social-assistance", OTTAWA, "ca-on-ottawa"),
        ("social-assistance", Location("ca-on", "ca-on-hamilton"), "ca-on-hamilton"),
        ("social-assistance", Location("ca-on", town="Kenora"), "ca-on"),  # no city entry
        ("social-assistance", Location("ca-mb", "ca-mb-winnipeg"), "ca-mb"),  # EIA, provincial
        ("criminal-record-check", Location("ca-nb", "ca-nb-moncton"), "ca"),  # Codiac RCMP
        ("criminal-record-check", Location("ca-ab", "ca-ab-calgary"), "ca-ab-calgary"),
        ("sales-tax-registration", Location("ca-ns"), "ca"),  # HST, CRA
        ("student-aid", Location("ca-nu"), "ca-nu"),  # FANS
        ("social-assistance", MONTREAL, "ca-qc"),
        ("marriage", TORONTO, "ca-on-toronto"),  # municipal clerks issue Ontario licences
        ("health-card", QC, "ca-qc"),
        ("drivers-licence", BC, "ca-bc"),
        ("passport", MONTREAL, "ca"),
        ("garbage-recycling", Location("ca-bc", "ca-bc-vancouver"), "ca-bc-vancouver"),
        ("criminal-record-check", TORONTO, "ca-on-toronto"),
        ("child-benefit", QC, "ca"),  # Canada Child Benefit first, then Quebec's allowance
    ],
)
def test_taxonomy_exceptions(kb, kind, where, expected):
    assert first(kb, kind, where) == expected


def test_quebec_child_benefit_also_lists_family_allowance(kb):
    ranked = rank(kb, "child-benefit", QC)
    assert [s.jurisdiction for s in ranked[:2]] == ["ca", "ca-qc"]


@pytest.mark.parametrize(
    "text", ["I work at a bank and they won't pay my overtime", "je travaille pour une banque"]
)
def test_federally_regulated_workplace(kb, text):
    assert first(kb, "employment-standards", ON, text) == "ca"
    assert first(kb, "employment-standards", QC, text) == "ca"


def test_provincial_employment_standards_otherwise(kb):
    assert first(kb, "employment-standards", ON, "my boss won't pay my overtime") == "ca-on"


@pytest.mark.parametrize("kind", ["passport", "social-insurance-number", "old-age-security"])
def test_federal_needs_no_location(kb, kind):
    assert not needs_location(kb, kind)


@pytest.mark.parametrize(
    "kind", ["health-card", "garbage-recycling", "parental-benefits", "public-pension"]
)
def test_location_dependent_kinds_ask(kb, kind):
    assert needs_location(kb, kind)


def test_federal_services_never_excluded_without_location(kb):
    assert first(kb, "parental-benefits", Location()) == "ca"


def test_life_event_bundle_crosses_orders(kb):
    bundle = resolve_event(kb, "having-a-baby", QC)
    orders = {s.order for s in bundle}
    assert {"federal", "provincial"} <= orders
    assert [s.kind for s in bundle] == [
        k for k in kb.life_events["having-a-baby"].kinds if k in {s.kind for s in bundle}
    ]
    assert next(s for s in bundle if s.kind == "parental-benefits").jurisdiction == "ca-qc"


def test_general_contact(kb):
    assert general_contact(kb, Location()).line.number == "+1-800-622-6232"
    assert general_contact(kb, ON).government.jurisdiction == "ca-on"
    assert general_contact(kb, TORONTO).government.jurisdiction == "ca-on-toronto"
    assert general_contact(kb, TORONTO, federal=True).government.jurisdiction == "ca"
