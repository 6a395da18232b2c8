"""A buyer's dynamic limit (WT-L5, WT-L8, seed 003 art. 4.4.d-f) and the allocation of its
collections to its credits (WT-N2, seed 003 art. 4.4.b and 7.1.b).

Exact Decimal arithmetic: nothing here rounds, so money is conserved to the last digit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.rules.wt.limits import aggravated_risk, available_balance
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


def fill_limit(
    credits: Sequence[Credit],
    limit_amount: Decimal,
    version_amounts: Mapping[str, Decimal] | None = None,
) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """WT-L5 with WT-L8: which part of each unpaid credit is inside the limit.

    The credits fill the limit in due-date order (oldest first, ties by issue date then
    id), each up to its outstanding, the one crossing the limit in part; what does not
    fit waits outside it and enters, in the same order, as collections lower the
    outstanding of the credits before it (seed 003 art. 4.4.e). Every credit uses the
    limit, covered or not (art. 4.4.d): an uncovered credit takes its room but none of
    it is insured. A credit is measured against the limit version of its cover date
    (`version_amounts`, by credit id; `limit_amount` for the others): the amounts used
    and still unpaid before it, under that version or a previous one, reduce that
    version's available balance (WT-L8, art. 4.4.f). Collections never reduce the limit
    itself: only the outstanding counts. Returns (inside the limit, insured), by id.
    """
    amounts = version_amounts or {}
    used = ZERO
    inside = {c.id: ZERO for c in credits}
    insured = {c.id: ZERO for c in credits}
    for credit in sorted((c for c in credits if c.outstanding > ZERO), key=due_order):
        room = available_balance(amounts.get(credit.id, limit_amount), used)
        share = min(credit.outstanding, room)
        inside[credit.id] = share
        if credit.excluded_by is None:
            insured[credit.id] = share
        used += share
    return inside, insured


def buyer_exposure(
    credits: Sequence[Credit],
    limit: LimitTerms | None,
    on: date,
    version_amounts: Mapping[str, Decimal] | None = None,
) -> BuyerExposure:
    """WT-L5: the buyer's exposure on `on` and how much of it the limit insures.

    The exposure is the outstanding of every unpaid credit given (all are notified),
    excluded ones included. The limit is filled as `fill_limit` says: uncovered credits
    use it too (seed 003 art. 4.4.d), so they leave less room for the covered ones, and
    only the covered credits' part inside it is insured. No limit in force on `on`:
    nothing insured. `available` is the current limit less the whole exposure
    (WT-L8: what previous versions still have unpaid counts). `overdue` counts every
    credit past its effective due date at `on`; `aggravated` is WT-L7 for a sale made on
    `on`.
    """
    unpaid = [c for c in credits if c.outstanding > ZERO]
    exposure = sum((c.outstanding for c in unpaid), ZERO)
    limit_amount = max(limit.amount, ZERO) if limit is not None else ZERO
    _, insured_by_credit = fill_limit(credits, limit_amount, version_amounts)
    if limit is None:  # no limit in force on `on`: the view insures nothing
        insured_by_credit = {c.id: ZERO for c in credits}
    insured = sum(insured_by_credit.values(), ZERO)
    return BuyerExposure(
        exposure=exposure,
        insured=insured,
        uninsured=exposure - insured,
        overdue=sum((c.outstanding for c in unpaid if c.effective_due_date < on), ZERO),
        available=available_balance(limit_amount, exposure),
        aggravated=aggravated_risk(on, credits) is not None,
        insured_by_credit=insured_by_credit,
    )
