"""The top-up indemnity, worked by hand: TU-C1 step by step (limit, remaining annual sum
insured, recoveries, per-loss deductible, aggregate deductible not yet borne, coverage%
no higher than the first layer's, capped at the first layer's final indemnity), TU-P1
(nothing while the premium is unpaid), the losses of a year (TU-C2) and recoveries
(TU-R1); then their properties. Every percentage is rounded half-up to the cent.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.rules.indemnity import IndemnityLine
from domain.rules.money import round_cents
from domain.rules.tu.indemnity import (
    LossInput,
    RecoveryShares,
    TopUpIndemnity,
    apply_losses_in_year,
    recalculate_after_recovery,
    tu_indemnity,
    tu_recovery_shares,
)
from domain.rules.tu.terms import TopUpTerms

D = Decimal

TERMS = TopUpTerms(
    coverage_percent=D("90"),
    first_layer_coverage_percent=D("90"),
    per_loss_deductible=D("1000.00"),
    annual_aggregate_deductible=D("10000.00"),
    annual_sum_insured=D("500000.00"),
    pni_threshold=D("5000.00"),
    max_payment_term_days=90,
    supply_cutoff_days=60,
    first_layer_invoicing_days=None,
    period_start=date(2025, 1, 1),
    period_end=date(2025, 12, 31),
)


def indemnity(**overrides: Any) -> TopUpIndemnity:
    """100,000.00 lost, limit 80,000.00, 5,000.00 recovered, deductibles 1,000.00 and
    10,000.00 left, 90% (first layer 90%), first layer's final indemnity 200,000.00."""
    fields: dict[str, Any] = {
        "covered_loss": D("100000.00"),
        "top_up_limit": D("80000.00"),
        "remaining_sum_insured": D("500000.00"),
        "recoveries_and_setoffs": D("5000.00"),
        "per_loss_deductible": D("1000.00"),
        "aggregate_deductible_remaining": D("10000.00"),
        "coverage_percent": D("90"),
        "first_layer_coverage_percent": D("90"),
        "first_layer_final_indemnity": D("200000.00"),
    }
    fields.update(overrides)
    return tu_indemnity(**fields)


def lines(result: TopUpIndemnity) -> list[tuple[str, Decimal, str | None]]:
    return [(x.label, x.amount, x.rule) for x in result.lines]


def amounts_of(result: TopUpIndemnity) -> list[Decimal]:
    return [x.amount for x in result.lines]


# TU-C1


def test_tu_c1_every_step_in_the_order_of_the_seed():
    # min(100,000.00, 80,000.00) = 80,000.00 - 5,000.00 - 1,000.00 - 10,000.00 = 64,000.00;
    # 90% = 57,600.00.
    result = indemnity()
    assert result.amount == D("57600.00")
    assert result.aggregate_deductible_used == D("10000.00")
    assert lines(result) == [
        ("Covered loss", D("100000.00"), "TU-C1"),
        ("Limited to the top-up credit limit (80000.00)", D("80000.00"), "TU-C1"),
        ("Limited to the remaining annual sum insured (500000.00)", D("80000.00"), "TU-C2"),
        ("Less recoveries and set-offs (5000.00)", D("-5000.00"), "TU-C1"),
        ("Less the per-loss deductible (1000.00)", D("-1000.00"), "TU-C1"),
        ("Less the annual aggregate deductible not yet borne (10000.00)", D("-10000.00"), "TU-C1"),
        ("Loss in excess of the deductibles", D("64000.00"), "TU-C1"),
        ("Coverage 90% (first layer 90%)", D("57600.00"), "TU-C1"),
        ("Capped at the first layer's final indemnity (200000.00)", D("57600.00"), "TU-C1"),
        ("Indemnity", D("57600.00"), "TU-C1"),
    ]


def test_tu_c1_recoveries_come_off_after_the_limit():
    # Loss 100,000.00 above the limit: recoveries reduce the limited 80,000.00 (art. 7.5
    # order), not the loss above it.
    result = indemnity(recoveries_and_setoffs=D("20000.00"))
    assert result.amount == D("44100.00")  # (80,000 - 20,000 - 1,000 - 10,000) x 90%


