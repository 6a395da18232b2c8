"""The real stack the browser tests drive, and the partner side that fills it.

The API (`tradecover serve`, uvicorn on a free port), one dramatiq worker and the
scheduler run as separate processes on a temporary data directory with SQLite, on the
session's Redis (a logical database of their own). Keys come from the CLI. The data staff
work on is made the way partners make it: GraphQL over HTTP, jobs run by the worker.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.support.http_receiver import LocalHTTPServer
from tests.support.processes import Proc, descendants, kill_group, kill_procs, wait_gone
from tradecover.redis_server import free_port

REPO = Path(__file__).resolve().parents[2]
TRADECOVER = REPO / ".venv" / "bin" / "tradecover"
START_TIMEOUT = 60.0
#: How long a job may take to show in the API: a deadline, not a measure.
DEADLINE = 30.0
REDIS_DB = 8
T = TypeVar("T")


class StackError(AssertionError):
    pass


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no output)"


@dataclass
class Stack:
    cwd: Path
    env: dict[str, str]
    base: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    tree: list[Proc] = field(default_factory=list)
    http: httpx.Client | None = None

    def cli(self, *args: str) -> str:
        """`tradecover ...` on the stack's database; returns the last stdout line."""
        done = subprocess.run(
            [str(TRADECOVER), *args],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise StackError(f"tradecover {args} failed:\n{done.stdout}{done.stderr}")
        return done.stdout.strip().splitlines()[-1]

    def start(self, name: str, *args: str) -> None:
        self.logs[name] = self.cwd / f"{name}.log"
        with self.logs[name].open("wb") as log:
            self.processes[name] = subprocess.Popen(
                [str(TRADECOVER), *args],
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def diagnostics(self) -> str:
        return "\n".join(f"--- {name}:\n{_tail(log)}" for name, log in self.logs.items())

    def poll(self, what: str, fetch: Callable[[], T], ready: Callable[[T], bool]) -> T:
        deadline = time.monotonic() + DEADLINE
        while True:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise StackError(f"{name} exited {process.returncode}\n{self.diagnostics()}")
            value = fetch()
            if ready(value):
                return value
            if time.monotonic() > deadline:
                raise StackError(f"timed out waiting for {what}: {value}\n{self.diagnostics()}")
            time.sleep(0.1)

    def graphql(self, query: str, variables: dict[str, Any], key: str) -> dict[str, Any]:
        assert self.http is not None
        response = self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {key}"},
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise StackError(f"GraphQL failed: {response.status_code} {body}")
        return dict(body["data"])

    def mutate(self, name: str, query: str, variables: dict[str, Any], key: str) -> dict[str, Any]:
        payload = self.graphql(query, variables, key)[name]
        if payload.get("userErrors"):
            raise StackError(f"{name} refused: {payload['userErrors']}")
        return dict(payload)

    def upload(
        self, query: str, key: str, cover_id: str, kind: str, file: tuple[str, bytes, str]
    ) -> None:
        """submitDocument as a GraphQL multipart request."""
        assert self.http is not None
        operations = {
            "query": query,
            "variables": {"input": {"coverId": cover_id, "kind": kind, "file": None}},
        }
        response = self.http.post(
            "/graphql",
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({"0": ["variables.input.file"]}),
            },
            files={"0": file},
            headers={"Authorization": f"Bearer {key}"},
        )
        payload = response.json()["data"]["submitDocument"]
        if payload["userErrors"]:
            raise StackError(f"submitDocument refused: {payload['userErrors']}")


def start_stack(tmp: Path, redis_url: str) -> Stack:
    env = {
        **os.environ,
        "TRADECOVER_ENV": "test",
        "TRADECOVER_HOST": "127.0.0.1",
        "TRADECOVER_DATA_DIR": str(tmp / "var"),
        "TRADECOVER_DATABASE_URL": f"sqlite://{tmp / 'tradecover.sqlite3'}",
        "TRADECOVER_REDIS_URL": f"{redis_url.rsplit('/', 1)[0]}/{REDIS_DB}",
        "TRADECOVER_SCHEDULER_INTERVAL_SECONDS": "0.2",
        "TRADECOVER_HEARTBEAT_INTERVAL_SECONDS": "3600",
        "dramatiq_worker_timeout": "100",
    }
    (tmp / "var").mkdir(parents=True, exist_ok=True)
    stack = Stack(tmp, env)
    stack.cli("migrate")
    stack.start("worker", "worker", "--threads", "4")
    stack.start("scheduler", "scheduler")
    for _ in range(3):  # free_port() only finds a port: another process may take it first
        port = free_port()
        stack.env["TRADECOVER_PORT"] = str(port)
        stack.base = f"http://127.0.0.1:{port}"
        stack.start("api", "serve")
        deadline = time.monotonic() + START_TIMEOUT
        while stack.processes["api"].poll() is None and time.monotonic() < deadline:
            if "Uvicorn running on" in _tail(stack.logs["api"]):
                break
            time.sleep(0.05)
        if stack.processes["api"].poll() is None:
            break
    stack.http = httpx.Client(base_url=stack.base, timeout=20.0, trust_env=False)
    stack.poll(
        "the API with its database, Redis and a worker",
        lambda: _health(stack),
        lambda body: (
            body.get("database") == "ok" and body.get("worker_last_seen_seconds_ago") is not None
        ),
    )
    stack.tree = [p for process in stack.processes.values() for p in descendants(process.pid)]
    return stack


def _health(stack: Stack) -> dict[str, Any]:
    try:
        response = httpx.get(f"{stack.base}/healthz", timeout=2.0, trust_env=False)
        return dict(response.json()) if response.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        return {}


def stop_stack(stack: Stack) -> None:
    """SIGTERM to each process started (dramatiq's supervisor forwards it), then SIGKILL
    whatever is left of their own process groups."""
    if stack.http is not None:
        stack.http.close()
    for process in stack.processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in stack.processes.values():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill_group(process)
    kill_procs(wait_gone(stack.tree, timeout=5))


class Receiver:
    """A partner's webhook endpoint on 127.0.0.1 that answers `status` (410 Gone at
    first: the delivery fails at once and the endpoint is disabled)."""

    def __init__(self) -> None:
        self.status = 410
        self.webhook_ids: list[tuple[int, str]] = []
        self.http = LocalHTTPServer(self._answer)
        self.url = f"{self.http.base}/hooks"

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        self.webhook_ids.append((self.status, headers.get("webhook-id", "")))
        return self.status

    def close(self) -> None:
        self.http.close()
