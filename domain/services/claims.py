"""Incidents and claims (LIFECYCLE 5): declaration, claim opening, document checklist,
indemnity calculation, staff decisions and payment.

Every transition is a compare-and-set on the current status, inside the transaction that
writes its event and webhook (C-6).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from tortoise.transactions import in_transaction

from domain.rules import deadlines as deadline_rules
from domain.rules.money import Money
from domain.services import (
    cover_events,
    cover_life,
    dispute_suspension,
    event_sequence,
    indemnity_state,
    insolvency,
    outbox,
    recoveries,
)
from domain.services.clock_time import now_on_clock
from domain.services.errors import DomainError, not_found
from domain.services.money_input import amount_in
from domain.services.principals import Principal
from domain.store.claim_models import Claim, Document, Incident
from domain.store.cover_models import Cover
from domain.store.ids import new_id
from domain.store.models import OutboxMessage

CALCULATE_INDEMNITY = "claim.calculate_indemnity"
#: TR-D1: incident-stage documents; TR-D2: claim-stage documents; FI-D1: the claim's.
TR_INCIDENT_DOCUMENTS = cover_life.TR_INCIDENT_DOCUMENTS
TR_CLAIM_DOCUMENTS = cover_life.TR_CLAIM_DOCUMENTS
FI_CLAIM_DOCUMENTS = cover_life.FI_CLAIM_DOCUMENTS
#: FI-D1: documents within 30 days of the notification.
FI_DOCUMENTS_DAYS = 30


async def _received_kinds(cover_id: str) -> set[str]:
    kinds = await Document.filter(cover_id=cover_id).values_list("kind", flat=True)
    return {str(kind) for kind in kinds}


def required_documents(product: str) -> tuple[str, ...]:
    if product == "TRANSPORT_INVOICE":
        return TR_INCIDENT_DOCUMENTS + TR_CLAIM_DOCUMENTS
    return FI_CLAIM_DOCUMENTS


async def missing_documents(cover: Cover) -> list[str]:
    received = await _received_kinds(cover.id)
    return [kind for kind in required_documents(cover.product) if kind not in received]


async def partner_cover(principal: Principal, cover_id: str) -> Cover:
    if principal.partner_id is None:
        raise DomainError("FORBIDDEN", "This operation is for partner keys.")
    cover = await Cover.filter(id=cover_id, partner_id=principal.partner_id).first()
    if cover is None:
        raise not_found("cover", cover_id, ("input", "coverId"))
    return cover


async def _open_claim_row(cover: Cover, opened_on: date, now: datetime, actor: str) -> Claim:
    """Call inside a transaction, on a cover just moved to its claim status."""
    fi = cover.product == "FINANCED_INVOICE"
    claim = await Claim.create(
        id=new_id("clm"),
        cover_id=cover.id,
        status="DOCUMENTS_PENDING",
        opened_on=opened_on,
        documents_due_on=opened_on + relativedelta(days=FI_DOCUMENTS_DAYS) if fi else None,
        expected_decision_on=None if fi else deadline_rules.expected_decision_on(opened_on),
        created_at=now,
    )
    await cover_events.record(
        cover, "claim.opened", actor=actor, now=now, data={"claimId": claim.id}
    )
    return claim


async def declare_incident(
    principal: Principal,
    cover_id: str,
    kind: str,
    unpaid: Money,
    occurred_on: date,
    real_now: datetime,
) -> tuple[Incident, Cover]:
    """ACTIVE -> DEFAULTED. FI: the notification is the claim (FI-N1). TR: stage 1; a TR
    client's insolvency may also come later, in stage 1 or 2 (TR-T6)."""
    cover = await partner_cover(principal, cover_id)
    unpaid = Money(amount_in(unpaid.amount, ("input", "unpaidAmount", "amount")), unpaid.currency)
    if unpaid.currency != cover.currency or unpaid.amount <= 0:
        raise DomainError(
            "INVALID_INPUT",
            f"The unpaid amount is positive, in {cover.currency}.",
            ("input", "unpaidAmount"),
        )
    if insolvency.applies(cover, kind):
        now = await now_on_clock(cover.test_clock_id, real_now)
        actor = cover_events.partner_actor(str(principal.partner_id))
        return await insolvency.declare_during_stage(cover, unpaid, occurred_on, now, actor)
    if cover.status != "ACTIVE":
        raise DomainError(
            "INVALID_STATE",
            f"Cover {cover.id} is {cover.status}, not ACTIVE.",
            ("input", "coverId"),
        )
    now = await now_on_clock(cover.test_clock_id, real_now)
    today = now.date()
    actor = cover_events.partner_actor(str(principal.partner_id))
    fi = cover.product == "FINANCED_INVOICE"
    # TR-T4 / FI-N1: declared after the deadline, the cover lapses and nothing is declared.
    await cover_life.lapse_if_late(cover, deadline_rules.INCIDENT_DECLARATION, today, now, actor)
    async with in_transaction():
        moved = await Cover.filter(id=cover.id, status="ACTIVE").update(status="DEFAULTED")
        if moved != 1:
            raise DomainError(
                "INVALID_STATE", f"Cover {cover.id} changed meanwhile.", ("input", "coverId")
            )
        await cover.refresh_from_db()
        incident = await insolvency.record_incident(cover, kind, unpaid, occurred_on, now, actor)
        messages: list[OutboxMessage] = []
        if fi:
            await Cover.filter(id=cover.id, status="DEFAULTED").update(status="IN_CLAIM")
            await cover.refresh_from_db()
            claim = await _open_claim_row(cover, today, now, actor)
            messages += await review_if_complete(cover, claim, now)
        await cover_life.sync_deadlines(cover)
        await publish_incident_if_ready(cover, now)
    await outbox.publish(messages, now)
    await cover.refresh_from_db()
    return incident, cover