def test_tu_c1_limited_to_the_remaining_annual_sum_insured():
    # 50,000.00 left: 50,000.00 - 5,000.00 - 1,000.00 - 10,000.00 = 34,000.00; 90% = 30,600.00.
    result = indemnity(remaining_sum_insured=D("50000.00"))
    assert result.amount == D("30600.00")
    assert result.lines[2] == IndemnityLine(
        "Limited to the remaining annual sum insured (50000.00)", D("50000.00"), "TU-C2"
    )


def test_tu_c1_nothing_left_of_the_annual_sum_insured_nothing_paid():
    result = indemnity(remaining_sum_insured=D("0"))
    assert result.amount == D("0.00")
    assert result.aggregate_deductible_used == D("0.00")


def test_tu_c1_aggregate_deductible_only_what_the_loss_can_bear():
    # 8,000.00 - 1,000.00 = 7,000.00 bears 7,000.00 of the 10,000.00 left: nothing paid.
    result = indemnity(covered_loss=D("8000.00"), recoveries_and_setoffs=D("0"))
    assert result.amount == D("0.00")
    assert result.aggregate_deductible_used == D("7000.00")
    assert amounts_of(result)[3:7] == [D("0.00"), D("-1000.00"), D("-7000.00"), D("0.00")]


def test_tu_c1_aggregate_deductible_already_borne():
    # (80,000.00 - 5,000.00 - 1,000.00) x 90% = 66,600.00.
    result = indemnity(aggregate_deductible_remaining=D("0"))
    assert (result.amount, result.aggregate_deductible_used) == (D("66600.00"), D("0.00"))


def test_tu_c1_recoveries_above_the_loss_leave_nothing_never_below_zero():
    result = indemnity(covered_loss=D("3000.00"), recoveries_and_setoffs=D("5000.00"))
    assert result.amount == D("0.00")
    assert amounts_of(result)[3:7] == [D("-3000.00"), D("0.00"), D("0.00"), D("0.00")]
    assert result.aggregate_deductible_used == D("0.00")


def test_tu_c1_per_loss_deductible_larger_than_the_loss():
    result = indemnity(covered_loss=D("600.00"), recoveries_and_setoffs=D("0"))
    assert result.amount == D("0.00")
    assert amounts_of(result)[4] == D("-600.00")


def test_tu_c1_coverage_rounded_half_up():
    # 1,000.05 in excess of the deductibles: 90% = 900.045 -> 900.05.
    result = indemnity(
        covered_loss=D("1000.05"),
        recoveries_and_setoffs=D("0"),
        per_loss_deductible=D("0"),
        aggregate_deductible_remaining=D("0"),
    )
    assert result.amount == D("900.05")


@pytest.mark.parametrize(
    ("first_layer_final", "expected"),
    [("57599.99", "57599.99"), ("57600.00", "57600.00"), ("57600.01", "57600.00"), ("0", "0.00")],
)
def test_tu_c1_never_more_than_the_first_layer_final_indemnity(
    first_layer_final: str, expected: str
):
    result = indemnity(first_layer_final_indemnity=D(first_layer_final))
    assert result.amount == D(expected)


@pytest.mark.parametrize(("top_up", "first_layer"), [("90", "90"), ("80", "90"), ("90", "100")])
def test_tu_c1_coverage_up_to_the_first_layer_percentage(top_up: str, first_layer: str):
    result = indemnity(coverage_percent=D(top_up), first_layer_coverage_percent=D(first_layer))
    assert result.amount == round_cents(D("64000.00") * D(top_up) / 100)


def test_tu_c1_coverage_above_the_first_layer_percentage_is_refused():
    with pytest.raises(ValueError, match="first layer"):
        indemnity(coverage_percent=D("90.01"), first_layer_coverage_percent=D("90"))


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"covered_loss": 100.0}, TypeError),
        ({"top_up_limit": D("-0.01")}, ValueError),
        ({"remaining_sum_insured": D("Infinity")}, ValueError),
        ({"coverage_percent": D("0")}, ValueError),
        ({"first_layer_coverage_percent": D("100.01")}, ValueError),
    ],
)
def test_tu_c1_refused_inputs(overrides: dict[str, Any], error: type):
    with pytest.raises(error):
        indemnity(**overrides)


# TU-P1


