"""What each job does: actor name -> the domain service it runs. Actors are thin
wrappers around this table, and tests run jobs inline through it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from domain.services import (
    activation,
    claims,
    deadline_sweep,
    heartbeat,
    holds,
    policy_claims,
    policy_sweep,
    top_up,
)


async def _heartbeat(source: str, outbox_id: str) -> Any:
    return await heartbeat.record_heartbeat(source, outbox_id, datetime.now(UTC))


async def _confirm(cover_id: str, outbox_id: str | None = None) -> Any:
    return await activation.confirm_feasibility(cover_id, datetime.now(UTC))


async def _capture(cover_id: str, outbox_id: str | None = None) -> Any:
    return await holds.capture_hold(cover_id, datetime.now(UTC))


async def _release(cover_id: str, outbox_id: str | None = None) -> Any:
    return await holds.release_hold(cover_id, datetime.now(UTC))


async def _indemnity(claim_id: str, outbox_id: str | None = None) -> Any:
    return await claims.calculate_indemnity(claim_id, datetime.now(UTC))


async def _policy_indemnity(claim_id: str, outbox_id: str | None = None) -> Any:
    return await policy_claims.calculate_indemnity(claim_id, datetime.now(UTC))


async def _sweep(outbox_id: str | None = None) -> Any:
    """Idempotent: every change it makes is a compare-and-set on the deadline row."""
    now = datetime.now(UTC)
    return (
        await deadline_sweep.sweep(now)
        + await policy_sweep.sweep(now)
        + await top_up.recompute_due_limits(now)
    )


JOBS: dict[str, Callable[..., Awaitable[Any]]] = {
    "system.heartbeat": _heartbeat,
    "cover.confirm_feasibility": _confirm,
    "payment_hold.capture": _capture,
    "payment_hold.release": _release,
    "claim.calculate_indemnity": _indemnity,
    "policy_claim.calculate_indemnity": _policy_indemnity,
    "deadlines.sweep": _sweep,
}
