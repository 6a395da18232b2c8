"""Facts insurer staff record that change what a claim pays: sales the insured left out
of its declarations (WT-N4) and sales made outside the cover with the insurer's express
authorisation (WT-C8). Each one queues a recalculation of the buyer's open claims; the
payment recomputes anyway (policy_claim_amounts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from domain.rules.money import round_cents
from domain.rules.wt import premium as premium_rules
from domain.services import event_sequence, outbox, policies, policy_claims, policy_events
from domain.services.errors import DomainError, InvalidInput, not_found
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.models import OutboxMessage
from domain.store.policy_models import OmittedSale, Policy, Sale


@dataclass(frozen=True)
class OmittedLine:
    buyer_key: str
    invoice_number: str
    issue_date: date
    due_date: date
    amount: Decimal
    currency: str


async def record_omitted_sales(
    principal: Principal, policy_id: str, lines: list[OmittedLine], real_now: datetime
) -> Policy:
    """WT-N4: staff record sales found undeclared (an audit of the insured's books, the
    account statement of WT-C2). Each bears the premium it should have borne (WT-P1 rate
    for its term x amount); the indemnities on the declared credits are then reduced in
    the proportion premium received / premium that should have been received."""
    policy = await policies.staff_policy(principal, policy_id)
    now = await policies.policy_now(policy, real_now)
    terms = policies.terms_of(policy)
    problems: list[tuple[str, tuple[str, ...]]] = []
    for n, line in enumerate(lines):
        where = ("input", "sales", str(n))
        if line.currency != policy.currency:
            problems.append((f"In the policy currency {policy.currency}.", (*where, "amount")))
        if line.amount <= 0 or round_cents(line.amount) != line.amount:
            problems.append(("A positive amount in cents.", (*where, "amount")))
        if line.due_date < line.issue_date:
            problems.append(("Due on or after the issue date.", (*where, "dueDate")))
        if not line.invoice_number or len(line.invoice_number) > 100:
            problems.append(("1 to 100 characters.", (*where, "invoiceNumber")))
    if not lines:
        problems.append(("At least one sale.", ("input", "sales")))
    if problems:
        raise InvalidInput(problems)
    buyers = sorted({line.buyer_key for line in lines})
    messages: list[OutboxMessage] = []
    async with event_sequence.policy_transaction(policy.id):
        for line in lines:
            if (
                await OmittedSale.filter(
                    policy_id=policy.id,
                    buyer_key=line.buyer_key,
                    invoice_number=line.invoice_number,
                ).exists()
                or await Sale.filter(
                    policy_id=policy.id,
                    buyer_key=line.buyer_key,
                    invoice_number=line.invoice_number,
                ).exists()
            ):
                raise DomainError(
                    "INVALID_STATE",
                    f"Invoice {line.invoice_number} of {line.buyer_key} is already recorded.",
                    ("input", "sales"),
                )
            premium = premium_rules.sale_premium(
                line.amount, (line.due_date - line.issue_date).days, terms.premium_rates
            )
            await OmittedSale.create(
                id=new_id("pom"),
                policy_id=policy.id,
                buyer_key=line.buyer_key,
                invoice_number=line.invoice_number,
                amount=line.amount,
                premium=premium,
                found_on=now.date(),
                created_at=now,
            )
        await policy_events.record(
            policy,
            "sales.omission_recorded",
            actor=policies.actor_of(principal),
            now=now,
            data={"buyers": buyers, "count": len(lines), "rule": "WT-N4"},
            webhook=False,
        )
        for buyer in buyers:
            messages += await policy_claims.recalculate_open_claims(policy, buyer, now)
    await outbox.publish(messages, now)
    return policy


async def authorise_sale_outside_cover(
    principal: Principal, policy_id: str, buyer_key: str, invoice_number: str, real_now: datetime
) -> Sale:
    """WT-C8: staff record that a sale outside the cover was made with the insurer's
    express authorisation: its collections stay its own instead of being set against the
    insured unpaid credit."""
    policy = await policies.staff_policy(principal, policy_id)
    now = await policies.policy_now(policy, real_now)
    sale = await Sale.filter(
        policy_id=policy.id, buyer_key=buyer_key, invoice_number=invoice_number
    ).first()
    if sale is None:
        raise not_found("declared sale", invoice_number, ("input", "invoiceNumber"))
    if sale.excluded_by is None:
        raise DomainError(
            "INVALID_STATE",
            f"Sale {invoice_number} is covered: nothing to authorise outside the cover.",
            ("input", "invoiceNumber"),
        )
    async with event_sequence.policy_transaction(policy.id):
        await Sale.filter(id=sale.id).update(outside_cover_authorised=True)
        await policy_events.record(
            policy,
            "sale.authorised_outside_cover",
            actor=policies.actor_of(principal),
            now=now,
            data={"buyer": buyer_key, "invoice": invoice_number, "rule": "WT-C8"},
            webhook=False,
        )
        messages = await policy_claims.recalculate_open_claims(policy, buyer_key, now)
    await outbox.publish(messages, now)
    await sale.refresh_from_db()
    return sale
