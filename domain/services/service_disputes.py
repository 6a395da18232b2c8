"""TR-X2: a transport service the client disputes as non-conforming.

While the dispute waits for a final court decision, the stage-1 incident is not
published (or is withdrawn from the list) and the stage-2 claim is SUSPENDED. Staff
record the final decision: conforming lifts both (the incident is published once its
TR-D1 documents are in, the claim goes back to its checklist); non-conforming rejects
the claim with TR-X2 and the incident is never published.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tortoise.transactions import in_transaction

from domain.services import claims, cover_events, event_sequence, outbox
from domain.services.clock_time import now_on_clock
from domain.services.dispute_suspension import SUSPENDABLE, suspend_claim
from domain.services.errors import DomainError, not_found
from domain.services.principals import Principal
from domain.store.claim_models import Claim, Incident
from domain.store.cover_models import Cover
from domain.store.models import OutboxMessage

RULE = "TR-X2"


async def _latest_incident(cover: Cover) -> Incident:
    incident = await Incident.filter(cover_id=cover.id).order_by("-created_at").first()
    if incident is None:
        raise DomainError(
            "INVALID_STATE",
            f"Cover {cover.id} has no incident: declare it before disputing the service.",
            ("input", "coverId"),
        )
    return incident


async def record_service_dispute(
    principal: Principal, cover_id: str, raised_on: date, reason: str, real_now: datetime
) -> tuple[Incident, Cover]:
    """The platform reports that the client disputes the service (TR-X2)."""
    cover = await claims.partner_cover(principal, cover_id)
    if cover.product != "TRANSPORT_INVOICE":
        raise DomainError(
            "INVALID_STATE",
            f"{RULE} applies to transport covers only.",
            ("input", "coverId"),
        )
    if not reason.strip():
        raise DomainError("INVALID_INPUT", "Say what the client disputes.", ("input", "reason"))
    incident = await _latest_incident(cover)
    now = await now_on_clock(cover.test_clock_id, real_now)
    actor = cover_events.partner_actor(str(principal.partner_id))
    async with in_transaction():
        await event_sequence.lock_owner(Cover, cover.id)  # LIFECYCLE 5a: the cover first
        moved = await Incident.filter(id=incident.id, disputed=False).update(
            disputed=True,
            published=False,
            dispute_raised_on=raised_on,
            dispute_reason=reason.strip(),
        )
        if moved != 1:
            raise DomainError(
                "INVALID_STATE",
                f"Incident {incident.id} is already disputed.",
                ("input", "coverId"),
            )
        await cover_events.record(
            cover,
            "incident.disputed",
            actor=actor,
            now=now,
            data={"incidentId": incident.id, "rule": RULE, "withdrawn": incident.published},
        )
        claim = await Claim.filter(cover_id=cover.id).first()
        if claim is not None:
            await suspend_claim(cover, claim, now, actor)
    await incident.refresh_from_db()
    await cover.refresh_from_db()
    return incident, cover


async def resolve_service_dispute(
    principal: Principal, incident_id: str, conforming: bool, decided_on: date, real_now: datetime
) -> tuple[Incident, Cover]:
    """Staff record the final court decision on a disputed service (TR-X2)."""
    if not principal.is_staff:
        raise DomainError("FORBIDDEN", "Dispute decisions are for insurer staff keys.")
    incident = await Incident.get_or_none(id=incident_id)
    if incident is None:
        raise not_found("incident", incident_id, ("input", "incidentId"))
    cover = await Cover.get(id=incident.cover_id)
    now = await now_on_clock(cover.test_clock_id, real_now)
    actor = cover_events.staff_actor(str(principal.staff_id))
    messages: list[OutboxMessage] = []
    async with in_transaction():
        await event_sequence.lock_owner(Cover, cover.id)  # LIFECYCLE 5a: the cover first
        changes: dict[str, Any] = {
            "dispute_resolved_on": decided_on,
            "dispute_conforming": conforming,
        }
        if conforming:
            changes["disputed"] = False
        moved = await Incident.filter(
            id=incident.id, disputed=True, dispute_resolved_on=None
        ).update(**changes)
        if moved != 1:
            raise DomainError(
                "INVALID_STATE",
                f"Incident {incident.id} has no dispute waiting for a decision.",
                ("input", "incidentId"),
            )
        await cover_events.record(
            cover,
            "incident.dispute_resolved",
            actor=actor,
            now=now,
            data={"incidentId": incident.id, "rule": RULE, "conforming": conforming},
        )
        claim = await Claim.filter(cover_id=cover.id).first()
        if conforming:
            await claims.publish_incident_if_ready(cover, now)
            if claim is not None:
                messages += await _resume_claim(cover, claim, now, actor)
        elif claim is not None:
            await _reject_claim(cover, claim, now, actor)
    await outbox.publish(messages, now)
    await incident.refresh_from_db()
    await cover.refresh_from_db()
    return incident, cover


async def _resume_claim(
    cover: Cover, claim: Claim, now: datetime, actor: str
) -> list[OutboxMessage]:
    """SUSPENDED -> back to the checklist, then UNDER_REVIEW when nothing is missing."""
    moved = await Claim.filter(id=claim.id, status="SUSPENDED").update(status="DOCUMENTS_PENDING")
    if moved != 1:
        return []
    await cover_events.record(
        cover,
        "claim.resumed",
        actor=actor,
        now=now,
        data={"claimId": claim.id, "cause": f"{RULE}: service found conforming"},
    )
    return await claims.review_if_complete(cover, claim, now)


async def _reject_claim(cover: Cover, claim: Claim, now: datetime, actor: str) -> None:
    rejection = {"rule": RULE, "message": "The transport service was found non-conforming."}
    moved = await Claim.filter(id=claim.id, status__in=(*SUSPENDABLE, "SUSPENDED")).update(
        status="REJECTED", rejection=rejection
    )
    if moved == 1:
        await cover_events.record(
            cover,
            "claim.rejected",
            actor=actor,
            now=now,
            data={"claimId": claim.id, "cause": rejection["message"], "rule": RULE},
        )
