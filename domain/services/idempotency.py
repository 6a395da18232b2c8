"""Idempotency keys (contract): one effect per (principal, key), the first response replayed.

The claim is an INSERT guarded by a unique (principal, key) index, so two concurrent
requests with one key cannot both run: the loser waits for the winner's response.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from domain.store.models import IdempotencyRecord

#: Keys are kept at least this long (contract: at least 24 h).
RETENTION = timedelta(hours=48)
IN_PROGRESS = "IN_PROGRESS"
DONE = "DONE"


class Claim(enum.Enum):
    NEW = "new"  # this request owns the key: run it, then complete() or abandon()
    REPLAY = "replay"  # same key, same body, finished: answer `response`
    MISMATCH = "mismatch"  # same key, another body: IDEMPOTENCY_KEY_REUSED
    IN_PROGRESS = "in_progress"  # same key, same body, still running elsewhere


@dataclass(frozen=True)
class ClaimResult:
    outcome: Claim
    response: Any = None


async def claim_key(principal: str, key: str, request_hash: str, now: datetime) -> ClaimResult:
    for _ in range(3):
        try:
            await IdempotencyRecord.create(
                principal=principal,
                key=key,
                request_hash=request_hash,
                status=IN_PROGRESS,
                created_at=now,
            )
            return ClaimResult(Claim.NEW)
        except IntegrityError:
            existing = await IdempotencyRecord.filter(principal=principal, key=key).first()
            if existing is None:
                continue  # abandoned between our insert and read: try again
            if existing.created_at < now - RETENTION:
                await IdempotencyRecord.filter(id=existing.id).delete()
                continue
            if existing.request_hash != request_hash:
                return ClaimResult(Claim.MISMATCH)
            if existing.status == DONE:
                return ClaimResult(Claim.REPLAY, existing.response)
            return ClaimResult(Claim.IN_PROGRESS)
    return ClaimResult(Claim.IN_PROGRESS)


async def complete(principal: str, key: str, response: Any) -> None:
    await IdempotencyRecord.filter(principal=principal, key=key, status=IN_PROGRESS).update(
        status=DONE, response=response
    )


async def abandon(principal: str, key: str) -> None:
    """Frees a key whose request failed before answering, so a retry can run it."""
    await IdempotencyRecord.filter(principal=principal, key=key, status=IN_PROGRESS).delete()


async def purge_expired(now: datetime) -> int:
    return await IdempotencyRecord.filter(created_at__lt=now - RETENTION).delete()
