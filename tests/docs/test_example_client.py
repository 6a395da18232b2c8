"""examples/partner_client.py works against the stack `make run` starts: `tradecover dev`
(migrations, embedded Redis, API, worker, scheduler) on a free port and a temporary data
dir, with the sandbox key it creates on first run. The example's flow (test clock, webhook
endpoint, quote, bind, confirmFinancing, poll until ACTIVE, advance the clock to 7 days
before the FI-N1 deadline) must end with an ACTIVE cover, and its receiver must have
verified the signed webhooks (Standard Webhooks) of the activation and the deadline.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from tests.support.processes import descendants, kill_group, kill_procs, wait_gone
from tradecover.redis_server import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TRADECOVER = REPO / ".venv" / "bin" / "tradecover"
EXAMPLE = REPO / "examples" / "partner_client.py"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no output)"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("partner_client", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`tradecover dev` as `make run` starts it; yields (GraphQL URL, sandbox key)."""
    tmp = tmp_path_factory.mktemp("example-dev")
    port = free_port()
    env = {**os.environ}
    for name in ("TRADECOVER_REDIS_URL", "TRADECOVER_DATABASE_URL"):
        env.pop(name, None)  # its own Redis, SQLite in its data dir: as on a laptop
    env.update(
        TRADECOVER_PORT=str(port), TRADECOVER_DATA_DIR=str(tmp / "var"), TRADECOVER_ENV="dev"
    )
    log = tmp / "dev.log"
    with log.open("wb") as out:
        dev = subprocess.Popen(
            [str(TRADECOVER), "dev"],
            env=env,
            cwd=tmp,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    tree = []
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while "Press Ctrl-C to stop." not in log.read_text(errors="replace"):
            if dev.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"tradecover dev did not start:\n{_tail(log)}")
            time.sleep(0.2)
        with httpx.Client(timeout=2.0) as client:  # a worker answers the heartbeat
            while client.get(f"{base}/healthz").json().get("worker_last_seen_seconds_ago") is None:
                if time.monotonic() > deadline:
                    pytest.fail(f"no worker heartbeat:\n{_tail(log)}")
                time.sleep(0.2)
        tree = descendants(dev.pid)
        key = (tmp / "var" / "sandbox_partner_key.txt").read_text().strip()
        assert key.startswith("tc_test_") and key in log.read_text(), _tail(log)
        yield f"{base}/graphql", key
    finally:
        if not tree and dev.poll() is None:
            tree = descendants(dev.pid)
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGINT)  # Ctrl-C, as in the terminal
            try:
                dev.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                kill_group(dev)
        kill_procs(wait_gone(tree, timeout=5))


def test_the_example_client_runs_quote_to_active_and_verifies_webhooks(dev_stack) -> None:
    api_url, key = dev_stack
    example = _example()
    receiver = example.WebhookReceiver()
    try:
        cover = example.run(api_url, key, receiver)
    finally:
        receiver.stop()

    assert cover["status"] == "ACTIVE", cover
    assert receiver.rejected == 0
    verified = {event["type"]: event for event in receiver.events}
    assert {"cover.pending_confirmation", "cover.activated", "deadline.approaching"} <= set(
        verified
    ), sorted(verified)
    assert verified["cover.activated"]["data"]["cover"]["id"] == cover["id"]
    approaching = verified["deadline.approaching"]["data"]
    assert approaching["deadline"]["rule"] == "FI-N1"
    assert approaching["announcement"] == "7 days before"
    # The receiver verified every one: a body signed with another secret is refused.
    assert receiver.receive(b'{"type": "cover.activated"}', {"webhook-id": "msg_x"}) == 400
