"""A whole-turnover indemnity computed from the state on a day (WT-C6..C10, WT-P2..P4,
WT-N4). The indemnity job calls it with today for a preview; the payment calls it with
the payment day inside the paying transaction, and that figure is the one paid
(LIFECYCLE 5a): a stored calculation is never paid as such.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from domain.rules.indemnity import IndemnityLine, IndemnityResult
from domain.rules.money import round_cents
from domain.rules.violations import Violation
from domain.rules.wt import claims as claim_rules
from domain.rules.wt import collections as collection_rules
from domain.rules.wt import premium as premium_rules
from domain.rules.wt import settlement as settlement_rules
from domain.rules.wt import undeclared as undeclared_rules
from domain.rules.wt.terms import Collection as RuleCollection
from domain.services import buyer_credits, cover_decisions, exchange_rates
from domain.store.policy_models import (
    Collection,
    OmittedSale,
    Policy,
    PolicyClaim,
    PremiumInvoice,
    Sale,
)

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ClaimAmount:
    """The indemnity of a claim on a day, with what stops it being paid at all."""

    result: IndemnityResult
    #: WT-P3 or WT-P4: no right to indemnity (the result is then 0.00).
    refusal: Violation | None
    #: WT-C3 from the credits' effective due dates now.
    settlement_on: date
    #: WT-C6: indemnities already paid in the period, as read (the payment's CAS guard).
    period_paid: Decimal


def _sum(values: list[Decimal]) -> Decimal:
    return sum(values, ZERO)


async def invoice_facts(policy_id: str) -> list[premium_rules.InvoiceFact]:
    rows = await PremiumInvoice.filter(policy_id=policy_id).order_by("issued_on", "id")
    return [
        premium_rules.InvoiceFact(
            id=row.id,
            kind=row.kind,
            amount=row.amount,
            paid_amount=row.paid_amount,
            issued_on=row.issued_on,
            due_on=row.due_on or premium_rules.invoice_due_on(row.issued_on),
            paid_on=row.paid_on,
        )
        for row in rows
    ]


def termination_of(policy: Policy, facts: list[premium_rules.InvoiceFact], on: date) -> date | None:
    """WT-P4 on `on`: the recorded termination, or the one the invoices imply. The MINIMUM
    invoice is WT-P1 (the policy never takes effect), not WT-P4."""
    computed = premium_rules.terminated_on([f for f in facts if f.kind != "MINIMUM"], on)
    found = [d for d in (policy.terminated_on, computed) if d is not None]
    return min(found) if found else None


def claim_credits(claim: PolicyClaim, sales: list[Sale]) -> list[Sale]:
    """The claim's credits that count: not disputed (WT-C4)."""
    ids = set(claim.sale_ids)
    return [s for s in sales if s.id in ids and not s.disputed]


def settlement_of(claim: PolicyClaim, sales: list[Sale], waiting_period_days: int) -> date:
    """WT-C3 from the claim's credits as they stand (an extension moves it)."""
    mine = [s for s in sales if s.id in set(claim.sale_ids)]
    if not mine:
        return claim.settlement_on
    return settlement_rules.claim_settlement_on(
        [s.extended_due_date or s.due_date for s in mine], waiting_period_days
    )


