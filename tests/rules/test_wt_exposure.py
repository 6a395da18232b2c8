"""A buyer's dynamic limit (WT-L5, WT-L8, seed 003 art. 4.4.d-f) and the allocation of its
collections (WT-N2, seed 003 art. 4.4.b, 7.1.b), worked by hand, and their properties:
exposure never negative, insured within the limit and the exposure, collections
conserved exactly and never above a credit's outstanding.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.rules.wt.exposure import (
    Allocation,
    BuyerExposure,
    allocate_collections,
    buyer_exposure,
    fill_limit,
)
from domain.rules.wt.limits import available_balance
from domain.rules.wt.terms import Collection, Credit, LimitTerms

D = Decimal
ON = date(2025, 6, 15)


def credit(id: str, due: date, amount: str = "1000.00", **overrides: Any) -> Credit:
    fields: dict[str, Any] = {
        "id": id,
        "issue_date": due - timedelta(days=60),
        "due_date": due,
        "amount": D(amount),
    }
    fields.update(overrides)
    return Credit(**fields)


def collection(amount: str, credit_id: str | None = None, id: str = "k1") -> Collection:
    return Collection(id=id, received_on=date(2025, 6, 1), amount=D(amount), credit_id=credit_id)


def limit(amount: str = "2500.00") -> LimitTerms:
    return LimitTerms(
        amount=D(amount),
        coverage_percent=D("85"),
        max_payment_term_days=60,
        effective_from=date(2025, 1, 1),
    )


# WT-N2: assigned collections to their credit, the rest oldest due date first.


def test_wt_n2_unassigned_collection_pays_the_oldest_due_date_first():
    a = credit("a", date(2025, 7, 31))
    b = credit("b", date(2025, 5, 31))
    result = allocate_collections([a, b], [collection("1500.00")])
    assert result == Allocation({"a": D("500.00"), "b": D("1000.00")}, D("0.00"))


def test_wt_n2_assigned_collection_goes_to_its_credit():
    a = credit("a", date(2025, 7, 31))
    b = credit("b", date(2025, 5, 31))
    result = allocate_collections([a, b], [collection("400.00", "a")])
    assert result == Allocation({"a": D("400.00"), "b": D("0.00")}, D("0.00"))


def test_wt_n2_assigned_excess_falls_through_to_the_oldest_due_date():
    # a has 300.00 outstanding; 500.00 assigned to it: 200.00 goes to b, the oldest.
    a = credit("a", date(2025, 7, 31), collected=D("700.00"))
    b = credit("b", date(2025, 5, 31))
    c = credit("c", date(2025, 6, 30))
    result = allocate_collections([a, b, c], [collection("500.00", "a")])
    assert result.per_credit == {"a": D("300.00"), "b": D("200.00"), "c": D("0.00")}


def test_wt_n2_collection_for_an_unknown_credit_joins_the_pool():
    a = credit("a", date(2025, 7, 31))
    assert allocate_collections([a], [collection("10.00", "zz")]).per_credit == {"a": D("10.00")}


def test_wt_n2_ties_on_due_date_by_issue_date_then_id():
    due = date(2025, 5, 31)
    later_issue = credit("a", due, issue_date=date(2025, 4, 1))
    earlier_issue = credit("z", due, issue_date=date(2025, 3, 1))
    same_issue_b = credit("b", due, issue_date=date(2025, 4, 1))
    result = allocate_collections([later_issue, same_issue_b, earlier_issue], [collection("1500")])
    assert result.per_credit == {"z": D("1000.00"), "a": D("500.00"), "b": D("0.00")}


def test_wt_n2_extended_due_date_orders_the_credit():
    a = credit("a", date(2025, 4, 30), extended_due_date=date(2025, 7, 31))
    b = credit("b", date(2025, 5, 31))
    assert allocate_collections([a, b], [collection("1000.00")]).per_credit == {
        "a": D("0.00"),
        "b": D("1000.00"),
    }


def test_wt_n2_more_collected_than_outstanding_stays_unallocated():
    a = credit("a", date(2025, 5, 31), collected=D("900.00"))
    result = allocate_collections([a], [collection("150.00"), collection("20.00", "a")])
    assert result == Allocation({"a": D("100.00")}, D("70.00"))


def test_wt_n2_no_collections_allocates_nothing():
    a = credit("a", date(2025, 5, 31))
    assert allocate_collections([a], []) == Allocation({"a": D("0.00")}, D("0.00"))


# WT-L5: exposure, insured in due-date order, uninsured, overdue, aggravated.


def test_wt_l5_credits_above_the_limit_enter_cover_in_due_date_order():
    # Limit 2,500.00; credits of 1,000.00 due May, June, July, August:
    # May and June fully insured, July 500.00, August nothing.
    credits = [
        credit("aug", date(2025, 8, 31)),
        credit("may", date(2025, 5, 31)),
        credit("jul", date(2025, 7, 31)),
        credit("jun", date(2025, 6, 30)),
    ]
    result = buyer_exposure(credits, limit(), ON)
    assert result == BuyerExposure(
        exposure=D("4000.00"),
        insured=D("2500.00"),
        uninsured=D("1500.00"),
        overdue=D("1000.00"),
        available=D("0.00"),
        aggravated=False,
        insured_by_credit={
            "aug": D("0.00"),
            "may": D("1000.00"),
            "jul": D("500.00"),
            "jun": D("1000.00"),
        },
    )


def test_wt_l5_collections_free_capacity_for_the_next_due_date():
    # May collected in full: June, July insured; August 500.00.
    credits = [
        credit("may", date(2025, 5, 31), collected=D("1000.00")),
        credit("jun", date(2025, 6, 30)),
        credit("jul", date(2025, 7, 31)),
        credit("aug", date(2025, 8, 31)),
    ]
    result = buyer_exposure(credits, limit(), ON)
    assert (result.exposure, result.insured, result.uninsured) == (
        D("3000.00"),
        D("2500.00"),
        D("500.00"),
    )
    assert result.insured_by_credit["aug"] == D("500.00")
    assert result.overdue == D("0.00")


def test_wt_l5_uncovered_credits_use_the_limit_and_leave_less_for_covered_ones():
    # Defect: the uncovered May credit took no room, so June was insured in full.
    credits = [
        credit("may", date(2025, 5, 31), excluded_by="WT-L6"),
        credit("jun", date(2025, 6, 30)),
    ]
    result = buyer_exposure(credits, limit("1500.00"), ON)
    assert result.exposure == D("2000.00")
    assert result.insured_by_credit == {"may": D("0.00"), "jun": D("500.00")}
    assert (result.insured, result.uninsured, result.available) == (
        D("500.00"),
        D("1500.00"),
        D("0.00"),
    )


def test_wt_l5_uncovered_credit_fully_inside_the_limit_leaves_nothing_for_later_ones():
    credits = [
        credit("may", date(2025, 5, 31), "1500.00", excluded_by="WT-L7"),
        credit("jun", date(2025, 6, 30)),
    ]
    inside, insured = fill_limit(credits, D("1500.00"))
    assert inside == {"may": D("1500.00"), "jun": D("0.00")}
    assert insured == {"may": D("0.00"), "jun": D("0.00")}


def test_wt_l5_collection_on_an_uncovered_credit_lets_the_waiting_credit_in():
    # 0.01 collected on the uncovered May credit frees 0.01 for June; the limit itself
    # stays 1,500.00 (collections never reduce it).
    credits = [
        credit("may", date(2025, 5, 31), excluded_by="WT-L6", collected=D("0.01")),
        credit("jun", date(2025, 6, 30)),
    ]
    result = buyer_exposure(credits, limit("1500.00"), ON)
    assert result.insured_by_credit["jun"] == D("500.01")
    credits[0] = credit("may", date(2025, 5, 31), excluded_by="WT-L6", collected=D("1000.00"))
    assert buyer_exposure(credits, limit("1500.00"), ON).insured_by_credit["jun"] == D("1000.00")


def test_wt_l5_waiting_credits_enter_in_due_date_order_whatever_the_list_order():
    credits = [
        credit("aug", date(2025, 8, 31)),
        credit("jul", date(2025, 7, 31)),
        credit("may", date(2025, 5, 31), collected=D("600.00")),
    ]
    _, insured = fill_limit(credits, D("1500.00"))
    assert insured == {"aug": D("100.00"), "jul": D("1000.00"), "may": D("400.00")}


def test_wt_l8_amounts_unpaid_under_a_previous_limit_reduce_the_new_one():
    # May sold under a 2,000.00 version (800.00 unpaid), then the limit was reduced to
    # 1,000.00: June, sold under the new version, has only 200.00 of room.
    credits = [
        credit("may", date(2025, 5, 31), "800.00"),
        credit("jun", date(2025, 6, 30)),
    ]
    _, insured = fill_limit(credits, D("1000.00"), {"may": D("2000.00")})
    assert insured == {"may": D("800.00"), "jun": D("200.00")}


def test_wt_l8_old_credits_keep_the_old_version_after_a_reduction():
    credits = [credit("may", date(2025, 5, 31), "1800.00"), credit("jun", date(2025, 6, 30))]
    _, insured = fill_limit(credits, D("1000.00"), {"may": D("2000.00")})
    assert insured == {"may": D("1800.00"), "jun": D("0.00")}


def test_wt_l8_available_balance_at_and_over_the_amount_used():
    assert available_balance(D("1000.00"), D("999.99")) == D("0.01")
    assert available_balance(D("1000.00"), D("1000.00")) == D("0.00")
    assert available_balance(D("1000.00"), D("1000.01")) == D("0.00")


def test_wt_l5_no_limit_insures_nothing():
    result = buyer_exposure([credit("jul", date(2025, 7, 31), "800.00")], None, ON)
    assert (result.exposure, result.insured, result.uninsured, result.available) == (
        D("800.00"),
        D("0.00"),
        D("800.00"),
        D("0.00"),
    )


def test_wt_l5_available_is_the_unused_limit():
    result = buyer_exposure([credit("jul", date(2025, 7, 31), "800.00")], limit(), ON)
    assert result.available == D("1700.00")
    assert result.insured == D("800.00")


def test_wt_l5_overdue_counts_credits_past_their_effective_due_date():
    credits = [
        credit("due-yesterday", ON - timedelta(days=1), "100.00"),
        credit("due-today", ON, "200.00"),
        credit("extended", date(2025, 5, 31), "300.00", extended_due_date=date(2025, 7, 31)),
    ]
    assert buyer_exposure(credits, limit(), ON).overdue == D("100.00")


def test_wt_l5_aggravated_when_a_due_date_is_30_days_unpaid():
    unpaid = credit("may", ON - timedelta(days=30))
    assert buyer_exposure([unpaid], limit(), ON).aggravated is True
    assert buyer_exposure([unpaid], limit(), ON - timedelta(days=1)).aggravated is False


# Properties.

cents = st.decimals(min_value=0, max_value=100_000, places=2)
day = st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 31))


@st.composite
def credits_strategy(draw: st.DrawFn) -> list[Credit]:
    n = draw(st.integers(min_value=0, max_value=8))
    found = []
    for i in range(n):
        amount = draw(cents)
        collected = draw(st.decimals(min_value=0, max_value=amount, places=2))
        issue = draw(day)
        found.append(
            Credit(
                id=f"c{i}",
                issue_date=issue,
                due_date=issue + timedelta(days=draw(st.integers(0, 120))),
                amount=amount,
                collected=collected,
                excluded_by=draw(st.sampled_from([None, None, "WT-L6", "WT-N1"])),
            )
        )
    return found


@st.composite
def collections_strategy(draw: st.DrawFn, ids: list[str]) -> list[Collection]:
    targets = st.sampled_from([None, "unknown", *ids])
    return [
        Collection(id=f"k{i}", received_on=draw(day), amount=draw(cents), credit_id=draw(targets))
        for i in range(draw(st.integers(min_value=0, max_value=6)))
    ]


@given(credits=credits_strategy(), limit_amount=cents, on=day)
def test_wt_l5_exposure_never_negative_and_insured_within_limit_and_exposure(
    credits: list[Credit], limit_amount: Decimal, on: date
):
    result = buyer_exposure(credits, limit(str(limit_amount)), on)
    assert result.exposure >= 0
    assert result.uninsured >= 0
    assert result.overdue >= 0
    assert result.available >= 0
    assert 0 <= result.insured <= limit_amount
    assert result.insured <= result.exposure
    assert result.insured + result.uninsured == result.exposure
    assert sum(result.insured_by_credit.values(), D(0)) == result.insured
    for c in credits:
        share = result.insured_by_credit[c.id]
        assert D(0) <= share <= c.outstanding
        if c.excluded_by is not None:
            assert share == 0


@given(data=st.data(), credits=credits_strategy())
def test_wt_n2_allocation_conserves_money_and_respects_outstanding(
    data: st.DataObject, credits: list[Credit]
):
    collections = data.draw(collections_strategy([c.id for c in credits]))
    result = allocate_collections(credits, collections)
    total = sum((k.amount for k in collections), D(0))
    assert sum(result.per_credit.values(), D(0)) + result.unallocated == total
    assert result.unallocated >= 0
    for c in credits:
        assert D(0) <= result.per_credit[c.id] <= c.outstanding
    # Something is left over only when every credit is fully paid.
    if result.unallocated > 0:
        assert all(result.per_credit[c.id] == c.outstanding for c in credits)


@given(credits=credits_strategy(), limit_amount=cents)
def test_wt_l5_every_credit_uses_the_limit_and_only_covered_ones_are_insured(
    credits: list[Credit], limit_amount: Decimal
):
    inside, insured = fill_limit(credits, limit_amount)
    unpaid = sum((c.outstanding for c in credits), D(0))
    # The limit is used up to min(limit, exposure), uncovered credits included.
    assert sum(inside.values(), D(0)) == min(limit_amount, unpaid)
    for c in credits:
        assert D(0) <= insured[c.id] <= inside[c.id] <= c.outstanding
        assert insured[c.id] == (inside[c.id] if c.excluded_by is None else D(0))
    # The same credits in any order fill the limit the same way.
    assert fill_limit(list(reversed(credits)), limit_amount) == (inside, insured)


@given(credits=credits_strategy(), limit_amount=cents, extra=cents)
def test_wt_l5_a_collection_never_lowers_what_the_other_credits_have_inside(
    credits: list[Credit], limit_amount: Decimal, extra: Decimal
):
    if not credits:
        return
    first = credits[0]
    more = min(first.collected + extra, first.amount)
    paid = [Credit(**{**first.__dict__, "collected": more}), *credits[1:]]
    before, _ = fill_limit(credits, limit_amount)
    after, _ = fill_limit(paid, limit_amount)
    for c in credits[1:]:
        assert after[c.id] >= before[c.id]
