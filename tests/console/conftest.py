"""Fixtures of the console's HTTP tests: the whole app in-process (httpx ASGITransport),
jobs run inline, console clients with their own cookie jars (and client addresses), and
the console's clock set by the test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import GraphQLClient
from tests.console.support import Console

#: The peer address ASGITransport reports by default.
DEFAULT_ADDRESS = "127.0.0.1"


@pytest.fixture
async def clients(app_settings: Any, jobs: Any) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """New clients of one app instance (GraphQL and the console are in the same app),
    each seen by the app as coming from `address` (no traffic leaves the process)."""
    from domain.services import outbox
    from domain.services.principals import forget_keys
    from tradecover.app import create_app

    app = create_app(app_settings, manage_database=False)
    outbox.set_sender(jobs.send)  # create_app wired Redis: tests run jobs inline
    made: list[httpx.AsyncClient] = []

    def new(address: str = DEFAULT_ADDRESS) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 50_000))
        client = httpx.AsyncClient(transport=transport, base_url="http://tradecover.test")
        made.append(client)
        return client

    yield new
    for client in made:
        await client.aclose()
    forget_keys()


@pytest.fixture
def gql(clients: Callable[[], httpx.AsyncClient]) -> GraphQLClient:
    return GraphQLClient(clients())


@pytest.fixture
def console(clients: Callable[[], httpx.AsyncClient]) -> Console:
    return Console(clients())


class Clock:
    """The console's clock (sessions.clock) in a test: it moves only when told to."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def console_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from tradecover.console import sessions

    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(sessions, "clock", clock)
    return clock
