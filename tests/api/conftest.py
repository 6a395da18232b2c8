"""Fixtures shared by the API tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from domain.services import document_storage
from domain.services.document_storage import LocalFileStorage
from tests.conftest import GraphQLClient


@pytest.fixture
def storage(tmp_path):
    """Claim documents stored under the test's own directory."""
    document_storage.configure(LocalFileStorage(tmp_path / "documents"))


@pytest.fixture
def limited_api(app_settings: Any, jobs: Any) -> Callable[..., Any]:
    """An API client whose app has the given settings overrides."""
    from domain.services import outbox
    from tradecover.app import create_app

    @asynccontextmanager
    async def client(**overrides: Any) -> AsyncIterator[GraphQLClient]:
        app = create_app(app_settings.model_copy(update=overrides), manage_database=False)
        outbox.set_sender(jobs.send)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t.test") as http:
            yield GraphQLClient(http)
        # httpx's transport runs no lifespan, which is where the app closes its limiter.
        endpoint = next(r for r in app.routes if getattr(r, "path", "") == "/graphql")
        limiter = endpoint.endpoint.rate_limiter  # type: ignore[attr-defined]
        if limiter is not None:
            await limiter.aclose()

    return client
