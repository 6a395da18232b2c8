"""Issue 8, chaos 3: the API process SIGKILLed in the middle of `bindCover`, at the three
moments of the outbox (domain/services/outbox.py, STYLE "enqueue after commit"):

- `outbox.enqueued`: the job row is written, the business transaction not committed.
  The cover, its hold and the job row must all vanish: nothing to publish.
- `outbox.before_publish`: committed, not yet sent to Redis. The relay must publish it.
- `outbox.after_send`: sent to Redis, not yet marked published. The relay re-sends it
  once the publisher's claim lease has run out: the job arrives twice and decides once.

A real `tradecover serve` (uvicorn) runs with the fault point configured; the test
sends bindCover over HTTP, waits for the marker file the checkpoint drops, and SIGKILLs
the API's process group. Then the relay runs (here, with a recording sender), and the
jobs it published (plus the message the third API left in Redis) run inline until none
is left. Finally the partner retries the bind that was rolled back: it goes through,
on the card authorisation the crashed attempt made (one authorisation per quote/card).

Pass: the relay publishes exactly the committed jobs, nothing for the rolled-back bind;
every committed cover ends ACTIVE with one capture on the card ledger. On SQLite and,
with TRADECOVER_TEST_POSTGRES=1, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from domain.services import covers, outbox
from domain.services.principals import authenticate
from tests.api.cover_helpers import BIND
from tests.chaos.support import (
    AMOUNT,
    NAMESPACE,
    TRADECOVER,
    Processes,
    quote_tr,
    record,
    redis_db_url,
    stack_env,
    tail,
    wait_until,
)
from tradecover.redis_server import free_port
from workers.jobs import JOBS

pytestmark = [pytest.mark.chaos, pytest.mark.slow, pytest.mark.postgres]

REDIS_DB = 13  # the API processes' broker: this test's own logical database
POINTS = ("outbox.enqueued", "outbox.before_publish", "outbox.after_send")
START_TIMEOUT = 60.0


async def _listening(process: Any, base: str) -> bool:
    """The API answers HTTP (or has exited)."""
    if process.poll() is not None:
        return True
    with contextlib.suppress(httpx.HTTPError):
        async with httpx.AsyncClient(trust_env=False, timeout=2.0) as client:
            await client.get(f"{base}/healthz")
            return True
    return False


async def _start_api(processes: Processes, env: dict[str, str], name: str) -> str:
    """`tradecover serve` on a free port; returns its base URL once it answers."""
    for _ in range(3):
        port = free_port()
        process = processes.start(
            name, [str(TRADECOVER), "serve"], {**env, "TRADECOVER_PORT": str(port)}
        )
        base = f"http://127.0.0.1:{port}"
        await wait_until(
            lambda process=process, base=base: _listening(process, base),
            START_TIMEOUT,
            f"{name} to listen",
            processes.diagnostics,
        )
        if process.poll() is None:
            return base
        if "address already in use" not in tail(processes.logs[name]):
            raise AssertionError(f"{name} exited:\n{processes.diagnostics()}")
        processes.running.pop(name)
    raise AssertionError("no free port for the API")


async def _crash_during_bind(
    processes: Processes,
    env: dict[str, str],
    point: str,
    markers: Path,
    key: str,
    quote_id: str,
) -> str:
    """Starts an API paused at `point`, sends bindCover, SIGKILLs the API there; returns
    what the partner saw."""
    name = f"api-{point}"
    base = await _start_api(
        processes,
        {
            **env,
            "TRADECOVER_FAULT_PAUSES": f"{point}=120",
            "TRADECOVER_FAULT_MARKER_DIR": str(markers),
        },
        name,
    )
    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=60.0) as client:
        request = asyncio.create_task(
            client.post(
                "/graphql",
                json={
                    "query": BIND,
                    "variables": {"input": {"quoteId": quote_id, "paymentMethodToken": "tok_visa"}},
                },
                headers={"Authorization": f"Bearer {key}"},
            )
        )
        marker = markers / f"{point}.reached"

        async def paused() -> bool:
            if request.done():
                raise AssertionError(f"bindCover answered before {point}: {request.result()}")
            return marker.exists()

        await wait_until(paused, 30, f"the API to reach {point}", processes.diagnostics, 0.02)
        processes.sigkill(name)
        marker.unlink()
        try:
            response = await request
        except httpx.HTTPError as error:
            return type(error).__name__  # the connection died with the process
        return f"HTTP {response.status_code}"


async def _run_jobs(queue: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Runs jobs (and the jobs they publish) inline until none is left."""
    ran: list[str] = []

    def collect(actor: str, payload: dict[str, Any], message_id: str) -> None:
        queue.append((actor, payload))

    outbox.set_sender(collect)
    try:
        while queue:
            actor, payload = queue.pop(0)
            await JOBS[actor](**{k: v for k, v in payload.items() if k != "outbox_id"})
            ran.append(actor)
    finally:
        outbox.set_sender(None)
    return ran


