"""`make run` for real: `tradecover dev` starts migrations, an embedded Redis, the API
(uvicorn), a dramatiq worker and the scheduler as separate processes; keys minted by the
CLI work over real HTTP against it; a SIGKILLed worker or scheduler is restarted (a new
pid, logged) while the API keeps answering (tradecover/supervisor.py); one Ctrl-C stops
everything and leaves no process, restarted ones included.

Ctrl-C is simulated the way a terminal sends it: SIGINT to the dev process's whole
foreground process group (the dev process and the Redis server it started; the API, the
worker and the scheduler run in their own sessions and are stopped by the dev process).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.builders import QUOTE_MUTATION, fi_input
from tests.support.processes import (
    Proc,
    children,
    descendants,
    is_running,
    kill_group,
    kill_procs,
    wait_gone,
)
from tradecover.redis_server import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
TRADECOVER = REPO / ".venv" / "bin" / "tradecover"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0
CLI_TIMEOUT = 60.0


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no output)"


def _dev_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {**os.environ}
    for name in ("TRADECOVER_REDIS_URL", "TRADECOVER_DATABASE_URL"):
        env.pop(name, None)  # the dev stack starts its own Redis, SQLite in the data dir
    env.update(
        TRADECOVER_PORT=str(port),
        TRADECOVER_DATA_DIR=str(tmp_path / "var"),
        TRADECOVER_ENV="dev",
        # A heartbeat a second: a restarted worker or scheduler shows up in /healthz soon.
        TRADECOVER_HEARTBEAT_INTERVAL_SECONDS="1",
    )
    return env


def _create_partner(env: dict[str, str], cwd: Path, *args: str) -> str:
    """Runs `tradecover partners create ...` and returns the key (its last stdout line)."""
    result = subprocess.run(
        [str(TRADECOVER), "partners", "create", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )
    assert result.returncode == 0, f"partners create failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout.strip().splitlines()[-1]


def _wait_until_running(base: str, dev: subprocess.Popen[bytes], log: Path) -> dict[str, Any]:
    """Until /healthz is 200 with database and Redis ok, a worker has answered the
    scheduler's heartbeat, and the banner is printed. Returns the last health body."""
    deadline = time.monotonic() + START_TIMEOUT
    body: dict[str, Any] = {}
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if dev.poll() is not None:
                pytest.fail(f"tradecover dev exited {dev.returncode}:\n{_tail(log)}")
            try:
                response = client.get(f"{base}/healthz")
                body = response.json() if response.status_code == 200 else {}
            except (httpx.HTTPError, ValueError):
                body = {}
            if (
                body.get("database") == "ok"
                and body.get("redis") == "ok"
                and body.get("worker_last_seen_seconds_ago") is not None
                and "Press Ctrl-C to stop." in log.read_text(errors="replace")
            ):
                return body
            time.sleep(0.2)
    pytest.fail(f"the dev stack was not up within {START_TIMEOUT} s ({body}):\n{_tail(log)}")


