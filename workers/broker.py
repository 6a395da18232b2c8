"""The dramatiq broker, chosen at import (STACK_NOTES): a RedisBroker on the configured
Redis, with the AsyncIO middleware and Tortoise started once per worker process."""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AsyncIO, Middleware

from domain.store.database import close_db, init_db
from tradecover.settings import get_settings


class TortoiseMiddleware(Middleware):
    """Opens the database on the AsyncIO middleware's event loop when a worker boots and
    closes it on shutdown (otherwise aiosqlite's thread hangs the exit)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def _run(self, coro: Any) -> None:
        loop_thread = get_event_loop_thread()
        if loop_thread is None:
            raise RuntimeError("TortoiseMiddleware must be added after AsyncIO")
        loop_thread.run_coroutine(coro)

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from tradecover.wiring import configure_process  # imports this module

        configure_process(get_settings())
        self._run(init_db(self.database_url))

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._run(close_db())


def build_broker() -> RedisBroker:
    settings = get_settings()
    broker = RedisBroker(
        url=settings.resolved_redis_url,
        namespace="tradecover",
        #: A killed worker's messages come back after this (ms); the default is 60 s.
        heartbeat_timeout=15_000,
    )
    broker.add_middleware(AsyncIO())
    broker.add_middleware(TortoiseMiddleware(settings.resolved_database_url))
    return broker


broker = build_broker()
dramatiq.set_broker(broker)
