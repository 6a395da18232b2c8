"""Every actor of tradecover. Each calls one domain service and is idempotent: delivery
is at least once, so a redelivered message must change nothing more."""

from __future__ import annotations

from datetime import UTC, datetime

import dramatiq

from domain.services import heartbeat
from workers.broker import broker


@dramatiq.actor(actor_name="system.heartbeat", broker=broker, max_retries=3)
async def system_heartbeat(source: str, outbox_id: str) -> None:
    await heartbeat.record_heartbeat(source, outbox_id, datetime.now(UTC))
