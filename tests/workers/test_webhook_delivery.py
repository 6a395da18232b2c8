"""Webhook delivery against a real HTTP receiver on 127.0.0.1 (LIFECYCLE 6, Standard
Webhooks): signatures checked by the `standardwebhooks` verifier as a partner would,
retries with jittered exponential backoff and the same webhook-id, 410 Gone, attempts
running out, endpoints disabled after repeated failure, one POST for concurrent jobs,
and both secrets during a rotation.

`deliver` is driven directly with a moving `now`; the verifier checks timestamps against
the wall clock (5 minutes), so tests that verify start from the real time.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from tortoise.transactions import in_transaction

from domain.services import webhook_endpoints, webhooks
from domain.services.principals import Principal, create_partner
from domain.store.ids import new_id
from domain.store.webhook_models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A partner's endpoint: answers the scripted codes in order, then `default`."""

    url: str
    script: list[int] = field(default_factory=list)
    default: int = 200
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            self.received.append(Received(headers, body))
            return self.script.pop(0) if self.script else self.default


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            rec = holder["r"]
            code = rec.answer({k.lower(): v for k, v in self.headers.items()}, body)
            if rec.delay:
                time.sleep(rec.delay)
            self.send_response(code)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield holder["r"]
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as client:
        yield client


async def sandbox_partner(now: datetime, *, sandbox: bool = True) -> Principal:
    row, _ = await create_partner(
        name="Platform", kind="financing_platform", sandbox=sandbox, premium_rate=None, now=now
    )
    return Principal(partner_id=row.id, sandbox=sandbox)


async def setup_delivery(
    receiver: Receiver, now: datetime, *, events: int = 1
) -> tuple[Principal, WebhookEndpoint, str, list[WebhookDelivery]]:
    principal = await sandbox_partner(now)
    endpoint, secret = await webhook_endpoints.register_endpoint(
        principal, receiver.url, ["*"], now, allow_private=True
    )
    for n in range(events):
        async with in_transaction():
            await webhooks.emit(
                str(principal.partner_id), "cover.activated", {"cover": {"id": f"cov_{n}"}}, now
            )
    deliveries = await WebhookDelivery.filter(endpoint_id=endpoint.id).order_by("id")
    return principal, endpoint, secret, deliveries


async def drive(
    delivery_id: str, http: httpx.AsyncClient, now: datetime, *, rng: random.Random | None = None
) -> tuple[str, list[datetime]]:
    """Calls `deliver` at each next_attempt_at until the delivery is settled; returns the
    final status and the time of each attempt."""
    times: list[datetime] = []
    for _ in range(20):
        times.append(now)
        status = await webhooks.deliver(delivery_id, now, http, rng=rng)
        if status != "PENDING":
            return status, times
        row = await WebhookDelivery.get(id=delivery_id)
        assert row.next_attempt_at is not None and row.next_attempt_at > now
        now = row.next_attempt_at
    raise AssertionError("delivery never settled")


def real_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def test_a_delivery_is_signed_per_standard_webhooks_and_verifies_independently(
    db, receiver, http
):
    now = real_now()
    _, endpoint, secret, [delivery] = await setup_delivery(receiver, now)

    assert await webhooks.deliver(delivery.id, now, http) == "SUCCEEDED"

    [got] = receiver.received
    event = await WebhookEvent.get(id=delivery.event_id)
    assert Webhook(secret).verify(got.body, got.headers) == event.payload
    assert got.headers["webhook-id"] == event.id
    assert got.headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert got.headers["content-type"] == "application/json"
    assert event.payload["type"] == "cover.activated"
    assert event.payload["data"] == {"cover": {"id": "cov_0"}}
    with pytest.raises(WebhookVerificationError):
        Webhook(webhook_endpoints.new_secret()).verify(got.body, got.headers)
    row = await WebhookDelivery.get(id=delivery.id)
    assert (row.status, row.attempts, row.last_response_code) == ("SUCCEEDED", 1, 200)
    assert row.next_attempt_at is None
    attempts = await WebhookAttempt.filter(delivery_id=delivery.id)
    assert [a.response_code for a in attempts] == [200]


