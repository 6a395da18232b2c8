"""The Starlette app factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from domain.store.database import close_db, init_db
from schema.build import build_schema
from tradecover.console.routes import console_mount
from tradecover.http.body_limit import BodyLimitMiddleware
from tradecover.http.graphql_view import GraphQLEndpoint, TradecoverGraphQL
from tradecover.http.health import health_endpoint, readiness_endpoint
from tradecover.http.rate_limit import CostModel, Policy, RateLimiter, paginated_fields
from tradecover.metrics import metrics_endpoint
from tradecover.settings import Settings, get_settings
from tradecover.wiring import configure_process


def rate_limiter(settings: Settings, paginated: dict[str, int]) -> RateLimiter | None:
    if not settings.rate_limit_enabled:
        return None
    return RateLimiter.from_url(
        settings.resolved_redis_url,
        partner=Policy(settings.rate_limit_per_second, settings.rate_limit_burst),
        staff=Policy(settings.rate_limit_staff_per_second, settings.rate_limit_staff_burst),
        costs=CostModel(paginated),
    )


def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> Starlette:
    """`manage_database=False` leaves Tortoise to the caller (tests set it up in fixtures,
    since httpx's ASGITransport does not run the lifespan)."""
    settings = settings or get_settings()
    configure_process(settings, serves_metrics=True)

    def view(schema: strawberry.Schema, *, introspection: bool) -> TradecoverGraphQL:
        return TradecoverGraphQL(
            schema,
            graphql_ide="graphiql" if settings.is_dev else None,
            allow_queries_via_get=False,
            multipart_uploads_enabled=True,
            idempotency_wait_seconds=settings.idempotency_wait_seconds,
            dev=settings.is_dev,
            suggestions=introspection,
        )

    open_schema = build_schema(introspection=True)
    limiter = rate_limiter(settings, paginated_fields(open_schema._schema))
    endpoint = GraphQLEndpoint(
        view(open_schema, introspection=True),
        view(build_schema(introspection=False), introspection=False),
        dev=settings.is_dev,
        rate_limiter=limiter,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            await init_db(settings.resolved_database_url)
        # The schema, the ORM's metadata and the imported modules live as long as the
        # process: move them out of the collector's view, so that a full collection walks
        # only request garbage, not hundreds of thousands of long-lived objects (these
        # pauses were the GraphQL side's p99, bench/RESULTS.md).
        gc.freeze()
        try:
            yield
        finally:
            if limiter is not None:
                await limiter.aclose()
            if manage_database:
                await close_db()

    return Starlette(
        routes=[
            Route("/graphql", endpoint, methods=["GET", "POST"]),
            Route("/healthz", health_endpoint(settings.resolved_redis_url), methods=["GET"]),
            Route("/readyz", readiness_endpoint(settings.resolved_redis_url), methods=["GET"]),
            Route(
                "/metrics",
                metrics_endpoint(settings.resolved_redis_url, settings.metrics_token),
                methods=["GET"],
            ),
            console_mount(settings),
        ],
        middleware=[Middleware(BodyLimitMiddleware)],
        lifespan=lifespan,
    )


def asgi() -> Starlette:
    """uvicorn factory entry point: `uvicorn --factory tradecover.app:asgi`."""
    return create_app()
