"""The dramatiq broker, chosen at import (STACK_NOTES): a RedisBroker on the configured
Redis, with the AsyncIO middleware and Tortoise started once per worker process."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import dramatiq
import structlog
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AsyncIO, Middleware

from domain.store.database import close_db, init_db
from tradecover.settings import get_settings


class TortoiseMiddleware(Middleware):
    """Opens the database on the AsyncIO middleware's event loop when a worker boots and
    closes it after shutdown (otherwise aiosqlite's thread hangs the exit)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def _run(self, coro: Any) -> None:
        loop_thread = get_event_loop_thread()
        if loop_thread is None:
            raise RuntimeError("TortoiseMiddleware must be added after AsyncIO")
        loop_thread.run_coroutine(coro)

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from tradecover.logs import configure_logging
        from tradecover.wiring import configure_process  # imports this module

        try:
            settings = get_settings()
            configure_logging(json_lines=not settings.is_dev)
            configure_process(settings)
            self._run(init_db(self.database_url))
        except Exception as error:
            # dramatiq logs hook errors and runs on, failing every message: stop instead.
            logging.getLogger("tradecover.worker").critical("worker boot failed: %s", error)
            raise SystemExit(3) from error

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # "after" hooks run in reverse order, so the AsyncIO loop is still alive here, and
        # jobs still running at SIGTERM have finished with their database.
        self._run(close_db())


def build_broker() -> RedisBroker:
    settings = get_settings()
    broker = RedisBroker(  # type: ignore[no-untyped-call]  # dramatiq ships no annotations here
        url=settings.resolved_redis_url,
        namespace="tradecover",
        # A killed worker's messages come back after this (ms); dramatiq's default is 60 s.
        heartbeat_timeout=settings.broker_heartbeat_timeout_ms,
        maintenance_chance=settings.broker_maintenance_chance,
    )
    broker.add_middleware(AsyncIO())
    broker.add_middleware(TortoiseMiddleware(settings.resolved_database_url))
    broker.add_middleware(JobLogMiddleware())
    if settings.worker_metrics_port:
        broker.add_middleware(_prometheus(settings.worker_metrics_port, settings.data_dir))
    return broker


def _prometheus(port: int, data_dir: Path) -> Middleware:
    """dramatiq's own Prometheus middleware (messages, errors, retries, durations per
    actor), served by a process the dramatiq CLI forks; it reads its settings from the
    environment when imported."""
    os.environ["dramatiq_prom_port"] = str(port)  # noqa: SIM112 (dramatiq reads lower case)
    prom_db = str((data_dir / "prometheus").resolve())
    os.environ.setdefault("dramatiq_prom_db", prom_db)  # noqa: SIM112
    from dramatiq.middleware.prometheus import Prometheus

    return Prometheus()


class JobLogMiddleware(Middleware):
    """A structured line when each job starts and ends, with its job id, actor and the
    cover it is about. Actors run on the AsyncIO middleware's loop thread, so context bound
    here would not reach their own log lines: these two lines carry it instead."""

    def __init__(self) -> None:
        self.log = structlog.get_logger("tradecover.worker")
        self.started: dict[str, float] = {}

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self.started[message.message_id] = time.monotonic()
        self.log.info("job.start", **_job_fields(message))

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        started = self.started.pop(message.message_id, time.monotonic())
        fields = {**_job_fields(message), "seconds": round(time.monotonic() - started, 4)}
        if exception is None:
            self.log.info("job.done", **fields)
        else:
            self.log.warning("job.failed", error=type(exception).__name__, **fields)

    after_skip_message = after_process_message


def _job_fields(message: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "job_id": message.message_id,
        "actor": message.actor_name,
        "retries": message.options.get("retries", 0),
    }
    for arg in message.args:
        if isinstance(arg, str) and arg.startswith("cov_"):
            fields["cover_id"] = arg
    return fields


broker = build_broker()
dramatiq.set_broker(broker)
