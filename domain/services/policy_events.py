"""C-6 for whole-turnover policies: every change is a PolicyEvent row written in the
transaction of the change, and a webhook to the partner (outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.services import event_sequence, webhooks
from domain.store.ids import new_id
from domain.store.policy_models import Policy, PolicyEvent


def policy_summary(policy: Policy) -> dict[str, Any]:
    return {"id": policy.id, "status": policy.status, "currency": policy.currency}


async def record(
    policy: Policy,
    event_type: str,
    *,
    actor: str,
    now: datetime,
    data: dict[str, Any] | None = None,
    webhook: bool = True,
) -> PolicyEvent:
    """Call inside the transaction that made the change. The event takes the policy's
    next sequence number (LIFECYCLE 5a), which the webhook payload carries too."""
    details = data or {}
    sequence = await event_sequence.next_number(Policy, policy.id)
    policy.event_sequence = sequence
    event = await PolicyEvent.create(
        id=new_id("pev"),
        policy_id=policy.id,
        sequence=sequence,
        type=event_type,
        occurred_at=now,
        actor=actor,
        data=details,
    )
    if webhook:
        await webhooks.emit(
            policy.partner_id,
            event_type,
            {"policy": policy_summary(policy), "sequence": sequence, **details},
            now,
        )
    return event
