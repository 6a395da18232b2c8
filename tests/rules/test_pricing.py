"""Premiums and insured amounts: FI-P1 (rate x financed amount, rounded half-up to the
cent, rate overridable per partner), FI-C1 (insured amount = financed amount, 90%),
TR-P1 (1.70% of the guaranteed amount, no partner override), TR-S2 (90% coverage).

Tie examples are chosen so that half-up and banker's rounding (half-even) disagree;
each test also checks that the tie is real.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.rules.catalogue import FI, TR
from domain.rules.money import CENT, Money, round_cents
from domain.rules.pricing import effective_premium_rate, insured_amount, price

D = Decimal


def half_even(value: str) -> Decimal:
    return D(value).quantize(CENT, rounding=ROUND_HALF_EVEN)


# The product's rounding (money.round_cents)


@pytest.mark.parametrize(
    ("raw", "half_up", "banker"),
    [
        ("0.005", "0.01", "0.00"),
        ("0.025", "0.03", "0.02"),
        ("12.345", "12.35", "12.34"),
        ("2.6749", "2.67", "2.67"),
        ("2.675", "2.68", "2.68"),
    ],
)
def test_round_cents_is_half_up_not_bankers(raw: str, half_up: str, banker: str):
    assert round_cents(D(raw)) == D(half_up)
    assert half_even(raw) == D(banker)
    assert round_cents(D(raw)).as_tuple().exponent == -2


# FI-P1 with the catalogue rate (0.80 %)


@pytest.mark.parametrize(
    ("financed", "premium"),
    [
        ("8000.00", "64.00"),  # 0.008 x 8000.00 = 64.00000
        ("30000.00", "240.00"),  # 0.008 x 30000.00 = 240.00000
        ("1234.56", "9.88"),  # 0.008 x 1234.56 = 9.87648 -> 9.88
        ("12345.67", "98.77"),  # 0.008 x 12345.67 = 98.76536 -> 98.77
        ("1.25", "0.01"),  # 0.008 x 1.25 = 0.01000 -> 0.01
        ("0.63", "0.01"),  # 0.008 x 0.63 = 0.00504 -> 0.01 (just above half a cent)
        ("0.62", "0.00"),  # 0.008 x 0.62 = 0.00496 -> 0.00 (just below half a cent)
    ],
)
def test_fi_p1_premium_is_catalogue_rate_times_financed_amount(
    fi_request, financed: str, premium: str
):
    quoted = price(fi_request(financed=financed), FI)
    assert quoted.premium == Money(D(premium), "EUR")
    assert quoted.premium_rate == D("0.0080")


@pytest.mark.parametrize(
    ("rate", "financed", "exact", "premium"),
    [
        ("0.01", "1234.50", "12.345", "12.35"),  # half-even would give 12.34
        ("0.01", "0.50", "0.005", "0.01"),  # half-even would give 0.00
        ("0.0075", "6.00", "0.045", "0.05"),  # half-even would give 0.04
        ("0.0125", "3.60", "0.045", "0.05"),  # half-even would give 0.04
        ("0.005", "9.00", "0.045", "0.05"),  # half-even would give 0.04
    ],
)
def test_fi_p1_premium_ties_round_half_up_with_a_partner_rate(
    fi_request, rate: str, financed: str, exact: str, premium: str
):
    assert D(rate) * D(financed) == D(exact)
    assert half_even(exact) != D(premium)  # the example discriminates the rounding mode

    partner_rate = effective_premium_rate(FI, D(rate))
    quoted = price(fi_request(financed=financed), FI, partner_rate)

    assert quoted.premium == Money(D(premium), "EUR")
    assert quoted.premium_rate == D(rate)


def test_fi_p1_premium_is_on_financed_amount_not_invoice_amount(fi_request):
    # Invoice 10,000.00 + 2,100.00 VAT, financed 5,000.00: 0.008 x 5,000.00 = 40.00
    req = fi_request(amount="10000.00", vat="2100.00", financed="5000.00")
    assert price(req, FI).premium == Money(D("40.00"), "EUR")


# FI-P1 partner override vs TR-P1


def test_fi_p1_partner_rate_overrides_catalogue_rate():
    assert effective_premium_rate(FI, D("0.0120")) == D("0.0120")


def test_fi_p1_without_partner_rate_uses_catalogue_rate():
    assert effective_premium_rate(FI, None) == D("0.0080")


@pytest.mark.parametrize("partner_rate", [None, D("0.0120"), D("0.0050")])
def test_tr_p1_rate_ignores_partner_rate(partner_rate):
    assert effective_premium_rate(TR, partner_rate) == D("0.0170")


def test_tr_p1_partner_rate_has_no_effect_on_tr_premium(tr_request):
    # 0.017 x 1500.00 = 25.50 even though the partner has a 5% rate
    quoted = price(tr_request(guaranteed="1500.00"), TR, effective_premium_rate(TR, D("0.05")))
    assert quoted.premium == Money(D("25.50"), "EUR")
    assert quoted.premium_rate == D("0.0170")


# TR-P1: 1.70 % of the guaranteed amount


@pytest.mark.parametrize(
    ("guaranteed", "premium"),
    [
        ("1500.00", "25.50"),  # 0.017 x 1500.00 = 25.500
        ("1234.56", "20.99"),  # 0.017 x 1234.56 = 20.98752 -> 20.99
        ("5.00", "0.09"),  # 0.017 x 5.00 = 0.085 tie -> 0.09 (half-even: 0.08)
        ("25.00", "0.43"),  # 0.017 x 25.00 = 0.425 tie -> 0.43 (half-even: 0.42)
        ("105.00", "1.79"),  # 0.017 x 105.00 = 1.785 tie -> 1.79 (half-even: 1.78)
    ],
)
def test_tr_p1_premium_is_1_70_percent_of_guaranteed_amount(
    tr_request, guaranteed: str, premium: str
):
    quoted = price(tr_request(guaranteed=guaranteed), TR)
    assert quoted.premium == Money(D(premium), "EUR")
    assert quoted.premium_rate == D("0.0170")


# Insured amounts: FI-C1 (financed amount, 90 %), TR (guaranteed amount, 90 %, TR-S2)


def test_fi_c1_insured_amount_is_the_financed_amount(fi_request):
    req = fi_request(amount="10000.00", vat="2100.00", financed="8000.00")
    assert insured_amount(req, FI) == Money(D("8000.00"), "EUR")
    quoted = price(req, FI)
    assert quoted.insured_amount == Money(D("8000.00"), "EUR")
    assert quoted.coverage_percent == D("90")


def test_tr_insured_amount_is_the_guaranteed_amount(tr_request):
    req = tr_request(guaranteed="1500.00")
    assert insured_amount(req, TR) == Money(D("1500.00"), "EUR")
    quoted = price(req, TR)
    assert quoted.insured_amount == Money(D("1500.00"), "EUR")
    assert quoted.coverage_percent == D("90")


def test_fi_insured_amount_needs_financing(fi_request):
    with pytest.raises(ValueError, match="FI-E4"):
        insured_amount(fi_request(financing=None), FI)


def test_tr_insured_amount_needs_a_shipment(tr_request):
    with pytest.raises(ValueError, match="shipment"):
        insured_amount(tr_request(shipment=None), TR)


# Property (FI-P1, TR-P1): exact cents, never more than half a cent away


@given(
    amount=st.decimals(min_value=D("0.01"), max_value=D("999999999.99"), places=2),
    rate=st.decimals(min_value=D("0.0001"), max_value=D("0.1000"), places=4),
    product=st.sampled_from(["FI", "TR"]),
)
def test_premium_has_two_decimals_and_is_within_half_a_cent(
    fi_request, tr_request, amount: Decimal, rate: Decimal, product: str
):
    if product == "FI":
        quoted = price(fi_request(financed=str(amount)), FI, rate)
    else:
        quoted = price(tr_request(guaranteed=str(amount)), TR, rate)

    premium = quoted.premium.amount
    assert premium.as_tuple().exponent == -2
    assert abs(premium - rate * amount) <= D("0.005")
    assert quoted.premium.currency == "EUR"
