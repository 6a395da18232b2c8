"""GET /readyz (issue 9, item 1): ready = database reachable, every migration of this
release applied, Redis reachable. The liveness check /healthz does not look at migrations.
Called through a tiny Starlette app, like the API wires it."""

from __future__ import annotations

import socket
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import Route
from tortoise import connections

from tradecover.http.health import _release_migrations, health_endpoint, readiness_endpoint


def closed_port_url() -> str:
    """A Redis URL nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


async def get(path: str, redis_url: str) -> httpx.Response:
    app = Starlette(
        routes=[
            Route("/readyz", readiness_endpoint(redis_url), methods=["GET"]),
            Route("/healthz", health_endpoint(redis_url), methods=["GET"]),
        ]
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tradecover.test") as c:
        return await c.get(path)


async def execute(sql: str, values: list[Any] | None = None) -> None:
    await connections.get("default").execute_query(sql, values)


def latest_migration() -> str:
    return max(_release_migrations())


async def test_ready_when_database_migrations_and_redis_are_there(
    sqlite_db: str, redis_url: str
) -> None:
    response = await get("/readyz", redis_url)
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok", "migrations": "ok"}


async def test_not_ready_when_redis_is_down(sqlite_db: str) -> None:
    response = await get("/readyz", closed_port_url())
    assert response.status_code == 503
    assert response.json()["redis"] == "down"
    assert response.json()["migrations"] == "ok"


async def test_not_ready_while_a_migration_of_this_release_is_missing(
    sqlite_db: str, redis_url: str
) -> None:
    await execute("DELETE FROM tortoise_migrations WHERE name = ?", [latest_migration()])
    response = await get("/readyz", redis_url)
    assert response.status_code == 503
    assert response.json()["migrations"] == "pending"
    assert response.json()["pending_migrations"] == [latest_migration()]
    # Liveness is not readiness: the process is fine, restarting it would not help.
    assert (await get("/healthz", redis_url)).status_code == 200


async def test_not_ready_on_a_database_never_migrated(sqlite_db: str, redis_url: str) -> None:
    await execute("DROP TABLE tortoise_migrations")
    response = await get("/readyz", redis_url)
    assert response.status_code == 503
    assert response.json()["pending_migrations"] == sorted(_release_migrations())


async def test_a_migration_of_a_newer_release_does_not_make_an_old_pod_unready(
    sqlite_db: str, redis_url: str
) -> None:
    """During a rolling update the migration job has run the new release's migrations
    while the old pods still serve."""
    await execute(
        "INSERT INTO tortoise_migrations (app, name, applied_at) VALUES (?, ?, ?)",
        ["models", "9999_from_the_future", "2027-01-01T00:00:00+00:00"],
    )
    assert (await get("/readyz", redis_url)).status_code == 200


def test_release_migrations_are_the_migration_files() -> None:
    from pathlib import Path

    import domain.store.migrations as package

    files = {
        p.stem for p in Path(package.__file__).parent.glob("*.py") if not p.stem.startswith("_")
    }
    assert _release_migrations() == files
    assert files
