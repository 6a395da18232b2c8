"""A buyer's credit limit (WT-L1, WT-L2, WT-L3, WT-L4, WT-L6, WT-L7; seed 003 art. 1.3.i,
4.1.c, 4.2), each rule at its boundaries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.rules.violations import Violation
from domain.rules.wt.limits import (
    AGGRAVATED_RISK_DAYS,
    FIRM_ORDER_DAYS,
    PAYMENT_TERM_TOLERANCE_DAYS,
    FirmOrderCover,
    aggravated_risk,
    check_no_overdue_credits,
    check_payment_term,
    firm_order_cover,
    limit_effective_from,
    limit_in_force,
    overdue_unpaid,
)
from domain.rules.wt.terms import Credit, LimitTerms

D = Decimal
DUE = date(2025, 3, 31)


def credit(id: str = "c1", **overrides: Any) -> Credit:
    fields: dict[str, Any] = {
        "id": id,
        "issue_date": date(2025, 1, 30),
        "due_date": DUE,
        "amount": D("1000.00"),
    }
    fields.update(overrides)
    return Credit(**fields)


def limit(**overrides: Any) -> LimitTerms:
    fields: dict[str, Any] = {
        "amount": D("50000.00"),
        "coverage_percent": D("85"),
        "max_payment_term_days": 60,
        "effective_from": date(2025, 2, 1),
    }
    fields.update(overrides)
    return LimitTerms(**fields)


def test_constants_are_the_products_numbers():
    assert (FIRM_ORDER_DAYS, PAYMENT_TERM_TOLERANCE_DAYS, AGGRAVATED_RISK_DAYS) == (30, 30, 30)


# WT-L2: the 1st of the month before the request, never before the policy start.


@pytest.mark.parametrize(
    ("requested_on", "expected"),
    [
        (date(2025, 3, 17), date(2025, 2, 1)),
        (date(2025, 3, 1), date(2025, 2, 1)),
        (date(2025, 3, 31), date(2025, 2, 1)),
        (date(2026, 1, 15), date(2025, 12, 1)),  # across the year
    ],
)
def test_wt_l2_limit_takes_effect_on_the_1st_of_the_previous_month(
    requested_on: date, expected: date
):
    assert limit_effective_from(requested_on, date(2024, 1, 1)) == expected


def test_wt_l2_limit_never_takes_effect_before_the_policy_start():
    assert limit_effective_from(date(2025, 3, 17), date(2025, 2, 15)) == date(2025, 2, 15)
    assert limit_effective_from(date(2025, 3, 17), date(2025, 3, 10)) == date(2025, 3, 10)


def test_wt_l2_policy_start_on_the_1st_of_the_previous_month_is_kept():
    assert limit_effective_from(date(2025, 3, 17), date(2025, 2, 1)) == date(2025, 2, 1)


# WT-L3: no limit while the buyer has overdue unpaid credits at the request date.


def test_wt_l3_credit_due_the_day_before_and_unpaid_is_overdue():
    late = credit(due_date=date(2025, 3, 30))
    assert overdue_unpaid([late], date(2025, 3, 31)) == [late]
    violation = check_no_overdue_credits([late], date(2025, 3, 31))
    assert violation is not None
    assert violation.rule == "WT-L3"
    assert "c1" in violation.message


def test_wt_l3_credit_due_on_the_request_date_is_not_overdue():
    assert overdue_unpaid([credit(due_date=DUE)], DUE) == []
    assert check_no_overdue_credits([credit(due_date=DUE)], DUE) is None


def test_wt_l3_overdue_credit_paid_in_full_does_not_block():
    paid = credit(collected=D("1000.00"), paid_in_full_on=date(2025, 4, 2))
    assert check_no_overdue_credits([paid], date(2025, 5, 1)) is None


def test_wt_l3_partly_paid_overdue_credit_blocks():
    partly = credit(collected=D("999.99"))
    assert overdue_unpaid([partly], date(2025, 4, 1)) == [partly]


def test_wt_l3_extended_due_date_is_the_one_that_counts():
    extended = credit(extended_due_date=date(2025, 5, 31))
    assert check_no_overdue_credits([extended], date(2025, 4, 15)) is None
    assert check_no_overdue_credits([extended], date(2025, 6, 1)) is not None


def test_wt_l3_lists_only_the_overdue_unpaid_credits_in_order():
    a = credit("a", due_date=date(2025, 2, 28))
    b = credit("b", due_date=date(2025, 4, 30))
    c = credit("c", due_date=date(2025, 1, 31))
    assert overdue_unpaid([a, b, c], date(2025, 4, 1)) == [a, c]


# WT-L4: firm orders kept 30 days after the cancellation, at 50% of the unused balance.


def test_wt_l4_firm_orders_covered_30_days_at_half_the_unused_balance():
    # 50,000.00 limit - 30,000.00 used = 20,000.00 unused; 50% = 10,000.00.
    cover = firm_order_cover(date(2025, 3, 10), D("50000.00"), D("30000.00"))
    assert cover == FirmOrderCover(until=date(2025, 4, 9), cap=D("10000.00"))


def test_wt_l4_firm_order_cap_rounds_half_up():
    # (1,000.00 - 999.99) x 50% = 0.005 -> 0.01.
    assert firm_order_cover(date(2025, 3, 10), D("1000.00"), D("999.99")).cap == D("0.01")


def test_wt_l4_limit_fully_used_leaves_no_firm_order_cap():
    cover = firm_order_cover(date(2025, 12, 15), D("50000.00"), D("65000.00"))
    assert cover == FirmOrderCover(until=date(2026, 1, 14), cap=D("0.00"))


# WT-L6: payment term up to the limit's maximum + 30 days.


def test_wt_l6_payment_term_up_to_max_plus_30_days_is_covered():
    issued = date(2025, 3, 1)
    assert check_payment_term(issued, issued + timedelta(days=90), 60) is None
    assert check_payment_term(issued, issued + timedelta(days=60), 60) is None


def test_wt_l6_payment_term_of_max_plus_31_days_is_refused():
    issued = date(2025, 3, 1)
    assert check_payment_term(issued, issued + timedelta(days=91), 60) == Violation(
        "WT-L6",
        "The payment term of 91 days exceeds the limit's maximum of 60 days by more than 30 days.",
        ("input", "dueDate"),
    )


# WT-L7: no cover for sales once a due date has been unpaid for 30 days or more.


def test_wt_l7_sale_on_the_day_a_due_date_is_30_days_unpaid_is_refused():
    violation = aggravated_risk(DUE + timedelta(days=30), [credit()])
    assert violation is not None
    assert violation.rule == "WT-L7"
    assert violation.field == ("input", "issueDate")
    assert "2025-04-30" in violation.message


def test_wt_l7_sale_29_days_after_an_unpaid_due_date_is_covered():
    assert aggravated_risk(DUE + timedelta(days=29), [credit()]) is None


def test_wt_l7_due_date_paid_on_day_29_never_aggravates():
    paid = credit(collected=D("1000.00"), paid_in_full_on=DUE + timedelta(days=29))
    assert aggravated_risk(DUE + timedelta(days=200), [paid]) is None


def test_wt_l7_due_date_paid_on_day_30_aggravates_later_sales():
    paid = credit(collected=D("1000.00"), paid_in_full_on=DUE + timedelta(days=30))
    assert aggravated_risk(DUE + timedelta(days=29), [paid]) is None
    assert aggravated_risk(DUE + timedelta(days=30), [paid]) is not None
    assert aggravated_risk(DUE + timedelta(days=200), [paid]) is not None


def test_wt_l7_counts_from_the_extended_due_date():
    extended = credit(extended_due_date=date(2025, 5, 31))
    assert aggravated_risk(date(2025, 6, 29), [extended]) is None
    assert aggravated_risk(date(2025, 6, 30), [extended]) is not None


def test_wt_l7_credit_collected_without_a_payment_date_is_taken_as_paid_in_time():
    assert aggravated_risk(DUE + timedelta(days=60), [credit(collected=D("1000.00"))]) is None


def test_wt_l7_cites_the_first_credit_to_aggravate():
    older = credit("old", due_date=date(2025, 1, 31))
    newer = credit("new", due_date=date(2025, 2, 28))
    violation = aggravated_risk(date(2025, 5, 1), [newer, older])
    assert violation is not None
    assert "credit old due 2025-01-31" in violation.message


# WT-L1: a sale needs a limit in force on its date.


def test_wt_l1_no_limit_is_refused():
    assert limit_in_force(None, date(2025, 3, 1)) == Violation(
        "WT-L1", "The buyer has no credit limit: the sale is not covered."
    )


def test_wt_l1_sale_before_the_limit_takes_effect_is_refused():
    violation = limit_in_force(limit(), date(2025, 1, 31))
    assert violation is not None
    assert (violation.rule, violation.field) == ("WT-L1", ("input", "issueDate"))


def test_wt_l1_sale_on_the_effective_date_is_covered():
    assert limit_in_force(limit(), date(2025, 2, 1)) is None


def test_wt_l1_sale_the_day_before_the_limit_ends_is_covered():
    assert limit_in_force(limit(ends_on=date(2025, 6, 1)), date(2025, 5, 31)) is None


def test_wt_l1_sale_on_or_after_the_limit_ends_is_refused():
    ended = limit(ends_on=date(2025, 6, 1))
    on_the_day = limit_in_force(ended, date(2025, 6, 1))
    assert on_the_day is not None
    assert on_the_day.rule == "WT-L1"
    assert limit_in_force(ended, date(2025, 7, 1)) is not None


def test_wt_l7_a_buyer_history_reduces_to_its_aggravating_credit():
    """aggravated_risk over every credit == over the one aggravating_credit returns."""
    from datetime import date as day
    from decimal import Decimal as D

    from domain.rules.wt.limits import aggravated_risk, aggravating_credit
    from domain.rules.wt.terms import Credit as C

    credits = [
        C("b", day(2027, 1, 1), day(2027, 2, 1), D("10.00")),
        C("a", day(2027, 1, 1), day(2027, 2, 1), D("5.00")),
        C(
            "c",
            day(2027, 1, 1),
            day(2027, 1, 20),
            D("5.00"),
            collected=D("5.00"),
            paid_in_full_on=day(2027, 1, 25),
        ),
        C("d", day(2027, 1, 5), day(2027, 3, 1), D("7.00")),
    ]
    assert aggravating_credit(credits).id == "a"
    for sale_day in (day(2027, 3, 2), day(2027, 3, 3), day(2027, 3, 31), day(2027, 4, 1)):
        assert aggravated_risk(sale_day, credits) == aggravated_risk(
            sale_day, [aggravating_credit(credits)]
        )
    assert aggravating_credit([credits[2]]) is None
