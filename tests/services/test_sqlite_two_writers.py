"""Two writer processes on one SQLite file (STACK_NOTES.md, "Tortoise 1.x": "SQLite with
several writer processes").

STACK_NOTES: under WAL a transaction that reads then writes fails at once with "database
is locked" when it starts with a deferred BEGIN (the busy timeout cannot help a reader
that must upgrade to a writer); write transactions need BEGIN IMMEDIATE plus a busy
timeout, "prove it with a multi-process stress test". This is that test:

* `test_two_processes_read_modify_write_lose_nothing_with_begin_immediate` runs two real
  Python processes against the project's engine (`domain.store.sqlite_immediate`) and
  requires zero "database is locked" errors, no lost increment and every insert stored.
* `test_deferred_begin_control_fails_under_the_same_load` runs the same workload on
  tortoise's stock SQLite engine (deferred BEGIN) and shows the failure is real, so the
  first test would catch a regression to a deferred BEGIN.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
PROCESSES = 2
INCREMENTS = 300  # read-modify-write transactions per process
INSERT_EVERY = 2  # one outbox insert transaction after every 2nd increment
INSERTS = INCREMENTS // INSERT_EVERY  # per process
PROCESS_TIMEOUT = 120.0

WRITER_SCRIPT = textwrap.dedent(
    '''
    """One writer process: N read-modify-write transactions plus outbox inserts."""
    import asyncio
    import json
    import sys
    import time
    import traceback
    from datetime import UTC, datetime
    from pathlib import Path

    from tortoise import Tortoise
    from tortoise.transactions import in_transaction

    from domain.services import outbox
    from domain.store.config import tortoise_config
    from domain.store.models import WorkerHeartbeat

    url, engine, name, increments, insert_every, ready_file, start_file = sys.argv[1:8]
    increments, insert_every = int(increments), int(insert_every)


    async def main() -> dict:
        config = tortoise_config(url)
        if engine != "project":
            config["connections"]["default"]["engine"] = engine
        await Tortoise.init(config=config, _enable_global_fallback=True)
        # Open the connection (and apply the pragmas) before the start signal.
        await WorkerHeartbeat.filter(name="counter").count()
        Path(ready_file).touch()
        deadline = time.monotonic() + 60
        while not Path(start_file).exists():
            if time.monotonic() > deadline:
                raise SystemExit("start signal never came")
            await asyncio.sleep(0.001)
        summary = {"name": name, "engine": engine, "locked": 0, "other_errors": [],
                   "increments": 0, "inserts": 0}

        def failed(exc: BaseException) -> None:
            if "database is locked" in str(exc):
                summary["locked"] += 1
            else:
                summary["other_errors"].append(
                    "".join(traceback.format_exception_only(type(exc), exc)).strip()
                )

        summary["started_at"] = time.time()
        started = time.monotonic()
        for i in range(increments):
            now = datetime.now(UTC)
            try:
                async with in_transaction():
                    row = await WorkerHeartbeat.get(name="counter")
                    await WorkerHeartbeat.filter(name="counter").update(
                        beats=row.beats + 1, last_seen=now
                    )
                summary["increments"] += 1
            except Exception as exc:
                failed(exc)
            if (i + 1) % insert_every == 0:
                try:
                    async with in_transaction():
                        await outbox.enqueue("system.heartbeat", {"source": name}, now)
                    summary["inserts"] += 1
                except Exception as exc:
                    failed(exc)
        summary["seconds"] = round(time.monotonic() - started, 3)
        summary["ended_at"] = time.time()
        await Tortoise.close_connections()
        return summary


    print(json.dumps(asyncio.run(main())), flush=True)
    '''
)


async def _create_counter(database_url: str) -> None:
    from domain.store.database import close_db, init_db
    from domain.store.models import WorkerHeartbeat

    await init_db(database_url)
    try:
        await WorkerHeartbeat.create(name="counter", beats=0, last_seen=datetime.now(UTC))
    finally:
        await close_db()


def _sqlite_path(database_url: str) -> str:
    assert database_url.startswith("sqlite://")
    return database_url[len("sqlite://") :]


def _final_state(database_url: str) -> tuple[int, int]:
    with sqlite3.connect(_sqlite_path(database_url)) as conn:
        (beats,) = conn.execute(
            "SELECT beats FROM worker_heartbeat WHERE name='counter'"
        ).fetchone()
        (outbox_rows,) = conn.execute("SELECT COUNT(*) FROM outbox_message").fetchone()
    return int(beats), int(outbox_rows)


def _run_writers(database_url: str, tmp_path: Path, engine: str) -> list[dict[str, Any]]:
    """Starts PROCESSES writers, releases them at the same moment, returns their summaries."""
    script = tmp_path / "writer.py"
    script.write_text(WRITER_SCRIPT)
    start_file = tmp_path / f"start-{engine.replace('.', '_')}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    processes: list[subprocess.Popen[str]] = []
    ready_files: list[Path] = []
    try:
        for n in range(PROCESSES):
            ready = tmp_path / f"ready-{engine.replace('.', '_')}-{n}"
            ready_files.append(ready)
            args = [
                sys.executable, str(script), database_url, engine, f"writer-{n}",
                str(INCREMENTS), str(INSERT_EVERY), str(ready), str(start_file),
            ]  # fmt: skip
            processes.append(
                subprocess.Popen(
                    args,
                    cwd=REPO,
                    env=env,
                    text=True,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
            )
        deadline = time.monotonic() + 60
        while not all(ready.exists() for ready in ready_files):
            for process in processes:
                if process.poll() is not None:
                    _, err = process.communicate()
                    pytest.fail(f"writer exited before the start signal:\n{err}")
            assert time.monotonic() < deadline, "writers did not get ready within 60 s"
            time.sleep(0.01)
        start_file.touch()

        summaries = []
        for process in processes:
            out, err = process.communicate(timeout=PROCESS_TIMEOUT)
            assert process.returncode == 0, f"writer exited {process.returncode}:\n{err}"
            summaries.append(json.loads(out.strip().splitlines()[-1]))
        # The writers must have run at the same time, or the test proves nothing.
        assert max(s["started_at"] for s in summaries) < min(s["ended_at"] for s in summaries), (
            f"the writers did not overlap: {summaries}"
        )
        return summaries
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def sqlite_only(backend: str) -> None:
    """Requested before `database_url`, so other backends skip before creating a database."""
    if backend != "sqlite":
        pytest.skip("SQLite-specific: PostgreSQL writers take row locks, not a file lock")


async def test_two_processes_read_modify_write_lose_nothing_with_begin_immediate(
    sqlite_only: None, database_url: str, tmp_path: Path
) -> None:
    await _create_counter(database_url)

    summaries = _run_writers(database_url, tmp_path, engine="project")

    for summary in summaries:
        assert summary["locked"] == 0, summary
        assert summary["other_errors"] == [], summary
        assert summary["increments"] == INCREMENTS, summary
        assert summary["inserts"] == INSERTS, summary
    beats, outbox_rows = _final_state(database_url)
    assert beats == PROCESSES * INCREMENTS, "lost update"
    assert outbox_rows == PROCESSES * INSERTS


async def test_deferred_begin_control_fails_under_the_same_load(
    sqlite_only: None, database_url: str, tmp_path: Path
) -> None:
    """Measured here: about half of the read-modify-write transactions fail at once with
    "database is locked" (5 runs out of 5), so this control is not marked xfail."""
    await _create_counter(database_url)

    summaries = _run_writers(database_url, tmp_path, engine="tortoise.backends.sqlite")

    locked = sum(summary["locked"] for summary in summaries)
    beats, _ = _final_state(database_url)
    assert locked > 0 or beats < PROCESSES * INCREMENTS, (
        f"a deferred BEGIN survived the load: {summaries}, counter {beats}"
    )
