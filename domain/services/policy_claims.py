"""Claims under a whole-turnover policy (WT-C1 to WT-C6, WT-P2, WT-R1).

notify -> DOCUMENTS_PENDING (or BELOW_THRESHOLD under WT-C5, SUSPENDED when every credit
is disputed, WT-C4) -> documents complete (WT-C2) -> UNDER_REVIEW and the indemnity job
-> staff APPROVE / REJECT / SUSPEND -> PAID at the end of the waiting period (WT-C3) ->
recoveries shared by coverage percentage (WT-R1).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.rules import contract_terms
from domain.rules.indemnity import IndemnityResult
from domain.rules.money import round_cents
from domain.rules.wt import claims as claim_rules
from domain.rules.wt import premium as premium_rules
from domain.rules.wt import settlement as settlement_rules
from domain.services import (
    buyer_credits,
    cover_events,
    document_quota,
    documents,
    event_sequence,
    outbox,
    policies,
    policy_events,
    policy_sweep,
)
from domain.services import policy_claim_amounts as amounts
from domain.services.compare_and_set import compare_and_set
from domain.services.errors import DomainError, not_found
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.models import OutboxMessage
from domain.store.policy_models import (
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
    ended = amounts.termination_of(policy, await amounts.invoice_facts(policy.id), today)
    after_end = premium_rules.claim_after_termination(today, ended)
    if after_end is not None:
        raise DomainError(after_end.rule, after_end.message, ("input", "policyId"))
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
    async with event_sequence.policy_transaction(policy.id):
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
            settlement_on=settlement_rules.claim_settlement_on(
                [s.extended_due_date or s.due_date for s in covered], policy.waiting_period_days
            ),
            file_fee=contract_terms.claim_file_fee(policy.claim_file_fee, status),  # WT-P5
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
                "fileFee": str(claim.file_fee),
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
    policy = await Policy.get(id=claim.policy_id)
    return claim if policy.partner_id == principal.partner_id else None


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
    policy = await Policy.get(id=claim.policy_id)
    now = await policies.policy_now(policy, real_now)
    partner_id = policy.partner_id
    await document_quota.check(partner_id, len(content), documents.FILE_FIELD)
    messages: list[OutboxMessage] = []
    async with (
        document_quota.staged_upload(partner_id, content) as upload,
        event_sequence.policy_transaction(policy.id),
    ):
        await upload.admit(documents.FILE_FIELD)  # the partner's stored bytes (quota)
        sha256 = upload.sha256
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
            # WT-C10: the insurer has at least 30 days from complete documentation.
            payable_by = settlement_rules.payable_by(claim.settlement_on, now.date())
            if await PolicyClaim.filter(id=claim.id, documents_complete_on__isnull=True).update(
                documents_complete_on=now.date(), payable_by=payable_by
            ):
                await policy_sweep.open_deadline(
                    policy, "PAYMENT", claim.id, "WT-C10", payable_by, now
                )
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


async def calculate_indemnity(claim_id: str, real_now: datetime) -> Decimal | None:
    """The `policy_claim.calculate_indemnity` job (WT-C6 with WT-P2): a preview as if paid
    today, idempotent. The payment recomputes it (mark_policy_indemnity_paid)."""
    claim = await PolicyClaim.get_or_none(id=claim_id)
    if claim is None or claim.status not in ("UNDER_REVIEW", "APPROVED", "SUSPENDED"):
        return None
    policy = await Policy.get(id=claim.policy_id)
    now = await policies.policy_now(policy, real_now)
    amount = await amounts.compute(claim, policy, now.date())
    result = amount.result
    async with event_sequence.policy_transaction(policy.id):
        changed = await PolicyClaim.filter(
            id=claim.id, status__in=("UNDER_REVIEW", "APPROVED", "SUSPENDED")
        ).update(
            indemnity_amount=result.amount,
            indemnity_lines=_lines(result),
            calculated_at=now,
            settlement_on=amount.settlement_on,
        )
        if changed and amount.settlement_on != claim.settlement_on:
            await policy_sweep.move_deadline(
                policy.id, "SETTLEMENT", claim.id, amount.settlement_on
            )
        if changed:
            await policy_events.record(
                policy,
                "claim.indemnity_calculated",
                actor=cover_events.SYSTEM,
                now=now,
                data={"claimId": claim.id, "amount": str(result.amount)},
            )
    return result.amount


def _lines(result: IndemnityResult) -> list[dict[str, Any]]:
    return [
        {"label": line.label, "amount": str(line.amount), "rule": line.rule}
        for line in result.lines
    ]


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
    return claim, await Policy.get(id=claim.policy_id)


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
    async with event_sequence.policy_transaction(policy.id):
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
    """APPROVED -> PAID with the indemnity recomputed from the state on `paid_on`, in the
    paying transaction (LIFECYCLE 5a): collections and collection costs up to then
    (WT-C6, WT-C8), the period cap and the buyer maximum against the indemnities paid
    (WT-C6, WT-C9), the rate of the payment day (WT-C7), the premium on that day (WT-P2,
    WT-P3, WT-P4) and undeclared sales (WT-N4). Never before the waiting period ends
    (WT-C3), never on a day still to come. The stored calculation is only a preview."""
    claim, policy = await _staff_claim(principal, claim_id)
    now = await policies.policy_now(policy, real_now)
    async with event_sequence.policy_transaction(policy.id):
        claim = await PolicyClaim.get(id=claim.id)
        policy = await Policy.get(id=policy.id)
        if claim.status != "APPROVED":
            raise DomainError(
                "INVALID_STATE",
                f"Claim {claim.id} is {claim.status}, not APPROVED.",
                ("input", "claimId"),
            )
        amount = await amounts.compute(claim, policy, paid_on)
        too_early = settlement_rules.check_payment_day(paid_on, amount.settlement_on)
        if too_early is not None:
            raise DomainError(too_early.rule, too_early.message, too_early.field)
        if paid_on > now.date():
            raise DomainError(
                "INVALID_INPUT",
                f"A payment is recorded once made: {paid_on} is after today ({now.date()}).",
                ("input", "paidOn"),
            )
        refusal = amount.refusal
        if refusal is not None:
            raise DomainError(refusal.rule, refusal.message, refusal.field or ("input", "claimId"))
        paid = amount.result.amount
        # WT-C6: one payment at a time per policy; the period's paid total is the guard.
        guarded = await Policy.filter(
            id=policy.id, indemnities_paid=policy.indemnities_paid
        ).update(indemnities_paid=amount.period_paid + paid)
        moved = await PolicyClaim.filter(id=claim.id, status="APPROVED").update(
            status="PAID",
            paid_on=paid_on,
            indemnity_amount=paid,
            indemnity_lines=_lines(amount.result),
            calculated_at=now,
            settlement_on=amount.settlement_on,
            payable_by=settlement_rules.payable_by(
                amount.settlement_on, claim.documents_complete_on
            ),
        )
        if guarded != 1 or moved != 1:
            raise DomainError("INVALID_STATE", f"Claim {claim.id} changed meanwhile; retry.")
        await policy_sweep.meet(policy.id, "SETTLEMENT", claim.id, paid_on)
        await policy_sweep.meet(policy.id, "PAYMENT", claim.id, paid_on)
        await policy_events.record(
            policy,
            "claim.paid",
            actor=policies.actor_of(principal),
            now=now,
            data={
                "claimId": claim.id,
                "paidOn": paid_on.isoformat(),
                "amount": str(paid),
                "previewAmount": str(claim.indemnity_amount),
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
    async with event_sequence.policy_transaction(policy.id):
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
    outstanding = await amounts.indemnified_outstanding(claim, policy)
    indemnified_left = max(outstanding - claim.recovered, Decimal("0.00"))
    limit = await buyer_credits.limit_for_claim(policy.id, claim.buyer_key, claim.notified_on)
    coverage = (
        limit.coverage_percent if limit and limit.coverage_percent else policy.coverage_percent
    )
    split = claim_rules.wt_recovery_split(amount, costs, indemnified_left, coverage)
    async with event_sequence.policy_transaction(policy.id):
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
    async with event_sequence.policy_transaction(policy.id):
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
