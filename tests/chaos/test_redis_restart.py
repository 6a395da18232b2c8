"""Issue 8, chaos 2: Redis restarted, gracefully then by a crash, during a burst of binds
and webhook deliveries.

This test runs its own redis-server (the binary the session's fixture uses,
tradecover/redis_server.py), with an append-only file, so restarting it disturbs no
other test; each restart keeps its port and data directory. Two real dramatiq workers
and the real scheduler run on it. The test process binds TR covers of a partner whose
webhook endpoint is a local receiver (signatures verified per Standard Webhooks, each
`webhook-id` counted); every bind publishes its job right after its commit, and every
cover sends three webhooks (pending confirmation, activated or declined, hold captured
or released). A third of the way into the burst Redis is stopped (SIGTERM) and started
again; two thirds in, it is SIGKILLed and started again. Publishes, relay passes, job
fetches and acks fail while it is down.

Pass: every outbox row published, every cover decided once with its hold captured or
released once (hold table, events, card ledger), every webhook delivery SUCCEEDED and
the receiver got every event exactly once (no `webhook-id` twice, no cover and event
type twice), nothing left in Redis; within 2 minutes of the last restart.

Measured on the 2-core machine: about 45 s, 20-25 publishes failing while Redis is down;
everything settles about 30 s after the last restart because a row whose send failed
stays claimed for the outbox's 30 s lease before the relay retries it (by design:
tests/services/test_outbox.py, "retried after the lease").
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from domain.services import outbox, webhook_endpoints
from tests.chaos.support import (
    AMOUNT,
    Processes,
    RedisSender,
    assert_covers_settled_exactly_once,
    bind_tr,
    broker_backlog,
    freight_partner,
    record,
    stack_env,
    unsettled,
    wait_until,
)
from tests.support.http_receiver import LocalHTTPServer
from tradecover.redis_server import RedisServer, free_port

pytestmark = [pytest.mark.chaos, pytest.mark.slow]

COVERS = 90
BUYERS = 9
BIND_SECONDS = 9.0
DOWN_SECONDS = 1.0
SETTLE_DEADLINE = 120.0


class Receiver:
    """The partner's endpoint: verifies each POST and counts it by `webhook-id`."""

    def __init__(self) -> None:
        self.secret = ""
        self.posts: collections.Counter[str] = collections.Counter()
        self.payloads: dict[str, dict[str, Any]] = {}
        self.refused: list[str] = []
        self.lock = threading.Lock()
        self.http = LocalHTTPServer(lambda path, headers, body: self.receive(headers, body))
        self.url = f"{self.http.base}/hooks"

    def receive(self, headers: dict[str, str], body: bytes) -> int:
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError as error:
            with self.lock:
                self.refused.append(str(error))
            return 400
        with self.lock:
            self.posts[headers["webhook-id"]] += 1
            self.payloads[headers["webhook-id"]] = payload
        return 204

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis", port=free_port(), persist=True).start()
    yield server
    server.stop()


def crash(server: RedisServer) -> None:
    assert server.process is not None
    server.process.kill()
    server.process.wait()
    server.process = None


class CountingSender(RedisSender):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.failed = 0

    def __call__(self, actor: str, payload: dict[str, Any], outbox_id: str) -> None:
        try:
            super().__call__(actor, payload, outbox_id)
        except Exception:
            self.failed += 1
            raise


async def test_redis_restarts_during_a_burst_lose_no_job_and_repeat_no_webhook(
    sqlite_db: str, gateways: None, own_redis: RedisServer, receiver: Receiver, tmp_path: Path
) -> None:
    from domain.store.models import OutboxMessage
    from domain.store.webhook_models import WebhookDelivery, WebhookEvent

    url = own_redis.url
    env = stack_env(sqlite_db, url, tmp_path / "var")
    processes = Processes(tmp_path)
    sender = CountingSender(url)
    started = time.monotonic()
    restarts: list[str] = []
    try:
        workers = ["worker-a", "worker-b"]
        for name in workers:
            processes.worker(name, env)
        processes.scheduler(env)
        principal = await freight_partner()
        _, receiver.secret = await webhook_endpoints.register_endpoint(
            principal, receiver.url, ["*"], datetime.now(UTC), allow_private=True
        )

        async def booted() -> bool:
            return all(processes.ready(name) for name in workers)

        await wait_until(booted, 60, "the workers to boot", processes.diagnostics)
        outbox.set_sender(sender)

        async def restart(kind: str) -> None:
            if kind == "graceful":
                await asyncio.to_thread(own_redis.stop)
            else:
                crash(own_redis)
            await asyncio.sleep(DOWN_SECONDS)
            await asyncio.to_thread(own_redis.start)
            restarts.append(kind)

        cover_ids: list[str] = []
        burst = time.monotonic()
        for n in range(COVERS):
            if n == COVERS // 3:
                restarting = asyncio.create_task(restart("graceful"))
            if n == 2 * COVERS // 3:
                await restarting
                restarting = asyncio.create_task(restart("crash"))
            cover = await bind_tr(principal, f"R{n % BUYERS:03d}", AMOUNT, datetime.now(UTC))
            cover_ids.append(cover.id)
            ahead = burst + BIND_SECONDS * (n + 1) / COVERS - time.monotonic()
            if ahead > 0:
                await asyncio.sleep(ahead)
        await restarting
        last_restart = time.monotonic()

        async def settled() -> bool:
            assert not processes.exited(), processes.diagnostics()
            return not any((await unsettled()).values()) and not broker_backlog(url)["pending"]

        settle_seconds = await wait_until(
            settled,
            SETTLE_DEADLINE,
            "every job and webhook after the Redis restarts",
            lambda: f"{processes.diagnostics()}\n{receiver.posts}",
        )
        await asyncio.sleep(1.0)  # a duplicate delivery in flight would land by now
    finally:
        outbox.set_sender(None)
        processes.stop_all()
        sender.close()

    outcomes = await assert_covers_settled_exactly_once(cover_ids)
    assert await unsettled() == {"covers": 0, "holds": 0, "outbox": 0, "webhooks": 0}
    assert await OutboxMessage.filter(published_at__isnull=True).count() == 0
    assert broker_backlog(url) == {"pending": 0, "dead": 0}
    assert restarts == ["graceful", "crash"]

    deliveries = await WebhookDelivery.all().values_list("status", flat=True)
    assert set(deliveries) == {"SUCCEEDED"} and len(deliveries) == 3 * COVERS
    events = set(await WebhookEvent.all().values_list("id", flat=True))
    assert receiver.refused == []
    assert set(receiver.posts) == events  # every event reached the partner...
    repeated = {msg_id: n for msg_id, n in receiver.posts.items() if n > 1}
    assert repeated == {}  # ...once
    effects = collections.Counter(
        (p["data"]["cover"]["id"], p["type"]) for p in receiver.payloads.values()
    )
    assert max(effects.values()) == 1 and len(effects) == 3 * COVERS
    record(
        "redis_restart",
        {
            "covers": COVERS,
            **outcomes,
            "redis_restarts_survived": len(restarts),
            "restart_kinds": restarts,
            "redis_down_s_each": DOWN_SECONDS,
            "publishes_failed_in_test_process": sender.failed,
            "webhooks_delivered": sum(receiver.posts.values()),
            "webhook_events": len(events),
            "webhooks_posted_twice": len(repeated),
            "settled_after_last_restart_s": round(settle_seconds, 1),
            "since_last_restart_s": round(time.monotonic() - last_restart, 1),
            "wall_s": round(time.monotonic() - started, 1),
        },
    )