async def publish_incident_if_ready(cover: Cover, now: datetime) -> None:
    """TR-S1/TR-X2: published once the TR-D1 documents are in, unless disputed."""
    if cover.product != "TRANSPORT_INVOICE":
        return
    received = await _received_kinds(cover.id)
    if all(kind in received for kind in TR_INCIDENT_DOCUMENTS):
        await Incident.filter(cover_id=cover.id, published=False, disputed=False).update(
            published=True
        )


async def open_claim(principal: Principal, cover_id: str, real_now: datetime) -> Claim:
    """TR stage 2: DEFAULTED -> IN_CLAIM, expected decision at opening + 5 months (TR-T7)."""
    cover = await partner_cover(principal, cover_id)
    if cover.product != "TRANSPORT_INVOICE":
        raise DomainError(
            "INVALID_STATE",
            "A financed-invoice claim opens with the incident.",
            ("input", "coverId"),
        )
    now = await now_on_clock(cover.test_clock_id, real_now)
    actor = cover_events.partner_actor(str(principal.partner_id))
    if cover.status == "DEFAULTED":
        # TR-T5: opened after invoice date + 140 days, the cover lapses instead.
        await cover_life.lapse_if_late(cover, deadline_rules.CLAIM_OPENING, now.date(), now, actor)
    messages: list[OutboxMessage] = []
    async with in_transaction():
        moved = await Cover.filter(id=cover.id, status="DEFAULTED").update(status="IN_CLAIM")
        if moved != 1:
            raise DomainError(
                "INVALID_STATE",
                f"Cover {cover.id} is {cover.status}: a claim opens on a DEFAULTED cover.",
                ("input", "coverId"),
            )
        await cover.refresh_from_db()
        claim = await _open_claim_row(cover, now.date(), now, actor)
        await cover_life.sync_deadlines(cover)
        if await dispute_suspension.pending(cover.id):
            await dispute_suspension.suspend_claim(cover, claim, now, actor)
        else:
            messages += await review_if_complete(cover, claim, now)
    await outbox.publish(messages, now)
    await claim.refresh_from_db()
    return claim


