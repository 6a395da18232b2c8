"""Shared by the chaos tests: the stack's processes (dramatiq workers, the scheduler, the
API) started as our own process groups, a sender to a given Redis, TR covers bound
through the domain services, the state checks every test ends with, and the summary
file whose figures go into RELIABILITY.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import redis

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"
PYTHON = BIN / "python"
TRADECOVER = BIN / "tradecover"
NAMESPACE = "tradecover"  # workers/broker.py
#: Figures for RELIABILITY.md, one section per test (merged across tests of a run).
SUMMARY = Path(os.environ.get("TRADECOVER_CHAOS_SUMMARY", "/tmp/tradecover-chaos-summary.json"))
STOP_TIMEOUT = 20.0


# --- figures ------------------------------------------------------------------------------


def record(section: str, figures: dict[str, Any]) -> None:
    """Writes one test's figures into the summary file and prints them (pytest -s)."""
    try:
        summary = json.loads(SUMMARY.read_text())
    except (FileNotFoundError, ValueError):
        summary = {}
    summary[section] = {**figures, "recorded_at": datetime.now(UTC).isoformat(timespec="seconds")}
    SUMMARY.write_text(json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n")
    print(f"\n[chaos] {section}: {json.dumps(figures, sort_keys=True, default=str)}")


# --- processes ----------------------------------------------------------------------------


def stack_env(database_url: str, redis_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment of a worker, scheduler or API process of the stack under test."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "TRADECOVER_ENV": "test",
        "TRADECOVER_DATA_DIR": str(data_dir),
        "TRADECOVER_DATABASE_URL": database_url,
        "TRADECOVER_REDIS_URL": redis_url,
        # A SIGKILLed worker's messages come back 2 s after its last heartbeat; every
        # fifth broker command also runs the maintenance that requeues them.
        "TRADECOVER_BROKER_HEARTBEAT_TIMEOUT_MS": "2000",
        "TRADECOVER_BROKER_MAINTENANCE_CHANCE": "200000",
        # The relay and the webhook re-sends every 0.2 s; the heartbeat and the deadline
        # sweep once, at the scheduler's start.
        "TRADECOVER_SCHEDULER_INTERVAL_SECONDS": "0.2",
        "TRADECOVER_HEARTBEAT_INTERVAL_SECONDS": "3600",
        "dramatiq_worker_timeout": "100",  # idle workers poll every 100 ms
        "dramatiq_restart_delay": "500",  # a consumer that lost Redis retries after 0.5 s
        **extra,
    }


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no output)"


@dataclass
class Processes:
    """Processes this test started, each in its own process group (start_new_session):
    a SIGKILL to the group takes the dramatiq supervisor and its worker process at once,
    and touches nothing this test did not start."""

    logs_dir: Path
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    started: int = 0
    _ready: set[int] = field(default_factory=set)

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        self.started += 1
        log = self.logs_dir / f"{name}.{self.started}.log"
        self.logs[name] = log
        with log.open("wb") as out:
            process = subprocess.Popen(
                args,
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running[name] = process
        return process

    def worker(self, name: str, env: dict[str, str], threads: int = 2) -> subprocess.Popen[bytes]:
        args = [str(PYTHON), "-m", "dramatiq", "workers.actors", "--processes", "1"]
        return self.start(name, [*args, "--threads", str(threads)], env)

    def scheduler(self, env: dict[str, str]) -> subprocess.Popen[bytes]:
        return self.start("scheduler", [str(TRADECOVER), "scheduler"], env)

    def sigkill(self, name: str) -> None:
        """SIGKILL the whole group of `name` and reap it."""
        process = self.running.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self, name: str) -> None:
        self.stop_all([name])

    def stop_all(self, names: list[str] | None = None) -> None:
        """SIGTERM once to each group leader (dramatiq's supervisor forwards it once to its
        worker; a second SIGTERM would make the worker skip its graceful stop), then
        SIGKILL whatever is left of each group."""
        stopping = [(n, self.running.pop(n)) for n in (names or list(self.running))]
        for _, process in stopping:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for _, process in stopping:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def ready(self, name: str) -> bool:
        """A dramatiq worker that finished booting (its log says so)."""
        process = self.running.get(name)
        if process is None:
            return False
        if process.pid not in self._ready:
            try:
                text = self.logs[name].read_text(errors="replace")
            except FileNotFoundError:
                return False
            if "ready for action" in text:
                self._ready.add(process.pid)
        return process.pid in self._ready

    def exited(self) -> list[str]:
        """Names of processes that stopped on their own (a crash of the stack itself)."""
        return [name for name, p in self.running.items() if p.poll() is not None]

    def diagnostics(self) -> str:
        return "\n".join(f"--- {name}:\n{tail(log)}" for name, log in self.logs.items())