def _quote(client: httpx.Client, base: str, key: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = client.post(
        f"{base}/graphql",
        json={"query": QUOTE_MUTATION, "variables": variables},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["requestQuote"]
    assert payload["userErrors"] == [], payload
    return payload["quote"]  # type: ignore[no-any-return]


def _todays_fi_input() -> dict[str, Any]:
    """Live keys must quote for today (the request date cannot be moved)."""
    today = datetime.now(UTC).date()
    base = fi_input()
    invoice = {
        **base["invoice"],
        "issueDate": today.isoformat(),
        "dueDate": (today + timedelta(days=60)).isoformat(),
    }
    return fi_input(requestDate=today.isoformat(), invoice=invoice)


@dataclass
class DevStack:
    process: subprocess.Popen[bytes]
    base: str
    env: dict[str, str]
    cwd: Path
    log: Path
    tree: list[Proc]
    health: dict[str, Any]
    startup_seconds: float


@pytest.fixture(scope="module")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """One `tradecover dev` for the module; the last test stops it with Ctrl-C. Teardown
    only cleans up what is still running (for failures and partial runs)."""
    tmp_path = tmp_path_factory.mktemp("dev")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _dev_env(tmp_path, port)
    log = tmp_path / "dev.log"
    started = time.monotonic()
    with log.open("wb") as out:
        dev = subprocess.Popen(
            [str(TRADECOVER), "dev"],
            env=env,
            cwd=tmp_path,  # nothing is written into the repository
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as in a terminal
        )
    tree: list[Proc] = []
    try:
        health = _wait_until_running(base, dev, log)
        tree = descendants(dev.pid)
        yield DevStack(dev, base, env, tmp_path, log, tree, health, time.monotonic() - started)
    finally:
        if dev.poll() is None:  # restarted children have pids the first tree lacks
            tree = [*tree, *descendants(dev.pid)]
        kill_group(dev)
        kill_procs(tree)


def test_dev_stack_runs_redis_api_worker_and_scheduler_and_prints_how_to_use_it(
    dev_stack: DevStack,
) -> None:
    # _wait_until_running also saw a worker answer the scheduler's heartbeat through
    # outbox -> Redis -> dramatiq, so the whole job path runs.
    assert dev_stack.health["database"] == "ok" and dev_stack.health["redis"] == "ok"
    commands = " ".join(proc.command for proc in dev_stack.tree)
    for part in ("redis-server", "tradecover.cli serve", "dramatiq", "tradecover.cli scheduler"):
        assert part in commands, f"{part!r} not running under tradecover dev: {dev_stack.tree}"
    banner = dev_stack.log.read_text(errors="replace")
    assert f"GraphiQL:            {dev_stack.base}/graphql" in banner, banner
    assert "tc_test_" in banner, banner
    print(f"dev stack up in {dev_stack.startup_seconds:.1f} s: {dev_stack.health}")


def test_keys_from_the_partners_cli_quote_over_http(dev_stack: DevStack) -> None:
    sandbox_key = _create_partner(
        dev_stack.env, dev_stack.cwd, "--name", "Acme", "--kind", "financing_platform", "--sandbox"
    )
    assert sandbox_key.startswith("tc_test_"), sandbox_key
    live_key = _create_partner(
        dev_stack.env, dev_stack.cwd, "--name", "Haulage", "--kind", "freight_exchange"
    )
    assert live_key.startswith("tc_live_"), live_key

    with httpx.Client(timeout=10.0) as client:
        quote = _quote(client, dev_stack.base, sandbox_key, {"input": fi_input()})
        assert quote["eligible"] is True, quote
        assert quote["premium"] == {"amount": "72.00", "currency": "EUR"}  # 9000.00 x 0.0080

        live_quote = _quote(client, dev_stack.base, live_key, {"input": _todays_fi_input()})
        assert live_quote["eligible"] is True, live_quote
        assert live_quote["premium"] == {"amount": "72.00", "currency": "EUR"}


def test_dev_serves_the_graphiql_page(dev_stack: DevStack) -> None:
    with httpx.Client(timeout=10.0) as client:
        page = client.get(f"{dev_stack.base}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text[:500]
    assert "graphiql" in page.text.lower()


def _child(dev_stack: DevStack, part: str) -> Proc:
    """The dev process's direct child whose command line contains `part`."""
    found = [p for p in children(dev_stack.process.pid) if part in p.command]
    assert len(found) == 1, f"{part!r}: {found} among {children(dev_stack.process.pid)}"
    return found[0]


def _wait_for_replacement(dev_stack: DevStack, part: str, old: Proc) -> Proc:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert dev_stack.process.poll() is None, (
            f"tradecover dev exited {dev_stack.process.returncode}:\n{_tail(dev_stack.log)}"
        )
        found = [
            p for p in children(dev_stack.process.pid) if part in p.command and p.pid != old.pid
        ]
        if found:
            return found[0]
        time.sleep(0.1)
    pytest.fail(f"{part!r} was not restarted within {START_TIMEOUT} s:\n{_tail(dev_stack.log)}")


def _wait_for_heartbeat_after(
    dev_stack: DevStack, since: float, *, killing_api: bool = False
) -> dict[str, Any]:
    """Until /healthz shows a worker heartbeat recorded after `since` (monotonic): the
    scheduler asked for it, the relay pushed it to Redis and a worker ran it."""
    deadline = time.monotonic() + START_TIMEOUT
    body: dict[str, Any] = {}
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            try:
                response = client.get(f"{dev_stack.base}/healthz")
            except httpx.TransportError:  # only while the API itself is being restarted
                assert killing_api, f"the API stopped answering:\n{_tail(dev_stack.log)}"
                time.sleep(0.2)
                continue
            # The API answers (503 with "redis": "error" while Redis is away).
            assert response.status_code in (200, 503), response.text
            body = response.json()
            seen = body.get("worker_last_seen_seconds_ago")
            if response.status_code == 200 and seen is not None and seen < time.monotonic() - since:
                return body
            time.sleep(0.2)
    pytest.fail(f"no heartbeat after the restart ({body}):\n{_tail(dev_stack.log)}")


@pytest.mark.parametrize(
    ("name", "part"),
    [
        ("worker", "dramatiq"),
        ("scheduler", "cli scheduler"),
        ("redis", "redis-server"),
        ("serve", "cli serve"),
    ],
)
def test_a_sigkilled_process_of_the_stack_is_restarted_with_a_new_pid_and_logged(
    dev_stack: DevStack, name: str, part: str
) -> None:
    old = _child(dev_stack, part)
    old_tree = [old, *descendants(old.pid)]  # the dramatiq supervisor forks its worker
    killed = time.monotonic()
    os.kill(old.pid, signal.SIGKILL)
    new = _wait_for_replacement(dev_stack, part, old)
    log = dev_stack.log.read_text(errors="replace")
    assert f"{name} (pid {old.pid}) exited with -9; restarting it in 0.5 s" in log, log
    assert f"restarted {name} (pid {new.pid}, crash 1 in a row)" in log, log
    # Nothing of the killed process is left taking jobs beside its replacement.
    assert wait_gone(old_tree, timeout=10) == [], f"left behind: {old_tree}"
    body = _wait_for_heartbeat_after(dev_stack, killed, killing_api=name == "serve")
    assert is_running(new) and body["database"] == "ok" and body["redis"] == "ok", body
    print(f"{name} restarted as pid {new.pid}, heartbeat {time.monotonic() - killed:.1f} s later")


def test_one_ctrl_c_stops_the_dev_stack_with_exit_0_and_leaves_no_process(
    dev_stack: DevStack,
) -> None:
    """Runs last in this module: it stops the module's dev stack."""
    dev = dev_stack.process
    assert dev.poll() is None, f"tradecover dev already exited:\n{_tail(dev_stack.log)}"
    tree = [*dev_stack.tree, *descendants(dev.pid)]  # restarted processes included
    stopping = time.monotonic()
    os.killpg(dev.pid, signal.SIGINT)  # Ctrl-C: SIGINT to the foreground process group
    try:
        returncode = dev.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"tradecover dev still running {STOP_TIMEOUT} s after SIGINT")
    stop_seconds = time.monotonic() - stopping
    assert returncode == 0, f"tradecover dev exited {returncode}:\n{_tail(dev_stack.log)}"
    leftovers = wait_gone(tree, timeout=5)
    assert leftovers == [], f"processes left behind: {leftovers}"
    assert "tradecover stopped" in dev_stack.log.read_text(errors="replace")
    print(f"dev stack stopped {stop_seconds:.1f} s after SIGINT")