async def test_api_killed_between_commit_and_publish_loses_no_job_and_sends_none_rolled_back(
    backend: str, db: str, gateways: None, make_partner, redis_url: str, tmp_path: Path
) -> None:
    from domain.store.cover_models import Cover, CoverEvent, PaymentHold, SandboxCardAuthorization
    from domain.store.models import OutboxMessage

    started = time.monotonic()
    broker_url = redis_db_url(redis_url, REDIS_DB)
    queued = redis.Redis.from_url(broker_url)
    queued.flushdb()
    env = stack_env(db, broker_url, tmp_path / "var", TRADECOVER_HOST="127.0.0.1")
    markers = tmp_path / "markers"
    markers.mkdir()
    processes = Processes(tmp_path)
    key = await make_partner(kind="freight_exchange")
    principal = await authenticate(key)
    now = datetime.now(UTC)
    quotes = {
        point: (await quote_tr(principal, f"C{n}", AMOUNT, now)).id
        for n, point in enumerate(POINTS)
    }
    seen: dict[str, str] = {}
    try:
        for point in POINTS:
            seen[point] = await _crash_during_bind(
                processes, env, point, markers, key, quotes[point]
            )
    finally:
        processes.stop_all()
    crashed_s = time.monotonic() - started

    # What the crashes left: the first bind rolled back whole, the other two committed.
    bound = {c.quote_id: c for c in await Cover.all()}  # type: ignore[attr-defined]
    assert set(bound) == {quotes["outbox.before_publish"], quotes["outbox.after_send"]}
    committed = {c.id: c for c in bound.values()}
    rows = {r.payload["cover_id"]: r for r in await OutboxMessage.all()}
    assert set(rows) == set(committed)
    assert all(r.actor == "cover.confirm_feasibility" for r in rows.values())
    assert all(r.published_at is None for r in rows.values())
    before_publish = bound[quotes["outbox.before_publish"]].id
    after_send = bound[quotes["outbox.after_send"]].id
    assert rows[before_publish].claimed_until is None  # never claimed
    assert rows[after_send].claimed_until is not None  # claimed, sent, then the crash
    in_redis = [json.loads(m) for m in queued.hvals(f"{NAMESPACE}:default.msgs")]
    assert [(m["actor_name"], m["kwargs"]["cover_id"]) for m in in_redis] == [
        ("cover.confirm_feasibility", after_send)
    ]

    # The relay publishes what was committed, once each; nothing for the rolled-back bind.
    sent: list[tuple[str, dict[str, Any], str]] = []

    def recording(actor: str, payload: dict[str, Any], message_id: str) -> None:
        sent.append((actor, payload, message_id))

    relay_now = datetime.now(UTC)
    assert await outbox.relay_once(recording, relay_now) == 1  # the other is still leased
    assert [p["cover_id"] for _, p, _ in sent] == [before_publish]
    after_lease = relay_now + outbox.CLAIM_LEASE + timedelta(seconds=1)
    assert await outbox.relay_once(recording, after_lease) == 1
    assert await outbox.relay_once(recording, after_lease) == 0
    assert [(p["cover_id"], mid) for _, p, mid in sent] == [
        (before_publish, rows[before_publish].id),
        (after_send, rows[after_send].id),
    ]
    assert await OutboxMessage.filter(published_at__isnull=True).count() == 0

    # The jobs run: the relay's, and the one the third API sent before dying (a duplicate).
    jobs = [(actor, payload) for actor, payload, _ in sent]
    jobs += [(m["actor_name"], m["kwargs"]) for m in in_redis]
    ran = await _run_jobs(jobs)
    assert sorted(ran) == sorted(["cover.confirm_feasibility"] * 3 + ["payment_hold.capture"] * 2)

    # The partner retries the rolled-back bind: same quote and card, one authorisation.
    rolled_back = quotes["outbox.enqueued"]
    orphan = await SandboxCardAuthorization.get(idempotency_key=f"bind:{rolled_back}:tok_visa")
    assert orphan.status == "AUTHORIZED"  # held by the crashed attempt, not yet used
    outbox.set_sender(recording)
    try:
        retried = await covers.bind_cover(
            principal,
            rolled_back,
            signature_reference=None,
            payment_method_token="tok_visa",
            now=datetime.now(UTC),
        )
    finally:
        outbox.set_sender(None)
    assert (await PaymentHold.get(cover_id=retried.id)).gateway_reference == orphan.id
    assert await SandboxCardAuthorization.all().count() == len(POINTS)
    assert sent[-1][1] == {"cover_id": retried.id}
    await _run_jobs([sent[-1][:2]])

    for cover_id in [*committed, retried.id]:
        cover = await Cover.get(id=cover_id)
        hold = await PaymentHold.get(cover_id=cover_id)
        card = await SandboxCardAuthorization.get(id=hold.gateway_reference)
        decided = await CoverEvent.filter(
            cover_id=cover_id, type__startswith="cover.feasibility_"
        ).count()
        assert (cover.status, hold.status, card.capture_count, card.cancel_count, decided) == (
            "ACTIVE",
            "CAPTURED",
            1,
            0,
            1,
        ), cover_id
    assert await OutboxMessage.filter(published_at__isnull=True).count() == 0
    queued.close()
    record(
        f"api_crash_outbox[{backend}]",
        {
            "api_kills": len(POINTS),
            "fault_points": list(POINTS),
            "partner_saw": seen,
            "committed_covers_published_by_relay": 2,
            "rolled_back_binds_published": 0,
            "duplicate_job_deliveries_absorbed": 1,
            "rolled_back_bind_retried_on_same_authorisation": True,
            "crash_phase_s": round(crashed_s, 1),
            "wall_s": round(time.monotonic() - started, 1),
        },
    )