async def test_retries_after_500s_deliver_exactly_once_with_the_same_webhook_id(db, receiver, http):
    receiver.script = [500, 500]
    now = real_now()
    _, _, secret, [delivery] = await setup_delivery(receiver, now)

    assert await webhooks.deliver(delivery.id, now, http) == "PENDING"
    row = await WebhookDelivery.get(id=delivery.id)
    assert row.attempts == 1 and row.last_response_code == 500
    early = row.next_attempt_at - timedelta(seconds=1)
    assert await webhooks.deliver(delivery.id, early, http) == "PENDING"  # not due: no POST
    assert len(receiver.received) == 1

    status, _ = await drive(delivery.id, http, row.next_attempt_at)

    assert status == "SUCCEEDED"
    assert len(receiver.received) == 3
    assert {r.headers["webhook-id"] for r in receiver.received} == {delivery.event_id}
    for got in receiver.received:
        Webhook(secret).verify(got.body, got.headers)
    assert len({r.body for r in receiver.received}) == 1  # the frozen payload
    attempts = await WebhookAttempt.filter(delivery_id=delivery.id).order_by("id")
    assert [a.response_code for a in attempts] == [500, 500, 200]
    assert (await WebhookDelivery.get(id=delivery.id)).attempts == 3
    later = datetime.now(UTC) + timedelta(days=2)
    assert await webhooks.deliver(delivery.id, later, http) == "SUCCEEDED"  # redelivered job
    assert len(receiver.received) == 3


def test_backoff_grows_exponentially_with_jitter_over_about_a_day():
    policy = webhooks.RETRY
    nominal = [
        min(30 * 4 ** (n - 1), 12 * 3600) for n in range(1, policy.max_attempts)
    ]  # waits between the 8 attempts
    assert nominal == [30, 120, 480, 1920, 7680, 30720, 43200]
    assert 20 * 3600 < sum(nominal) < 28 * 3600  # "about a day"
    rng = random.Random(1)
    waits = [webhooks.backoff(n, rng).total_seconds() for n in range(1, policy.max_attempts)]
    for wait, base in zip(waits, nominal, strict=True):
        assert base * 0.8 <= wait <= base * 1.2
    assert waits == sorted(waits)
    samples = {webhooks.backoff(3, random.Random(seed)) for seed in range(20)}
    assert len(samples) == 20  # jittered: retries of many deliveries spread out
    assert webhooks.backoff(3, random.Random(5)) == webhooks.backoff(3, random.Random(5))


async def test_a_failed_attempt_waits_the_jittered_backoff(db, receiver, http):
    receiver.default = 503
    now = real_now()
    _, _, _, [delivery] = await setup_delivery(receiver, now)
    _, times = await drive(delivery.id, http, now, rng=random.Random(42))
    expected = random.Random(42)
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert gaps == [webhooks.backoff(n, expected) for n in range(1, 8)]
    assert all(b > a for a, b in zip(gaps, gaps[1:], strict=False))


async def test_410_gone_fails_the_delivery_and_disables_the_endpoint(db, receiver, http):
    receiver.script = [410]
    now = real_now()
    principal, endpoint, _, [delivery] = await setup_delivery(receiver, now)

    assert await webhooks.deliver(delivery.id, now, http) == "FAILED"

    row = await WebhookDelivery.get(id=delivery.id)
    assert (row.attempts, row.last_response_code) == (1, 410)
    disabled = await WebhookEndpoint.get(id=endpoint.id)
    assert not disabled.enabled and disabled.disabled_reason == "endpoint answered 410 Gone"
    async with in_transaction():
        await webhooks.emit(str(principal.partner_id), "cover.declined", {}, now)
    assert await WebhookDelivery.filter(endpoint_id=endpoint.id).count() == 1


