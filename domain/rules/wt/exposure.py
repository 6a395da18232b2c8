"""A buyer's dynamic limit (WT-L5, seed 003 art. 4.4.d-e) and the allocation of its
collections to its credits (WT-N2, seed 003 art. 4.4.b and 7.1.b).

Exact Decimal arithmetic: nothing here rounds, so money is conserved to the last digit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.rules.wt.limits import aggravated_risk
from domain.rules.wt.terms import Collection, Credit, LimitTerms

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Allocation:
    """WT-N2: how a batch of collections is applied to a buyer's credits."""

    #: Every credit's id -> the amount applied to it (0.00 when none), never above the
    #: credit's outstanding before the batch.
    per_credit: dict[str, Decimal]
    #: What no credit could take (more collected than outstanding in total).
    unallocated: Decimal


@dataclass(frozen=True)
class BuyerExposure:
    """WT-L5: a buyer's use of its credit limit on a day. Amounts never negative."""

    #: The outstanding of every notified unpaid credit, excluded ones included
    #: (seed 003 art. 4.4.d: they still use the limit).
    exposure: Decimal
    #: The part of the exposure inside the limit: eligible credits in due-date order.
    insured: Decimal
    #: exposure - insured.
    uninsured: Decimal
    #: The outstanding of the credits past their effective due date.
    overdue: Decimal
    #: The limit amount not used by the exposure, max(0, limit - exposure).
    available: Decimal
    #: WT-L7 would refuse a sale made that day.
    aggravated: bool
    #: Every credit's id -> its insured amount (0.00 when outside the limit or excluded).
    insured_by_credit: dict[str, Decimal]


def due_order(credit: Credit) -> tuple[date, date, str]:
    """The oldest (effective) due date first; ties by issue date, then id (WT-N2, WT-L5)."""
    return (credit.effective_due_date, credit.issue_date, credit.id)


def allocate_collections(
    credits: Sequence[Credit], collections: Sequence[Collection]
) -> Allocation:
    """WT-N2: apply a batch of collections to the buyer's credits.

    An assigned collection goes to its credit, up to that credit's outstanding; what it
    cannot take (or a collection assigned to a credit not given) joins the unassigned
    ones, which are applied to the oldest effective due date first (ties by issue date,
    then id), each credit up to its outstanding. Assigned collections are applied before
    the unassigned pool, whatever their receipt dates. Money is conserved exactly:
    sum(per_credit) + unallocated == sum(collection amounts).
    """
    room = {c.id: c.outstanding for c in credits}
    applied = {c.id: ZERO for c in credits}
    pool = ZERO
    for collection in collections:
        target = collection.credit_id
        if target is None or target not in room:
            pool += collection.amount
            continue
        taken = min(collection.amount, room[target])
        applied[target] += taken
        room[target] -= taken
        pool += collection.amount - taken
    for credit in sorted(credits, key=due_order):
        taken = min(pool, room[credit.id])
        if taken <= ZERO:
            continue
        applied[credit.id] += taken
        room[credit.id] -= taken
        pool -= taken
    return Allocation(per_credit=applied, unallocated=pool)


def buyer_exposure(credits: Sequence[Credit], limit: LimitTerms | None, on: date) -> BuyerExposure:
    """WT-L5: the buyer's exposure on `on` and how much of it the limit insures.

    The exposure is the outstanding of every unpaid credit given (all are notified),
    excluded ones included. The insured part fills the limit amount with the eligible
    credits (`excluded_by is None`) in due-date order, the one crossing the limit
    partially; collections free capacity because they lower the outstanding (seed 003
    art. 4.4.e). Excluded credits use the limit (`available`) but do not take its
    insured capacity. No limit: nothing insured. `overdue` counts every credit past its
    effective due date at `on`; `aggravated` is WT-L7 for a sale made on `on`.
    """
    unpaid = [c for c in credits if c.outstanding > ZERO]
    exposure = sum((c.outstanding for c in unpaid), ZERO)
    capacity = limit.amount if limit is not None else ZERO
    capacity = max(capacity, ZERO)
    insured_by_credit = {c.id: ZERO for c in credits}
    for credit in sorted(unpaid, key=due_order):
        if credit.excluded_by is not None or capacity <= ZERO:
            continue
        share = min(credit.outstanding, capacity)
        insured_by_credit[credit.id] = share
        capacity -= share
    insured = sum(insured_by_credit.values(), ZERO)
    limit_amount = limit.amount if limit is not None else ZERO
    return BuyerExposure(
        exposure=exposure,
        insured=insured,
        uninsured=exposure - insured,
        overdue=sum((c.outstanding for c in unpaid if c.effective_due_date < on), ZERO),
        available=max(limit_amount - exposure, ZERO),
        aggravated=aggravated_risk(on, credits) is not None,
        insured_by_credit=insured_by_credit,
    )
