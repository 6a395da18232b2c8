"""`tradecover dev`: the whole stack in the foreground. A process that crashes is restarted
(tradecover/supervisor.py); one Ctrl-C stops everything."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime

from tradecover.redis_server import RedisServer
from tradecover.settings import Settings
from tradecover.supervisor import Supervised, kill_group

SANDBOX_KEY_FILE = "sandbox_partner_key.txt"
STAFF_KEY_FILE = "staff_key.txt"


async def _first_run_keys(settings: Settings) -> tuple[str, str]:
    """The sandbox partner and staff keys, created on first run and kept in data_dir
    (keys are stored hashed in the database, so the files are the only copy)."""
    from domain.services.principals import create_partner, create_staff
    from domain.store.database import close_db, init_db

    partner_file = settings.data_dir / SANDBOX_KEY_FILE
    staff_file = settings.data_dir / STAFF_KEY_FILE
    if partner_file.exists() and staff_file.exists():
        return partner_file.read_text().strip(), staff_file.read_text().strip()
    await init_db(settings.resolved_database_url)
    try:
        now = datetime.now(UTC)
        _, partner_key = await create_partner(
            name="Sandbox platform",
            kind="financing_platform",
            sandbox=True,
            premium_rate=None,
            now=now,
        )
        _, staff_key = await create_staff(name="Sandbox underwriter", now=now)
    finally:
        await close_db()
    for path, key in ((partner_file, partner_key), (staff_file, staff_key)):
        path.write_text(key + "\n")
        path.chmod(0o600)
    return partner_key, staff_key


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def _stop(children: list[Supervised]) -> None:
    """SIGTERM to each running child, then up to 15 s for all of them to finish; what is
    left of their process groups is killed."""
    processes = [c.process for c in children if c.process is not None]
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        kill_group(process)


def _redis_child(redis_server: RedisServer) -> Supervised:
    """The embedded Redis, restarted on the same port and AOF directory (queued jobs
    survive its crash as they survive a restart)."""

    def start() -> subprocess.Popen[bytes]:
        process = redis_server.start().process
        assert process is not None
        return process

    return Supervised("redis", start)


def run_dev_stack(settings: Settings) -> int:
    from domain.store.database import migrate

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database_url = settings.resolved_database_url
    asyncio.run(migrate(database_url))
    partner_key, staff_key = asyncio.run(_first_run_keys(settings))

    redis_server: RedisServer | None = None
    redis: list[Supervised] = []
    redis_url = settings.redis_url
    if not redis_url:
        redis_server = RedisServer(settings.data_dir / "redis")
        redis = [_redis_child(redis_server)]
        redis[0].launch(time.monotonic())
        redis_url = redis_server.url

    env = {
        **os.environ,
        "TRADECOVER_DATABASE_URL": database_url,
        "TRADECOVER_REDIS_URL": redis_url,
        "TRADECOVER_PORT": str(settings.port),
        "TRADECOVER_DATA_DIR": str(settings.data_dir),
        "dramatiq_worker_timeout": "100",
    }
    cli = [sys.executable, "-m", "tradecover.cli"]

    def command(name: str) -> Supervised:
        # New sessions: our own SIGTERM stops them, in order, not the terminal's Ctrl-C;
        # and each one's process group is what is killed after it crashes.
        return Supervised(
            name, lambda: subprocess.Popen([*cli, name], env=env, start_new_session=True)
        )

    children = [command("serve"), command("worker"), command("scheduler")]
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        for child in children:
            child.launch(time.monotonic())
        api = children[0].process
        assert api is not None
        base = f"http://{settings.host}:{settings.port}"
        if not _wait_healthy(f"{base}/healthz", api):
            print("tradecover: the API did not become healthy", file=sys.stderr, flush=True)
            return 1
        print(
            f"\ntradecover is running\n"
            f"  GraphiQL:            {base}/graphql\n"
            f"  health:              {base}/healthz\n"
            f"  Redis:               {redis_url}\n"
            f"  database:            {database_url}\n"
            f"  sandbox partner key: {partner_key}\n"
            f"  staff key:           {staff_key}\n"
            f"Press Ctrl-C to stop.\n",
            flush=True,
        )
        # A crashed process is restarted after a backoff (tradecover/supervisor.py);
        # only Ctrl-C (or SIGTERM) stops the stack.
        while not stopping:
            for child in [*redis, *children]:
                child.check(time.monotonic())
            time.sleep(0.2)
        return 0
    finally:
        _stop(children)
        if redis_server is not None:
            redis_server.stop()
            for child in redis:
                if child.process is not None:
                    kill_group(child.process)
        print("tradecover stopped", flush=True)
