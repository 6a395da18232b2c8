"""TR quote eligibility at the boundaries: TR-T0 (bought before loading, same day allowed),
TR-T1 (unloading by day 10, so loading no later than day 10), and C-5 (every violated
rule listed in the catalogue's order) with C-1, C-2, C-4 (TR-X1).
"""

from __future__ import annotations

from datetime import date, timedelta

from domain.rules.catalogue import RULE_TEXTS, TR
from domain.rules.eligibility import quote_violations

REQUEST = date(2025, 3, 3)  # the purchase date: day 0
LOADING = ("input", "shipment", "loadingDate")
LEGAL_FORM = ("input", "buyer", "legalForm")
GROUP = ("input", "buyer", "group")
SECTOR = ("input", "buyer", "sector")


def found(req):
    """(rule, field) of every TR violation of the request, in reported order."""
    return [(v.rule, v.field) for v in quote_violations(req, TR)]


def loading_on_day(tr_request, day: int, **overrides):
    return tr_request(request_date=REQUEST, loading_date=REQUEST + timedelta(days=day), **overrides)


def test_default_tr_request_is_eligible(tr_request):
    assert quote_violations(tr_request(), TR) == []


# TR-T0: loading date >= purchase date.


def test_tr_t0_loading_same_day_as_purchase_is_eligible(tr_request):
    assert found(loading_on_day(tr_request, 0)) == []


def test_tr_t0_loading_day_before_purchase_is_refused(tr_request):
    violations = quote_violations(loading_on_day(tr_request, -1), TR)
    assert [(v.rule, v.field) for v in violations] == [("TR-T0", LOADING)]
    assert "2025-03-02" in violations[0].message
    assert "2025-03-03" in violations[0].message


def test_tr_t0_loading_day_after_purchase_is_eligible(tr_request):
    assert found(loading_on_day(tr_request, 1)) == []


# TR-T1: unloading by day 10, so a loading after day 10 is refused.


def test_tr_t1_loading_on_day_10_is_eligible(tr_request):
    assert found(loading_on_day(tr_request, 10)) == []


def test_tr_t1_loading_on_day_11_is_refused(tr_request):
    violations = quote_violations(loading_on_day(tr_request, 11), TR)
    assert [(v.rule, v.field) for v in violations] == [("TR-T1", LOADING)]
    assert "2025-03-13" in violations[0].message  # day 10


def test_tr_t1_loading_on_day_9_is_eligible(tr_request):
    assert found(loading_on_day(tr_request, 9)) == []


def test_tr_t1_day_10_counts_calendar_days_across_month_end(tr_request):
    # Purchase 2024-02-25 (leap year): day 10 is 2024-03-06.
    purchase = date(2024, 2, 25)
    assert found(tr_request(request_date=purchase, loading_date=date(2024, 3, 6))) == []
    refused = tr_request(request_date=purchase, loading_date=date(2024, 3, 7))
    assert found(refused) == [("TR-T1", LOADING)]


def test_tr_does_not_apply_fi_rules(tr_request):
    # No invoice, no financing: the FI-E* rules are not TR's (its quote_rules).
    req = tr_request()
    assert req.invoice is None and req.financing is None
    assert found(req) == []


# C-5: every violated rule, in the catalogue's order.


def test_tr_request_loading_before_purchase_and_bad_buyer_lists_all_rules(tr_request, company):
    seller = company(country="ES", registration_number="B12345678", group="Grupo Levante")
    buyer = company(
        legal_form="PRIVATE_INDIVIDUAL",
        sector="97.00",  # households
        relationship="SUBSIDIARY",  # C-2 TR: a subsidiary of the carrier
    )
    req = loading_on_day(tr_request, -1, seller=seller, buyer=buyer)

    violations = quote_violations(req, TR)

    assert [(v.rule, v.field) for v in violations] == [
        ("TR-T0", LOADING),
        ("C-1", LEGAL_FORM),
        ("C-2", ("input", "buyer", "relationship")),
        ("C-4", SECTOR),
    ]
    assert all(v.message.strip() for v in violations)
    assert all(v.rule in RULE_TEXTS for v in violations)


def test_tr_request_loading_after_day_10_and_bad_buyer_lists_all_rules(tr_request, company):
    seller = company(country="ES", registration_number="B12345678")
    buyer = company(
        country="ES",
        registration_number="b12345678",  # the seller itself: C-2
        legal_form="SOLE_TRADER",
        sector="84.11",  # public administration
    )
    req = loading_on_day(tr_request, 11, seller=seller, buyer=buyer)

    violations = quote_violations(req, TR)

    assert [(v.rule, v.field) for v in violations] == [
        ("TR-T1", LOADING),
        ("C-1", LEGAL_FORM),
        ("C-2", GROUP),
        ("C-4", SECTOR),
    ]
    assert [v.rule for v in violations] == [r for r in TR.quote_rules if r != "TR-T0"]