async def test_eight_failed_attempts_end_the_delivery_failed(db, receiver, http):
    receiver.default = 500
    now = real_now()
    _, endpoint, _, [delivery] = await setup_delivery(receiver, now)

    status, times = await drive(delivery.id, http, now)

    assert status == "FAILED" and len(times) == 8 and len(receiver.received) == 8
    row = await WebhookDelivery.get(id=delivery.id)
    assert (row.attempts, row.last_response_code, row.next_attempt_at) == (8, 500, None)
    assert await WebhookAttempt.filter(delivery_id=delivery.id).count() == 8
    assert times[-1] - times[0] > timedelta(hours=18)  # spread over about a day
    after = await WebhookEndpoint.get(id=endpoint.id)
    assert after.enabled and after.consecutive_failures == 1


async def test_eight_failed_deliveries_in_a_row_disable_the_endpoint(db, receiver, http):
    receiver.default = 500
    now = real_now()
    _, endpoint, _, deliveries = await setup_delivery(receiver, now, events=9)

    for delivery in deliveries[:8]:
        assert (await drive(delivery.id, http, now))[0] == "FAILED"

    after = await WebhookEndpoint.get(id=endpoint.id)
    assert not after.enabled and after.consecutive_failures == 8
    assert "8 deliveries in a row failed" in (after.disabled_reason or "")
    posts = len(receiver.received)
    assert await webhooks.deliver(deliveries[8].id, now, http) == "FAILED"  # no more POSTs
    assert len(receiver.received) == posts == 64
    assert (await WebhookDelivery.get(id=deliveries[8].id)).last_error == "endpoint disabled"


async def test_a_success_resets_the_consecutive_failure_count(db, receiver, http):
    now = real_now()
    _, endpoint, _, [delivery] = await setup_delivery(receiver, now)
    await WebhookEndpoint.filter(id=endpoint.id).update(consecutive_failures=7)
    assert await webhooks.deliver(delivery.id, now, http) == "SUCCEEDED"
    assert (await WebhookEndpoint.get(id=endpoint.id)).consecutive_failures == 0


async def test_concurrent_deliver_calls_for_one_delivery_post_once(db, receiver, http):
    receiver.delay = 0.3
    now = real_now()
    _, _, _, [delivery] = await setup_delivery(receiver, now)

    statuses = await asyncio.gather(*(webhooks.deliver(delivery.id, now, http) for _ in range(6)))

    assert len(receiver.received) == 1
    assert statuses.count("SUCCEEDED") == 1
    row = await WebhookDelivery.get(id=delivery.id)
    assert (row.status, row.attempts) == ("SUCCEEDED", 1)
    assert await WebhookAttempt.filter(delivery_id=delivery.id).count() == 1


async def test_a_claimed_attempt_is_not_repeated_before_its_lease_ends(db, receiver, http):
    """A worker that died mid-attempt: the delivery waits out the lease, then retries."""
    now = real_now()
    _, _, _, [delivery] = await setup_delivery(receiver, now)
    await WebhookDelivery.filter(id=delivery.id).update(
        attempts=1, next_attempt_at=now + webhooks.ATTEMPT_LEASE
    )
    assert await webhooks.deliver(delivery.id, now + timedelta(seconds=30), http) == "PENDING"
    assert receiver.received == []
    after_lease = now + webhooks.ATTEMPT_LEASE
    assert await webhooks.deliver(delivery.id, after_lease, http) == "SUCCEEDED"
    assert (await WebhookDelivery.get(id=delivery.id)).attempts == 2


async def test_during_rotation_the_receiver_verifies_with_the_old_and_the_new_secret(
    db, receiver, http
):
    now = real_now()
    principal, endpoint, old, [first, second] = await setup_delivery(receiver, now, events=2)
    _, new = await webhook_endpoints.rotate_secret(principal, endpoint.id, now)

    assert await webhooks.deliver(first.id, now, http) == "SUCCEEDED"
    got = receiver.received[-1]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(got.body, got.headers)
    Webhook(new).verify(got.body, got.headers)

    # the overlap is over: only the new secret signs
    await WebhookEndpoint.filter(id=endpoint.id).update(
        previous_secret_expires_at=now - timedelta(seconds=1)
    )
    assert await webhooks.deliver(second.id, now, http) == "SUCCEEDED"
    got = receiver.received[-1]
    Webhook(new).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(got.body, got.headers)


