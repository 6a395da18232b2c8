"""C-6: every state change of a cover is an event row with time, actor and cause, written
in the transaction of the change, and reported to the partner by webhook (outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.services import event_sequence, webhooks
from domain.store.cover_models import Cover, CoverEvent
from domain.store.ids import new_id

SYSTEM = "system"


def partner_actor(partner_id: str) -> str:
    return f"partner:{partner_id}"


def staff_actor(staff_id: str) -> str:
    return f"staff:{staff_id}"


def cover_summary(cover: Cover) -> dict[str, Any]:
    return {
        "id": cover.id,
        "product": cover.product,
        "status": cover.status,
        "quoteId": cover.quote_id,
        "insuredAmount": {"amount": str(cover.insured_amount), "currency": cover.currency},
        "premium": {"amount": str(cover.premium), "currency": cover.currency},
    }


async def record(
    cover: Cover,
    event_type: str,
    *,
    actor: str,
    now: datetime,
    data: dict[str, Any] | None = None,
    webhook: bool = True,
    webhook_type: str | None = None,
) -> CoverEvent:
    """Call inside the transaction that made the change. `webhook=False` for internal
    steps that have no event type in the contract; `webhook_type` when the contract
    names the webhook differently from the event. The event takes the cover's next
    sequence number (LIFECYCLE 5a), which the webhook payload carries too."""
    details = data or {}
    sequence = await event_sequence.next_number(Cover, cover.id)
    cover.event_sequence = sequence
    event = await CoverEvent.create(
        id=new_id("evt"),
        cover_id=cover.id,
        sequence=sequence,
        type=event_type,
        occurred_at=now,
        actor=actor,
        data=details,
    )
    if webhook:
        await webhooks.emit(
            cover.partner_id,
            webhook_type or event_type,
            {"cover": cover_summary(cover), "sequence": sequence, **details},
            now,
        )
    return event
