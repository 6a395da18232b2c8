"""A credit's cover decided from the facts, whatever their order (WT-P1, WT-L1, WT-L4,
WT-L6, WT-L7), and the WT-L4 firm orders after a total cancellation with their cap."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.rules.wt.cover import LimitVersion, SaleFacts, decide_cover, version_on
from domain.rules.wt.limits import (
    FIRM_ORDER_BARS,
    cap_firm_order_indemnity,
    firm_order_cap_left,
    firm_order_cover,
    firm_order_violation,
    limit_effective_from,
)
from domain.rules.wt.terms import Credit

D = Decimal
EFFECTIVE = date(2027, 1, 1)
END = date(2027, 12, 31)


def credit(id: str = "s1", issue: date = date(2027, 3, 10), **overrides: Any) -> Credit:
    fields: dict[str, Any] = {
        "id": id,
        "issue_date": issue,
        "due_date": issue + timedelta(days=60),
        "amount": D("1000.00"),
    }
    fields.update(overrides)
    return Credit(**fields)


def version(**overrides: Any) -> LimitVersion:
    fields: dict[str, Any] = {
        "id": "v1",
        "amount": D("10000.00"),
        "max_payment_term_days": 90,
        "effective_from": date(2027, 3, 1),
    }
    fields.update(overrides)
    return LimitVersion(**fields)


def decide(sale: Credit, versions: list[LimitVersion], others: list[Credit] | None = None,
           **facts: Any):  # fmt: skip
    return decide_cover(SaleFacts(sale, **facts), versions, EFFECTIVE, END, [sale, *(others or [])])


# Backdated limit: the decision is a function of the facts, not of their order.


def test_backdated_limit_covers_a_sale_on_its_effective_date_and_not_the_day_before():
    grant = version(effective_from=date(2027, 3, 10))
    assert decide(credit(issue=date(2027, 3, 10)), [grant]).rule is None
    assert decide(credit(issue=date(2027, 3, 9)), [grant]).rule == "WT-L1"


@given(
    issue=st.dates(min_value=date(2027, 1, 1), max_value=date(2027, 6, 30)),
    effective=st.dates(min_value=date(2027, 1, 1), max_value=date(2027, 6, 30)),
)
def test_wt_l1_cover_is_the_same_whatever_the_order_versions_are_listed(
    issue: date, effective: date
):
    old = version(id="v0", effective_from=date(2027, 1, 1), ends_on=effective - timedelta(1))
    new = version(id="v1", effective_from=effective, amount=D("2000.00"))
    sale = credit(issue=issue)
    assert decide(sale, [old, new]) == decide(sale, [new, old])
    assert decide(sale, [old, new]).version_id == ("v1" if issue >= effective else "v0")


def test_wt_p1_sale_before_the_policy_effective_date_is_not_covered():
    early = credit(issue=EFFECTIVE - timedelta(days=1))
    assert decide(early, [version(effective_from=date(2026, 12, 1))]).rule == "WT-P1"
    assert decide(credit(issue=EFFECTIVE), [version(effective_from=EFFECTIVE)]).rule is None


def test_wt_l7_a_credit_declared_later_aggravates_a_sale_declared_before():
    sale = credit(issue=date(2027, 4, 15))
    old_unpaid = credit("s0", issue=date(2027, 1, 10), due_date=date(2027, 3, 16))
    assert decide(sale, [version()]).rule is None
    assert decide(sale, [version()], [old_unpaid]).rule == "WT-L7"


# WT-L4: firm orders only after a total cancellation.

CANCELLED = version(
    ends_on=date(2027, 3, 31),
    cancelled=True,
    firm_orders_until=date(2027, 5, 1),
)


def test_wt_l4_firm_order_within_30_days_of_a_total_cancellation_is_covered():
    decision = decide(credit(issue=date(2027, 5, 1)), [CANCELLED], firm_order=True)
    assert (decision.rule, decision.firm_order, decision.version_id) == (None, True, "v1")


def test_wt_l4_firm_order_on_day_31_is_not_covered():
    decision = decide(credit(issue=date(2027, 5, 2)), [CANCELLED], firm_order=True)
    assert decision.rule == "WT-L4"


def test_wt_l4_sale_after_a_cancellation_not_declared_as_firm_order_is_not_covered():
    assert decide(credit(issue=date(2027, 4, 2)), [CANCELLED]).rule == "WT-L1"


def test_wt_l4_reduction_opens_no_firm_order_window():
    reduced = version(ends_on=date(2027, 3, 31))  # not cancelled: a reduction/increase
    assert decide(credit(issue=date(2027, 4, 2)), [reduced], firm_order=True).rule == "WT-L1"


def test_wt_l4_contract_signed_on_the_cancellation_day_is_not_a_firm_order():
    sale = credit(issue=date(2027, 4, 10))
    before = decide(sale, [CANCELLED], firm_order=True, firm_order_signed_on=date(2027, 3, 31))
    on_day = decide(sale, [CANCELLED], firm_order=True, firm_order_signed_on=date(2027, 4, 1))
    assert (before.rule, on_day.rule) == (None, "WT-L4")


@pytest.mark.parametrize("bar", FIRM_ORDER_BARS)
def test_wt_l4_a_bar_recorded_on_the_cancellation_removes_firm_order_cover(bar: str):
    barred = version(
        ends_on=date(2027, 3, 31),
        cancelled=True,
        firm_orders_until=date(2027, 5, 1),
        firm_order_bars=(bar,),
    )
    decision = decide(credit(issue=date(2027, 4, 10)), [barred], firm_order=True)
    assert decision.rule == "WT-L4" and bar in (decision.reason or "")


def test_wt_l4_buyer_in_arrears_on_the_sale_date_gets_no_firm_order_cover():
    sale = credit(issue=date(2027, 4, 10))
    due_before = credit("s0", issue=date(2027, 2, 1), due_date=date(2027, 4, 9))
    due_on_day = credit("s0", issue=date(2027, 2, 1), due_date=date(2027, 4, 10))
    assert decide(sale, [CANCELLED], [due_before], firm_order=True).rule == "WT-L4"
    assert decide(sale, [CANCELLED], [due_on_day], firm_order=True).rule is None
    paid = credit(
        "s0",
        issue=date(2027, 2, 1),
        due_date=date(2027, 4, 9),
        collected=D("1000.00"),
        paid_in_full_on=date(2027, 4, 10),
    )
    assert decide(sale, [CANCELLED], [paid], firm_order=True).rule is None


def test_wt_l4_firm_order_violation_needs_a_total_cancellation():
    refusal = firm_order_violation(date(2027, 4, 2), date(2027, 4, 1), None, (), None, [])
    assert refusal is not None and refusal.rule == "WT-L4"


# WT-L4: 50% of the unused balance caps the indemnity on all firm orders together.


def test_wt_l4_cap_is_half_the_unused_balance_of_the_cancelled_limit():
    assert firm_order_cover(date(2027, 4, 1), D("10000.00"), D("6000.01")).cap == D("2000.00")


def test_wt_l4_firm_order_indemnity_at_the_cap_is_paid_in_full():
    assert cap_firm_order_indemnity(D("2500.00"), D("2000.00"), D("2000.00")) == (
        D("2500.00"),
        D("2000.00"),
    )


def test_wt_l4_firm_order_indemnity_one_cent_over_the_cap_loses_that_cent():
    assert cap_firm_order_indemnity(D("2500.00"), D("2000.01"), D("2000.00")) == (
        D("2499.99"),
        D("2000.00"),
    )


def test_wt_l4_cap_left_after_earlier_firm_order_indemnities():
    assert firm_order_cap_left(D("2000.00"), D("1500.00")) == D("500.00")
    assert firm_order_cap_left(D("2000.00"), D("2500.00")) == D("0.00")
    assert cap_firm_order_indemnity(D("900.00"), D("900.00"), D("0.00")) == (D("0.00"), D("0"))


def test_wt_l4_no_firm_orders_leaves_the_indemnity_alone():
    assert cap_firm_order_indemnity(D("900.00"), D("0.00"), None) == (D("900.00"), D("0.00"))


# WT-L2: from the policy's effective date.


def test_wt_l2_limit_never_before_the_policy_effective_date():
    assert limit_effective_from(date(2027, 3, 5), date(2027, 2, 14)) == date(2027, 2, 14)
    assert limit_effective_from(date(2027, 3, 5), date(2027, 2, 1)) == date(2027, 2, 1)
    assert limit_effective_from(date(2027, 3, 5), date(2027, 2, 2)) == date(2027, 2, 2)


def test_version_on_prefers_the_latest_overlapping_version():
    a = version(id="a", effective_from=date(2027, 3, 1))
    b = version(id="b", effective_from=date(2027, 3, 5))
    assert version_on([b, a], date(2027, 3, 6)) == b
    assert version_on([b, a], date(2027, 3, 4)) == a


def test_wt_l4_wt_indemnity_holds_the_firm_order_part_to_the_cap_and_pays_the_rest():
    from domain.rules.wt.claims import wt_indemnity
    from domain.rules.wt.limits import FIRM_ORDER_LINE

    common: dict[str, Any] = {
        "insured_unpaid": D("5000.00"),
        "collections_up_to_payment": D("0.00"),
        "coverage_percent": D("90"),
        "limit_amount": D("10000.00"),
        "period_indemnities_paid": D("0.00"),
        "minimum_premium": D("100.00"),
        "max_indemnity_multiple": D("200"),
        "premium_paid": D("100.00"),
        "premium_total": D("100.00"),
    }
    # 3,000.00 of firm orders -> 2,700.00 indemnity, held to a 2,000.00 cap: the other
    # 2,000.00 of credits still pay 1,800.00 (the sales above the cap are not excluded).
    result = wt_indemnity(**common, firm_order_loss=D("3000.00"), firm_order_cap_left=D("2000.00"))
    assert result.amount == D("3800.00")
    assert [line.amount for line in result.lines if line.label == FIRM_ORDER_LINE] == [D("2000.00")]
    assert wt_indemnity(**common).amount == D("4500.00")
