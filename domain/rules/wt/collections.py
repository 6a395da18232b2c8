"""How collections count against a whole-turnover claim (WT-C8, seed 003 art. 7.1.b).

Collections received up to the indemnity payment date are imputed to the buyer's
credits in due-date order, oldest first, whatever invoice the insured assigned them to:
the principal of every due date first (credits here are principal only; interest and
other items are never indemnified, C-3, so nothing follows the principal). Collections
on sales made outside the cover are set against the insured unpaid credit, or against
the limit if that is lower, unless the sale was made with the insurer's express
authorisation; those authorised sales keep their own collections.

Exact Decimal arithmetic, nothing rounded: money is conserved to the last digit.
"""

from __future__ import annotations

from collections.abc import Collection as Container
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.rules.wt.exposure import due_order
from domain.rules.wt.terms import Collection, Credit

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Imputation:
    """WT-C8: collections up to a day, imputed."""

    #: Every covered credit's id -> the collections imputed to its principal.
    per_credit: dict[str, Decimal]
    #: Collections on sales outside the cover (not authorised), set against the insured
    #: unpaid credit or the limit if lower (`wt_indemnity`'s `outside_cover_collections`).
    outside_cover: Decimal
    #: Collections on outside-cover sales the insurer authorised: not the claim's.
    authorised: Decimal
    #: What no covered credit could take.
    unallocated: Decimal


def impute_collections(
    credits: Sequence[Credit],
    collections: Sequence[Collection],
    up_to: date | None,
    authorised: Container[str] = (),
) -> Imputation:
    """WT-C8: impute the collections received on or before `up_to` (all when None).

    `credits` are the buyer's credits at face value (collected 0); a credit with
    `excluded_by` set is a sale outside the cover; `authorised` names those made with the
    insurer's express authorisation. A collection assigned to an authorised sale goes to
    it (up to its amount, the rest joins the pool); one assigned to another outside-cover
    sale counts as `outside_cover`; every other collection (unassigned, or assigned to a
    covered credit) is pooled and imputed to the covered credits by effective due date,
    oldest first (ties: issue date, id). sum(per_credit) + outside_cover + authorised +
    unallocated == the collections counted."""
    by_id = {c.id: c for c in credits}
    covered = sorted((c for c in credits if c.excluded_by is None), key=due_order)
    authorised_room = {c.id: c.amount for c in credits if c.excluded_by and c.id in authorised}
    pool = outside = kept = ZERO
    for collection in collections:
        if up_to is not None and collection.received_on > up_to:
            continue
        target = by_id.get(collection.credit_id or "")
        if target is not None and target.id in authorised_room:
            taken = min(collection.amount, authorised_room[target.id])
            authorised_room[target.id] -= taken
            kept += taken
            pool += collection.amount - taken
        elif target is not None and target.excluded_by is not None:
            outside += collection.amount
        else:
            pool += collection.amount
    per_credit = {c.id: ZERO for c in covered}
    for credit in covered:
        taken = min(pool, credit.amount)
        per_credit[credit.id] = taken
        pool -= taken
    return Imputation(per_credit, outside, kept, pool)
