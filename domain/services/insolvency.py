"""TR-T6: the client's insolvency declared while the cover is already in stage 1
(DEFAULTED) or stage 2 (IN_CLAIM). It changes no status: it is recorded as a second
incident, and from it every document of either stage not yet provided is due at
insolvency + 10 days (domain.rules.deadlines.tr_stage_documents_due)."""

from __future__ import annotations

from datetime import date, datetime

from tortoise.transactions import in_transaction

from domain.rules.money import Money
from domain.services import cover_events, cover_life
from domain.services.errors import DomainError
from domain.store.claim_models import Incident
from domain.store.cover_models import Cover
from domain.store.ids import new_id

INSOLVENCY = "INSOLVENCY"
#: The stages an insolvency can still reach (TR-T6: whatever the stage).
STAGES = ("DEFAULTED", "IN_CLAIM")


async def record_incident(
    cover: Cover, kind: str, unpaid: Money, occurred_on: date, now: datetime, actor: str
) -> Incident:
    """The incident row and its `incident.declared` event (C-6), declared on the cover's
    day. Call inside the transaction that made the cover's change."""
    incident = await Incident.create(
        id=new_id("inc"),
        cover_id=cover.id,
        kind=kind,
        unpaid_amount=unpaid.amount,
        currency=unpaid.currency,
        occurred_on=occurred_on,
        declared_on=now.date(),
        created_at=now,
    )
    await cover_events.record(
        cover,
        "incident.declared",
        actor=actor,
        now=now,
        data={"incidentId": incident.id, "kind": kind, "unpaid": str(unpaid.amount)},
    )
    return incident


def applies(cover: Cover, kind: str) -> bool:
    return cover.product == "TRANSPORT_INVOICE" and kind == INSOLVENCY and cover.status in STAGES


async def declare_during_stage(
    cover: Cover, unpaid: Money, occurred_on: date, now: datetime, actor: str
) -> tuple[Incident, Cover]:
    """Records the insolvency on a cover already in stage 1 or 2. Call outside a
    transaction; refuses a second insolvency."""
    async with in_transaction():
        if await Incident.filter(cover_id=cover.id, kind=INSOLVENCY).exists():
            raise DomainError(
                "INVALID_STATE",
                f"The insolvency of cover {cover.id} is already declared.",
                ("input", "kind"),
            )
        # Compare-and-set on the stage: a cover that lapsed meanwhile takes nothing.
        still = await Cover.filter(id=cover.id, status=cover.status).update(status=cover.status)
        if still != 1:
            raise DomainError(
                "INVALID_STATE", f"Cover {cover.id} changed meanwhile.", ("input", "coverId")
            )
        incident = await record_incident(cover, INSOLVENCY, unpaid, occurred_on, now, actor)
        await cover_life.sync_deadlines(cover)
    await cover.refresh_from_db()
    return incident, cover
