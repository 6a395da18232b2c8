"""Every actor of tradecover. Each runs one job of workers/jobs.py and is idempotent:
delivery is at least once, so a redelivered message must change nothing more."""

from __future__ import annotations

import dramatiq

from workers import webhook_actors  # noqa: F401  (registers webhook.deliver)
from workers.broker import broker
from workers.jobs import JOBS


@dramatiq.actor(actor_name="system.heartbeat", broker=broker, max_retries=3)
async def system_heartbeat(source: str, outbox_id: str) -> None:
    await JOBS["system.heartbeat"](source, outbox_id)


@dramatiq.actor(
    actor_name="cover.confirm_feasibility",
    broker=broker,
    max_retries=20,
    min_backoff=200,
    max_backoff=30_000,
)
async def confirm_feasibility(cover_id: str, outbox_id: str | None = None) -> None:
    await JOBS["cover.confirm_feasibility"](cover_id)


@dramatiq.actor(
    actor_name="payment_hold.capture",
    broker=broker,
    max_retries=20,
    min_backoff=500,
    max_backoff=60_000,
)
async def capture_payment_hold(cover_id: str, outbox_id: str | None = None) -> None:
    await JOBS["payment_hold.capture"](cover_id)


@dramatiq.actor(
    actor_name="payment_hold.release",
    broker=broker,
    max_retries=20,
    min_backoff=500,
    max_backoff=60_000,
)
async def release_payment_hold(cover_id: str, outbox_id: str | None = None) -> None:
    await JOBS["payment_hold.release"](cover_id)


@dramatiq.actor(
    actor_name="claim.calculate_indemnity",
    broker=broker,
    max_retries=20,
    min_backoff=500,
    max_backoff=60_000,
)
async def calculate_indemnity(claim_id: str, outbox_id: str | None = None) -> None:
    await JOBS["claim.calculate_indemnity"](claim_id)


@dramatiq.actor(
    actor_name="policy_claim.calculate_indemnity",
    broker=broker,
    max_retries=20,
    min_backoff=500,
    max_backoff=60_000,
)
async def calculate_policy_indemnity(claim_id: str, outbox_id: str | None = None) -> None:
    await JOBS["policy_claim.calculate_indemnity"](claim_id)


@dramatiq.actor(actor_name="deadlines.sweep", broker=broker, max_retries=3)
async def sweep_deadlines(outbox_id: str | None = None) -> None:
    await JOBS["deadlines.sweep"]()
