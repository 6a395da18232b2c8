"""Sends committed outbox rows to Redis as dramatiq messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.services import outbox
from workers import actors  # noqa: F401  (the actors must be declared to be sent to)
from workers.broker import broker


def send_to_broker(actor_name: str, payload: dict[str, Any], outbox_id: str) -> None:
    actor = broker.get_actor(actor_name)
    actor.send_with_options(kwargs={**payload, "outbox_id": outbox_id})


async def relay(now: datetime) -> int:
    return await outbox.relay_once(send_to_broker, now)
