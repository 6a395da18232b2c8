"""Whole-turnover claims, worked by hand at their boundaries: the notification deadline
(WT-C1), documents (WT-C2), settlement (WT-C3), disputes (WT-C4), the minimum unpaid
threshold (WT-C5), the indemnity with its caps (WT-C6), the premium proration (WT-P2) and
the exchange rate (WT-C7), recoveries (WT-R1) and recovered goods (WT-R2); then their
properties. Every percentage is rounded half-up to the cent (money.round_cents).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.rules.indemnity import IndemnityLine, IndemnityResult
from domain.rules.money import round_cents
from domain.rules.violations import Violation
from domain.rules.wt.claims import (
    RecoverySplit,
    check_notification,
    claim_processable,
    dispute_blocks_indemnity,
    documents_due_on,
    notification_due_on,
    recovered_goods_value,
    settlement_on,
    wt_indemnity,
    wt_recovery_split,
)

D = Decimal
DUE = date(2025, 3, 31)


def lines(result: IndemnityResult) -> list[tuple[str, Decimal, str | None]]:
    return [(line.label, line.amount, line.rule) for line in result.lines]


def indemnity(**overrides: Any) -> IndemnityResult:
    """A claim with nothing capped, premium paid in full: 90% x (10,000.00 - 2,000.00)."""
    fields: dict[str, Any] = {
        "insured_unpaid": D("10000.00"),
        "collections_up_to_payment": D("2000.00"),
        "coverage_percent": D("90"),
        "limit_amount": D("20000.00"),
        "period_indemnities_paid": D("0.00"),
        "minimum_premium": D("1000.00"),
        "max_indemnity_multiple": D("20"),
        "premium_paid": D("1000.00"),
        "premium_total": D("1000.00"),
    }
    fields.update(overrides)
    return wt_indemnity(**fields)


def line(result: IndemnityResult, rule: str, label_start: str) -> IndemnityLine:
    (found,) = [x for x in result.lines if x.rule == rule and x.label.startswith(label_start)]
    return found


# WT-C1: 60 days after the due date, 30 after an extended one, immediately on insolvency.


def test_wt_c1_notified_on_day_60_after_the_due_date_is_on_time():
    # 31 Mar + 60 days = 30 May.
    assert notification_due_on(DUE, None, None) == date(2025, 5, 30)
    assert check_notification(date(2025, 5, 30), DUE, None, None) is None


def test_wt_c1_notified_on_day_61_after_the_due_date_gets_no_indemnity():
    assert check_notification(date(2025, 5, 31), DUE, None, None) == Violation(
        "WT-C1",
        "Non-payment notified on 2025-05-31, after the last day 2025-05-30: no indemnity.",
        ("input", "notifiedOn"),
    )


def test_wt_c1_extended_due_date_day_30_is_on_time_day_31_is_late():
    extended = date(2025, 4, 30)  # + 30 days = 30 May
    assert notification_due_on(DUE, extended, None) == date(2025, 5, 30)
    assert check_notification(date(2025, 5, 30), DUE, extended, None) is None
    late = check_notification(date(2025, 5, 31), DUE, extended, None)
    assert late is not None and late.rule == "WT-C1"


def test_wt_c1_extended_due_date_replaces_the_60_days():
    # Extended by 10 days to 10 Apr: the deadline is 10 May, before 30 May (due + 60).
    extended = date(2025, 4, 10)
    assert notification_due_on(DUE, extended, None) == date(2025, 5, 10)
    assert check_notification(date(2025, 5, 11), DUE, extended, None) is not None


def test_wt_c1_insolvency_is_notified_the_day_it_becomes_known():
    known = date(2025, 4, 15)
    assert notification_due_on(DUE, None, known) == known
    assert check_notification(known, DUE, None, known) is None
    assert check_notification(date(2025, 4, 16), DUE, None, known) is not None


def test_wt_c1_insolvency_known_before_the_due_date_brings_the_deadline_before_it():
    known = date(2025, 3, 20)
    assert notification_due_on(DUE, date(2025, 5, 31), known) == known


def test_wt_c1_insolvency_known_after_the_deadline_does_not_extend_it():
    assert notification_due_on(DUE, None, date(2025, 6, 15)) == date(2025, 5, 30)


@pytest.mark.parametrize("extended", [DUE, date(2025, 3, 30)])
def test_wt_c1_an_extension_falls_after_the_due_date(extended: date):
    with pytest.raises(ValueError):
        notification_due_on(DUE, extended, None)


# WT-C2, WT-C3


def test_wt_c2_documents_due_30_days_after_the_notification():
    assert documents_due_on(date(2025, 6, 1)) == date(2025, 7, 1)
    assert documents_due_on(date(2025, 1, 31)) == date(2025, 3, 2)


def test_wt_c3_settled_at_the_end_of_the_waiting_period():
    # Due 1 Jun + 180 days = 28 Nov (counted from the due date, not the notification).
    assert settlement_on(date(2025, 6, 1), 180) == date(2025, 11, 28)
    assert settlement_on(date(2025, 6, 1), 0) == date(2025, 6, 1)


@pytest.mark.parametrize("days", [-1, True])
def test_wt_c3_waiting_period_is_a_count_of_days(days: int):
    with pytest.raises(ValueError):
        settlement_on(date(2025, 6, 1), days)


# WT-C4


@pytest.mark.parametrize(
    ("disputed", "decision", "blocks"),
    [
        (False, None, False),
        (True, None, True),  # suspended until a final judgment or award
        (True, False, True),  # decided against the insured
        (True, True, False),  # the insured's right recognised
    ],
)
def test_wt_c4_disputed_credits_wait_for_a_final_decision(
    disputed: bool, decision: bool | None, blocks: bool
):
    assert dispute_blocks_indemnity(disputed, decision) is blocks


# WT-C5


@pytest.mark.parametrize(
    ("unpaid", "processable"),
    [("999.99", False), ("1000.00", False), ("1000.01", True)],
)
def test_wt_c5_claim_processed_only_above_the_minimum_unpaid(unpaid: str, processable: bool):
    assert claim_processable(D(unpaid), D("1000.00")) is processable


# WT-C6


def test_wt_c6_coverage_of_the_unpaid_credit_less_collections():
    # 10,000.00 - 2,000.00 = 8,000.00; 90% = 7,200.00 <= 90% x 20,000.00 = 18,000.00.
    result = indemnity()
    assert result.amount == D("7200.00")
    assert lines(result) == [
        ("Insured unpaid credit", D("10000.00"), "WT-C6"),
        ("Less collections up to payment", D("-2000.00"), "WT-C6"),
        ("Indemnifiable loss", D("8000.00"), "WT-C6"),
        ("Coverage 90%", D("7200.00"), "WT-C6"),
        ("Capped at 90% of the credit limit (20000.00)", D("7200.00"), "WT-C6"),
        ("Less unpaid premium (0.00 of 1000.00 for the period)", D("0.00"), "WT-P2"),
        ("Capped at the period maximum left (20000.00 less 0.00 paid)", D("7200.00"), "WT-C6"),
        ("Indemnity", D("7200.00"), "WT-C6"),
    ]


def test_wt_c6_rounds_the_coverage_half_up():
    # 90% x 1,000.05 = 900.045 -> 900.05 (banker's rounding would give 900.04).
    result = indemnity(insured_unpaid=D("1000.05"), collections_up_to_payment=D("0"))
    assert result.amount == D("900.05")


def test_wt_c6_collections_above_the_unpaid_credit_leave_nothing():
    result = indemnity(collections_up_to_payment=D("12000.00"))
    assert result.amount == D("0.00")
    assert result.lines[2] == IndemnityLine("Indemnifiable loss", D("0.00"), "WT-C6")


@pytest.mark.parametrize(
    ("unpaid", "expected"),
    [
        ("20000.00", "18000.00"),  # loss = limit: 90% x 20,000.00, not capped
        ("20000.01", "18000.00"),  # 90% x 20,000.01 = 18,000.009 -> 18,000.01 -> capped
        ("30000.00", "18000.00"),
        ("19999.99", "17999.99"),  # 17,999.991 -> 17,999.99
    ],
)
def test_wt_c6_capped_at_coverage_of_the_limit_per_buyer(unpaid: str, expected: str):
    result = indemnity(insured_unpaid=D(unpaid), collections_up_to_payment=D("0"))
    assert result.amount == D(expected)
    assert line(result, "WT-C6", "Capped at 90% of the credit limit").amount == D(expected)


def test_wt_c6_collection_costs_capped_at_50_percent_of_the_unpaid_credit():
    # Unpaid 10,000.00 < limit 20,000.00: cost cap 50% x 10,000.00 = 5,000.00.
    # Costs 6,000.00 x 90% = 5,400.00 -> 5,000.00; 7,200.00 + 5,000.00 = 12,200.00.
    result = indemnity(collection_costs=D("6000.00"))
    assert result.amount == D("12200.00")
    assert lines(result)[5:8] == [
        ("Collection costs 6000.00 at 90%", D("5400.00"), "WT-C6"),
        (
            "Capped at 50% of the credit limit or of the unpaid credit if lower (10000.00)",
            D("5000.00"),
            "WT-C6",
        ),
        ("Indemnity with collection costs", D("12200.00"), "WT-C6"),
    ]


def test_wt_c6_collection_costs_capped_at_50_percent_of_the_limit():
    # Limit 8,000.00 < unpaid 10,000.00: cost cap 4,000.00; the loss cap 90% x 8,000.00 =
    # 7,200.00 is reached exactly. 7,200.00 + 4,000.00 = 11,200.00.
    result = indemnity(limit_amount=D("8000.00"), collection_costs=D("6000.00"))
    assert result.amount == D("11200.00")
    assert line(result, "WT-C6", "Capped at 50%").amount == D("4000.00")


@pytest.mark.parametrize(
    ("costs", "paid"),
    [
        ("5555.55", "5000.00"),  # 90% = 4,999.995 -> 5,000.00 half-up: exactly the cap
        ("5555.57", "5000.00"),  # 90% = 5,000.013 -> 5,000.01 -> capped
        ("5555.54", "4999.99"),  # 90% = 4,999.986 -> 4,999.99, under the cap
        ("100.00", "90.00"),
    ],
)
def test_wt_c6_collection_costs_at_the_coverage_percent_up_to_the_cap(costs: str, paid: str):
    result = indemnity(collection_costs=D(costs))
    assert line(result, "WT-C6", "Capped at 50%").amount == D(paid)
    assert result.amount == D("7200.00") + D(paid)


def test_wt_c6_no_collection_costs_no_cost_lines():
    assert not any("Collection costs" in x.label for x in indemnity().lines)


@pytest.mark.parametrize(
    ("already_paid", "expected"),
    [
        ("0.00", "7200.00"),
        ("2800.00", "7200.00"),  # 10,000.00 - 2,800.00 = 7,200.00 left: exactly enough
        ("2800.01", "7199.99"),
        ("4000.00", "6000.00"),
        ("10000.00", "0.00"),
        ("12000.00", "0.00"),  # paid beyond the maximum: nothing left, never negative
    ],
)
def test_wt_c6_period_capped_at_minimum_premium_times_the_multiple(
    already_paid: str, expected: str
):
    # Minimum premium 1,000.00 x 10 = 10,000.00 for the whole period.
    result = indemnity(max_indemnity_multiple=D("10"), period_indemnities_paid=D(already_paid))
    assert result.amount == D(expected)
    assert result.lines[-2] == IndemnityLine(
        f"Capped at the period maximum left (10000.00 less {already_paid} paid)",
        D(expected),
        "WT-C6",
    )


# WT-P2: unpaid premium reduces the indemnity by unpaid / total premium.


def test_wt_p2_unpaid_premium_reduces_the_indemnity_in_proportion():
    # 250.00 of 1,000.00 unpaid: 7,200.00 x 25% = 1,800.00 less -> 5,400.00.
    result = indemnity(premium_paid=D("750.00"))
    assert result.amount == D("5400.00")
    assert line(result, "WT-P2", "Less unpaid premium") == IndemnityLine(
        "Less unpaid premium (250.00 of 1000.00 for the period)", D("-1800.00"), "WT-P2"
    )


def test_wt_p2_proration_rounds_the_reduction_half_up():
    # 1,000.00 x 100.00 / 300.00 = 333.333... -> 333.33 less -> 666.67.
    result = indemnity(
        insured_unpaid=D("1000.00"),
        collections_up_to_payment=D("0"),
        coverage_percent=D("100"),
        premium_paid=D("200.00"),
        premium_total=D("300.00"),
    )
    assert result.amount == D("666.67")


def test_wt_p2_prorates_after_the_limit_cap():
    # 90% x 30,000.00 = 27,000.00, capped at 18,000.00, then half the premium unpaid:
    # 9,000.00 (prorating before the cap would give 13,500.00: no reduction at all).
    result = indemnity(
        insured_unpaid=D("30000.00"), collections_up_to_payment=D("0"), premium_paid=D("500")
    )
    assert result.amount == D("9000.00")


def test_wt_p2_prorates_the_collection_costs_too_and_before_the_period_cap():
    # 7,200.00 + 90.00 costs = 7,290.00; 10% unpaid -> 729.00 less = 6,561.00;
    # period maximum 1,000.00 x 10 - 3,000.00 paid = 7,000.00 does not bind.
    result = indemnity(
        collection_costs=D("100.00"),
        premium_paid=D("900.00"),
        max_indemnity_multiple=D("10"),
        period_indemnities_paid=D("3000.00"),
    )
    assert result.amount == D("6561.00")


@pytest.mark.parametrize(("paid", "total"), [("0.00", "0.00"), ("1200.00", "1000.00")])
def test_wt_p2_no_premium_unpaid_no_reduction(paid: str, total: str):
    result = indemnity(premium_paid=D(paid), premium_total=D(total))
    assert result.amount == D("7200.00")
    assert line(result, "WT-P2", "Less unpaid premium").amount == D("0.00")


# WT-C7: converted at the rate giving the smaller amount.


def test_wt_c7_day_of_indemnity_rate_when_it_is_lower():
    # USD 10,000.00 - 2,000.00 at 3,900 (not 4,000) = 31,200,000.00; 90% = 28,080,000.00.
    result = indemnity(
        limit_amount=D("100000000.00"),
        minimum_premium=D("10000000.00"),
        sale_rate=D("4000"),
        indemnity_rate=D("3900"),
    )
    assert result.amount == D("28080000.00")
    assert lines(result)[:2] == [
        (
            "Insured unpaid credit (10000.00 at the day-of-indemnity rate 3900)",
            D("39000000.00"),
            "WT-C7",
        ),
        (
            "Less collections up to payment (2000.00 at the day-of-indemnity rate 3900)",
            D("-7800000.00"),
            "WT-C7",
        ),
    ]


def test_wt_c7_day_of_sale_rate_when_it_is_lower():
    # USD 8,000.00 at 3,800 (not 4,100) = 30,400,000.00; 90% = 27,360,000.00.
    result = indemnity(
        limit_amount=D("100000000.00"),
        minimum_premium=D("10000000.00"),
        sale_rate=D("3800"),
        indemnity_rate=D("4100"),
    )
    assert result.amount == D("27360000.00")
    assert result.lines[0].label == "Insured unpaid credit (10000.00 at the day-of-sale rate 3800)"


def test_wt_c7_converts_the_collection_costs_and_caps_in_the_policy_currency():
    # EUR 1,000.00 unpaid at 1.08 (not 1.10) = 1,080.00 USD; limit USD 1,000.00:
    # 90% x 1,080.00 = 972.00 capped at 900.00; costs 200.00 x 1.08 = 216.00, 90% = 194.40,
    # cost cap 50% x min(1,000.00, 1,080.00) = 500.00; 900.00 + 194.40 = 1,094.40.
    result = indemnity(
        insured_unpaid=D("1000.00"),
        collections_up_to_payment=D("0"),
        limit_amount=D("1000.00"),
        collection_costs=D("200.00"),
        sale_rate=D("1.10"),
        indemnity_rate=D("1.08"),
    )
    assert result.amount == D("1094.40")
    assert line(result, "WT-C6", "Collection costs").label == (
        "Collection costs 216.00 (200.00 at the day-of-indemnity rate 1.08) at 90%"
    )


def test_wt_c7_conversion_rounds_half_up():
    # 10.00 x 1.0005 = 10.005 -> 10.01.
    result = indemnity(
        insured_unpaid=D("10.00"),
        collections_up_to_payment=D("0"),
        sale_rate=D("1.0005"),
        indemnity_rate=D("1.0005"),
    )
    assert result.lines[0].amount == D("10.01")


# Refused inputs


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"insured_unpaid": 10000.0}, TypeError),
        ({"collections_up_to_payment": D("-0.01")}, ValueError),
        ({"limit_amount": D("NaN")}, ValueError),
        ({"coverage_percent": D("0")}, ValueError),
        ({"coverage_percent": D("100.01")}, ValueError),
        ({"max_indemnity_multiple": D("-1")}, ValueError),
        ({"sale_rate": D("4000")}, ValueError),
        ({"sale_rate": D("0"), "indemnity_rate": D("1")}, ValueError),
        ({"sale_rate": 4000, "indemnity_rate": D("1")}, TypeError),
    ],
)
def test_wt_c6_amounts_are_decimals_of_at_least_zero(overrides: dict[str, Any], error: type):
    with pytest.raises(error):
        indemnity(**overrides)


# WT-R1: recoveries after the indemnity.


def test_wt_r1_net_recovery_goes_to_the_indemnified_credits_then_the_insured():
    # 10,000.00 - 500.00 costs = 9,500.00: 8,000.00 to the indemnified credits (insurer
    # 90% = 7,200.00, insured 800.00), 1,500.00 surplus to the insured.
    assert wt_recovery_split(D("10000.00"), D("500.00"), D("8000.00"), D("90")) == RecoverySplit(
        insurer_share=D("7200.00"),
        insured_share=D("2300.00"),
        applied_to_indemnified=D("8000.00"),
        applied_to_interest=D("0.00"),
        surplus=D("1500.00"),
    )


def test_wt_r1_interest_only_after_the_principal_is_paid():
    # Principal 8,000.00 paid in full, then 1,000.00 interest to the insurer, 500.00 left.
    split = wt_recovery_split(D("10000.00"), D("500.00"), D("8000.00"), D("90"), D("1000.00"))
    assert split == RecoverySplit(
        insurer_share=D("8200.00"),
        insured_share=D("1300.00"),
        applied_to_indemnified=D("8000.00"),
        applied_to_interest=D("1000.00"),
        surplus=D("500.00"),
    )


def test_wt_r1_no_interest_while_the_principal_is_outstanding():
    # 7,999.99 net < 8,000.00 principal: nothing reaches the interest.
    split = wt_recovery_split(D("7999.99"), D("0"), D("8000.00"), D("90"), D("1000.00"))
    assert split.applied_to_interest == D("0.00") and split.surplus == D("0.00")
    assert (split.insurer_share, split.insured_share) == (D("7199.99"), D("800.00"))


def test_wt_r1_insurer_share_rounded_half_up():
    # 90% x 100.05 = 90.045 -> 90.05; the insured 10.00.
    split = wt_recovery_split(D("100.05"), D("0"), D("1000.00"), D("90"))
    assert (split.insurer_share, split.insured_share) == (D("90.05"), D("10.00"))


def test_wt_r1_costs_above_the_recovery_leave_nothing_to_share():
    split = wt_recovery_split(D("100.00"), D("200.00"), D("8000.00"), D("90"), D("50.00"))
    assert split == RecoverySplit(D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"))


# WT-R2


@pytest.mark.parametrize(
    ("market", "invoiced", "value"),
    [
        ("499.99", "1000.00", "500.00"),
        ("500.00", "1000.00", "500.00"),
        ("500.01", "1000.00", "500.01"),
        ("0.00", "1000.01", "500.01"),  # 500.005 -> 500.01 half-up
        ("1200.00", "1000.00", "1200.00"),
    ],
)
def test_wt_r2_recovered_goods_never_below_half_the_invoice(market: str, invoiced: str, value: str):
    assert recovered_goods_value(D(market), D(invoiced)) == D(value)


# Properties

amounts = st.decimals(
    min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False
)
percents = st.decimals(min_value="0.01", max_value=100, places=2)
multiples = st.decimals(min_value=0, max_value=50, places=1)
rates = st.decimals(min_value="0.0001", max_value=10_000, places=4)


def exact_to_the_cent(result: IndemnityResult) -> bool:
    values = [result.amount, *(x.amount for x in result.lines)]
    return all(v.as_tuple().exponent == -2 for v in values)


claims = st.fixed_dictionaries(
    {
        "insured_unpaid": amounts,
        "collections_up_to_payment": amounts,
        "coverage_percent": percents,
        "limit_amount": amounts,
        "period_indemnities_paid": amounts,
        "minimum_premium": amounts,
        "max_indemnity_multiple": multiples,
        "premium_paid": amounts,
        "premium_total": amounts,
        "collection_costs": amounts,
    }
)


@given(claim=claims)
def test_wt_c6_indemnity_properties(claim: dict[str, Any]):
    result = wt_indemnity(**claim)
    limit, percent = claim["limit_amount"], claim["coverage_percent"]
    cost_cap = round_cents(min(limit, claim["insured_unpaid"]) / 2)
    period_left = round_cents(claim["minimum_premium"] * claim["max_indemnity_multiple"])
    period_left = max(period_left - claim["period_indemnities_paid"], D(0))
    assert result.amount >= 0
    assert result.amount <= round_cents(limit * percent / 100) + cost_cap
    assert result.amount <= period_left
    assert result.amount == result.lines[-1].amount
    assert exact_to_the_cent(result)
    assert wt_indemnity(**claim) == result


@given(claim=claims, more=amounts)
def test_wt_c6_indemnity_does_not_grow_with_collections(claim: dict[str, Any], more: Decimal):
    before = wt_indemnity(**claim).amount
    claim["collections_up_to_payment"] += more
    assert wt_indemnity(**claim).amount <= before


@given(claim=claims, first=rates, second=rates)
def test_wt_c7_indemnity_at_the_lesser_of_the_two_rates(
    claim: dict[str, Any], first: Decimal, second: Decimal
):
    # The rate applied is the one giving the smaller amount for the sale (the credit).
    result = wt_indemnity(**claim, sale_rate=first, indemnity_rate=second)
    unpaid = claim["insured_unpaid"]
    assert result.lines[0].amount == min(round_cents(unpaid * first), round_cents(unpaid * second))
    lesser = min(first, second)
    assert result.amount == wt_indemnity(**claim, sale_rate=lesser, indemnity_rate=lesser).amount
    assert result.amount >= 0 and exact_to_the_cent(result)
    assert wt_indemnity(**claim, sale_rate=first, indemnity_rate=second) == result


@given(recovery=amounts, costs=amounts, outstanding=amounts, percent=percents, interest=amounts)
def test_wt_r1_split_conserves_money_exactly(
    recovery: Decimal, costs: Decimal, outstanding: Decimal, percent: Decimal, interest: Decimal
):
    split = wt_recovery_split(recovery, costs, outstanding, percent, interest)
    net = max(recovery - costs, D(0))
    parts = (split.applied_to_indemnified, split.applied_to_interest, split.surplus)
    assert split.insurer_share + split.insured_share == net
    assert sum(parts) == net
    assert all(v >= 0 and v.as_tuple().exponent == -2 for v in (*parts, split.insurer_share))
    assert split.insured_share >= 0 and split.insured_share.as_tuple().exponent == -2
    assert split.applied_to_indemnified <= outstanding
    assert split.applied_to_interest == 0 or split.applied_to_indemnified == outstanding
    assert wt_recovery_split(recovery, costs, outstanding, percent, interest) == split


@given(market=amounts, invoiced=amounts)
def test_wt_r2_recovered_goods_value_floor(market: Decimal, invoiced: Decimal):
    value = recovered_goods_value(market, invoiced)
    assert value >= market and value >= invoiced / 2 and value.as_tuple().exponent == -2
