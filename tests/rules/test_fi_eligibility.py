"""FI quote eligibility at the boundaries: FI-E1, FI-E2, FI-E3, FI-E4, and C-5 (every
violated rule listed, in the catalogue's order) with FI-E5 (C-1, C-2, C-4 apply to FI).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from domain.rules.catalogue import FI, RULE_TEXTS
from domain.rules.eligibility import quote_violations
from domain.rules.money import Money
from domain.rules.quote_request import FinancingFacts

REQUEST = date(2025, 3, 3)

AMOUNT = ("input", "invoice", "amount", "amount")
DUE_DATE = ("input", "invoice", "dueDate")
FINANCING = ("input", "financing")
REFERENCE = ("input", "financing", "reference")
FINANCED_AMOUNT = ("input", "financing", "financedAmount", "amount")


def found(req):
    """(rule, field) of every FI violation of the request, in reported order."""
    return [(v.rule, v.field) for v in quote_violations(req, FI)]


def test_default_fi_request_is_eligible(fi_request):
    assert quote_violations(fi_request(), FI) == []


# FI-E1: invoice face amount <= 30,000.00 EUR (excluding VAT).


def test_fi_e1_invoice_of_30000_00_is_eligible(fi_request):
    assert found(fi_request(amount="30000.00")) == []


def test_fi_e1_invoice_of_30000_01_is_refused(fi_request):
    violations = quote_violations(fi_request(amount="30000.01"), FI)
    assert [(v.rule, v.field) for v in violations] == [("FI-E1", AMOUNT)]
    assert "30000.01" in violations[0].message
    assert "30000.00" in violations[0].message


def test_fi_e1_invoice_of_29999_99_is_eligible(fi_request):
    assert found(fi_request(amount="29999.99")) == []


def test_fi_e1_vat_does_not_count_towards_the_maximum(fi_request):
    assert found(fi_request(amount="30000.00", vat="6300.00")) == []


# FI-E2: due_date - request_date >= 30 days.


def test_fi_e2_due_date_30_days_after_request_is_eligible(fi_request):
    req = fi_request(request_date=REQUEST, due_date=REQUEST + timedelta(days=30))
    assert found(req) == []


def test_fi_e2_due_date_29_days_after_request_is_refused(fi_request):
    req = fi_request(request_date=REQUEST, due_date=REQUEST + timedelta(days=29))
    violations = quote_violations(req, FI)
    assert [(v.rule, v.field) for v in violations] == [("FI-E2", DUE_DATE)]
    assert "29 days" in violations[0].message


def test_fi_e2_due_date_31_days_after_request_is_eligible(fi_request):
    req = fi_request(request_date=REQUEST, due_date=REQUEST + timedelta(days=31))
    assert found(req) == []


def test_fi_e2_counts_calendar_days_across_a_leap_day(fi_request):
    # 2024-02-10 + 30 calendar days = 2024-03-11 (29 February counts).
    request = date(2024, 2, 10)
    ok = fi_request(request_date=request, due_date=date(2024, 3, 11))
    refused = fi_request(request_date=request, due_date=date(2024, 3, 10))
    assert found(ok) == []
    assert found(refused) == [("FI-E2", DUE_DATE)]


def test_fi_e2_due_date_before_request_is_refused(fi_request):
    req = fi_request(request_date=REQUEST, due_date=REQUEST - timedelta(days=1))
    assert found(req) == [("FI-E2", DUE_DATE)]


# FI-E3: payment term due_date - issue_date <= 180 days.


def _with_term(fi_request, days: int):
    due = REQUEST + timedelta(days=60)  # FI-E2 satisfied whatever the term
    return fi_request(request_date=REQUEST, due_date=due, issue_date=due - timedelta(days=days))


def test_fi_e3_payment_term_180_days_is_eligible(fi_request):
    assert found(_with_term(fi_request, 180)) == []


def test_fi_e3_payment_term_181_days_is_refused(fi_request):
    violations = quote_violations(_with_term(fi_request, 181), FI)
    assert [(v.rule, v.field) for v in violations] == [("FI-E3", DUE_DATE)]
    assert "181 days" in violations[0].message


def test_fi_e3_payment_term_179_days_is_eligible(fi_request):
    assert found(_with_term(fi_request, 179)) == []


# FI-E4: financing reference and 0 < financed <= invoice amount incl. VAT.


def test_fi_e4_missing_financing_is_refused(fi_request):
    assert found(fi_request(financing=None)) == [("FI-E4", FINANCING)]


def test_fi_e4_empty_financing_reference_is_refused(fi_request):
    assert found(fi_request(reference="")) == [("FI-E4", REFERENCE)]


def test_fi_e4_blank_financing_reference_is_refused(fi_request):
    assert found(fi_request(reference="   ")) == [("FI-E4", REFERENCE)]


def test_fi_e4_financed_amount_0_is_refused(fi_request):
    assert found(fi_request(financed="0.00")) == [("FI-E4", FINANCED_AMOUNT)]


def test_fi_e4_financed_amount_0_01_is_eligible(fi_request):
    assert found(fi_request(financed="0.01")) == []


def test_fi_e4_financed_amount_equal_to_amount_plus_vat_is_eligible(fi_request):
    # 10,000.00 + 2,100.00 VAT = 12,100.00
    assert found(fi_request(amount="10000.00", vat="2100.00", financed="12100.00")) == []


def test_fi_e4_financed_amount_above_amount_plus_vat_by_0_01_is_refused(fi_request):
    req = fi_request(amount="10000.00", vat="2100.00", financed="12100.01")
    violations = quote_violations(req, FI)
    assert [(v.rule, v.field) for v in violations] == [("FI-E4", FINANCED_AMOUNT)]
    assert "12100.01" in violations[0].message
    assert "12100.00" in violations[0].message


def test_fi_e4_financed_amount_below_amount_plus_vat_by_0_01_is_eligible(fi_request):
    assert found(fi_request(amount="10000.00", vat="2100.00", financed="12099.99")) == []


def test_fi_e4_empty_reference_and_zero_amount_are_both_reported(fi_request):
    req = fi_request(
        financing=FinancingFacts(reference="", financed_amount=Money(Decimal("0.00"), "EUR"))
    )
    assert found(req) == [("FI-E4", REFERENCE), ("FI-E4", FINANCED_AMOUNT)]


# C-5 (with FI-E5): every violated rule, in the catalogue's order, with its field.


def test_fi_request_breaking_every_rule_lists_all_in_catalogue_order(fi_request, company):
    seller = company(country="ES", registration_number="B12345678", group="Grupo Levante")
    buyer = company(
        country="ES",
        registration_number="A87654321",
        legal_form="SOLE_TRADER",
        sector="64.19",  # C-4: financial services
        group="grupo levante",  # C-2: same group as the seller
    )
    req = fi_request(
        request_date=REQUEST,
        issue_date=REQUEST - timedelta(days=200),  # term 209 days: FI-E3
        due_date=REQUEST + timedelta(days=9),  # 9 days after the request: FI-E2
        amount="30000.01",  # FI-E1
        vat="6300.00",
        reference=" ",  # FI-E4
        financed="0.00",  # FI-E4
        seller=seller,
        buyer=buyer,
    )

    violations = quote_violations(req, FI)

    assert [(v.rule, v.field) for v in violations] == [
        ("FI-E1", AMOUNT),
        ("FI-E2", DUE_DATE),
        ("FI-E3", DUE_DATE),
        ("FI-E4", REFERENCE),
        ("FI-E4", FINANCED_AMOUNT),
        ("C-1", ("input", "buyer", "legalForm")),
        ("C-2", ("input", "buyer", "group")),
        ("C-4", ("input", "buyer", "sector")),
    ]
    reported = list(dict.fromkeys(v.rule for v in violations))
    assert reported == list(FI.quote_rules)
    assert all(v.message.strip() for v in violations)
    assert all(v.rule in RULE_TEXTS for v in violations)


def test_fi_multi_violation_keeps_catalogue_order_for_a_subset(fi_request, company):
    req = fi_request(
        request_date=REQUEST,
        due_date=REQUEST + timedelta(days=10),  # FI-E2
        financing=None,  # FI-E4
        buyer=company(legal_form="PUBLIC_BODY"),  # C-1
    )
    assert found(req) == [
        ("FI-E2", DUE_DATE),
        ("FI-E4", FINANCING),
        ("C-1", ("input", "buyer", "legalForm")),
    ]
