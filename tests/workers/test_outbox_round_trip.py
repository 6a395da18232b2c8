"""The worker plumbing end to end, with a real dramatiq worker process (STACK_NOTES.md,
"dramatiq 2.x"): outbox row written in a transaction -> relay publishes it to Redis after
commit -> the worker (AsyncIO + Tortoise middlewares) runs `system.heartbeat` -> the row
lands in the database. Delivery is at least once, so the actor must be idempotent.

The test process and the worker process both hold a connection to the same database
(on SQLite: two writer processes on one file, BEGIN IMMEDIATE + busy timeout).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.support.processes import descendants, kill_group, kill_procs, wait_gone

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PICKUP_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0


def _log_tail(path: Path, lines: int = 30) -> str:
    """The start (where boot failures are) and the end of the worker's log."""
    try:
        text = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no worker log)"
    if len(text) <= 2 * lines:
        return "\n".join(text)
    return "\n".join([*text[:lines], "[...]", *text[-lines:]])


def _boot_failure(log: Path) -> bool:
    # dramatiq logs a failing middleware hook and carries on; the worker is then useless.
    return log.exists() and "Unexpected failure in before_worker_boot" in log.read_text(
        errors="replace"
    )


async def _wait_for_beats(source: str, beats: int, message_id: str, log: Path) -> float:
    """Polls the database until the heartbeat row shows `beats` from `message_id`;
    returns the seconds it took."""
    from domain.store.models import WorkerHeartbeat

    started = time.monotonic()
    row = None
    while time.monotonic() - started < PICKUP_TIMEOUT:
        row = await WorkerHeartbeat.get_or_none(name=source)
        if row is not None and row.beats == beats and row.last_message_id == message_id:
            return time.monotonic() - started
        if _boot_failure(log):
            raise AssertionError(f"the worker failed to boot:\n{_log_tail(log)}")
        await asyncio.sleep(0.05)
    raise AssertionError(
        f"worker did not record beat {beats} ({message_id}) within {PICKUP_TIMEOUT} s; "
        f"row: {row and (row.beats, row.last_message_id)}\nworker log:\n{_log_tail(log)}"
    )


async def test_outbox_message_reaches_a_real_worker_once_and_redelivery_changes_nothing(
    db: str, redis_url: str, tmp_path: Path
) -> None:
    from domain.services import heartbeat
    from domain.store.models import OutboxMessage, WorkerHeartbeat
    from workers import actors  # noqa: F401  (registers system.heartbeat with the broker)
    from workers.broker import broker
    from workers.relay import relay, send_to_broker

    python = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
    env = {
        **os.environ,
        "TRADECOVER_DATABASE_URL": db,
        "TRADECOVER_REDIS_URL": redis_url,
        "dramatiq_worker_timeout": "100",
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as log_file:
        worker = subprocess.Popen(
            [python, "-m", "dramatiq", "workers.actors", "--processes", "1", "--threads", "2"],
            cwd=REPO,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    tree = []
    try:
        now = datetime.now(UTC)
        msg = await heartbeat.request_heartbeat("test-source", now)
        assert await WorkerHeartbeat.get_or_none(name="test-source") is None

        assert await relay(now) == 1
        assert (await OutboxMessage.get(id=msg.id)).published_at is not None

        first_pickup = await _wait_for_beats("test-source", 1, msg.id, log)
        tree = descendants(worker.pid)  # the dramatiq supervisor's worker process(es)

        # Nothing is published twice.
        assert await relay(datetime.now(UTC)) == 0

        # A redelivery of the same outbox message is processed (acked) and counts nothing.
        await asyncio.to_thread(
            send_to_broker, "system.heartbeat", {"source": "test-source"}, msg.id
        )
        await asyncio.to_thread(broker.join, "default", timeout=int(PICKUP_TIMEOUT * 1000))
        row = await WorkerHeartbeat.get(name="test-source")
        assert (row.beats, row.last_message_id) == (1, msg.id)

        # ...while a new message still counts: the worker is alive and the check is real.
        second = await heartbeat.request_heartbeat("test-source", datetime.now(UTC))
        assert await relay(datetime.now(UTC)) == 1
        await _wait_for_beats("test-source", 2, second.id, log)
        assert worker.poll() is None, f"worker died:\n{_log_tail(log)}"
        print(f"first pickup after relay: {first_pickup:.3f} s; worker tree: {tree}")
    finally:
        stopping = time.monotonic()
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
        try:
            returncode = worker.wait(timeout=STOP_TIMEOUT)
            print(f"worker stopped {time.monotonic() - stopping:.2f} s after SIGTERM")
        except subprocess.TimeoutExpired:
            kill_group(worker)
            kill_procs(tree)
            raise AssertionError(
                f"worker did not stop within {STOP_TIMEOUT} s of SIGTERM:\n{_log_tail(log)}"
            ) from None
        leftovers = wait_gone(tree, timeout=5)
        kill_procs(leftovers)
    assert returncode == 0, f"worker exited {returncode}:\n{_log_tail(log)}"
    assert tree, "the dramatiq supervisor had no worker process"
    assert leftovers == [], f"worker processes left behind: {leftovers}"
