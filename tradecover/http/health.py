"""GET /healthz: 200 only when the database and Redis both answer (liveness).
GET /readyz: 200 only when, besides, every migration of this release is applied
(readiness: a pod of a new release takes no traffic before its migration job ran)."""

from __future__ import annotations

import asyncio
import pkgutil
from datetime import UTC, datetime
from functools import lru_cache
from importlib import import_module
from typing import Any

import redis.asyncio as aioredis
from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise import connections

from domain.services import heartbeat
from domain.store.config import MIGRATIONS_MODULE

CHECK_TIMEOUT_SECONDS = 2.0
#: Where Tortoise's native migrations record what they applied, and our app's label in it
#: (domain/store/config.py).
MIGRATIONS_TABLE = "tortoise_migrations"
MIGRATIONS_APP = "models"


async def _database_ok() -> bool:
    try:
        conn = connections.get("default")
        await asyncio.wait_for(conn.execute_query("SELECT 1"), CHECK_TIMEOUT_SECONDS)
        return True
    except Exception:
        return False


async def _redis_ok(redis_url: str) -> bool:
    client = aioredis.from_url(redis_url, socket_connect_timeout=CHECK_TIMEOUT_SECONDS)
    try:
        return bool(await asyncio.wait_for(client.ping(), CHECK_TIMEOUT_SECONDS))
    except Exception:
        return False
    finally:
        await client.aclose()


def health_endpoint(redis_url: str) -> Any:
    async def healthz(request: Request) -> JSONResponse:
        database, redis_ok = await asyncio.gather(_database_ok(), _redis_ok(redis_url))
        body: dict[str, Any] = {
            "database": "ok" if database else "down",
            "redis": "ok" if redis_ok else "down",
        }
        if database:
            seen = await heartbeat.last_seen("scheduler")
            body["worker_last_seen_seconds_ago"] = (
                round((datetime.now(UTC) - seen).total_seconds(), 1) if seen else None
            )
        return JSONResponse(body, status_code=200 if database and redis_ok else 503)

    return healthz


@lru_cache(maxsize=1)
def _release_migrations() -> frozenset[str]:
    """The migrations shipped with this code, named as Tortoise's loader names them."""
    package = import_module(MIGRATIONS_MODULE)
    return frozenset(
        name
        for _, name, is_package in pkgutil.iter_modules(package.__path__)
        if not is_package and name[0] not in "_~"
    )


async def _pending_migrations() -> list[str]:
    """This release's migrations the database has not recorded (all of them when it has no
    record table yet). Migrations of a newer release are not pending: an old pod stays
    ready while a rolling update brings the new one."""
    query = f'SELECT "name" FROM "{MIGRATIONS_TABLE}" WHERE "app" = \'{MIGRATIONS_APP}\''
    try:
        conn = connections.get("default")
        _, rows = await asyncio.wait_for(conn.execute_query(query), CHECK_TIMEOUT_SECONDS)
        applied = {row["name"] for row in rows}
    except Exception:
        applied = set()
    return sorted(_release_migrations() - applied)


def readiness_endpoint(redis_url: str) -> Any:
    """GET /readyz: 200 when the database answers, every migration is applied and Redis
    answers; 503 otherwise, with what is missing."""

    async def readyz(request: Request) -> JSONResponse:
        database, redis_ok = await asyncio.gather(_database_ok(), _redis_ok(redis_url))
        body: dict[str, Any] = {
            "database": "ok" if database else "down",
            "redis": "ok" if redis_ok else "down",
        }
        pending = await _pending_migrations() if database else None
        if pending is None:
            body["migrations"] = "unknown"
        else:
            body["migrations"] = "pending" if pending else "ok"
            if pending:
                body["pending_migrations"] = pending
        ready = database and redis_ok and pending == []
        return JSONResponse(body, status_code=200 if ready else 503)

    return readyz
