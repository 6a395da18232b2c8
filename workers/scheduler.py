"""The scheduler process: relays the outbox and writes the periodic jobs.

One loop, one tick per `scheduler_interval_seconds`. Periodic jobs are outbox rows too,
so they travel the same path as business jobs. (Deadline sweeps are scheduled the same way.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from domain.services import activation, heartbeat, holds, idempotency, outbox
from domain.store.database import close_db, init_db
from tradecover.settings import get_settings
from tradecover.wiring import configure_process
from workers import webhook_actors
from workers.relay import relay

log = logging.getLogger("tradecover.scheduler")


async def tick(now: datetime, *, heartbeat_due: bool) -> int:
    if heartbeat_due:
        await heartbeat.request_heartbeat("scheduler", now)
        await idempotency.purge_expired(now)
        # LIFECYCLE 4: deadlines announced, missed, lapsed, by the `deadlines.sweep` actor.
        async with in_transaction():
            await outbox.enqueue("deadlines.sweep", {}, now)
    # LIFECYCLE 2: confirmation windows that closed; card authorisations that lapsed.
    await activation.expire_confirmation_windows(now)
    await holds.expire_holds(now)
    published = await relay(now)
    await webhook_actors.requeue_due_webhooks(now)
    return published


async def run_forever() -> None:
    settings = get_settings()
    configure_process(settings)
    await init_db(settings.resolved_database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    next_heartbeat = 0.0
    log.info("scheduler started")
    try:
        while not stop.is_set():
            due = time.monotonic() >= next_heartbeat
            if due:
                next_heartbeat = time.monotonic() + settings.heartbeat_interval_seconds
            try:
                await tick(datetime.now(UTC), heartbeat_due=due)
            except Exception:
                log.exception("scheduler tick failed; retrying next tick")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.scheduler_interval_seconds)
    finally:
        await close_db()
        log.info("scheduler stopped")
