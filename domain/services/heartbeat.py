"""Worker heartbeat: the scheduler writes an outbox job, a worker records it.

It proves the whole path (database -> relay -> Redis -> worker -> database) in
production, and `/healthz` can tell how long ago a worker last answered.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from domain.services import outbox
from domain.store.models import OutboxMessage, WorkerHeartbeat

ACTOR = "system.heartbeat"


async def request_heartbeat(source: str, now: datetime) -> OutboxMessage:
    async with in_transaction():
        return await outbox.enqueue(ACTOR, {"source": source}, now)


async def record_heartbeat(source: str, message_id: str, now: datetime) -> bool:
    """Counts a heartbeat once per message, whatever the redeliveries. True if counted."""
    await WorkerHeartbeat.get_or_create(
        name=source, defaults={"beats": 0, "last_seen": now, "last_message_id": None}
    )
    counted = await WorkerHeartbeat.filter(
        Q(last_message_id__isnull=True) | ~Q(last_message_id=message_id), name=source
    ).update(beats=F("beats") + 1, last_message_id=message_id, last_seen=now)
    return counted == 1


async def last_seen(source: str) -> datetime | None:
    row = await WorkerHeartbeat.filter(name=source).first()
    return row.last_seen if row else None