async def compute(claim: PolicyClaim, policy: Policy, on: date) -> ClaimAmount:
    """The claim's indemnity if paid on `on`, from the stored state now."""
    sales = await buyer_credits.sales_of(policy.id, claim.buyer_key)
    by_number = {s.invoice_number: s.id for s in sales}
    rows = await Collection.filter(policy_id=policy.id, buyer_key=claim.buyer_key).order_by(
        "received_on", "id"
    )
    counted_sales = claim_credits(claim, sales)
    counted = [s.id for s in counted_sales]
    earliest_due = min((s.due_date for s in counted_sales), default=claim.notified_on)
    collections = [
        RuleCollection(r.id, r.received_on, r.amount, by_number.get(r.invoice_number or ""))
        for r in rows
    ]
    # The claim's credits were covered when notified: they stay the insured credit here.
    credits = [
        replace(buyer_credits.uncollected(s), excluded_by=None)
        if s.id in set(claim.sale_ids)
        else buyer_credits.uncollected(s)
        for s in sales
    ]
    authorised = {s.id for s in sales if s.outside_cover_authorised}
    # WT-C8: imputed by due date, oldest first, whatever invoice they were assigned to.
    at_notice = collection_rules.impute_collections(
        credits, collections, claim.notified_on, authorised
    )
    up_to = collection_rules.impute_collections(credits, collections, on, authorised)
    # WT-C8: collections on outside-cover sales since the oldest claimed credit fell due
    # (an earlier one paid a sale while no insured credit was unpaid: product decision).
    outside = collection_rules.impute_collections(
        credits, [c for c in collections if c.received_on >= earliest_due], on, authorised
    ).outside_cover
    face = {s.id: s.policy_amount for s in sales}
    unpaid_at_notice = {sid: face[sid] - at_notice.per_credit.get(sid, ZERO) for sid in counted}
    insured_unpaid = _sum([unpaid_at_notice[sid] for sid in counted])
    collections_since = _sum(
        [up_to.per_credit.get(sid, ZERO) - at_notice.per_credit.get(sid, ZERO) for sid in counted]
    )
    limit = await buyer_credits.limit_for_claim(policy.id, claim.buyer_key, claim.notified_on)
    terms = buyer_credits.terms_of_limit(limit) if limit else None
    paid_claims = await PolicyClaim.filter(policy_id=policy.id, status="PAID").exclude(id=claim.id)
    period_paid = _sum([c.indemnity_amount or ZERO for c in paid_claims])
    buyer_paid = _sum(
        [c.indemnity_amount or ZERO for c in paid_claims if c.buyer_key == claim.buyer_key]
    )
    facts = await invoice_facts(policy.id)
    unpaid_premium, total_premium = premium_rules.prorated_premium(facts, on)
    rates = await _foreign_rates(policy, counted_sales, on)
    costs = claim.collection_costs
    if rates is not None:
        # WT-C7: back to the credit's currency, then the lesser of the two rates.
        sale_rate = rates[0]
        insured_unpaid = _sum(
            [
                s.amount
                if unpaid_at_notice[s.id] == s.policy_amount
                else round_cents(unpaid_at_notice[s.id] / sale_rate)
                for s in counted_sales
            ]
        )
        collections_since = round_cents(collections_since / sale_rate)
        outside = round_cents(outside / sale_rate)
        costs = round_cents(costs / sale_rate)
    # WT-L4: the firm orders' part of the indemnity is held to the cap left.
    firm_loss, firm_cap_left = await cover_decisions.firm_order_claim_terms(
        policy.id,
        claim.buyer_key,
        claim.id,
        [s.id for s in counted_sales if s.firm_order],
        {
            sid: unpaid_at_notice[sid]
            - (up_to.per_credit.get(sid, ZERO) - at_notice.per_credit.get(sid, ZERO))
            for sid in counted
        },
    )
    # WT-L5, WT-L8: what the buyer's other credits (uncovered ones too) left of the limit.
    credits_at_notice = [
        replace(c, collected=at_notice.per_credit.get(c.id, ZERO))
        for c in (buyer_credits.uncollected(s) for s in sales)
    ]
    limit_amount = (
        await cover_decisions.claim_limit_amount(
            policy.id, claim.buyer_key, credits_at_notice, counted, terms.amount
        )
        if terms
        else ZERO
    )
    result = claim_rules.wt_indemnity(
        firm_order_loss=firm_loss if rates is None else round_cents(firm_loss / rates[0]),
        firm_order_cap_left=firm_cap_left,
        sale_rate=rates[0] if rates else None,
        indemnity_rate=rates[1] if rates else None,
        insured_unpaid=insured_unpaid,
        collections_up_to_payment=collections_since,
        coverage_percent=terms.coverage_percent if terms else policy.coverage_percent,
        limit_amount=limit_amount,
        buyer_limit_amount=terms.amount if terms else ZERO,
        period_indemnities_paid=period_paid,
        minimum_premium=policy.minimum_premium,
        max_indemnity_multiple=policy.max_indemnity_multiple,
        premium_paid=total_premium - unpaid_premium,
        premium_total=total_premium,
        collection_costs=costs,
        buyer_indemnities_paid=buyer_paid,
        outside_cover_collections=outside,
        premium_received_of_due=await _omission(policy.id, claim.buyer_key, sales),
    )
    refusal = premium_rules.unpaid_minimum_or_adjustment(
        facts, on
    ) or premium_rules.claim_after_termination(claim.notified_on, termination_of(policy, facts, on))
    if refusal is not None:
        result = IndemnityResult(
            ZERO, (*result.lines, IndemnityLine(refusal.message, ZERO, refusal.rule))
        )
    return ClaimAmount(
        result, refusal, settlement_of(claim, sales, policy.waiting_period_days), period_paid
    )


