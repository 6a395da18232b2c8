"""The Starlette app factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Route

from domain.store.database import close_db, init_db
from schema.build import build_schema
from tradecover.http.graphql_view import GraphQLEndpoint, TradecoverGraphQL
from tradecover.http.health import health_endpoint
from tradecover.settings import Settings, get_settings
from tradecover.wiring import configure_process


def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> Starlette:
    """`manage_database=False` leaves Tortoise to the caller (tests set it up in fixtures,
    since httpx's ASGITransport does not run the lifespan)."""
    settings = settings or get_settings()
    configure_process(settings)

    def view(introspection: bool) -> TradecoverGraphQL:
        return TradecoverGraphQL(
            build_schema(introspection=introspection),
            graphql_ide="graphiql" if settings.is_dev else None,
            allow_queries_via_get=False,
            multipart_uploads_enabled=True,
            idempotency_wait_seconds=settings.idempotency_wait_seconds,
            dev=settings.is_dev,
        )

    endpoint = GraphQLEndpoint(view(True), view(False), dev=settings.is_dev)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            await init_db(settings.resolved_database_url)
        # The schema, the ORM's metadata and the imported modules live as long as the
        # process: move them out of the collector's view, so that a full collection walks
        # only request garbage, not hundreds of thousands of long-lived objects (issue 7:
        # these pauses were the GraphQL side's p99).
        gc.freeze()
        try:
            yield
        finally:
            if manage_database:
                await close_db()

    return Starlette(
        routes=[
            Route("/graphql", endpoint, methods=["GET", "POST"]),
            Route("/healthz", health_endpoint(settings.resolved_redis_url), methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def asgi() -> Starlette:
    """uvicorn factory entry point: `uvicorn --factory tradecover.app:asgi`."""
    return create_app()
