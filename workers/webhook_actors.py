"""The `webhook.deliver` actor and the scheduler's re-send of due deliveries
(LIFECYCLE 6). Thin: the rules of delivery live in domain/services/webhooks.py.

`max_retries=0`: a failed attempt is data (next_attempt_at), retried by the scheduler
through `requeue_due_webhooks`, not by dramatiq's own retries.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import dramatiq
import httpx

from domain.services import webhooks
from tradecover.settings import get_settings
from workers.broker import broker

#: One client per worker process, made on first use on the AsyncIO middleware's loop.
_http: httpx.AsyncClient | None = None

#: The scheduler does not re-send a delivery it sent less than this long ago: a due
#: delivery stays due until a worker claims it, and a busy queue must not fill up.
REQUEUE_GAP_SECONDS = 60.0
_requeued: dict[str, float] = {}


def http_client() -> httpx.AsyncClient:
    global _http
    if _http is None:
        _http = httpx.AsyncClient(
            timeout=webhooks.TIMEOUT_SECONDS,
            follow_redirects=False,
            headers={"user-agent": "tradecover-webhooks/1"},
        )
    return _http


@dramatiq.actor(actor_name=webhooks.DELIVER_ACTOR, broker=broker, max_retries=0)
async def deliver_webhook(delivery_id: str, outbox_id: str | None = None) -> None:
    await deliver_now(delivery_id)


async def deliver_now(delivery_id: str) -> None:
    """The actor's body, with this process's settings and client."""
    # Only sandbox partners' deliveries may reach private hosts, and not in production:
    # a live endpoint is checked at each send in dev and test too (private_hosts_allowed).
    await webhooks.deliver(
        delivery_id,
        datetime.now(UTC),
        http_client(),
        sandbox_private=get_settings().env != "production",
    )


async def requeue_due_webhooks(now: datetime) -> int:
    """Sends `webhook.deliver` for each due delivery (retries, and first attempts whose
    job was lost); returns how many were sent. For the scheduler process."""
    clock = time.monotonic()
    for delivery_id, sent_at in list(_requeued.items()):
        if clock - sent_at >= REQUEUE_GAP_SECONDS:
            del _requeued[delivery_id]
    sent = 0
    for delivery_id in await webhooks.due_deliveries(now):
        if delivery_id in _requeued:
            continue
        await asyncio.to_thread(deliver_webhook.send, delivery_id=delivery_id)
        _requeued[delivery_id] = clock
        sent += 1
    return sent
