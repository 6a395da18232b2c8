"""`tradecover webhooks replay --since` (issue 9): FAILED deliveries go back in the queue
once, with the same webhook-id; deleted endpoints never, disabled ones only on request."""

from __future__ import annotations

import asyncio
import os
import subprocess
from datetime import timedelta
from pathlib import Path

from domain.services import webhook_replay, webhooks
from domain.store.webhook_models import WebhookDelivery, WebhookEndpoint

# The fixtures `receiver` and `http` come from test_webhook_delivery.
from tests.workers.test_webhook_delivery import drive, http, real_now, receiver, setup_delivery  # noqa: F401

REPO = Path(__file__).resolve().parents[2]


async def _fail_all(deliveries, http_client, now) -> None:  # noqa: F811
    for delivery in deliveries:
        status, _ = await drive(delivery.id, http_client, now)
        assert status == webhooks.FAILED


async def test_failed_deliveries_since_the_date_are_replayed_with_the_same_webhook_id(
    db,
    receiver,  # noqa: F811
    http,  # noqa: F811
):
    now = real_now()
    receiver.default = 500
    _, endpoint, _, deliveries = await setup_delivery(receiver, now, events=2)
    await _fail_all(deliveries, http, now)
    first_ids = {r.headers["webhook-id"] for r in receiver.received}
    await WebhookEndpoint.filter(id=endpoint.id).update(enabled=True)  # still on after 2

    ids = await webhook_replay.failed_since(now - timedelta(minutes=1))
    assert ids == [d.id for d in deliveries]
    outcome = await webhook_replay.replay(ids, now)
    assert outcome.requeued == ids and outcome.skipped == []
    assert await webhooks.due_deliveries(now) == ids

    receiver.default = 200
    receiver.received.clear()
    for delivery_id in ids:
        assert await webhooks.deliver(delivery_id, now, http) == webhooks.SUCCEEDED
    assert {r.headers["webhook-id"] for r in receiver.received} == first_ids
    assert len(receiver.received) == 2


async def test_deliveries_before_the_date_and_succeeded_ones_are_left_alone(
    db,
    receiver,  # noqa: F811
    http,  # noqa: F811
):
    now = real_now()
    _, _, _, deliveries = await setup_delivery(receiver, now, events=1)
    assert await webhooks.deliver(deliveries[0].id, now, http) == webhooks.SUCCEEDED
    assert await webhook_replay.failed_since(now - timedelta(days=1)) == []

    receiver.default = 500
    _, _, _, failing = await setup_delivery(receiver, now, events=1)
    await _fail_all(failing, http, now)
    assert await webhook_replay.failed_since(now + timedelta(seconds=1)) == []
    assert await webhook_replay.failed_since(now) == [failing[0].id]


async def test_a_replay_run_twice_at_once_requeues_each_delivery_once(
    db,
    receiver,  # noqa: F811
    http,  # noqa: F811
):
    now = real_now()
    receiver.default = 500
    _, _, _, deliveries = await setup_delivery(receiver, now, events=3)
    await _fail_all(deliveries, http, now)
    ids = [d.id for d in deliveries]
    first, second = await asyncio.gather(
        webhook_replay.replay(ids, now), webhook_replay.replay(ids, now)
    )
    assert sorted(first.requeued + second.requeued) == sorted(ids)
    assert len(first.skipped) + len(second.skipped) == 3


async def test_deleted_endpoints_are_never_replayed_and_disabled_ones_only_with_reenable(
    db,
    receiver,  # noqa: F811
    http,  # noqa: F811
):
    now = real_now()
    receiver.default = 500
    _, endpoint, _, deliveries = await setup_delivery(receiver, now, events=1)
    await _fail_all(deliveries, http, now)
    ids = [deliveries[0].id]

    await WebhookEndpoint.filter(id=endpoint.id).update(enabled=False, disabled_reason="x")
    refused = await webhook_replay.replay(ids, now)
    assert refused.requeued == [] and refused.skipped == [(ids[0], "endpoint disabled")]
    assert (await WebhookDelivery.get(id=ids[0])).status == webhooks.FAILED

    accepted = await webhook_replay.replay(ids, now, reenable=True)
    assert accepted.requeued == ids and accepted.reenabled_endpoints == [endpoint.id]
    row = await WebhookEndpoint.get(id=endpoint.id)
    assert row.enabled and row.consecutive_failures == 0 and row.disabled_reason is None

    await _fail_all(deliveries, http, now)
    await WebhookEndpoint.filter(id=endpoint.id).update(deleted_at=now)
    gone = await webhook_replay.replay(ids, now, reenable=True)
    assert gone.requeued == [] and gone.skipped == [(ids[0], "endpoint deleted")]


async def test_the_cli_replays_and_reports_what_it_skipped(
    db,
    receiver,  # noqa: F811
    http,  # noqa: F811
):
    now = real_now()
    receiver.default = 500
    _, endpoint, _, deliveries = await setup_delivery(receiver, now, events=2)
    await _fail_all(deliveries, http, now)
    await WebhookEndpoint.filter(id=endpoint.id).update(enabled=False)
    since = (now - timedelta(minutes=5)).isoformat()
    env = {**os.environ, "TRADECOVER_DATABASE_URL": db}
    command = [str(REPO / ".venv/bin/tradecover"), "webhooks", "replay", "--since", since]

    refused = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 0, refused.stderr
    assert "requeued 0 deliveries" in refused.stdout
    assert "skipped 2: endpoint disabled" in refused.stdout

    done = await asyncio.to_thread(
        subprocess.run,
        [*command, "--reenable"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "requeued 2 deliveries" in done.stdout
    statuses = await WebhookDelivery.filter(id__in=[d.id for d in deliveries]).values_list(
        "status", flat=True
    )
    assert sorted(statuses) == [webhooks.PENDING, webhooks.PENDING]
