"""The dramatiq broker, chosen at import (STACK_NOTES): a RedisBroker on the configured
Redis, with the AsyncIO middleware and Tortoise started once per worker process."""

from __future__ import annotations

import logging
from typing import Any

import dramatiq
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
        from tradecover.wiring import configure_process  # imports this module

        try:
            configure_process(get_settings())
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
    broker = RedisBroker(
        url=settings.resolved_redis_url,
        namespace="tradecover",
        # A killed worker's messages come back after this (ms); dramatiq's default is 60 s.
        heartbeat_timeout=settings.broker_heartbeat_timeout_ms,
        maintenance_chance=settings.broker_maintenance_chance,
    )
    broker.add_middleware(AsyncIO())
    broker.add_middleware(TortoiseMiddleware(settings.resolved_database_url))
    return broker


broker = build_broker()
dramatiq.set_broker(broker)