async def review_if_complete(cover: Cover, claim: Claim, now: datetime) -> list[OutboxMessage]:
    """DOCUMENTS_PENDING -> UNDER_REVIEW once nothing is missing; queue the indemnity."""
    if await missing_documents(cover):
        return []
    moved = await Claim.filter(id=claim.id, status="DOCUMENTS_PENDING").update(
        status="UNDER_REVIEW"
    )
    if moved != 1:
        return []
    await cover_events.record(
        cover, "claim.under_review", actor=cover_events.SYSTEM, now=now, data={"claimId": claim.id}
    )
    return [await outbox.enqueue(CALCULATE_INDEMNITY, {"claim_id": claim.id}, now)]


async def document_received(cover: Cover, kind: str, now: datetime) -> None:
    """Called in the transaction that stored a document: ticks the checklists and the
    DOCUMENTS deadline."""
    await cover_life.sync_deadlines(cover)
    await publish_incident_if_ready(cover, now)
    claim = await Claim.filter(cover_id=cover.id).first()
    if claim is not None:
        messages = await review_if_complete(cover, claim, now)
        # The document's transaction commits after us: the relay sends these.
        del messages


async def calculate_indemnity(claim_id: str, real_now: datetime) -> Decimal | None:
    """The `claim.calculate_indemnity` job (FI-C3, TR-S2): idempotent, recomputes."""
    claim = await Claim.get_or_none(id=claim_id)
    if claim is None or claim.status in ("PAID", "REJECTED"):
        return None
    cover = await Cover.get(id=claim.cover_id)
    now = await now_on_clock(cover.test_clock_id, real_now)
    async with in_transaction():
        await event_sequence.lock_owner(Cover, cover.id)  # LIFECYCLE 5a: the cover first
        # A preview (LIFECYCLE 5): the payment recomputes it in the paying transaction.
        now_state = await indemnity_state.compute(cover, paid_on=None)
        result = now_state.result
        lines = now_state.lines()
        changed = (
            await Claim.filter(id=claim.id)
            .exclude(status__in=("PAID", "REJECTED"))
            .update(indemnity_amount=result.amount, indemnity_lines=lines, calculated_at=now)
        )
        if changed:
            await cover_events.record(
                cover,
                "claim.indemnity_calculated",
                actor=cover_events.SYSTEM,
                now=now,
                data={"claimId": claim.id, "amount": str(result.amount)},
            )
    return result.amount


async def _staff_claim(principal: Principal, claim_id: str) -> tuple[Claim, Cover]:
    if not principal.is_staff:
        raise DomainError("FORBIDDEN", "Claim decisions are for insurer staff keys.")
    claim = await Claim.get_or_none(id=claim_id)
    if claim is None:
        raise not_found("claim", claim_id, ("input", "claimId"))
    return claim, await Cover.get(id=claim.cover_id)


