"""Indemnities, worked by hand (FI-C1, FI-C3, TR-S2, C-3), recoveries after the indemnity
(FI-R1), the FI-C2 payment date, and their properties: never negative, never above the
cap, not increasing with what was recovered or paid, exact to the cent, deterministic.
Every percentage is rounded half-up to the cent (money.round_cents).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.rules.indemnity import (
    IndemnityLine,
    IndemnityResult,
    fi_indemnity,
    payable_by,
    recovery_split,
    tr_indemnity,
)
from domain.rules.money import round_cents

D = Decimal


def lines(result: IndemnityResult) -> list[tuple[str, Decimal, str | None]]:
    return [(line.label, line.amount, line.rule) for line in result.lines]


# FI-C3: 90% x min(unpaid - recoveries before payment, insured amount).


def test_fi_c3_insured_loss_capped_at_the_insured_amount():
    # 12,100.00 unpaid - 1,000.00 recovered = 11,100.00 insured loss;
    # min(11,100.00, 9,000.00 insured) = 9,000.00; 90% x 9,000.00 = 8,100.00.
    result = fi_indemnity(D("12100.00"), D("1000.00"), D("9000.00"))
    assert result.amount == D("8100.00")
    assert lines(result) == [
        ("Unpaid amount", D("12100.00"), "FI-C3"),
        ("Less recoveries received before payment", D("-1000.00"), "FI-C3"),
        ("Insured loss", D("11100.00"), "FI-C3"),
        ("Capped at the insured amount (9000.00)", D("9000.00"), "FI-C1"),
        ("Coverage 90%", D("8100.00"), "FI-C1"),
        ("Indemnity", D("8100.00"), "FI-C3"),
    ]


def test_fi_c3_insured_loss_below_the_insured_amount():
    # 6,000.00 - 1,000.00 = 5,000.00 < 8,000.00 insured; 90% x 5,000.00 = 4,500.00.
    result = fi_indemnity(D("6000.00"), D("1000.00"), D("8000.00"))
    assert result.amount == D("4500.00")
    assert [line.amount for line in result.lines] == [
        D("6000.00"),
        D("-1000.00"),
        D("5000.00"),
        D("5000.00"),
        D("4500.00"),
        D("4500.00"),
    ]


def test_fi_c3_rounds_the_coverage_half_up():
    # 90% x 1,000.05 = 900.045 -> 900.05 half-up (banker's rounding would give 900.04).
    result = fi_indemnity(D("1000.05"), D("0.00"), D("2000.00"))
    assert result.amount == D("900.05")


def test_fi_c3_recoveries_above_the_unpaid_amount_leave_nothing():
    # 500.00 - 600.00 = -100.00 -> floored at 0.00 -> indemnity 0.00.
    result = fi_indemnity(D("500.00"), D("600.00"), D("8000.00"))
    assert result.amount == D("0.00")
    assert result.lines[2] == IndemnityLine("Insured loss", D("0.00"), "FI-C3")


def test_fi_c3_no_recoveries_line_is_a_plain_zero():
    result = fi_indemnity(D("100.00"), D("0"), D("100.00"))
    recoveries = result.lines[1].amount
    assert recoveries == 0 and not recoveries.is_signed() and recoveries.as_tuple().exponent == -2


def test_fi_c1_coverage_percent_in_the_label():
    result = fi_indemnity(D("1000.00"), D("0.00"), D("1000.00"), D("87.5"))
    # 87.5% x 1,000.00 = 875.00
    assert result.lines[4] == IndemnityLine("Coverage 87.5%", D("875.00"), "FI-C1")


# TR-S2: 90% x (invoice excl. VAT - paid by the client), capped at 90% x guaranteed.


def test_tr_s2_unpaid_part_of_the_invoice_excluding_vat():
    # 1,500.00 - 200.00 = 1,300.00; 90% x 1,300.00 = 1,170.00 <= 90% x 1,500.00 = 1,350.00.
    result = tr_indemnity(D("1500.00"), D("200.00"), D("1500.00"))
    assert result.amount == D("1170.00")
    assert lines(result) == [
        ("Invoice amount excluding VAT", D("1500.00"), "C-3"),
        ("Less paid by the client", D("-200.00"), "TR-S2"),
        ("Unpaid amount", D("1300.00"), "TR-S2"),
        ("Coverage 90%", D("1170.00"), "TR-S2"),
        ("Capped at 90% of the guaranteed amount (1500.00)", D("1170.00"), "TR-S2"),
        ("Indemnity", D("1170.00"), "TR-S2"),
    ]


def test_tr_s2_capped_at_90_percent_of_the_guaranteed_amount():
    # Invoice 2,000.00 above the 1,500.00 guaranteed: 90% x 2,000.00 = 1,800.00,
    # capped at 90% x 1,500.00 = 1,350.00.
    result = tr_indemnity(D("2000.00"), D("0.00"), D("1500.00"))
    assert result.amount == D("1350.00")
    assert lines(result)[3:] == [
        ("Coverage 90%", D("1800.00"), "TR-S2"),
        ("Capped at 90% of the guaranteed amount (1500.00)", D("1350.00"), "TR-S2"),
        ("Indemnity", D("1350.00"), "TR-S2"),
    ]


def test_tr_s2_rounds_the_coverage_half_up():
    # 90% x 1,234.45 = 1,111.005 -> 1,111.01 half-up (banker's: 1,111.00).
    assert tr_indemnity(D("1234.45"), D("0.00"), D("2000.00")).amount == D("1111.01")


def test_tr_s2_client_paid_at_least_the_amount_excluding_vat():
    # C-3: VAT is not indemnified. Paid 1,100.00 of 1,000.00 + VAT: nothing unpaid excl. VAT.
    result = tr_indemnity(D("1000.00"), D("1100.00"), D("1000.00"))
    assert result.amount == D("0.00")
    assert result.lines[2] == IndemnityLine("Unpaid amount", D("0.00"), "TR-S2")


# FI-R1: recoveries after the indemnity, 90/10, half-up, adding up exactly.


@pytest.mark.parametrize(
    ("recovered", "insurer", "insured"),
    [
        ("1000.00", "900.00", "100.00"),
        ("100.05", "90.05", "10.00"),  # 90.045 -> 90.05
        ("0.05", "0.05", "0.00"),  # 0.045 -> 0.05
        ("0.01", "0.01", "0.00"),  # 0.009 -> 0.01
        ("0.00", "0.00", "0.00"),
    ],
)
def test_fi_r1_recovery_split(recovered: str, insurer: str, insured: str):
    assert recovery_split(D(recovered), D("90")) == (D(insurer), D(insured))


def test_fi_c2_payable_by_is_exported_here():
    # 31 Dec + 2 months = 28 Feb 2027; + 10 days = 10 Mar 2027.
    assert payable_by(date(2026, 12, 31)) == date(2027, 3, 10)


# Refused inputs


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: fi_indemnity(12100.0, D("0"), D("9000")), TypeError),
        (lambda: fi_indemnity(D("-1.00"), D("0"), D("9000")), ValueError),
        (lambda: tr_indemnity(D("1"), D("0"), D("NaN")), ValueError),
        (lambda: tr_indemnity(D("1"), D("0"), D("1"), D("0")), ValueError),
        (lambda: recovery_split(D("10.00"), D("100.01")), ValueError),
    ],
)
def test_amounts_are_decimals_of_at_least_zero_and_percents_within_0_100(call, error):
    with pytest.raises(error):
        call()


# Properties

amounts = st.decimals(
    min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False
)
percents = st.decimals(min_value="0.01", max_value=100, places=2)


def exact_to_the_cent(result: IndemnityResult) -> bool:
    values = [result.amount, *(line.amount for line in result.lines)]
    return all(v.as_tuple().exponent == -2 for v in values)


@given(unpaid=amounts, recovered=amounts, insured=amounts, percent=percents)
def test_fi_indemnity_properties(unpaid, recovered, insured, percent):
    result = fi_indemnity(unpaid, recovered, insured, percent)
    assert D(0) <= result.amount <= round_cents(insured * percent / 100)
    assert result.amount == round_cents(max(min(unpaid - recovered, insured), 0) * percent / 100)
    assert result.amount == result.lines[-1].amount
    assert exact_to_the_cent(result)
    assert fi_indemnity(unpaid, recovered, insured, percent) == result


@given(unpaid=amounts, recovered=amounts, more=amounts, insured=amounts)
def test_fi_indemnity_does_not_grow_with_recoveries(unpaid, recovered, more, insured):
    before = fi_indemnity(unpaid, recovered, insured).amount
    assert fi_indemnity(unpaid, recovered + more, insured).amount <= before


@given(invoice=amounts, paid=amounts, guaranteed=amounts, percent=percents)
def test_tr_indemnity_properties(invoice, paid, guaranteed, percent):
    result = tr_indemnity(invoice, paid, guaranteed, percent)
    assert D(0) <= result.amount <= round_cents(guaranteed * percent / 100)
    assert result.amount <= round_cents(max(invoice - paid, 0) * percent / 100)
    assert result.amount == result.lines[-1].amount
    assert exact_to_the_cent(result)
    assert tr_indemnity(invoice, paid, guaranteed, percent) == result


@given(invoice=amounts, paid=amounts, more=amounts, guaranteed=amounts)
def test_tr_indemnity_does_not_grow_with_payments(invoice, paid, more, guaranteed):
    before = tr_indemnity(invoice, paid, guaranteed).amount
    assert tr_indemnity(invoice, paid + more, guaranteed).amount <= before


@given(recovered=amounts, percent=percents)
def test_fi_r1_shares_add_up_exactly(recovered, percent):
    insurer, insured = recovery_split(recovered, percent)
    assert insurer + insured == recovered
    assert insurer >= 0 and insured >= 0
    assert abs(insurer - recovered * percent / 100) <= D("0.005")
    assert insurer.as_tuple().exponent == insured.as_tuple().exponent == -2
    assert recovery_split(recovered, percent) == (insurer, insured)