async def wait_until(
    check: Callable[[], Awaitable[bool]],
    timeout: float,
    what: str,
    diagnostics: Callable[[], str] = lambda: "",
    interval: float = 0.2,
) -> float:
    """Polls `check` until it holds; returns the seconds it took, fails at the deadline."""
    started = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s: {what}\n{diagnostics()}")
        await asyncio.sleep(interval)


def job_log(path: Path) -> list[dict[str, Any]]:
    """The worker's structured job lines (workers/broker.py, JobLogMiddleware):
    job.start / job.done / job.failed with the dramatiq message id as `job_id`."""
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"job.' in line:
            with contextlib.suppress(ValueError):
                lines.append(json.loads(line))
    return lines


# --- Redis ----------------------------------------------------------------------------------


def redis_db_url(redis_url: str, db: int) -> str:
    """The same server, another logical database: this test's queues only."""
    return f"{redis_url.rsplit('/', 1)[0]}/{db}"


class RedisSender:
    """The outbox's `send` for the test process, to the Redis of the stack under test (the
    process's own broker, workers/broker.py, was chosen at import for the session's Redis).
    Builds the same message as `actor.send_with_options`."""

    def __init__(self, url: str) -> None:
        from dramatiq import Message
        from dramatiq.brokers.redis import RedisBroker

        self._message = Message
        self.broker = RedisBroker(url=url, namespace=NAMESPACE)
        self.broker.declare_queue("default")
        self.sent = 0

    def __call__(self, actor: str, payload: dict[str, Any], outbox_id: str) -> None:
        message = self._message(
            queue_name="default",
            actor_name=actor,
            args=(),
            kwargs={**payload, "outbox_id": outbox_id},
            options={},
        )
        self.broker.enqueue(message)
        self.sent += 1

    def close(self) -> None:
        self.broker.close()


def broker_backlog(url: str) -> dict[str, int]:
    """Messages still in Redis: queued, in flight or delayed (`pending`), and dead-lettered
    (`dead`). An acked message leaves its queue's `.msgs` hash."""
    client = redis.Redis.from_url(url)
    try:
        pending = dead = 0
        for key in client.scan_iter(match=f"{NAMESPACE}:*.msgs"):
            count = int(client.hlen(key))
            if key.decode().endswith(".XQ.msgs"):
                dead += count
            else:
                pending += count
        return {"pending": pending, "dead": dead}
    finally:
        client.close()


def in_flight(url: str) -> int:
    """Messages workers have taken (prefetched or running) and not acked yet."""
    client = redis.Redis.from_url(url)
    try:
        return sum(int(client.scard(key)) for key in client.scan_iter(f"{NAMESPACE}:__acks__.*"))
    finally:
        client.close()


# --- covers ---------------------------------------------------------------------------------

CAPACITY = Decimal("150000.00")  # U-1 buyer capacity (LIFECYCLE 2, config default)
AMOUNT = Decimal("19000.00")  # under U-4's 20,000.00: decided by the job, never referred


def company(registration: str, name: str, country: str = "ES", sector: str = "46.90") -> Any:
    from domain.rules.quote_request import Company

    return Company(country, registration, name, "COMPANY", sector)


CARRIER = company("BG123456789", "Carrier EOOD", "BG", "49.41")


async def quote_tr(principal: Any, buyer: str, amount: Decimal, now: datetime) -> Any:
    from domain.rules.money import Money
    from domain.rules.quote_request import ShipmentFacts
    from domain.services.quotes import QuoteDraft, request_quote

    draft = QuoteDraft(
        "TRANSPORT_INVOICE",
        CARRIER,
        company(buyer, f"Buyer {buyer}"),
        shipment=ShipmentFacts(Money(amount, "EUR"), now.date()),
    )
    quote = await request_quote(principal, draft, now)
    assert quote.eligible, quote.violations
    return quote


async def bind_tr(principal: Any, buyer: str, amount: Decimal, now: datetime) -> Any:
    """A TR cover bound with a held card (TR-P2), its feasibility job published by the
    outbox's sender of this process."""
    from domain.services import covers

    quote = await quote_tr(principal, buyer, amount, now)
    return await covers.bind_cover(
        principal, quote.id, signature_reference=None, payment_method_token="tok_visa", now=now
    )


