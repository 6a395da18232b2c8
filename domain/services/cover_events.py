"""C-6: every state change of a cover is an event row with time, actor and cause, written
in the transaction of the change, and reported to the partner by webhook (outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.services import webhooks
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
        "quoteId": cover.quote_id,  # type: ignore[attr-defined]
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
) -> CoverEvent:
    """Call inside the transaction that made the change. `webhook=False` for internal
    steps that have no event type in the contract."""
    details = data or {}
    event = await CoverEvent.create(
        id=new_id("evt"),
        cover_id=cover.id,
        type=event_type,
        occurred_at=now,
        actor=actor,
        data=details,
    )
    if webhook:
        await webhooks.emit(
            cover.partner_id,  # type: ignore[attr-defined]
            event_type,
            {"cover": cover_summary(cover), **details},
            now,
        )
    return event