def test_tu_p1_no_indemnity_while_the_premium_is_unpaid():
    result = indemnity(premium_paid=False)
    assert result.amount == D("0.00")
    assert lines(result)[-2:] == [
        ("Withheld while the premium is unpaid", D("-57600.00"), "TU-P1"),
        ("Indemnity", D("0.00"), "TU-C1"),
    ]
    # Owed once the premium is paid; the loss still bears the aggregate deductible.
    assert result.withheld == D("57600.00")
    assert result.aggregate_deductible_used == D("10000.00")


def test_tu_p1_nothing_withheld_when_the_premium_is_paid():
    assert indemnity().withheld == D("0.00")


# TU-C2: the losses of one insurance year.


def loss(covered: str, limit: str = "1000000.00", **more: Any) -> LossInput:
    return LossInput(
        covered_loss=D(covered),
        top_up_limit=D(limit),
        first_layer_final_indemnity=D("10000000.00"),
        **more,
    )


def test_tu_c2_aggregate_deductible_borne_once_across_the_year():
    # Bearable after the 1,000.00 per loss: 6,000.00, 8,000.00, 5,000.00 against 10,000.00:
    # 6,000.00, then the 4,000.00 left, then nothing.
    results = apply_losses_in_year(TERMS, [loss("7000.00"), loss("9000.00"), loss("6000.00")])
    assert [r.aggregate_deductible_used for r in results] == [D("6000"), D("4000"), D("0")]
    assert [r.amount for r in results] == [D("0.00"), D("3600.00"), D("4500.00")]


def test_tu_c2_annual_sum_insured_reduced_by_each_indemnity():
    # Sum insured 100,000.00 limits the loss before the deductibles (art. 7.5):
    # (100,000.00 - 1,000.00 - 10,000.00) x 90% = 80,100.00; 19,900.00 left:
    # (19,900.00 - 1,000.00) x 90% = 17,010.00; 2,890.00 left: 1,890.00 x 90% = 1,701.00.
    terms = replace(TERMS, annual_sum_insured=D("100000.00"))
    results = apply_losses_in_year(terms, [loss("111000.00"), loss("50000.00"), loss("50000.00")])
    assert [r.amount for r in results] == [D("80100.00"), D("17010.00"), D("1701.00")]
    assert [r.lines[2].amount for r in results] == [D("100000.00"), D("19900.00"), D("2890.00")]


def test_tu_c2_annual_sum_insured_increased_by_recoveries_received():
    # 20,000.00 recovered after the first: 100,000.00 - 80,100.00 + 20,000.00 = 39,900.00
    # left -> (39,900.00 - 1,000.00) x 90% = 35,010.00.
    terms = replace(TERMS, annual_sum_insured=D("100000.00"))
    first = loss("111000.00", recoveries_received=D("20000.00"))
    results = apply_losses_in_year(terms, [first, loss("50000.00")])
    assert results[1].lines[2].amount == D("39900.00")
    assert results[1].amount == D("35010.00")


def test_tu_c2_recoveries_never_restore_above_the_annual_sum_insured():
    first = loss("20000.00", recoveries_received=D("50000.00"))
    results = apply_losses_in_year(TERMS, [first, loss("50000.00")])
    assert results[1].lines[2].label == ("Limited to the remaining annual sum insured (500000.00)")


def test_tu_c2_no_losses_no_indemnities():
    assert apply_losses_in_year(TERMS, []) == []


def test_tu_c2_withheld_indemnity_still_counts_against_the_sum_insured():
    # Sum insured 20,000.00: (20,000.00 - 1,000.00 - 10,000.00) x 90% = 8,100.00 owed but
    # withheld (TU-P1); 11,900.00 left: (11,900.00 - 1,000.00) x 90% = 9,810.00.
    terms = replace(TERMS, annual_sum_insured=D("20000.00"))
    unpaid = loss("50000.00", "20000.00", premium_paid=False)
    results = apply_losses_in_year(terms, [unpaid, loss("50000.00", "20000.00")])
    assert [(r.amount, r.withheld) for r in results] == [
        (D("0.00"), D("8100.00")),
        (D("9810.00"), D("0.00")),
    ]
    assert results[0].aggregate_deductible_used == D("10000.00")


# TU-R1


