"""Exactly once under at-least-once delivery (TR-P2, LIFECYCLE 2), with real worker
processes on real Redis: a worker SIGKILLed in the middle of a feasibility confirmation
or of a capture leaves its message to another worker, and the cover still ends ACTIVE
with exactly one capture on the card network's ledger.

The killed worker pauses at a fault point (domain/services/faults.py) and drops a
marker file there, so the kill lands at that exact moment.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from domain.services import covers
from domain.services.principals import authenticate
from domain.services.quotes import QuoteDraft, request_quote
from domain.store.cover_models import Cover, PaymentHold, SandboxCardAuthorization
from tests.services.test_quote_service import BUYER, SELLER, eur

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv" / "bin" / "python"


def start_worker(database_url: str, redis_url: str, log: Path, **env: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        "TRADECOVER_DATABASE_URL": database_url,
        "TRADECOVER_REDIS_URL": redis_url,
        "TRADECOVER_BROKER_HEARTBEAT_TIMEOUT_MS": "2000",
        "TRADECOVER_BROKER_MAINTENANCE_CHANCE": "200000",
        "dramatiq_worker_timeout": "100",
        **env,
    }
    return subprocess.Popen(
        [str(PYTHON), "-m", "dramatiq", "workers.actors", "--processes", "1", "--threads", "2"],
        cwd=REPO,
        env=environment,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        # The supervisor only: it forwards SIGTERM once to its worker processes; a second
        # SIGTERM sent to the whole group makes dramatiq skip its graceful stop.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
@pytest.mark.parametrize("fault_point", ["feasibility.in_transaction", "hold.capture.after_claim"])
async def test_sigkilled_worker_mid_confirmation_still_ends_active_with_one_capture(
    backend, db, redis_url, make_partner, tmp_path, fault_point
):
    if backend != "sqlite":
        pytest.skip("process behaviour; storage is covered on both backends elsewhere")
    from tradecover.settings import Settings
    from tradecover.wiring import configure_process

    redis.Redis.from_url(redis_url).flushdb()
    configure_process(Settings(env="test", redis_url=redis_url, database_url=db))
    markers = tmp_path / "markers"
    markers.mkdir()
    doomed = start_worker(
        db,
        redis_url,
        tmp_path / "doomed.log",
        TRADECOVER_FAULT_PAUSES=f"{fault_point}=120",
        TRADECOVER_FAULT_MARKER_DIR=str(markers),
    )
    rescuer = None
    try:
        principal = await authenticate(await make_partner(kind="freight_exchange"))
        now = datetime.now(UTC)
        quote = await request_quote(
            principal,
            QuoteDraft(
                "TRANSPORT_INVOICE",
                SELLER,
                BUYER,
                shipment=__import__("domain.rules.quote_request", fromlist=["x"]).ShipmentFacts(
                    eur("1500.00"), now.date()
                ),
            ),
            now,
        )
        cover = await covers.bind_cover(
            principal, quote.id, signature_reference=None, payment_method_token="tok_visa", now=now
        )

        marker = markers / f"{fault_point}.reached"

        async def paused() -> bool:
            return marker.exists()

        await wait_for(paused, 30, f"the worker to reach {fault_point}")
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)

        rescuer = start_worker(db, redis_url, tmp_path / "rescuer.log")

        async def captured() -> bool:
            hold = await PaymentHold.get(cover_id=cover.id)
            return hold.status == "CAPTURED"

        await wait_for(captured, 60, "another worker to finish the job")
        final = await Cover.get(id=cover.id)
        hold = await PaymentHold.get(cover_id=cover.id)
        ledger = await SandboxCardAuthorization.get(id=hold.gateway_reference)
        assert final.status == "ACTIVE"
        assert (ledger.status, ledger.capture_count, ledger.cancel_count) == ("CAPTURED", 1, 0)
        await asyncio.sleep(1.0)  # any duplicate delivery would have landed by now
        assert (await SandboxCardAuthorization.get(id=ledger.id)).capture_count == 1
    finally:
        stop(doomed)
        if rescuer is not None:
            stop(rescuer)
