"""Recoveries after the indemnity (FI-R1, and TR after its stage-2 payment): each is a
`recovery.recorded` cover event with the insurer's and the insured's shares, which the
claim lists (`Claim.recoveries`) and the webhook carries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from domain.rules.indemnity import recovery_split
from domain.services import cover_events
from domain.store.cover_models import Cover, CoverEvent

RECOVERY_RECORDED = "recovery.recorded"


@dataclass(frozen=True)
class Recovery:
    amount: Decimal
    insurer_share: Decimal
    insured_share: Decimal
    received_on: date
    #: the recovery event's place in the cover's sequence (LIFECYCLE 5a)
    sequence: int


async def record_recovery(
    cover: Cover,
    amount: Decimal,
    received_on: date,
    actor: str,
    now: datetime,
    payment_sequence: int | None = None,
) -> CoverEvent:
    """FI-R1: shared by coverage percentage. Call inside the transaction that recorded
    the payment (or, for a payment received after the indemnity day but recorded before
    the payment was marked, inside the paying transaction with its `payment_sequence`)."""
    insurer, insured = recovery_split(amount, cover.coverage_percent)
    data: dict[str, object] = {
        "amount": str(amount),
        "receivedOn": received_on.isoformat(),
        "insurerShare": str(insurer),
        "insuredShare": str(insured),
        "rule": "FI-R1",
    }
    if payment_sequence is not None:
        data["paymentSequence"] = payment_sequence
    return await cover_events.record(cover, RECOVERY_RECORDED, actor=actor, now=now, data=data)


def recovery_of(event: CoverEvent) -> Recovery:
    return Recovery(
        amount=Decimal(str(event.data["amount"])),
        insurer_share=Decimal(str(event.data["insurerShare"])),
        insured_share=Decimal(str(event.data["insuredShare"])),
        received_on=date.fromisoformat(str(event.data["receivedOn"])),
        sequence=event.sequence,
    )


async def by_cover(cover_ids: list[str]) -> dict[str, list[Recovery]]:
    """The recoveries of these covers in sequence order, in one query."""
    found: dict[str, list[Recovery]] = defaultdict(list)
    events = await CoverEvent.filter(
        cover_id__in=cover_ids or [""], type=RECOVERY_RECORDED
    ).order_by("cover_id", "sequence")
    for event in events:
        found[str(event.cover_id)].append(recovery_of(event))
    return found