def test_tu_r1_unattributable_recovery_shared_pro_rata():
    # Shares of the loss 10%, 45%, 45%.
    assert tu_recovery_shares(
        D("1000.00"), D("10000.00"), D("45000.00"), D("45000.00")
    ) == RecoveryShares(D("100.00"), D("450.00"), D("450.00"))


@pytest.mark.parametrize(
    ("recovery", "expected"),
    [
        ("100.00", ("33.34", "33.33", "33.33")),  # one cent left: ties go to the insured
        ("0.02", ("0.01", "0.01", "0.00")),  # two cents: insured, then the first layer
        ("0.01", ("0.01", "0.00", "0.00")),
    ],
)
def test_tu_r1_rounding_remainder_assigned_deterministically(
    recovery: str, expected: tuple[str, str, str]
):
    shares = tu_recovery_shares(D(recovery), D("1.00"), D("1.00"), D("1.00"))
    assert shares == RecoveryShares(*(D(x) for x in expected))


def test_tu_r1_remainder_to_the_largest_fraction():
    # 10.00 x 1 / 6 = 1.666..., x 2 / 6 = 3.333..., x 3 / 6 = 5.00: the cent goes to the
    # insured's .666 (largest remainder), not the first layer's .333.
    assert tu_recovery_shares(D("10.00"), D("1"), D("2"), D("3")) == RecoveryShares(
        D("1.67"), D("3.33"), D("5.00")
    )


def test_tu_r1_a_party_without_a_share_gets_nothing():
    shares = tu_recovery_shares(D("0.05"), D("0"), D("1"), D("1"))
    assert shares.insured == D("0.00") and shares.first_layer + shares.top_up == D("0.05")


def test_tu_r1_no_share_bases():
    assert tu_recovery_shares(D("0"), D("0"), D("0"), D("0")) == RecoveryShares(
        D("0.00"), D("0.00"), D("0.00")
    )
    with pytest.raises(ValueError):
        tu_recovery_shares(D("1.00"), D("0"), D("0"), D("0"))


@pytest.mark.parametrize(
    ("paid", "recomputed", "refund"),
    [
        ("57600.00", "53100.00", "4500.00"),
        ("57600.00", "57600.00", "0.00"),
        ("57600.00", "60000.00", "0.00"),  # underpaid: nothing to refund
    ],
)
def test_tu_r1_recovery_after_payment_insured_refunds_the_overpayment(
    paid: str, recomputed: str, refund: str
):
    assert recalculate_after_recovery(D(paid), D(recomputed)) == D(refund)


def test_tu_r1_recalculation_after_a_recovery_received_after_payment():
    # 5,000.00 more recovered: (80,000 - 10,000 - 1,000 - 10,000) x 90% = 53,100.00.
    paid = indemnity().amount
    recomputed = indemnity(recoveries_and_setoffs=D("10000.00")).amount
    assert recalculate_after_recovery(paid, recomputed) == D("4500.00")


# Properties

money = st.decimals(min_value=0, max_value=10_000_000, places=2)
small = st.decimals(min_value=0, max_value=50_000, places=2)
percents = st.decimals(min_value="0.01", max_value=100, places=2)


@st.composite
def claims(draw: st.DrawFn) -> dict[str, Any]:
    first, second = draw(percents), draw(percents)
    return {
        "covered_loss": draw(money),
        "top_up_limit": draw(money),
        "remaining_sum_insured": draw(money),
        "recoveries_and_setoffs": draw(small),
        "per_loss_deductible": draw(small),
        "aggregate_deductible_remaining": draw(small),
        "coverage_percent": min(first, second),
        "first_layer_coverage_percent": max(first, second),
        "first_layer_final_indemnity": draw(money),
        "premium_paid": draw(st.booleans()),
    }


def exact_to_the_cent(result: TopUpIndemnity) -> bool:
    values = [result.amount, result.aggregate_deductible_used, result.withheld]
    values += amounts_of(result)
    return all(v.as_tuple().exponent == -2 for v in values)