async def decide_claim(
    principal: Principal, claim_id: str, decision: str, reason: str | None, real_now: datetime
) -> Claim:
    """APPROVE (with payableBy, FI-C2), REJECT (with the rule), SUSPEND (TR-X2)."""
    claim, cover = await _staff_claim(principal, claim_id)
    now = await now_on_clock(cover.test_clock_id, real_now)
    actor = cover_events.staff_actor(str(principal.staff_id))
    allowed = {
        "APPROVE": ("UNDER_REVIEW", "SUSPENDED"),
        "REJECT": ("DOCUMENTS_PENDING", "UNDER_REVIEW", "SUSPENDED"),
        "SUSPEND": ("UNDER_REVIEW",),
    }[decision]
    new_status = {"APPROVE": "APPROVED", "REJECT": "REJECTED", "SUSPEND": "SUSPENDED"}[decision]
    if claim.status not in allowed:
        raise DomainError(
            "INVALID_STATE", f"Claim {claim.id} is {claim.status}.", ("input", "claimId")
        )
    changes: dict[str, Any] = {"status": new_status}
    if decision == "APPROVE":
        if await dispute_suspension.pending(cover.id):
            raise DomainError(
                "TR-X2",
                "The service is disputed: the indemnity is suspended until a final court decision.",
                ("input", "claimId"),
            )
        if claim.indemnity_amount is None:
            raise DomainError(
                "INVALID_STATE", "The indemnity is not calculated yet.", ("input", "claimId")
            )
        if cover.product == "FINANCED_INVOICE":
            changes["payable_by"] = deadline_rules.payable_by(claim.opened_on)
    if decision == "REJECT":
        rule = (reason or "").split(":")[0].strip() or "TR-X1"
        changes["rejection"] = {"rule": rule, "message": reason or "Rejected by the insurer."}
    async with in_transaction():
        await event_sequence.lock_owner(Cover, cover.id)  # LIFECYCLE 5a: the cover first
        moved = await Claim.filter(id=claim.id, status=claim.status).update(**changes)
        if moved != 1:
            raise DomainError(
                "INVALID_STATE", f"Claim {claim.id} changed meanwhile.", ("input", "claimId")
            )
        await cover_events.record(
            cover,
            f"claim.{new_status.lower()}",
            actor=actor,
            now=now,
            data={"claimId": claim.id, "cause": reason or ""},
        )
    await claim.refresh_from_db()
    return claim


async def mark_indemnity_paid(
    principal: Principal, claim_id: str, paid_on: date, real_now: datetime
) -> Claim:
    """APPROVED -> PAID, cover INDEMNIFIED. The amount paid is FI-C3 / TR-S2 recomputed
    from the state at payment, inside the paying transaction; the stored indemnity was a
    preview and is replaced by it. Payments received after `paid_on` are recoveries
    after the indemnity (FI-R1)."""
    claim, cover = await _staff_claim(principal, claim_id)
    now = await now_on_clock(cover.test_clock_id, real_now)
    actor = cover_events.staff_actor(str(principal.staff_id))
    async with in_transaction():
        await event_sequence.lock_owner(Cover, cover.id)  # LIFECYCLE 5a: the cover first
        moved = await Claim.filter(id=claim.id, status="APPROVED").update(
            status="PAID", paid_on=paid_on
        )
        if moved != 1:
            raise DomainError(
                "INVALID_STATE",
                f"Claim {claim.id} is {claim.status}, not APPROVED.",
                ("input", "claimId"),
            )
        # First the cover (on PostgreSQL this locks it): a payment racing with us either
        # committed before, and is read below, or finds the cover INDEMNIFIED and retries
        # as a recovery.
        await Cover.filter(id=cover.id, status="IN_CLAIM").update(status="INDEMNIFIED")
        await cover.refresh_from_db()
        fresh = await indemnity_state.compute(cover, paid_on=paid_on)
        preview = claim.indemnity_amount
        await Claim.filter(id=claim.id).update(
            indemnity_amount=fresh.result.amount, indemnity_lines=fresh.lines(), calculated_at=now
        )
        # FI-C2: the insurer's own deadline is met (or was missed); nothing else is due.
        await cover_life.sync_deadlines(cover)
        await cover_life.close_open_deadlines(cover.id, state="VOID")
        await cover_events.record(
            cover,
            "claim.paid",
            actor=actor,
            now=now,
            data={
                "claimId": claim.id,
                "paidOn": paid_on.isoformat(),
                "amount": str(fresh.result.amount),
                "previewAmount": None if preview is None else str(preview),
            },
        )
        for payment in fresh.after_payment:
            await recoveries.record_recovery(
                cover, payment.amount, payment.received_on, actor, now, payment.sequence
            )
    await claim.refresh_from_db()
    return claim
