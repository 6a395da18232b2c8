"""Claims under a whole-turnover policy (WT-C1 to WT-C6, WT-P2, WT-R1).

notify -> DOCUMENTS_PENDING (or BELOW_THRESHOLD under WT-C5, SUSPENDED when every credit
is disputed, WT-C4) -> documents complete (WT-C2) -> UNDER_REVIEW and the indemnity job
-> staff APPROVE / REJECT / SUSPEND -> PAID at the end of the waiting period (WT-C3) ->
recoveries shared by coverage percentage (WT-R1).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from domain.rules.money import round_cents
from domain.rules.wt import claims as claim_rules
from domain.rules.wt import exposure as exposure_rules
from domain.rules.wt.terms import Collection as RuleCollection
from domain.rules.wt.terms import Credit
from domain.services import (
    buyer_credits,
    cover_events,
    document_storage,
    documents,
    outbox,
    policies,
    policy_events,
    policy_sweep,
)
from domain.services.compare_and_set import compare_and_set
from domain.services.errors import DomainError, not_found
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.models import OutboxMessage
from domain.store.policy_models import (
    Collection,
    ExchangeRate,
    Policy,
    PolicyClaim,
    PolicyDocument,
    Sale,
)

CALCULATE = "policy_claim.calculate_indemnity"
#: WT-C2: the account statement and the sale and credit evidence (the invoices).
REQUIRED_DOCUMENTS = ("ACCOUNT_STATEMENT", "INVOICE")
OPEN = ("DOCUMENTS_PENDING", "BELOW_THRESHOLD", "UNDER_REVIEW", "SUSPENDED", "APPROVED")
#: A claim being processed: the buyer cannot be notified again meanwhile. A claim
#: BELOW_THRESHOLD (WT-C5) is not processed: a new notification supersedes it.
IN_PROCESS = ("DOCUMENTS_PENDING", "UNDER_REVIEW", "SUSPENDED", "APPROVED")


async def publish(messages: list[OutboxMessage], now: datetime) -> None:
    await outbox.publish(messages, now)


async def _claim_sales(claim: PolicyClaim) -> list[Sale]:
    return await Sale.filter(id__in=list(claim.sale_ids)).order_by("due_date", "id")


async def notify_non_payment(
    principal: Principal,
    policy_id: str,
    buyer_key: str,
    cause: str,
    insolvency_known_on: date | None,
    disputed_invoices: list[str],
    real_now: datetime,
) -> PolicyClaim:
    """WT-C1: the buyer's unpaid credits (overdue ones; all on insolvency) notified in
    time and covered become the claim. Nothing notified in time: refused with WT-C1."""
    policy = await policies.partner_policy(principal, policy_id)
    now = await policies.policy_now(policy, real_now)
    today = now.date()
    if await PolicyClaim.filter(
        policy_id=policy.id, buyer_key=buyer_key, status__in=IN_PROCESS
    ).exists():
        raise DomainError(
            "INVALID_STATE", "The buyer already has an open claim.", ("input", "buyer")
        )
    sales = [
        s
        for s in await buyer_credits.sales_of(policy.id, buyer_key)
        if s.collected < s.policy_amount
    ]
    insolvency = cause == "INSOLVENCY"
    candidates = [s for s in sales if insolvency or (s.extended_due_date or s.due_date) < today]
    if not candidates:
        raise DomainError(
            "INVALID_STATE", "The buyer has no unpaid credit to notify.", ("input", "buyer")
        )
    in_time = []
    late = None
    for sale in candidates:
        violation = claim_rules.check_notification(
            today, sale.due_date, sale.extended_due_date, insolvency_known_on
        )
        if violation is None:
            in_time.append(sale)
        else:
            late = late or violation
    if not in_time:
        assert late is not None
        raise DomainError(late.rule, late.message, ("input", "buyer"))
    covered = [s for s in in_time if s.excluded_by is None]
    if not covered:
        rule = in_time[0].excluded_by or "WT-L1"
        raise DomainError(
            rule,
            f"No notified credit is covered: {in_time[0].exclusion_reason}",
            ("input", "buyer"),
        )
    unknown = set(disputed_invoices) - {s.invoice_number for s in covered}
    if unknown:
        raise DomainError(
            "INVALID_INPUT",
            f"Not among the notified credits: {', '.join(sorted(unknown))}.",
            ("input", "disputedInvoiceNumbers"),
        )
    accumulated = sum((s.policy_amount - s.collected for s in candidates), Decimal("0.00"))
    if not claim_rules.claim_processable(accumulated, policy.minimum_unpaid_threshold):
        status = "BELOW_THRESHOLD"
    elif all(s.invoice_number in disputed_invoices for s in covered):
        status = "SUSPENDED"
    else:
        status = "DOCUMENTS_PENDING"
    actor = policies.actor_of(principal)
    async with in_transaction():
        superseded = await PolicyClaim.filter(
            policy_id=policy.id, buyer_key=buyer_key, status="BELOW_THRESHOLD"
        ).values_list("id", flat=True)
        for old_id in superseded:
            await PolicyClaim.filter(id=old_id, status="BELOW_THRESHOLD").update(
                status="REJECTED",
                rejection={"rule": "WT-C5", "message": "Below the threshold; superseded."},
            )
            await policy_sweep.void_claim_deadlines(policy.id, str(old_id))
        if disputed_invoices:
            await Sale.filter(
                policy_id=policy.id, buyer_key=buyer_key, invoice_number__in=disputed_invoices
            ).update(disputed=True)
        claim = await PolicyClaim.create(
            id=new_id("pcl"),
            policy_id=policy.id,
            buyer_key=buyer_key,
            cause=cause,
            status=status,
            notified_on=today,
            sale_ids=[s.id for s in covered],
            documents_due_on=claim_rules.documents_due_on(today),
            settlement_on=claim_rules.settlement_on(today, policy.waiting_period_days),
            created_at=now,
        )
        for sale in covered:  # WT-C1: notified
            await policy_sweep.meet(policy.id, "NOTIFICATION", sale.id, today)
        await policy_sweep.open_deadline(
            policy, "DOCUMENTS", claim.id, "WT-C2", claim.documents_due_on, now
        )
        await policy_sweep.open_deadline(
            policy, "SETTLEMENT", claim.id, "WT-C3", claim.settlement_on, now
        )
        await policy_events.record(
            policy,
            "claim.opened",
            actor=actor,
            now=now,
            data={
                "claimId": claim.id,
                "buyer": buyer_key,
                "status": status,
                "accumulatedUnpaid": str(accumulated),
                "lateCredits": [s.invoice_number for s in candidates if s not in in_time],
            },
        )
    return claim


async def visible_claim(principal: Principal, claim_id: str) -> PolicyClaim | None:
    claim = await PolicyClaim.get_or_none(id=claim_id)
    if claim is None:
        return None
    if principal.is_staff:
        return claim
    policy = await Policy.get(id=claim.policy_id)  # type: ignore[attr-defined]
    return claim if policy.partner_id == principal.partner_id else None  # type: ignore[attr-defined]


async def missing_documents(claim: PolicyClaim) -> list[str]:
    found = await PolicyDocument.filter(claim_id=claim.id).values_list("kind", flat=True)
    kinds = {str(kind) for kind in found}
    return [kind for kind in REQUIRED_DOCUMENTS if kind not in kinds]


async def submit_policy_document(
    principal: Principal,
    claim_id: str,
    kind: str,
    filename: str,
    content_type: str,
    content: bytes,
    real_now: datetime,
) -> PolicyDocument:
    """WT-C2: stored like cover documents (content hash, size and type checks)."""
    claim = await visible_claim(principal, claim_id)
    if claim is None or principal.partner_id is None:
        raise not_found("claim", claim_id, ("input", "claimId"))
    declared = documents.normalise_content_type(content_type)
    documents.check_content(declared, content)
    policy = await Policy.get(id=claim.policy_id)  # type: ignore[attr-defined]
    now = await policies.policy_now(policy, real_now)
    sha256 = await document_storage.current().put(content)
    messages: list[OutboxMessage] = []
    async with in_transaction():
        document = await PolicyDocument.create(
            id=new_id("pdo"),
            claim_id=claim.id,
            kind=kind,
            filename=documents.sanitise_filename(filename),
            content_type=declared,
            size_bytes=len(content),
            sha256=sha256,
            received_at=now,
        )
        if not await missing_documents(claim):
            await policy_sweep.meet(policy.id, "DOCUMENTS", claim.id, now.date())
            moved = await PolicyClaim.filter(id=claim.id, status="DOCUMENTS_PENDING").update(
                status="UNDER_REVIEW"
            )
            if moved:
                await policy_events.record(
                    policy,
                    "claim.under_review",
                    actor=cover_events.SYSTEM,
                    now=now,
                    data={"claimId": claim.id},
                )
                messages.append(await outbox.enqueue(CALCULATE, {"claim_id": claim.id}, now))
    await publish(messages, now)
    return document


def _collected_by(
    credits: list[Credit], collections: list[Collection], on: date | None
) -> dict[str, Decimal]:
    rules_rows = [
        RuleCollection(c.id, c.received_on, c.amount, c.invoice_number)
        for c in collections
        if on is None or c.received_on <= on
    ]
    return dict(exposure_rules.allocate_collections(credits, rules_rows).per_credit)


async def calculate_indemnity(claim_id: str, real_now: datetime) -> Decimal | None:
    """The `policy_claim.calculate_indemnity` job (WT-C6 with WT-P2): idempotent."""
    claim = await PolicyClaim.get_or_none(id=claim_id)
    if claim is None or claim.status not in ("UNDER_REVIEW", "APPROVED", "SUSPENDED"):
        return None
    policy = await Policy.get(id=claim.policy_id)  # type: ignore[attr-defined]
    now = await policies.policy_now(policy, real_now)
    sales = await buyer_credits.sales_of(policy.id, claim.buyer_key)
    invoice_ids = {s.invoice_number: s.id for s in sales}
    collections = await Collection.filter(policy_id=policy.id, buyer_key=claim.buyer_key)
    # Allocation works on face amounts; assigned collections name their invoice.
    base = [buyer_credits.uncollected(s) for s in sales]
    collections = [
        c for c in collections if c.invoice_number is None or c.invoice_number in invoice_ids
    ]
    for row in collections:
        if row.invoice_number is not None:
            row.invoice_number = invoice_ids[row.invoice_number]
    at_notice = _collected_by(base, collections, claim.notified_on)
    up_to_now = _collected_by(base, collections, None)
    credits_at_notice = [replace(c, collected=at_notice.get(c.id, Decimal("0.00"))) for c in base]
    limit = await buyer_credits.limit_for_claim(policy.id, claim.buyer_key, claim.notified_on)
    terms = buyer_credits.terms_of_limit(limit) if limit else None
    # WT-C6: the claim's covered credits unpaid at the notification, whole. Not cut to the
    # limit here: wt_indemnity deducts the collections up to payment first and then caps
    # at coverage% x the limit, so a collection lowers the part above the limit first
    # (WT-L5: collections free capacity) instead of the insured part.
    unpaid_at_notice = {c.id: c.outstanding for c in credits_at_notice}
    counted = [sid for sid in claim.sale_ids if not next(s for s in sales if s.id == sid).disputed]
    insured_unpaid = sum(
        (unpaid_at_notice.get(sid, Decimal("0.00")) for sid in counted), Decimal("0.00")
    )
    collections_since = sum(
        (
            up_to_now.get(sid, Decimal("0.00")) - at_notice.get(sid, Decimal("0.00"))
            for sid in counted
        ),
        Decimal("0.00"),
    )
    paid_before = await PolicyClaim.filter(policy_id=policy.id, status="PAID").exclude(id=claim.id)
    invoiced, premium_paid = await policies.premium_totals(policy.id)
    counted_sales = [s for s in sales if s.id in counted]
    rates = await _foreign_rates(policy, counted_sales, now.date())
    if rates is not None:
        # WT-C7: back to the credit's currency, then the lesser of the two rates.
        sale_rate = rates[0]
        insured_unpaid = sum(
            (
                s.amount
                if unpaid_at_notice.get(s.id) == s.policy_amount
                else round_cents(unpaid_at_notice.get(s.id, Decimal("0.00")) / sale_rate)
                for s in counted_sales
            ),
            Decimal("0.00"),
        )
        collections_since = round_cents(collections_since / sale_rate)
    result = claim_rules.wt_indemnity(
        sale_rate=rates[0] if rates else None,
        indemnity_rate=rates[1] if rates else None,
        insured_unpaid=insured_unpaid,
        collections_up_to_payment=collections_since,
        coverage_percent=terms.coverage_percent if terms else policy.coverage_percent,
        limit_amount=terms.amount if terms else Decimal("0.00"),
        period_indemnities_paid=sum(
            (c.indemnity_amount or Decimal("0.00") for c in paid_before), Decimal("0.00")
        ),
        minimum_premium=policy.minimum_premium,
        max_indemnity_multiple=policy.max_indemnity_multiple,
        premium_paid=premium_paid,
        premium_total=invoiced,
        collection_costs=claim.collection_costs
        if rates is None
        else round_cents(claim.collection_costs / rates[0]),
    )
    lines: list[dict[str, Any]] = [
        {"label": line.label, "amount": str(line.amount), "rule": line.rule}
        for line in result.lines
    ]
    async with in_transaction():
        changed = await PolicyClaim.filter(
            id=claim.id, status__in=("UNDER_REVIEW", "APPROVED", "SUSPENDED")
        ).update(indemnity_amount=result.amount, indemnity_lines=lines, calculated_at=now)
        if changed:
            await policy_events.record(
                policy,
                "claim.indemnity_calculated",
                actor=cover_events.SYSTEM,
                now=now,
                data={"claimId": claim.id, "amount": str(result.amount)},
            )
    return result.amount


async def _foreign_rates(
    policy: Policy, counted: list[Sale], today: date
) -> tuple[Decimal, Decimal] | None:
    """WT-C7 applies to a claim whose credits share one foreign currency and one
    day-of-sale rate: (that rate, the rate of the indemnity day, or the latest before
    it). None otherwise: the amounts stay at their day-of-sale rates (WT-N3)."""
    currencies = {s.currency for s in counted}
    sale_rates = {s.rate for s in counted}
    if len(currencies) != 1 or len(sale_rates) != 1:
        return None
    (currency,) = currencies
    if currency == policy.currency:
        return None
    latest = (
        await ExchangeRate.filter(
            from_currency=currency, to_currency=policy.currency, on__lte=today
        )
        .order_by("-on")
        .first()
    )
    (sale_rate,) = sale_rates
    return sale_rate, latest.rate if latest else sale_rate


async def recalculate_open_claims(
    policy: Policy, buyer_key: str, now: datetime
) -> list[OutboxMessage]:
    """Collections before payment change the indemnity: queue a recalculation."""
    ids = await PolicyClaim.filter(
        policy_id=policy.id, buyer_key=buyer_key, status__in=("UNDER_REVIEW", "APPROVED")
    ).values_list("id", flat=True)
    return [await outbox.enqueue(CALCULATE, {"claim_id": str(i)}, now) for i in ids]


async def _staff_claim(principal: Principal, claim_id: str) -> tuple[PolicyClaim, Policy]:
    if not principal.is_staff:
        raise DomainError("FORBIDDEN", "Claim decisions are for insurer staff keys.")
    claim = await PolicyClaim.get_or_none(id=claim_id)
    if claim is None:
        raise not_found("claim", claim_id, ("input", "claimId"))
    return claim, await Policy.get(id=claim.policy_id)  # type: ignore[attr-defined]


async def decide_policy_claim(
    principal: Principal, claim_id: str, decision: str, reason: str | None, real_now: datetime
) -> PolicyClaim:
    """APPROVE an UNDER_REVIEW claim with its indemnity; REJECT with the rule; SUSPEND
    while a credit is disputed (WT-C4)."""
    claim, policy = await _staff_claim(principal, claim_id)
    now = await policies.policy_now(policy, real_now)
    allowed = {
        "APPROVE": ("UNDER_REVIEW", "SUSPENDED"),
        "REJECT": ("DOCUMENTS_PENDING", "BELOW_THRESHOLD", "UNDER_REVIEW", "SUSPENDED"),
        "SUSPEND": ("UNDER_REVIEW", "DOCUMENTS_PENDING"),
    }[decision]
    if claim.status not in allowed:
        raise DomainError(
            "INVALID_STATE", f"Claim {claim.id} is {claim.status}.", ("input", "claimId")
        )
    changes: dict[str, Any] = {
        "status": {"APPROVE": "APPROVED", "REJECT": "REJECTED", "SUSPEND": "SUSPENDED"}[decision]
    }
    if decision == "APPROVE" and claim.indemnity_amount is None:
        raise DomainError(
            "INVALID_STATE", "The indemnity is not calculated yet.", ("input", "claimId")
        )
    if decision == "REJECT":
        rule = (reason or "").split(":")[0].strip() or "WT-C6"
        changes["rejection"] = {"rule": rule, "message": reason or "Rejected by the insurer."}
    async with in_transaction():
        moved = await PolicyClaim.filter(id=claim.id, status=claim.status).update(**changes)
        if moved != 1:
            raise DomainError("INVALID_STATE", f"Claim {claim.id} changed meanwhile.")
        if decision == "REJECT":
            await policy_sweep.void_claim_deadlines(policy.id, claim.id)
        await policy_events.record(
            policy,
            f"claim.{changes['status'].lower()}",
            actor=policies.actor_of(principal),
            now=now,
            data={"claimId": claim.id, "cause": reason or ""},
        )
    await claim.refresh_from_db()
    return claim


async def mark_policy_indemnity_paid(
    principal: Principal, claim_id: str, paid_on: date, real_now: datetime
) -> PolicyClaim:
    """APPROVED -> PAID. WT-C3: not before the end of the waiting period."""
    claim, policy = await _staff_claim(principal, claim_id)
    if paid_on < claim.settlement_on:
        raise DomainError(
            "WT-C3",
            f"Settled at the end of the waiting period, on {claim.settlement_on}.",
            ("input", "paidOn"),
        )
    now = await policies.policy_now(policy, real_now)
    async with in_transaction():
        moved = await PolicyClaim.filter(id=claim.id, status="APPROVED").update(
            status="PAID", paid_on=paid_on
        )
        if moved != 1:
            raise DomainError(
                "INVALID_STATE",
                f"Claim {claim.id} is {claim.status}, not APPROVED.",
                ("input", "claimId"),
            )
        await policy_sweep.meet(policy.id, "SETTLEMENT", claim.id, paid_on)
        await policy_events.record(
            policy,
            "claim.paid",
            actor=policies.actor_of(principal),
            now=now,
            data={
                "claimId": claim.id,
                "paidOn": paid_on.isoformat(),
                "amount": str(claim.indemnity_amount),
            },
        )
    await claim.refresh_from_db()
    return claim


async def record_collection_costs(
    principal: Principal, claim_id: str, amount: Decimal, real_now: datetime
) -> PolicyClaim:
    """Staff: the collection costs they authorised (WT-C6: paid at the coverage
    percentage, capped at 50% of the limit or of the unpaid credit). Recalculates."""
    claim, policy = await _staff_claim(principal, claim_id)
    if amount < 0:
        raise DomainError("INVALID_INPUT", "Costs are not negative.", ("input", "amount"))
    if claim.status not in ("UNDER_REVIEW", "SUSPENDED", "APPROVED", "DOCUMENTS_PENDING"):
        raise DomainError(
            "INVALID_STATE", f"Claim {claim.id} is {claim.status}.", ("input", "claimId")
        )
    now = await policies.policy_now(policy, real_now)
    async with in_transaction():
        await PolicyClaim.filter(id=claim.id).update(collection_costs=round_cents(amount))
        await policy_events.record(
            policy,
            "claim.collection_costs_recorded",
            actor=policies.actor_of(principal),
            now=now,
            data={"claimId": claim.id, "amount": str(round_cents(amount)), "rule": "WT-C6"},
            webhook=False,
        )
        message = await outbox.enqueue(CALCULATE, {"claim_id": claim.id}, now)
    await publish([message], now)
    await claim.refresh_from_db()
    return claim


async def record_recovery(
    principal: Principal,
    claim_id: str,
    amount: Decimal,
    costs: Decimal,
    received_on: date,
    real_now: datetime,
    goods_market_value: Decimal | None = None,
) -> tuple[PolicyClaim, claim_rules.RecoverySplit]:
    """WT-R1: a recovery after the indemnity, net of collection costs, goes first to the
    indemnified credits and is shared by coverage percentage; the rest is the insured's.
    Recovered goods count at market value, never below 50% of the invoiced amount
    (WT-R2)."""
    claim, policy = await _staff_claim(principal, claim_id)
    if claim.status != "PAID":
        raise DomainError(
            "INVALID_STATE",
            "Before the indemnity is paid, money received is a collection (declareCollections).",
            ("input", "claimId"),
        )
    if amount < 0 or costs < 0 or (amount == 0 and goods_market_value is None):
        raise DomainError(
            "INVALID_INPUT", "Money or goods recovered, costs not negative.", ("input", "amount")
        )
    now = await policies.policy_now(policy, real_now)
    sales = await _claim_sales(claim)
    if goods_market_value is not None:
        invoiced = sum((s.policy_amount for s in sales), Decimal("0.00"))
        amount += claim_rules.recovered_goods_value(goods_market_value, invoiced)
    outstanding = sum((s.policy_amount - s.collected for s in sales), Decimal("0.00"))
    indemnified_left = max(outstanding - claim.recovered, Decimal("0.00"))
    limit = await buyer_credits.limit_for_claim(policy.id, claim.buyer_key, claim.notified_on)
    coverage = (
        limit.coverage_percent if limit and limit.coverage_percent else policy.coverage_percent
    )
    split = claim_rules.wt_recovery_split(amount, costs, indemnified_left, coverage)
    async with in_transaction():
        expected = {"recovered": claim.recovered}
        changes = {"recovered": round_cents(claim.recovered + split.applied_to_indemnified)}
        if not await compare_and_set(PolicyClaim, claim.id, expected, changes):
            raise DomainError("INVALID_STATE", "The claim changed meanwhile; retry.")
        await policy_events.record(
            policy,
            "recovery.recorded",
            actor=policies.actor_of(principal),
            now=now,
            data={
                "claimId": claim.id,
                "amount": str(amount),
                "costs": str(costs),
                "receivedOn": received_on.isoformat(),
                "insurerShare": str(split.insurer_share),
                "insuredShare": str(split.insured_share),
                "rule": "WT-R1",
            },
        )
    await claim.refresh_from_db()
    return claim, split


async def resolve_credit_dispute(
    principal: Principal,
    claim_id: str,
    invoice_number: str,
    for_insured: bool,
    decided_on: date,
    real_now: datetime,
) -> PolicyClaim:
    """Staff record the final judgment or award on a disputed credit (WT-C4). For the
    insured: the credit counts again and the claim resumes (recalculated). Against: the
    credit is excluded with WT-C4; a claim left with nothing to pay is rejected."""
    claim, policy = await _staff_claim(principal, claim_id)
    sale = await Sale.filter(
        id__in=list(claim.sale_ids), invoice_number=invoice_number, disputed=True
    ).first()
    if sale is None:
        raise DomainError(
            "INVALID_STATE",
            f"No disputed credit {invoice_number} in claim {claim.id}.",
            ("input", "invoiceNumber"),
        )
    now = await policies.policy_now(policy, real_now)
    actor = policies.actor_of(principal)
    messages: list[OutboxMessage] = []
    async with in_transaction():
        if for_insured:
            await Sale.filter(id=sale.id, disputed=True).update(disputed=False)
        else:
            await Sale.filter(id=sale.id, disputed=True).update(
                disputed=False,
                excluded_by="WT-C4",
                exclusion_reason=f"Dispute decided against the insured on {decided_on}.",
            )
            await PolicyClaim.filter(id=claim.id).update(
                sale_ids=[i for i in claim.sale_ids if i != sale.id]
            )
        await policy_events.record(
            policy,
            "claim.dispute_resolved",
            actor=actor,
            now=now,
            data={
                "claimId": claim.id,
                "invoice": invoice_number,
                "forInsured": for_insured,
                "decidedOn": decided_on.isoformat(),
                "rule": "WT-C4",
            },
            webhook=False,
        )
        await claim.refresh_from_db()
        if not claim.sale_ids:
            rejection = {
                "rule": "WT-C4",
                "message": "Every credit was decided against the insured.",
            }
            await PolicyClaim.filter(id=claim.id, status__in=OPEN).update(
                status="REJECTED", rejection=rejection
            )
            await policy_sweep.void_claim_deadlines(policy.id, claim.id)
            await policy_events.record(
                policy,
                "claim.rejected",
                actor=actor,
                now=now,
                data={"claimId": claim.id, "rule": "WT-C4"},
            )
        elif claim.status == "SUSPENDED":
            target = "UNDER_REVIEW" if not await missing_documents(claim) else "DOCUMENTS_PENDING"
            moved = await PolicyClaim.filter(id=claim.id, status="SUSPENDED").update(status=target)
            if moved:
                await policy_events.record(
                    policy,
                    "claim.resumed",
                    actor=actor,
                    now=now,
                    data={"claimId": claim.id, "status": target, "rule": "WT-C4"},
                )
        messages.append(await outbox.enqueue(CALCULATE, {"claim_id": claim.id}, now))
    await publish(messages, now)
    await claim.refresh_from_db()
    return claim