async def test_a_live_partners_endpoint_that_now_resolves_privately_is_not_called(
    db, receiver, http
):
    """SSRF guard at send time too (the host may resolve differently since registration)."""
    now = real_now()
    live = await sandbox_partner(now, sandbox=False)
    endpoint = await WebhookEndpoint.create(
        id=new_id("whe"),
        partner_id=live.partner_id,
        url=receiver.url,
        events=["*"],
        secret=webhook_endpoints.new_secret(),
        created_at=now,
    )
    async with in_transaction():
        await webhooks.emit(str(live.partner_id), "claim.paid", {}, now)
    delivery = await WebhookDelivery.get(endpoint_id=endpoint.id)

    assert await webhooks.deliver(delivery.id, now, http) == "PENDING"
    assert receiver.received == []
    row = await WebhookDelivery.get(id=delivery.id)
    assert row.attempts == 1 and "non-public address" in (row.last_error or "")
    retry_at = row.next_attempt_at
    assert retry_at is not None
    # dev settings allow it
    assert await webhooks.deliver(delivery.id, retry_at, http, allow_private=True) == "SUCCEEDED"
    assert len(receiver.received) == 1


async def test_a_deleted_endpoints_pending_delivery_fails_without_a_post(db, receiver, http):
    now = real_now()
    principal, endpoint, _, [delivery] = await setup_delivery(receiver, now)
    await webhook_endpoints.delete_endpoint(principal, endpoint.id, now)
    assert await webhooks.deliver(delivery.id, now, http) == "FAILED"
    assert receiver.received == []
    assert (await WebhookDelivery.get(id=delivery.id)).last_error == "endpoint deleted"


async def test_an_unreachable_endpoint_is_a_failed_attempt(db, http):
    now = real_now()
    dead = Receiver(url="http://127.0.0.1:9/hooks")  # discard port: connection refused
    _, _, _, [delivery] = await setup_delivery(dead, now)
    assert await webhooks.deliver(delivery.id, now, http) == "PENDING"
    row = await WebhookDelivery.get(id=delivery.id)
    assert row.attempts == 1 and row.last_response_code is None and row.last_error
    [attempt] = await WebhookAttempt.filter(delivery_id=delivery.id)
    assert attempt.response_code is None and attempt.error


async def test_due_deliveries_are_pending_ones_whose_time_has_come(db, receiver, http):
    receiver.script = [500]
    now = real_now()
    _, _, _, [retrying, fresh, done] = await setup_delivery(receiver, now, events=3)
    assert await webhooks.deliver(retrying.id, now, http) == "PENDING"
    assert await webhooks.deliver(done.id, now, http) == "SUCCEEDED"

    assert await webhooks.due_deliveries(now) == [fresh.id]  # first attempt, job lost
    row = await WebhookDelivery.get(id=retrying.id)
    assert row.next_attempt_at is not None
    assert await webhooks.due_deliveries(row.next_attempt_at) == [retrying.id, fresh.id]
    assert await webhooks.due_deliveries(row.next_attempt_at, limit=1) == [retrying.id]


async def test_the_scheduler_resends_each_due_delivery_once_per_gap(
    db, receiver, http, monkeypatch
):
    from workers import webhook_actors

    sent: list[str] = []
    monkeypatch.setattr(
        webhook_actors.deliver_webhook, "send", lambda delivery_id: sent.append(delivery_id)
    )
    monkeypatch.setattr(webhook_actors, "_requeued", {})
    now = real_now()
    _, _, _, [first, second] = await setup_delivery(receiver, now, events=2)

    assert await webhook_actors.requeue_due_webhooks(now) == 2
    assert await webhook_actors.requeue_due_webhooks(now) == 0  # sent moments ago
    assert sent == [first.id, second.id]
    monkeypatch.setattr(webhook_actors, "REQUEUE_GAP_SECONDS", 0.0)
    assert await webhook_actors.requeue_due_webhooks(now) == 2
