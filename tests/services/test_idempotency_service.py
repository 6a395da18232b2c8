"""Idempotency records on real storage: one claim per (principal, key), retention 48 h."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from domain.services import idempotency
from domain.services.idempotency import Claim
from domain.store.models import IdempotencyRecord

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


async def test_first_claim_is_new_then_replay_after_complete(db):
    assert (await idempotency.claim_key("ptn_a", "k", "h1", NOW)).outcome is Claim.NEW
    assert (await idempotency.claim_key("ptn_a", "k", "h1", NOW)).outcome is Claim.IN_PROGRESS
    await idempotency.complete("ptn_a", "k", {"data": {"x": 1}})
    replay = await idempotency.claim_key("ptn_a", "k", "h1", NOW)
    assert replay.outcome is Claim.REPLAY
    assert replay.response == {"data": {"x": 1}}


async def test_other_body_with_same_key_is_a_mismatch(db):
    await idempotency.claim_key("ptn_a", "k", "h1", NOW)
    assert (await idempotency.claim_key("ptn_a", "k", "h2", NOW)).outcome is Claim.MISMATCH


async def test_concurrent_claims_have_exactly_one_winner(db):
    outcomes = await asyncio.gather(
        *[idempotency.claim_key("ptn_a", "race", "h", NOW) for _ in range(10)]
    )
    assert [o.outcome for o in outcomes].count(Claim.NEW) == 1
    assert await IdempotencyRecord.filter(key="race").count() == 1


async def test_abandoned_key_can_be_claimed_again(db):
    await idempotency.claim_key("ptn_a", "k", "h1", NOW)
    await idempotency.abandon("ptn_a", "k")
    assert (await idempotency.claim_key("ptn_a", "k", "h2", NOW)).outcome is Claim.NEW


async def test_keys_are_kept_48_hours_then_purged(db):
    await idempotency.claim_key("ptn_a", "old", "h", NOW)
    await idempotency.complete("ptn_a", "old", {"data": None})
    assert await idempotency.purge_expired(NOW + timedelta(hours=47)) == 0
    assert await idempotency.purge_expired(NOW + timedelta(hours=48, seconds=1)) == 1
