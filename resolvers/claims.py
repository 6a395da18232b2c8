"""declareIncident, openClaim, decideClaim, markIndemnityPaid, claim(id), and the
Cover.incidents / Cover.claim fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry

from domain.services import claims as claim_service
from domain.services import service_disputes
from domain.store.claim_models import Claim as ClaimRow
from domain.store.claim_models import Incident as IncidentRow
from domain.store.cover_models import Cover as CoverRow
from resolvers.context import Info
from resolvers.errors import run_mutation
from resolvers.mappers import money_in
from schema import inputs
from schema.cover_types import (
    Claim,
    ClaimPayload,
    ClaimStatus,
    DocumentKind,
    Incident,
    IncidentKind,
    IncidentPayload,
    Indemnity,
    IndemnityLine,
    Recovery,
    ServiceDispute,
)
from schema.types import Money, RuleViolation


def incident_out(row: IncidentRow) -> Incident:
    return Incident(
        id=row.id,  # type: ignore[arg-type]
        kind=IncidentKind(row.kind),
        unpaid_amount=Money(amount=row.unpaid_amount, currency=row.currency),
        occurred_on=row.occurred_on,
        declared_on=row.declared_on,
        published=row.published,
        dispute=ServiceDispute(
            raised_on=row.dispute_raised_on,
            reason=row.dispute_reason or "",
            resolved_on=row.dispute_resolved_on,
            conforming=row.dispute_conforming,
        )
        if row.dispute_raised_on is not None
        else None,
    )


async def claim_out(row: ClaimRow, cover: CoverRow | None = None) -> Claim:
    from resolvers import cover_batch

    cover = cover or await CoverRow.get(id=row.cover_id)
    return claim_from(row, cover, await cover_batch.load([cover]))


def claim_from(row: ClaimRow, cover: CoverRow, parts: Any) -> Claim:
    """Build from a page's prefetched parts (resolvers/cover_batch.py): no query."""
    from resolvers.covers import cover_from  # covers map their claim with this module

    currency = cover.currency
    indemnity = None
    if row.indemnity_amount is not None and row.calculated_at is not None:
        indemnity = Indemnity(
            amount=Money(amount=row.indemnity_amount, currency=currency),
            lines=[
                IndemnityLine(
                    label=line["label"],
                    amount=Money(amount=Decimal(line["amount"]), currency=currency),
                    rule=line.get("rule"),
                )
                for line in row.indemnity_lines or []
            ],
            calculated_at=row.calculated_at,
        )
    received = parts.document_kinds.get(cover.id, set())
    missing = [
        DocumentKind(kind)
        for kind in claim_service.required_documents(cover.product)
        if kind not in received
    ]
    return Claim(
        id=row.id,  # type: ignore[arg-type]
        cover=cover_from(cover, parts, with_claim=False),
        status=ClaimStatus(row.status),
        opened_on=row.opened_on,
        missing_documents=missing if row.status == "DOCUMENTS_PENDING" else [],
        documents_due_on=row.documents_due_on,
        expected_decision_on=row.expected_decision_on,
        indemnity=indemnity,
        payable_by=row.payable_by,
        paid_on=row.paid_on,
        rejection=RuleViolation(rule=row.rejection["rule"], message=row.rejection["message"])
        if row.rejection
        else None,
        recoveries=[
            Recovery(
                amount=Money(amount=r.amount, currency=currency),
                insurer_share=Money(amount=r.insurer_share, currency=currency),
                insured_share=Money(amount=r.insured_share, currency=currency),
                received_on=r.received_on,
                sequence=r.sequence,
            )
            for r in parts.recoveries.get(cover.id, [])
        ],
    )


async def declare_incident(info: Info, input: inputs.DeclareIncidentInput) -> IncidentPayload:
    from resolvers.covers import cover_out

    async def body() -> dict[str, Any]:
        incident, cover = await claim_service.declare_incident(
            info.context.principal,
            str(input.cover_id),
            input.kind.value,
            money_in(input.unpaid_amount),
            input.occurred_on,
            info.context.now,
        )
        return {"incident": incident_out(incident), "cover": await cover_out(cover)}

    return await run_mutation(info, IncidentPayload, body)


async def record_service_dispute(
    info: Info, input: inputs.RecordServiceDisputeInput
) -> IncidentPayload:
    from resolvers.covers import cover_out

    async def body() -> dict[str, Any]:
        incident, cover = await service_disputes.record_service_dispute(
            info.context.principal,
            str(input.cover_id),
            input.raised_on,
            input.reason,
            info.context.now,
        )
        return {"incident": incident_out(incident), "cover": await cover_out(cover)}

    return await run_mutation(info, IncidentPayload, body)


async def resolve_service_dispute(
    info: Info, input: inputs.ResolveServiceDisputeInput
) -> IncidentPayload:
    from resolvers.covers import cover_out

    async def body() -> dict[str, Any]:
        incident, cover = await service_disputes.resolve_service_dispute(
            info.context.principal,
            str(input.incident_id),
            input.conforming,
            input.decided_on,
            info.context.now,
        )
        return {"incident": incident_out(incident), "cover": await cover_out(cover)}

    return await run_mutation(info, IncidentPayload, body)


async def open_claim(info: Info, input: inputs.OpenClaimInput) -> ClaimPayload:
    async def body() -> dict[str, Any]:
        row = await claim_service.open_claim(
            info.context.principal, str(input.cover_id), info.context.now
        )
        return {"claim": await claim_out(row)}

    return await run_mutation(info, ClaimPayload, body)


async def decide_claim(info: Info, input: inputs.DecideClaimInput) -> ClaimPayload:
    async def body() -> dict[str, Any]:
        row = await claim_service.decide_claim(
            info.context.principal,
            str(input.claim_id),
            input.decision.value,
            input.reason,
            info.context.now,
        )
        return {"claim": await claim_out(row)}

    return await run_mutation(info, ClaimPayload, body)


async def mark_indemnity_paid(info: Info, input: inputs.MarkIndemnityPaidInput) -> ClaimPayload:
    async def body() -> dict[str, Any]:
        row = await claim_service.mark_indemnity_paid(
            info.context.principal, str(input.claim_id), input.paid_on, info.context.now
        )
        return {"claim": await claim_out(row)}

    return await run_mutation(info, ClaimPayload, body)


async def claim(info: Info, id: strawberry.ID) -> Claim | None:
    row = await ClaimRow.get_or_none(id=str(id))
    if row is None:
        return None
    cover = await CoverRow.get(id=row.cover_id)
    principal = info.context.principal
    if not principal.is_staff and cover.partner_id != principal.partner_id:
        return None
    return await claim_out(row, cover)
