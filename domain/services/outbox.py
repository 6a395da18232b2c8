"""The outbox (STYLE: enqueue after commit): jobs are rows written in the business
transaction, pushed to Redis by the relay once committed. A rollback sends nothing; a
crash after commit is picked up by the next relay pass."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from domain.store.ids import new_id
from domain.store.models import OutboxMessage

#: A relay pass owns the rows it took for this long; after that another pass may retry.
CLAIM_LEASE = timedelta(seconds=30)

#: send(actor_name, payload, message_id): blocking (dramatiq's send), run in a thread.
Sender = Callable[[str, dict[str, Any], str], None]


async def enqueue(actor: str, payload: dict[str, Any], now: datetime) -> OutboxMessage:
    """Write a job row; call inside the business transaction."""
    return await OutboxMessage.create(
        id=new_id("msg"), actor=actor, payload=payload, created_at=now
    )


async def relay_once(send: Sender, now: datetime, limit: int = 100) -> int:
    """Publish unpublished rows, each claimed by compare-and-set so two relays do not
    both send it. Delivery stays at-least-once: actors are idempotent."""
    candidates = (
        await OutboxMessage.filter(published_at__isnull=True)
        .order_by("created_at")
        .limit(limit)
        .values_list("id", "claimed_until")
    )
    published = 0
    for message_id, claimed_until in candidates:
        if claimed_until is not None and claimed_until > now:
            continue
        taken = await OutboxMessage.filter(
            id=message_id, published_at__isnull=True, claimed_until=claimed_until
        ).update(claimed_until=now + CLAIM_LEASE)
        if taken != 1:
            continue
        message = await OutboxMessage.get(id=message_id)
        await asyncio.to_thread(send, message.actor, message.payload, message.id)
        await OutboxMessage.filter(id=message_id).update(published_at=now)
        published += 1
    return published
