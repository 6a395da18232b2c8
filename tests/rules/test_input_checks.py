"""Well-formedness of quote requests (INVALID_INPUT, before any FI-*/TR-*/C-* rule):
currencies (ISO 4217, and the product's own, FI/TR in EUR), amounts (> 0, at most 2
decimals; a zero financed amount is left to FI-E4), dates, NACE sectors (C-4 needs
one), country codes, and the facts each product needs (FI invoice, TR shipment).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.rules.catalogue import FI, TR
from domain.rules.input_checks import input_problems, nace_division
from domain.rules.money import Money
from domain.rules.quote_request import FinancingFacts

REQUEST = date(2025, 3, 3)


def problems(req, spec):
    found = input_problems(req, spec)
    assert all(p.rule == "INVALID_INPUT" for p in found)
    assert all(p.message.strip() for p in found)
    return [(p.rule, p.field) for p in found]


def invalid(*field: str):
    return [("INVALID_INPUT", ("input", *field))]


def test_default_requests_are_well_formed(fi_request, tr_request):
    assert input_problems(fi_request(), FI) == []
    assert input_problems(tr_request(), TR) == []


# Currencies


@pytest.mark.parametrize("currency", ["EUX", "eur", "XXX", "EURO", ""])
def test_unknown_currency_is_invalid(tr_request, currency: str):
    req = tr_request(currency=currency)
    assert problems(req, TR) == invalid("shipment", "guaranteedAmount", "currency")


def test_unknown_currency_on_the_invoice_names_each_money_field(fi_request):
    req = fi_request(currency="ZZZ")
    assert problems(req, FI) == [
        ("INVALID_INPUT", ("input", "invoice", "amount", "currency")),
        ("INVALID_INPUT", ("input", "invoice", "vatAmount", "currency")),
        ("INVALID_INPUT", ("input", "financing", "financedAmount", "currency")),
    ]


def test_unknown_currency_message_names_the_code(fi_request):
    (problem, *_) = input_problems(fi_request(currency="EUX"), FI)
    assert "EUX" in problem.message


def test_currency_not_offered_by_fi_is_invalid(fi_request):
    req = fi_request()
    req = replace(req, invoice=replace(req.invoice, amount=Money(Decimal("100.00"), "USD")))
    found = input_problems(req, FI)
    assert [(p.rule, p.field) for p in found] == invalid("invoice", "amount", "currency")
    assert "EUR" in found[0].message and "USD" in found[0].message


def test_currency_not_offered_by_tr_is_invalid(tr_request):
    req = tr_request(currency="GBP")
    assert problems(req, TR) == invalid("shipment", "guaranteedAmount", "currency")


def test_financed_amount_in_a_currency_not_offered_is_invalid(fi_request):
    req = fi_request(financing=FinancingFacts("FIN-1", Money(Decimal("100.00"), "CHF")))
    assert problems(req, FI) == invalid("financing", "financedAmount", "currency")


# Amounts


def test_negative_invoice_amount_is_invalid(fi_request):
    assert problems(fi_request(amount="-1.00"), FI) == invalid("invoice", "amount", "amount")


def test_zero_invoice_amount_is_invalid(fi_request):
    assert problems(fi_request(amount="0.00"), FI) == invalid("invoice", "amount", "amount")


def test_negative_vat_is_invalid_but_zero_vat_is_fine(fi_request):
    assert problems(fi_request(vat="-0.01"), FI) == invalid("invoice", "vatAmount", "amount")
    assert problems(fi_request(vat="0.00"), FI) == []


def test_negative_financed_amount_is_invalid(fi_request):
    req = fi_request(financed="-0.01")
    assert problems(req, FI) == invalid("financing", "financedAmount", "amount")


def test_zero_financed_amount_is_left_to_fi_e4(fi_request):
    assert problems(fi_request(financed="0.00"), FI) == []


@pytest.mark.parametrize("guaranteed", ["-5.00", "0.00"])
def test_guaranteed_amount_not_above_zero_is_invalid(tr_request, guaranteed: str):
    req = tr_request(guaranteed=guaranteed)
    assert problems(req, TR) == invalid("shipment", "guaranteedAmount", "amount")


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"amount": "100.001"}, ("invoice", "amount", "amount")),
        ({"vat": "21.005"}, ("invoice", "vatAmount", "amount")),
        ({"financed": "80.0001"}, ("financing", "financedAmount", "amount")),
    ],
)
def test_amount_with_more_than_2_decimals_is_invalid(fi_request, override, field):
    assert problems(fi_request(**override), FI) == invalid(*field)


def test_guaranteed_amount_with_more_than_2_decimals_is_invalid(tr_request):
    req = tr_request(guaranteed="1500.005")
    assert problems(req, TR) == invalid("shipment", "guaranteedAmount", "amount")


@pytest.mark.parametrize("amount", ["100.1", "100", "100.10"])
def test_amount_with_at_most_2_decimals_is_valid(fi_request, amount: str):
    assert problems(fi_request(amount=amount), FI) == []


# Dates


def test_due_date_before_issue_date_is_invalid(fi_request):
    req = fi_request(
        request_date=REQUEST,
        issue_date=REQUEST + timedelta(days=40),
        due_date=REQUEST + timedelta(days=39),
    )
    assert problems(req, FI) == invalid("invoice", "dueDate")


def test_due_date_on_issue_date_is_well_formed(fi_request):
    day = REQUEST + timedelta(days=40)
    assert problems(fi_request(request_date=REQUEST, issue_date=day, due_date=day), FI) == []


# Companies: NACE sector, country, identity


@pytest.mark.parametrize("sector", ["4941", "49.411", "A49.41", "49.", "4.9", "", "forty-nine"])
@pytest.mark.parametrize("party", ["buyer", "seller"])
def test_malformed_nace_sector_is_invalid(fi_request, company, party: str, sector: str):
    req = fi_request(**{party: company(sector=sector)})
    assert problems(req, FI) == invalid(party, "sector")


@pytest.mark.parametrize(
    ("sector", "division"),
    [("49.41", 49), ("49.4", 49), ("49", 49), ("01.11", 1), (" 64.19 ", 64), ("4941", None)],
)
def test_nace_division(sector: str, division):
    assert nace_division(sector) == division


@pytest.mark.parametrize(
    "country",
    [
        "es",
        "Es",
        "ESP",
        "E",
        "",
        "E1",
        " ES",
        "ES\n",  # a trailing newline once slipped through ^...$
    ],
)
@pytest.mark.parametrize("party", ["buyer", "seller"])
def test_bad_country_code_is_invalid(tr_request, company, party: str, country: str):
    req = tr_request(**{party: company(country=country)})
    assert problems(req, TR) == invalid(party, "country")


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"registration_number": " "}, "registrationNumber"),
        ({"name": ""}, "name"),
    ],
)
def test_empty_company_identity_is_invalid(tr_request, company, override, field: str):
    assert problems(tr_request(buyer=company(**override)), TR) == invalid("buyer", field)


def test_empty_invoice_number_is_invalid(fi_request):
    req = fi_request()
    req = replace(req, invoice=replace(req.invoice, number="  "))
    assert problems(req, FI) == invalid("invoice", "number")


# The facts each product needs


def test_missing_invoice_for_fi_is_invalid(fi_request):
    assert problems(fi_request(invoice=None), FI) == invalid("invoice")


def test_missing_shipment_for_tr_is_invalid(tr_request):
    assert problems(tr_request(shipment=None), TR) == invalid("shipment")


def test_every_problem_is_reported_not_just_the_first(fi_request, company):
    req = fi_request(
        request_date=REQUEST,
        issue_date=REQUEST + timedelta(days=10),
        due_date=REQUEST + timedelta(days=9),
        amount="-1.001",
        buyer=company(country="fr", sector="49-41"),
    )
    assert problems(req, FI) == [
        ("INVALID_INPUT", ("input", "buyer", "country")),
        ("INVALID_INPUT", ("input", "buyer", "sector")),
        ("INVALID_INPUT", ("input", "invoice", "amount", "amount")),
        ("INVALID_INPUT", ("input", "invoice", "amount", "amount")),
        ("INVALID_INPUT", ("input", "invoice", "dueDate")),
    ]
