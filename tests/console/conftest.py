"""Fixtures of the console's HTTP tests: the whole app in-process (httpx ASGITransport),
jobs run inline, and console clients with their own cookie jars."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.conftest import GraphQLClient
from tests.console.support import Console


@pytest.fixture
async def clients(app_settings: Any, jobs: Any) -> AsyncIterator[Callable[[], httpx.AsyncClient]]:
    """New clients of one app instance (GraphQL and the console are in the same app)."""
    from domain.services import outbox
    from domain.services.principals import forget_keys
    from tradecover.app import create_app

    app = create_app(app_settings, manage_database=False)
    outbox.set_sender(jobs.send)  # create_app wired Redis: tests run jobs inline
    transport = httpx.ASGITransport(app=app)
    made: list[httpx.AsyncClient] = []

    def new() -> httpx.AsyncClient:
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