async def indemnified_outstanding(claim: PolicyClaim, policy: Policy) -> Decimal:
    """WT-R1: the indemnified credits' principal still unpaid when the indemnity was paid,
    collections up to then imputed as WT-C8 does (oldest due date first)."""
    sales = await buyer_credits.sales_of(policy.id, claim.buyer_key)
    by_number = {s.invoice_number: s.id for s in sales}
    rows = await Collection.filter(policy_id=policy.id, buyer_key=claim.buyer_key)
    collections = [
        RuleCollection(r.id, r.received_on, r.amount, by_number.get(r.invoice_number or ""))
        for r in rows
    ]
    mine = set(claim.sale_ids)
    credits = [
        replace(buyer_credits.uncollected(s), excluded_by=None)
        if s.id in mine
        else buyer_credits.uncollected(s)
        for s in sales
    ]
    authorised = {s.id for s in sales if s.outside_cover_authorised}
    imputed = collection_rules.impute_collections(
        credits, collections, claim.paid_on, authorised
    ).per_credit
    indemnified = {s.id for s in claim_credits(claim, sales)}  # not disputed (WT-C4)
    return _sum([s.policy_amount - imputed.get(s.id, ZERO) for s in sales if s.id in indemnified])


async def _omission(
    policy_id: str, buyer_key: str, buyer_sales: list[Sale]
) -> tuple[Decimal, Decimal] | None:
    """WT-N4 inputs: declared and omitted premium, on the buyer and on the policy."""
    omitted = await OmittedSale.filter(policy_id=policy_id)
    if not omitted:
        return None
    policy_declared = _sum(
        [
            Decimal(str(p))
            for p in await Sale.filter(policy_id=policy_id).values_list("premium", flat=True)
        ]
    )
    return undeclared_rules.omission_proportion(
        buyer_declared=_sum([s.premium for s in buyer_sales]),
        buyer_omitted=_sum([o.premium for o in omitted if o.buyer_key == buyer_key]),
        policy_declared=policy_declared,
        policy_omitted=_sum([o.premium for o in omitted]),
    )


async def _foreign_rates(
    policy: Policy, counted: list[Sale], on: date
) -> tuple[Decimal, Decimal] | None:
    """WT-C7 applies to a claim whose credits share one foreign currency and one
    day-of-sale rate: (that rate, the rate of the indemnity day `on`, or the latest
    before it). None otherwise: the amounts stay at their day-of-sale rates (WT-N3)."""
    currencies = {s.currency for s in counted}
    sale_rates = {s.rate for s in counted}
    if len(currencies) != 1 or len(sale_rates) != 1:
        return None
    (currency,) = currencies
    if currency == policy.currency:
        return None
    latest = await exchange_rates.latest_rate(
        policy.partner_id,
        currency,
        policy.currency,
        on,
    )
    (sale_rate,) = sale_rates
    return sale_rate, latest.rate if latest else sale_rate