async def freight_partner(name: str = "Haulage") -> Any:
    from domain.services.principals import Principal, create_partner

    row, _ = await create_partner(
        name=name, kind="freight_exchange", sandbox=True, premium_rate=None, now=datetime.now(UTC)
    )
    return Principal(partner_id=row.id, sandbox=True)


# --- final state ----------------------------------------------------------------------------


async def unsettled() -> dict[str, int]:
    """What is not finished yet: undecided covers, holds not captured or released, outbox
    rows not published, webhook deliveries not settled."""
    from domain.store.cover_models import Cover, PaymentHold
    from domain.store.models import OutboxMessage
    from domain.store.webhook_models import WebhookDelivery

    return {
        "covers": await Cover.filter(status="PENDING_CONFIRMATION").count(),
        "holds": await PaymentHold.filter(status__in=("HELD", "CAPTURING", "RELEASING")).count(),
        "outbox": await OutboxMessage.filter(published_at__isnull=True).count(),
        "webhooks": await WebhookDelivery.filter(status="PENDING").count(),
    }


async def assert_covers_settled_exactly_once(cover_ids: list[str]) -> dict[str, int]:
    """Every cover ACTIVE or DECLINED with one decision; its hold CAPTURED or RELEASED to
    match, once, in the hold table, the cover's events and the card network's ledger
    (TR-P2). U-1 held under the chaos too: no buyer over capacity. Returns the outcomes."""
    from domain.store.cover_models import Cover, CoverEvent, PaymentHold, SandboxCardAuthorization

    covers = {c.id: c for c in await Cover.filter(id__in=cover_ids)}
    assert len(covers) == len(cover_ids)
    holds = {h.cover_id: h for h in await PaymentHold.filter(cover_id__in=cover_ids)}  # type: ignore[attr-defined]
    ledger = {
        row.id: row
        for row in await SandboxCardAuthorization.filter(
            id__in=[h.gateway_reference for h in holds.values()]
        )
    }
    events: dict[tuple[str, str], int] = {}
    for cover_id, event_type in await CoverEvent.filter(cover_id__in=cover_ids).values_list(
        "cover_id", "type"
    ):
        events[(cover_id, event_type)] = events.get((cover_id, event_type), 0) + 1

    def count(cover_id: str, event_type: str) -> int:
        return events.get((cover_id, event_type), 0)

    problems: list[str] = []
    active_by_buyer: dict[str, Decimal] = {}
    for cover_id, cover in covers.items():
        hold = holds[cover_id]
        card = ledger[hold.gateway_reference]
        state = (cover.status, hold.status, card.status, card.capture_count, card.cancel_count)
        decisions = (count(cover_id, "cover.activated"), count(cover_id, "cover.declined"))
        hold_events = (
            count(cover_id, "payment_hold.captured"),
            count(cover_id, "payment_hold.released"),
        )
        if cover.status == "ACTIVE":
            expected = ("ACTIVE", "CAPTURED", "CAPTURED", 1, 0)
            expected_events = ((1, 0), (1, 0))
            active_by_buyer[cover.buyer_key] = (
                active_by_buyer.get(cover.buyer_key, Decimal(0)) + cover.insured_amount
            )
        else:
            expected = ("DECLINED", "RELEASED", "CANCELED", 0, 1)
            expected_events = ((0, 1), (0, 1))
        if state != expected or (decisions, hold_events) != expected_events:
            problems.append(
                f"{cover_id}: (cover, hold, card, captures, cancels) {state}, "
                f"(activated, declined) {decisions}, (captured, released) {hold_events}"
            )
        feasibility = [
            count(cover_id, f"cover.feasibility_{outcome}")
            for outcome in ("confirmed", "declined", "referred")
        ]
        if feasibility[0] + feasibility[1] > 1 or feasibility[2] > 1:
            problems.append(f"{cover_id}: feasibility decided more than once {feasibility}")
    over = {buyer: total for buyer, total in active_by_buyer.items() if total > CAPACITY}
    assert not problems, "\n".join(problems[:20]) + f"\n({len(problems)} covers wrong)"
    assert not over, f"U-1: buyers over the capacity of {CAPACITY}: {over}"
    statuses = [c.status for c in covers.values()]
    return {"active": statuses.count("ACTIVE"), "declined": statuses.count("DECLINED")}
