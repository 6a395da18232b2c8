"""Top-up limits, worked by hand at their boundaries: TU-L1 (requested - granted, no more
than granted), TU-L2 (reduced with the first layer, the zero rule) and TU-L3 (recomputed
six months after the last reduction, or on a restoration within them); then their
properties over any sequence of first-layer decisions (seed 004 art. 2).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.rules.tu.limits import (
    on_first_layer_decision,
    recompute_after_six_months,
    recompute_due_on,
    top_up_limit,
)
from domain.rules.tu.terms import TopUpLimitState

D = Decimal
JAN_15 = date(2025, 1, 15)
JUL_15 = date(2025, 7, 15)


def granted(requested: str, first_layer: str, on: date = date(2025, 1, 1)) -> TopUpLimitState:
    return on_first_layer_decision(None, D(requested), D(first_layer), on)


def reduced_600_to_300() -> TopUpLimitState:
    """Requested 1,000.00, first layer 600.00 -> top-up 400.00; cut to 300.00 on 15 Jan."""
    return on_first_layer_decision(granted("1000.00", "600.00"), D("1000.00"), D("300.00"), JAN_15)


# TU-L1


@pytest.mark.parametrize(
    ("requested", "first_layer", "expected"),
    [
        ("1000.00", "300.00", "300.00"),  # granted below half: capped at the granted
        ("1000.00", "499.99", "499.99"),
        ("1000.00", "500.00", "500.00"),  # exactly half: both the same
        ("1000.00", "500.01", "499.99"),
        ("1000.00", "700.00", "300.00"),  # granted above half: requested - granted
        ("1000.00", "1000.00", "0.00"),
        ("1000.00", "1200.00", "0.00"),  # granted above the request: never negative
        ("1000.00", "0.00", "0.00"),  # nothing granted, nothing on top
    ],
)
def test_tu_l1_requested_less_granted_no_more_than_granted(
    requested: str, first_layer: str, expected: str
):
    assert top_up_limit(D(requested), D(first_layer)) == D(expected)


def test_tu_l1_amounts_taken_to_the_cent_half_up():
    # 1,000.005 -> 1,000.01; 300.004 -> 300.00.
    assert top_up_limit(D("1000.005"), D("700.004")) == D("300.01")


@pytest.mark.parametrize(
    ("requested", "error"), [(1000.0, TypeError), (D("-1"), ValueError), (D("NaN"), ValueError)]
)
def test_tu_l1_amounts_are_decimals_of_at_least_zero(requested: Any, error: type):
    with pytest.raises(error):
        top_up_limit(requested, D("1"))


def test_tu_l1_first_grant():
    assert granted("1000.00", "600.00") == TopUpLimitState(D("1000.00"), D("600.00"), D("400.00"))


def test_tu_l1_an_increase_with_nothing_pending_recomputes():
    state = on_first_layer_decision(granted("1000.00", "300.00"), D("1000.00"), D("450.00"), JAN_15)
    assert state == TopUpLimitState(D("1000.00"), D("450.00"), D("450.00"))


def test_tu_l1_a_new_request_with_nothing_pending_recomputes():
    state = on_first_layer_decision(granted("1000.00", "600.00"), D("800.00"), D("600.00"), JAN_15)
    assert state.top_up_limit == D("200.00")


# TU-L2


def test_tu_l2_reduction_reduces_the_top_up_in_proportion():
    # 400.00 x 300.00 / 600.00 = 200.00 (TU-L1 would give 300.00).
    assert reduced_600_to_300() == TopUpLimitState(
        requested=D("1000.00"),
        first_layer_granted=D("300.00"),
        top_up_limit=D("200.00"),
        zero_locked=False,
        last_reduction_on=JAN_15,
        first_layer_before_reduction=D("600.00"),
    )


def test_tu_l2_proportion_rounded_half_up():
    # Requested 300.01, first layer 200.00 -> 100.01; cut to 100.00: 50.005 -> 50.01.
    state = on_first_layer_decision(granted("300.01", "200.00"), D("300.01"), D("100.00"), JAN_15)
    assert state.top_up_limit == D("50.01")


def test_tu_l2_further_reductions_apply_their_own_coefficient():
    # 200.00 x 150.00 / 300.00 = 100.00; the six months restart, the level before stays.
    march = date(2025, 3, 1)
    state = on_first_layer_decision(reduced_600_to_300(), D("1000.00"), D("150.00"), march)
    assert state.top_up_limit == D("100.00")
    assert state.last_reduction_on == march
    assert state.first_layer_before_reduction == D("600.00")
    assert recompute_due_on(state) == date(2025, 9, 1)


def test_tu_l2_cancellation_by_the_first_layer_leaves_no_top_up():
    state = on_first_layer_decision(granted("1000.00", "600.00"), D("1000.00"), D("0"), JAN_15)
    assert (state.top_up_limit, state.zero_locked) == (D("0.00"), False)


def test_tu_l2_zero_at_the_reduction_stays_zero_for_future_deliveries():
    # Requested 1,000.00, granted 1,000.00 -> 0; cut to 800.00: TU-L1 would give 200.00.
    state = on_first_layer_decision(
        granted("1000.00", "1000.00"), D("1000.00"), D("800.00"), JAN_15
    )
    assert (state.top_up_limit, state.zero_locked) == (D("0.00"), True)
    # An increase short of the level before the reduction leaves it at 0...
    later = on_first_layer_decision(state, D("1000.00"), D("900.00"), date(2025, 3, 1))
    assert (later.top_up_limit, later.zero_locked) == (D("0.00"), True)
    # ...until six months after the reduction: TU-L1 again, 100.00 on top of 900.00.
    assert recompute_after_six_months(later, JUL_15) == TopUpLimitState(
        D("1000.00"), D("900.00"), D("100.00")
    )


def test_tu_l2_an_increase_short_of_the_level_before_leaves_the_reduced_limit():
    # 300.00 -> 500.00 in the window: 200.00 stays (TU-L1 would give 500.00).
    state = on_first_layer_decision(
        reduced_600_to_300(), D("1000.00"), D("500.00"), date(2025, 3, 1)
    )
    assert state.top_up_limit == D("200.00")
    assert state.first_layer_granted == D("500.00")
    assert state.last_reduction_on == JAN_15  # an increase does not restart the six months


def test_tu_l2_a_lower_request_in_the_window_caps_the_reduced_limit_at_tu_l1():
    state = on_first_layer_decision(
        reduced_600_to_300(), D("400.00"), D("300.00"), date(2025, 2, 1)
    )
    assert state.top_up_limit == D("100.00")


def test_tu_l2_a_decision_before_the_last_reduction_is_refused():
    with pytest.raises(ValueError):
        on_first_layer_decision(reduced_600_to_300(), D("1000.00"), D("600.00"), date(2025, 1, 14))


# TU-L3


def test_tu_l3_six_months_minus_a_day_leaves_the_reduced_limit():
    state = reduced_600_to_300()
    assert recompute_due_on(state) == JUL_15
    assert recompute_after_six_months(state, JUL_15 - timedelta(days=1)) == state


def test_tu_l3_exactly_six_months_after_the_reduction_recomputes_by_tu_l1():
    # 1,000.00 - 300.00 = 700.00, no more than 300.00.
    assert recompute_after_six_months(reduced_600_to_300(), JUL_15) == TopUpLimitState(
        D("1000.00"), D("300.00"), D("300.00")
    )


def test_tu_l3_not_recomputed_while_further_reductions_are_expected():
    state = reduced_600_to_300()
    assert recompute_after_six_months(state, JUL_15, further_reductions_expected=True) == state


@pytest.mark.parametrize(
    ("reduced_on", "due"),
    [
        (date(2024, 8, 31), date(2025, 2, 28)),
        (date(2023, 8, 31), date(2024, 2, 29)),
        (date(2025, 12, 31), date(2026, 6, 30)),
    ],
)
def test_tu_l3_six_months_end_of_month_safe(reduced_on: date, due: date):
    state = on_first_layer_decision(
        granted("1000.00", "600.00", date(2023, 1, 1)), D("1000.00"), D("300.00"), reduced_on
    )
    assert recompute_due_on(state) == due
    assert recompute_after_six_months(state, due - timedelta(days=1)) == state
    assert recompute_after_six_months(state, due).last_reduction_on is None


def test_tu_l3_nothing_to_recompute_without_a_reduction():
    state = granted("1000.00", "600.00")
    assert recompute_due_on(state) is None
    assert recompute_after_six_months(state, date(2030, 1, 1)) == state


@pytest.mark.parametrize(
    ("restored", "expected"),
    [
        ("600.00", "400.00"),  # the same level: min(400.00, 600.00)
        ("700.00", "300.00"),  # higher: min(300.00, 700.00)
    ],
)
def test_tu_l3_restoration_within_six_months_recomputes_by_tu_l1(restored: str, expected: str):
    day = JUL_15 - timedelta(days=1)
    state = on_first_layer_decision(reduced_600_to_300(), D("1000.00"), D(restored), day)
    assert state == TopUpLimitState(D("1000.00"), D(restored), D(expected))


def test_tu_l3_restoration_is_to_the_level_before_the_first_pending_reduction():
    # 600 -> 300 -> 150, then back to 300: not restored (the level before was 600).
    state = on_first_layer_decision(
        reduced_600_to_300(), D("1000.00"), D("150.00"), date(2025, 2, 1)
    )
    state = on_first_layer_decision(state, D("1000.00"), D("300.00"), date(2025, 3, 1))
    assert state.top_up_limit == D("100.00") and state.last_reduction_on == date(2025, 2, 1)


def test_tu_l3_restoration_clears_the_zero_lock():
    state = on_first_layer_decision(
        granted("1000.00", "1000.00"), D("1000.00"), D("600.00"), JAN_15
    )
    state = on_first_layer_decision(state, D("1500.00"), D("1000.00"), date(2025, 2, 1))
    assert state == TopUpLimitState(D("1500.00"), D("1000.00"), D("500.00"))


def test_tu_l3_a_decision_after_the_six_months_starts_from_the_recomputed_limit():
    # Not swept on 15 Jul: an increase to 500.00 on 20 Jul recomputes by TU-L1 (500.00),
    # and a cut from 300.00 to 150.00 then applies TU-L2 to the recomputed 300.00.
    later = date(2025, 7, 20)
    raised = on_first_layer_decision(reduced_600_to_300(), D("1000.00"), D("500.00"), later)
    assert raised == TopUpLimitState(D("1000.00"), D("500.00"), D("500.00"))
    cut = on_first_layer_decision(reduced_600_to_300(), D("1000.00"), D("150.00"), later)
    assert cut.top_up_limit == D("150.00") and cut.first_layer_before_reduction == D("300.00")


# Properties

amounts = st.decimals(min_value=0, max_value=10_000_000, places=2)
decisions = st.lists(
    st.tuples(st.integers(min_value=0, max_value=120), amounts, amounts), max_size=12
)


Step = tuple[TopUpLimitState | None, TopUpLimitState, date]


def follow(steps: list[tuple[int, Decimal, Decimal]]) -> list[Step]:
    """Each decision from a first grant on 1 Jan 2025, `gap` days after the one before:
    (the state before, the state after, the day)."""
    day, state, seen = date(2025, 1, 1), None, []
    for gap, requested, first_layer in steps:
        day += timedelta(days=gap)
        before, state = state, on_first_layer_decision(state, requested, first_layer, day)
        seen.append((before, state, day))
    return seen


def within_window(state: TopUpLimitState, day: date) -> bool:
    due = recompute_due_on(state)
    return due is not None and day < due


@given(requested=amounts, first_layer=amounts)
def test_tu_l1_never_negative_never_above_either_side(requested: Decimal, first_layer: Decimal):
    limit = top_up_limit(requested, first_layer)
    assert D(0) <= limit <= first_layer
    assert limit <= max(requested - first_layer, D(0))


@given(steps=decisions)
def test_tu_l_state_invariants_over_any_decisions(steps: list[tuple[int, Decimal, Decimal]]):
    for before, state, day in follow(steps):
        tu_l1 = top_up_limit(state.requested, state.first_layer_granted)
        assert D(0) <= state.top_up_limit <= tu_l1
        assert state.top_up_limit.as_tuple().exponent == -2
        assert not state.zero_locked or state.top_up_limit == 0
        level_before = state.first_layer_before_reduction
        if state.last_reduction_on is None:
            assert level_before is None and state.top_up_limit == tu_l1
        else:
            assert level_before is not None and state.first_layer_granted < level_before
            assert state.last_reduction_on <= day
        if before is not None and state.first_layer_granted < before.first_layer_granted:
            assert state.last_reduction_on == day
            if before.last_reduction_on is None or within_window(before, day):
                # TU-L2: a reduction never raises the top-up limit; zero stays zero.
                assert state.top_up_limit <= before.top_up_limit
                assert state.zero_locked == (before.top_up_limit == 0)


@given(steps=decisions, extra=st.integers(min_value=0, max_value=400))
def test_tu_l3_after_six_months_it_is_tu_l1_again(
    steps: list[tuple[int, Decimal, Decimal]], extra: int
):
    seen = follow(steps)
    if not seen:
        return
    state = seen[-1][1]
    due = recompute_due_on(state)
    if due is None:
        assert recompute_after_six_months(state, date(2030, 1, 1)) == state
        return
    assert recompute_after_six_months(state, due - timedelta(days=1)) == state
    swept = recompute_after_six_months(state, due + timedelta(days=extra))
    assert swept == TopUpLimitState(
        state.requested,
        state.first_layer_granted,
        top_up_limit(state.requested, state.first_layer_granted),
    )
