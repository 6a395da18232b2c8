"""When a whole-turnover indemnity may and must be paid: the end of the waiting period
counted from the credits' due dates (WT-C3, seed 003 art. 1.1, 7.1.a-b) and the payment
term after it (WT-C10, art. 7.4.a).

Months are calendar months as in FI-C2: the same day of the month, or the last day of
the target month when it is shorter (relativedelta clamps to the end of the month).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from domain.rules.violations import Violation

#: WT-C10: the indemnity is paid within this many months after the waiting period ends.
PAYMENT_MONTHS = 1
#: WT-C10: the insurer always has at least this many days from complete documentation.
DECISION_DAYS = 30


def waiting_period_ends_on(due_date: date, waiting_period_days: int) -> date:
    """WT-C3: the last day of one credit's waiting period, `waiting_period_days` after its
    due date, original or extended under WT-X1 (pass the effective one), not after the
    notification. The indemnity is settled on that day."""
    if isinstance(waiting_period_days, bool) or waiting_period_days < 0:
        raise ValueError(f"waiting_period_days must be at least 0, not {waiting_period_days}")
    return due_date + timedelta(days=waiting_period_days)


def claim_settlement_on(effective_due_dates: Sequence[date], waiting_period_days: int) -> date:
    """WT-C3 for a claim of several credits, settled in one payment: once the waiting
    period of every credit in it has ended, so from its latest effective due date
    (product decision: a claim is one settlement)."""
    if not effective_due_dates:
        raise ValueError("a claim has at least one credit")
    return waiting_period_ends_on(max(effective_due_dates), waiting_period_days)


def payable_by(settlement_on: date, documents_complete_on: date | None) -> date:
    """WT-C10: max(end of the waiting period + 1 month, complete documentation + 30 days).
    Documentation not complete yet: the first term only (it can only move later)."""
    by_waiting = settlement_on + relativedelta(months=PAYMENT_MONTHS)
    if documents_complete_on is None:
        return by_waiting
    return max(by_waiting, documents_complete_on + timedelta(days=DECISION_DAYS))


def check_payment_day(paid_on: date, settlement_on: date) -> Violation | None:
    """WT-C3: never paid before the waiting period ends; its last day is already payable
    (the waiting period is "transcurrido" at the end of that day, seed 003 definitions,
    and the table settles on it)."""
    if paid_on >= settlement_on:
        return None
    return Violation(
        "WT-C3",
        f"Settled at the end of the waiting period, on {settlement_on.isoformat()}, "
        f"not on {paid_on.isoformat()}.",
        ("input", "paidOn"),
    )
