"""The outbox (STYLE: enqueue after commit): rows written in the business transaction,
nothing for a rollback, each row published once by compare-and-set claims."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from domain.services import heartbeat, outbox
from domain.store.models import OutboxMessage, WorkerHeartbeat

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


async def test_a_rolled_back_transaction_leaves_no_outbox_row(db):
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await outbox.enqueue("system.heartbeat", {"source": "x"}, NOW)
            raise RuntimeError("business failure")
    assert await OutboxMessage.all().count() == 0


async def test_relay_publishes_each_row_once(db):
    sent: list[tuple[str, str]] = []
    first = await heartbeat.request_heartbeat("a", NOW)
    second = await heartbeat.request_heartbeat("b", NOW)
    assert await outbox.relay_once(lambda actor, payload, mid: sent.append((actor, mid)), NOW) == 2
    assert await outbox.relay_once(lambda actor, payload, mid: sent.append((actor, mid)), NOW) == 0
    assert sent == [("system.heartbeat", first.id), ("system.heartbeat", second.id)]
    assert await OutboxMessage.filter(published_at__isnull=True).count() == 0


async def test_two_concurrent_relays_do_not_both_send_a_row(db):
    sent: list[str] = []
    for i in range(20):
        await heartbeat.request_heartbeat(f"s{i}", NOW)
    await asyncio.gather(
        outbox.relay_once(lambda a, p, mid: sent.append(mid), NOW),
        outbox.relay_once(lambda a, p, mid: sent.append(mid), NOW),
    )
    assert len(sent) == 20 and len(set(sent)) == 20


async def test_a_row_whose_send_failed_is_retried_after_a_short_pause_not_the_lease(db):
    message = await heartbeat.request_heartbeat("a", NOW)

    def broken(actor, payload, mid):
        raise ConnectionError("redis down")

    with pytest.raises(ConnectionError):
        await outbox.relay_once(broken, NOW)
    sent: list[str] = []
    assert await outbox.relay_once(lambda a, p, mid: sent.append(mid), NOW) == 0  # paused
    later = NOW + outbox.RETRY_AFTER_FAILED_SEND + timedelta(seconds=1)
    assert later < NOW + outbox.CLAIM_LEASE
    assert await outbox.relay_once(lambda a, p, mid: sent.append(mid), later) == 1
    assert sent == [message.id]


async def test_a_row_whose_publisher_died_mid_send_waits_for_the_lease(db):
    """A crash (no exception handled) leaves the claim in place: the row may be being sent
    right now by a live publisher, so others wait for the whole lease."""
    message = await heartbeat.request_heartbeat("a", NOW)
    await OutboxMessage.filter(id=message.id).update(claimed_until=NOW + outbox.CLAIM_LEASE)
    sent: list[str] = []
    soon = NOW + outbox.RETRY_AFTER_FAILED_SEND + timedelta(seconds=1)
    assert await outbox.relay_once(lambda a, p, mid: sent.append(mid), soon) == 0
    later = NOW + outbox.CLAIM_LEASE + timedelta(seconds=1)
    assert await outbox.relay_once(lambda a, p, mid: sent.append(mid), later) == 1
    assert sent == [message.id]


async def test_heartbeat_actor_counts_a_redelivered_message_once(db):
    assert await heartbeat.record_heartbeat("w", "msg_1", NOW) is True
    assert await heartbeat.record_heartbeat("w", "msg_1", NOW) is False
    assert await heartbeat.record_heartbeat("w", "msg_2", NOW) is True
    row = await WorkerHeartbeat.get(name="w")
    assert (row.beats, row.last_message_id) == (2, "msg_2")
