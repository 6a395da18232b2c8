"""Fixtures: a real Redis server for the session, a fresh migrated database per test
(SQLite always; PostgreSQL too when TRADECOVER_TEST_POSTGRES=1), and an API client.

Redis starts in pytest_configure, before any test module imports `workers` (the
broker is chosen at import, STACK_NOTES.md).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tradecover.redis_server import RedisServer

POSTGRES_ENABLED = os.environ.get("TRADECOVER_TEST_POSTGRES") == "1"
_redis: RedisServer | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _redis
    os.environ["TRADECOVER_ENV"] = "test"
    _redis = RedisServer(Path(tempfile.mkdtemp(prefix="tc-redis-")), persist=False).start()
    os.environ["TRADECOVER_REDIS_URL"] = _redis.url


def pytest_unconfigure(config: pytest.Config) -> None:
    if _redis is not None:
        _redis.stop()


@pytest.fixture(scope="session")
def redis_url() -> str:
    assert _redis is not None
    return _redis.url


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Any]:
    if not POSTGRES_ENABLED:
        pytest.skip("PostgreSQL tests run with TRADECOVER_TEST_POSTGRES=1")
    from tests.support.postgres import PostgresCluster

    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


async def _create_pg_database(cluster: Any, template: str | None = None) -> str:
    import asyncpg

    name = f"t_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(cluster.url)
    try:
        suffix = f' TEMPLATE "{template}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    finally:
        await conn.close()
    return cluster.url.rsplit("/", 1)[0] + f"/{name}"


#: Migrated once per session and copied for each test: applying every migration takes
#: seconds, copying a file or a PostgreSQL template database milliseconds.
_TEMPLATES: dict[str, str] = {}


async def _migrated_sqlite(path: Path, session_dir: Path) -> str:
    from domain.store.database import migrate

    template = _TEMPLATES.get("sqlite")
    if template is None:
        template = str(session_dir / "template.sqlite3")
        await migrate(f"sqlite://{template}")
        _TEMPLATES["sqlite"] = template
    shutil.copyfile(template, path)
    return f"sqlite://{path}"


async def _migrated_postgres(cluster: Any) -> str:
    from domain.store.database import migrate

    template = _TEMPLATES.get("postgres")
    if template is None:
        url = await _create_pg_database(cluster)
        await migrate(url)
        template = url.rsplit("/", 1)[1]
        _TEMPLATES["postgres"] = template
    return await _create_pg_database(cluster, template)


BACKENDS = ["sqlite", "postgres"] if POSTGRES_ENABLED else ["sqlite"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A migrated, empty database of the parametrised backend."""
    if backend == "postgres":
        return await _migrated_postgres(request.getfixturevalue("postgres_cluster"))
    session_dir = request.getfixturevalue("tmp_path_factory").getbasetemp()
    return await _migrated_sqlite(tmp_path / "tradecover.sqlite3", session_dir)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[str]:
    """Tortoise opened on the test's database for the test's event loop."""
    from domain.store.database import close_db, init_db

    await init_db(database_url)
    yield database_url
    await close_db()


@pytest.fixture
async def sqlite_db(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """SQLite only, for tests whose subject is not storage (the API edge)."""
    from domain.store.database import close_db, init_db

    url = await _migrated_sqlite(tmp_path / "tradecover.sqlite3", tmp_path_factory.getbasetemp())
    await init_db(url)
    yield url
    await close_db()


PartnerFactory = Callable[..., Awaitable[str]]


@pytest.fixture
def make_partner() -> PartnerFactory:
    """Creates a partner and returns its API key."""
    from domain.services.principals import create_partner

    async def make(
        *,
        name: str = "Platform",
        kind: str = "financing_platform",
        sandbox: bool = True,
        premium_rate: Decimal | None = None,
    ) -> str:
        _, key = await create_partner(
            name=name,
            kind=kind,
            sandbox=sandbox,
            premium_rate=premium_rate,
            now=datetime.now(UTC),
        )
        return key

    return make


@pytest.fixture
def make_staff() -> Callable[[], Awaitable[str]]:
    from domain.services.principals import create_staff

    async def make() -> str:
        _, key = await create_staff(name="Underwriter", now=datetime.now(UTC))
        return key

    return make


class GraphQLClient:
    """Posts GraphQL to the app in-process (httpx ASGITransport)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.http = client

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        key: str | None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        headers = {}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        key: str | None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        response = await self.post(query, variables, key=key, idempotency_key=idempotency_key)
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def app_settings(sqlite_db: str, redis_url: str, tmp_path: Path) -> Any:
    from tradecover.settings import Settings

    return Settings(
        env="test", database_url=sqlite_db, redis_url=redis_url, data_dir=tmp_path / "var"
    )


@pytest.fixture
def gateways(redis_url: str) -> None:
    """Sandbox card gateway configured; jobs left in the outbox (no sender)."""
    from domain.services import outbox
    from tradecover.settings import Settings
    from tradecover.wiring import configure_gateways

    configure_gateways(Settings(env="test", redis_url=redis_url))
    outbox.set_sender(None)


@pytest.fixture
def jobs(redis_url: str) -> Iterator[Any]:
    """Jobs run inline: bound to the outbox of this process instead of Redis."""
    from domain.services import outbox
    from tests.support.jobs import InlineJobs
    from tradecover.settings import Settings
    from tradecover.wiring import configure_gateways

    inline = InlineJobs()
    configure_gateways(Settings(env="test", redis_url=redis_url))
    outbox.set_sender(inline.send)
    yield inline
    outbox.set_sender(None)


@pytest.fixture
async def api(app_settings: Any, jobs: Any) -> AsyncIterator[GraphQLClient]:
    from domain.services import outbox
    from tradecover.app import create_app

    app = create_app(app_settings, manage_database=False)
    outbox.set_sender(jobs.send)  # create_app wired Redis: tests run jobs inline
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tradecover.test") as client:
        yield GraphQLClient(client)
