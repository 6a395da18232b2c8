"""The whole-turnover premium (WT-P1, seed 003 art. 3.a-b) and the reduction of an
indemnity for unpaid premium (WT-P2, seed 003 art. 3.d)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.rules.wt.premium import (
    adjustment_due,
    apply_unpaid_premium,
    rate_for_term,
    sale_premium,
    unpaid_premium_factor,
)
from domain.rules.wt.terms import PremiumRate

D = Decimal
#: Deliberately out of order: the rules sort them.
RATES = (
    PremiumRate(120, D("0.40")),
    PremiumRate(30, D("0.15")),
    PremiumRate(90, D("0.30")),
    PremiumRate(60, D("0.22")),
)


# WT-P1: the smallest bracket holding the term; above them all, the highest.


@pytest.mark.parametrize(
    ("term", "rate"),
    [
        (0, "0.15"),
        (30, "0.15"),
        (31, "0.22"),
        (60, "0.22"),
        (61, "0.30"),
        (90, "0.30"),
        (120, "0.40"),
        (121, "0.40"),
        (365, "0.40"),
    ],
)
def test_wt_p1_rate_for_term_by_bracket(term: int, rate: str):
    assert rate_for_term(RATES, term) == D(rate)


def test_wt_p1_no_rates_is_an_error():
    with pytest.raises(ValueError):
        rate_for_term((), 30)


def test_wt_p1_sale_premium_is_rate_times_sale():
    # 0.22% x 10,000.00 = 22.00.
    assert sale_premium(D("10000.00"), 45, RATES) == D("22.00")


def test_wt_p1_sale_premium_rounds_half_up():
    # 0.15% x 1,030.00 = 1.545 -> 1.55 (banker's: 1.54).
    assert sale_premium(D("1030.00"), 30, RATES) == D("1.55")
    # 0.30% x 1,015.00 = 3.045 -> 3.05 (banker's: 3.04).
    assert sale_premium(D("1015.00"), 90, RATES) == D("3.05")


# WT-P1: the monthly adjustment once the accrued premium exceeds the minimum.


@pytest.mark.parametrize(
    ("accrued", "minimum", "invoiced", "due"),
    [
        ("4000.00", "5000.00", "5000.00", "0.00"),  # below the minimum
        ("5000.00", "5000.00", "5000.00", "0.00"),  # equal: nothing yet
        ("5000.01", "5000.00", "5000.00", "0.01"),  # just above
        ("6200.00", "5000.00", "5000.00", "1200.00"),  # first adjustment
        ("6900.00", "5000.00", "6200.00", "700.00"),  # after an adjustment
        ("6900.00", "5000.00", "6900.00", "0.00"),  # nothing new accrued
        ("6000.00", "5000.00", "0.00", "1000.00"),  # minimum not invoiced yet: still counted
    ],
)
def test_wt_p1_adjustment_due(accrued: str, minimum: str, invoiced: str, due: str):
    assert adjustment_due(D(accrued), D(minimum), D(invoiced)) == D(due)


# WT-P2: indemnity reduced by unpaid / total premium.


@pytest.mark.parametrize(
    ("paid", "total", "factor"),
    [
        ("5000.00", "5000.00", "0"),
        ("4000.00", "5000.00", "0.2"),
        ("0.00", "5000.00", "1"),
        ("6000.00", "5000.00", "0"),  # overpaid: no reduction
        ("0.00", "0.00", "0"),  # no premium: no reduction
    ],
)
def test_wt_p2_unpaid_premium_factor(paid: str, total: str, factor: str):
    assert unpaid_premium_factor(D(paid), D(total)) == D(factor)


def test_wt_p2_factor_is_not_rounded():
    # 1,000.00 unpaid of 3,000.00: one third, to Decimal's precision, not to the cent.
    factor = unpaid_premium_factor(D("2000.00"), D("3000.00"))
    assert factor == D(1) / D(3)


def test_wt_p2_indemnity_reduced_in_proportion():
    # 20% unpaid: 8,500.00 x 0.8 = 6,800.00.
    assert apply_unpaid_premium(D("8500.00"), D("4000.00"), D("5000.00")) == D("6800.00")


def test_wt_p2_reduced_indemnity_rounds_half_up_once():
    # 100.01 x 1/2 = 50.005 -> 50.01; 100.00 x 2/3 = 66.666... -> 66.67.
    assert apply_unpaid_premium(D("100.01"), D("1.00"), D("2.00")) == D("50.01")
    assert apply_unpaid_premium(D("100.00"), D("2000.00"), D("3000.00")) == D("66.67")


def test_wt_p2_nothing_paid_leaves_nothing_and_no_premium_leaves_it_whole():
    assert apply_unpaid_premium(D("8500.00"), D("0.00"), D("5000.00")) == D("0.00")
    assert apply_unpaid_premium(D("8500.00"), D("0.00"), D("0.00")) == D("8500.00")


money = st.decimals(min_value=0, max_value=1_000_000, places=2)


@given(indemnity=money, paid=money, total=money)
def test_wt_p2_reduction_stays_between_nothing_and_the_indemnity(
    indemnity: Decimal, paid: Decimal, total: Decimal
):
    factor = unpaid_premium_factor(paid, total)
    assert 0 <= factor <= 1
    reduced = apply_unpaid_premium(indemnity, paid, total)
    assert 0 <= reduced <= indemnity
    assert reduced == reduced.quantize(D("0.01"))