@given(claim=claims())
def test_tu_c1_indemnity_properties(claim: dict[str, Any]):
    result = tu_indemnity(**claim)
    percent = claim["coverage_percent"]
    assert D(0) <= result.amount <= claim["first_layer_final_indemnity"]
    assert result.amount <= round_cents(claim["top_up_limit"] * percent / 100)
    assert result.amount <= claim["remaining_sum_insured"]
    assert result.amount == result.lines[-1].amount
    assert D(0) <= result.aggregate_deductible_used <= claim["aggregate_deductible_remaining"]
    assert all(x.amount >= 0 or x.label.startswith(("Less", "Withheld")) for x in result.lines)
    assert result.amount == 0 or claim["premium_paid"]
    assert result.withheld == 0 or not claim["premium_paid"]
    assert result.amount + result.withheld <= claim["first_layer_final_indemnity"]
    assert exact_to_the_cent(result)
    assert tu_indemnity(**claim) == result


@given(claim=claims(), more=small)
def test_tu_c1_indemnity_does_not_grow_with_recoveries(claim: dict[str, Any], more: Decimal):
    before = tu_indemnity(**claim).amount
    claim["recoveries_and_setoffs"] += more
    assert tu_indemnity(**claim).amount <= before


year_losses = st.lists(
    st.builds(
        LossInput,
        covered_loss=money,
        top_up_limit=money,
        first_layer_final_indemnity=money,
        recoveries_and_setoffs=small,
        recoveries_received=small,
        premium_paid=st.booleans(),
    ),
    max_size=8,
)


def year_terms(aggregate: Decimal, per_loss: Decimal, sum_insured: Decimal) -> TopUpTerms:
    return replace(
        TERMS,
        annual_aggregate_deductible=aggregate,
        per_loss_deductible=per_loss,
        annual_sum_insured=sum_insured,
    )


@given(losses=year_losses, aggregate=money, per_loss=small)
def test_tu_c2_aggregate_deductible_consumed_exactly_once_across_the_year(
    losses: list[LossInput], aggregate: Decimal, per_loss: Decimal
):
    # A sum insured no loss can reach, so what each loss can bear is known beforehand.
    terms = year_terms(aggregate, per_loss, D("1000000000.00"))
    results = apply_losses_in_year(terms, losses)
    bearable = [
        max(min(x.covered_loss, x.top_up_limit) - x.recoveries_and_setoffs - per_loss, D(0))
        for x in losses
    ]
    used = [r.aggregate_deductible_used for r in results]
    assert sum(used, D(0)) == min(sum(bearable, D(0)), aggregate)
    left = aggregate
    for take, can in zip(used, bearable, strict=True):
        assert take == min(left, can)  # in order: each loss takes what is left
        left -= take


@given(losses=year_losses, aggregate=money, per_loss=small, sum_insured=money)
def test_tu_c2_a_year_never_pays_more_than_its_sum_insured_and_recoveries(
    losses: list[LossInput], aggregate: Decimal, per_loss: Decimal, sum_insured: Decimal
):
    results = apply_losses_in_year(year_terms(aggregate, per_loss, sum_insured), losses)
    assert len(results) == len(losses)
    assert sum((r.aggregate_deductible_used for r in results), D(0)) <= aggregate
    received = D(0)
    for i, (result, x) in enumerate(zip(results, losses, strict=True)):
        paid = sum((r.amount + r.withheld for r in results[: i + 1]), D(0))
        assert paid <= sum_insured + received
        assert result.amount <= x.first_layer_final_indemnity
        received += x.recoveries_received


@given(
    recovery=money,
    bases=st.tuples(money, money, money).filter(lambda b: sum(b) > 0),
)
def test_tu_r1_recovery_shares_conserve_money_exactly(
    recovery: Decimal, bases: tuple[Decimal, Decimal, Decimal]
):
    shares = tu_recovery_shares(recovery, *bases)
    parts = (shares.insured, shares.first_layer, shares.top_up)
    assert sum(parts, D(0)) == recovery
    total = sum(bases, D(0))
    for part, base in zip(parts, bases, strict=True):
        assert part >= 0 and part.as_tuple().exponent == -2
        assert abs(part - recovery * base / total) < D("0.01")
        assert base != 0 or part == 0
    assert tu_recovery_shares(recovery, *bases) == shares


@given(paid=money, recomputed=money)
def test_tu_r1_refund_is_the_overpayment_never_negative(paid: Decimal, recomputed: Decimal):
    refund = recalculate_after_recovery(paid, recomputed)
    assert refund == max(paid - recomputed, D(0))
    assert paid - refund == min(paid, recomputed)
