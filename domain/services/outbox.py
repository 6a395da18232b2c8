"""The outbox (STYLE: enqueue after commit): jobs are rows written in the business
transaction, pushed to Redis once committed. A rollback sends nothing; a crash between
commit and push is picked up by the scheduler's relay pass.

Each process registers how to send (`set_sender`, dramatiq in the API and workers);
services call `publish` right after their commit so jobs start within milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from domain.services import faults
from domain.store.ids import new_id
from domain.store.models import OutboxMessage

log = logging.getLogger("tradecover.outbox")

#: A publisher owns the rows it took for this long; after that another pass may retry.
CLAIM_LEASE = timedelta(seconds=30)
#: After a send that failed (Redis away), the row is retried this soon, not after the
#: whole lease: nobody is sending it any more. Measured in tests/chaos: a Redis restart
#: delayed jobs ~29 s with the lease, ~4.5 s with a short pause.
RETRY_AFTER_FAILED_SEND = timedelta(seconds=2)

#: send(actor_name, payload, message_id): blocking (dramatiq's send), run in a thread.
Sender = Callable[[str, dict[str, Any], str], None]

_sender: Sender | None = None


def set_sender(sender: Sender | None) -> None:
    """Register this process's way to send jobs (None: leave them to the relay)."""
    global _sender
    _sender = sender


async def enqueue(actor: str, payload: dict[str, Any], now: datetime) -> OutboxMessage:
    """Write a job row; call inside the business transaction."""
    message = await OutboxMessage.create(
        id=new_id("msg"), actor=actor, payload=payload, created_at=now
    )
    await faults.checkpoint("outbox.enqueued")  # crash tests: before the commit
    return message


async def _publish_one(
    message_id: str, claimed_until: datetime | None, send: Sender, now: datetime
) -> bool:
    """Claim a row by compare-and-set, send it, mark it published. False if taken."""
    taken = await OutboxMessage.filter(
        id=message_id, published_at__isnull=True, claimed_until=claimed_until
    ).update(claimed_until=now + CLAIM_LEASE)
    if taken != 1:
        return False
    message = await OutboxMessage.get(id=message_id)
    try:
        await asyncio.to_thread(send, message.actor, message.payload, message.id)
    except Exception:
        # Possibly sent anyway (a timeout after the write): actors are idempotent.
        await OutboxMessage.filter(id=message_id, published_at__isnull=True).update(
            claimed_until=now + RETRY_AFTER_FAILED_SEND
        )
        raise
    await faults.checkpoint("outbox.after_send")  # crash tests: sent, not marked
    await OutboxMessage.filter(id=message_id).update(published_at=now)
    return True


async def publish(messages: Iterable[OutboxMessage], now: datetime) -> None:
    """Send just-committed rows now. Failures are left for the relay, never raised:
    the business change is committed and its jobs are safe in the table."""
    messages = list(messages)
    if messages:
        await faults.checkpoint("outbox.before_publish")  # crash tests: committed, not sent
    if _sender is None:
        return
    for message in messages:
        try:
            await _publish_one(message.id, None, _sender, now)
        except Exception:
            log.warning("publish of %s failed; the relay will retry", message.id, exc_info=True)


async def relay_once(send: Sender, now: datetime, limit: int = 100) -> int:
    """Publish rows nobody published (crash after commit, failed publish). Two relays
    cannot both take a row; delivery stays at-least-once, so actors are idempotent."""
    candidates = (
        await OutboxMessage.filter(published_at__isnull=True)
        .order_by("created_at", "id")  # ids break ties of a frozen test clock
        .limit(limit)
        .values_list("id", "claimed_until")
    )
    published = 0
    for message_id, claimed_until in candidates:
        if claimed_until is not None and claimed_until > now:
            continue
        if await _publish_one(message_id, claimed_until, send, now):
            published += 1
    return published
