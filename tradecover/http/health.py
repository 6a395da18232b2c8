"""GET /healthz: 200 only when the database and Redis both answer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise import connections

from domain.services import heartbeat

CHECK_TIMEOUT_SECONDS = 2.0


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
