"""A buyer's credits under a policy as the WT rules see them, the limit in force on a day,
collections applied to the credits (WT-N2) and the buyer's exposure (WT-L5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from domain.rules.buyer_identity import buyer_key
from domain.rules.wt import exposure as exposure_rules
from domain.rules.wt.terms import Collection as RuleCollection
from domain.rules.wt.terms import Credit, LimitTerms
from domain.services import policy_sweep
from domain.store.policy_models import Collection, CreditLimit, Sale

#: Limit versions that may cover a sale on some day.
GRANTED_VERSIONS = ("GRANTED", "REDUCED", "CANCELLED", "SUPERSEDED")


def buyer_key_of(country: str, registration_number: str) -> str:
    """The same key covers use for a buyer (country and registration number)."""
    return buyer_key(country, registration_number)


def credit_of(sale: Sale) -> Credit:
    return Credit(
        id=sale.id,
        issue_date=sale.issue_date,
        due_date=sale.due_date,
        amount=sale.policy_amount,
        collected=sale.collected,
        paid_in_full_on=sale.paid_in_full_on,
        extended_due_date=sale.extended_due_date,
        excluded_by=sale.excluded_by,
    )


def uncollected(sale: Sale) -> Credit:
    """The credit before any collection: what WT-N2 allocates collections to."""
    return replace(credit_of(sale), collected=Decimal("0.00"), paid_in_full_on=None)


async def sales_of(policy_id: str, buyer_key: str) -> list[Sale]:
    return await Sale.filter(policy_id=policy_id, buyer_key=buyer_key).order_by(
        "due_date", "issue_date", "id"
    )


async def credits_of(policy_id: str, buyer_key: str) -> list[Credit]:
    return [credit_of(sale) for sale in await sales_of(policy_id, buyer_key)]


def terms_of_limit(row: CreditLimit) -> LimitTerms:
    assert row.amount is not None and row.effective_from is not None
    return LimitTerms(
        amount=row.amount,
        coverage_percent=row.coverage_percent or Decimal("0"),
        max_payment_term_days=row.payment_term_days,
        effective_from=row.effective_from,
        rating_group=row.rating_group or "",
        ends_on=row.ends_on,
    )


async def limit_versions(policy_id: str, buyer_key: str) -> list[CreditLimit]:
    return await CreditLimit.filter(
        policy_id=policy_id, buyer_key=buyer_key, status__in=GRANTED_VERSIONS
    ).order_by("effective_from", "created_at")


def version_on(versions: list[CreditLimit], day: date) -> CreditLimit | None:
    """The limit version in force on `day` (WT-L1): effective from on or before it, not
    ended before it (`ends_on` is the version's last day). `versions` oldest first."""
    found = None
    for row in versions:
        if row.effective_from is None or row.effective_from > day:
            continue
        if row.ends_on is not None and row.ends_on < day:
            continue
        found = row
    return found


async def limit_on(policy_id: str, buyer_key: str, day: date) -> CreditLimit | None:
    return version_on(await limit_versions(policy_id, buyer_key), day)


async def limit_for_claim(policy_id: str, buyer_key: str, day: date) -> CreditLimit | None:
    """The version that covered the buyer on `day`; after a cancellation (firm orders,
    WT-L4) the last version that existed."""
    found = await limit_on(policy_id, buyer_key, day)
    if found is not None:
        return found
    versions = [v for v in await limit_versions(policy_id, buyer_key) if v.effective_from]
    return versions[-1] if versions else None


async def current_limit(policy_id: str, buyer_key: str) -> CreditLimit | None:
    """The latest version with no end: the limit in force now and from now on."""
    rows = [r for r in await limit_versions(policy_id, buyer_key) if r.ends_on is None]
    return rows[-1] if rows else None


async def apply_collections(policy_id: str, buyer_key: str) -> dict[str, Decimal]:
    """WT-N2: re-allocate every collection of the buyer to its credits (assigned first,
    then oldest due date first) and store what each credit has collected and the day it
    was paid in full. Call inside a transaction. Returns the allocation per sale id."""
    sales = await sales_of(policy_id, buyer_key)
    rows = await Collection.filter(policy_id=policy_id, buyer_key=buyer_key).order_by(
        "received_on", "id"
    )
    by_number = {sale.invoice_number: sale.id for sale in sales}
    credits = [uncollected(s) for s in sales]
    # Paid-in-full day: replay the collections in the order they arrived.
    paid_on: dict[str, date] = {}
    seen: list[RuleCollection] = []
    allocation = exposure_rules.allocate_collections(credits, [])
    for row in rows:
        seen.append(
            RuleCollection(
                id=row.id,
                received_on=row.received_on,
                amount=row.amount,
                credit_id=by_number.get(row.invoice_number or ""),
            )
        )
        allocation = exposure_rules.allocate_collections(credits, seen)
        for credit in credits:
            if (
                credit.id not in paid_on
                and allocation.per_credit.get(credit.id, 0) >= credit.amount
            ):
                paid_on[credit.id] = row.received_on
    for sale in sales:
        collected = allocation.per_credit.get(sale.id, Decimal("0.00"))
        if collected != sale.collected or paid_on.get(sale.id) != sale.paid_in_full_on:
            await Sale.filter(id=sale.id).update(
                collected=collected, paid_in_full_on=paid_on.get(sale.id)
            )
    await policy_sweep.void_notification_deadlines(policy_id, list(paid_on))
    return dict(allocation.per_credit)


async def exposure_of(policy_id: str, buyer_key: str, on: date) -> exposure_rules.BuyerExposure:
    """WT-L5 on `on`: every credit measured against the limit version of its cover date
    (WT-L8: what is unpaid under earlier versions reduces the later ones)."""
    versions = await limit_versions(policy_id, buyer_key)
    limit = version_on(versions, on)
    sales = await sales_of(policy_id, buyer_key)
    amounts: dict[str, Decimal] = {}
    for sale in sales:
        own = version_on(versions, sale.issue_date)
        if own is None and sale.firm_order:  # WT-L4: under the cancelled version
            own = next((v for v in reversed(versions) if v.status == "CANCELLED"), None)
        if own is not None and own.amount is not None:
            amounts[sale.id] = own.amount
    credits = [credit_of(sale) for sale in sales]
    return exposure_rules.buyer_exposure(
        credits, terms_of_limit(limit) if limit else None, on, amounts
    )
