"""Prometheus metrics: GET /metrics on the API.

- requests: `tradecover_http_requests_total{status}`;
- GraphQL operations: `tradecover_graphql_operation_seconds{operation,kind}` (histogram;
  the operation is its root fields, e.g. "requestQuote", or "other" for anything that is
  not a field of the schema, so a client cannot create label values at will);
- errors: `tradecover_graphql_errors_total{code}`: each userError's stable code (FI-E1,
  NOT_FOUND, ...) and GRAPHQL_VALIDATION / INTERNAL for request-level errors;
- business gauges, read from the database at scrape time: covers by status, card holds
  held, deadlines falling due in the next 24 h, webhook endpoints failing or disabled,
  stored document bytes and their quota per partner and mode;
- the job queues, read from Redis at scrape time: messages waiting per queue and the age
  of the oldest (queue lag).

With `TRADECOVER_METRICS_TOKEN` set, a scrape needs `Authorization: Bearer <token>`
(compared in constant time; 401 UNAUTHENTICATED otherwise): the gauges are business
figures. Production refuses to start the API without it unless
`TRADECOVER_METRICS_PUBLIC=true` (tradecover/config_checks.py).

Worker processes export dramatiq's own Prometheus middleware (jobs, retries, failures,
durations) on `TRADECOVER_WORKER_METRICS_PORT` (workers/broker.py). dramatiq's exporter
takes no token: it carries job counters by actor and queue only, no business figure, and
no Service or published port exposes it (deploy/README.md).
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from graphql import OperationType
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from tortoise.functions import Count

from tradecover.http.errors import request_error
from tradecover.http.operations import operations

log = logging.getLogger("tradecover.metrics")

REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "tradecover_http_requests", "HTTP requests to /graphql", ["status"], registry=REGISTRY
)
OPERATION_SECONDS = Histogram(
    "tradecover_graphql_operation_seconds",
    "Time to execute a GraphQL operation",
    ["operation", "kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
ERRORS = Counter(
    "tradecover_graphql_errors", "userErrors by code, request errors", ["code"], registry=REGISTRY
)
COVERS = Gauge("tradecover_covers", "Covers by status", ["status"], registry=REGISTRY)
HOLDS_HELD = Gauge("tradecover_card_holds_held", "Card holds still held", registry=REGISTRY)
DEADLINES_DUE = Gauge(
    "tradecover_deadlines_due_24h",
    "Open deadlines falling due within 24 hours",
    ["scope"],
    registry=REGISTRY,
)
ENDPOINTS_FAILING = Gauge(
    "tradecover_webhook_endpoints_failing",
    "Webhook endpoints with failed deliveries in a row, or disabled",
    ["state"],
    registry=REGISTRY,
)
QUEUE_MESSAGES = Gauge(
    "tradecover_queue_messages", "Job messages waiting", ["queue"], registry=REGISTRY
)
QUEUE_LAG = Gauge(
    "tradecover_queue_lag_seconds",
    "Age of the oldest waiting job message",
    ["queue"],
    registry=REGISTRY,
)
DOCUMENT_BYTES = Gauge(
    "tradecover_document_stored_bytes",
    "Document bytes stored per partner (the SUM its storage quota counts)",
    ["partner", "mode"],
    registry=REGISTRY,
)
DOCUMENT_QUOTA = Gauge(
    "tradecover_document_quota_bytes",
    "Document bytes each partner of the mode may keep stored",
    ["mode"],
    registry=REGISTRY,
)
QUEUES = ("default",)
NAMESPACE = "tradecover"  # workers/broker.py's RedisBroker namespace


def operation_label(query: str | None, known: frozenset[str]) -> tuple[str, str]:
    """(operation, kind) for the histogram: root field names known to the schema."""
    found = operations(query) if query else {}
    if not found:
        return "other", "invalid"
    first = next(iter(found.values()))
    kind = "mutation" if first.type == OperationType.MUTATION else "query"
    if not first.root_fields or any(n not in known for n in first.root_fields):
        return "other", kind
    return "+".join(first.root_fields), kind


def observe_operation(operation: str, kind: str, seconds: float, result: Any) -> None:
    OPERATION_SECONDS.labels(operation, kind).observe(seconds)
    for error in getattr(result, "errors", None) or []:
        masked = error.message == "Unexpected error."
        ERRORS.labels("INTERNAL" if masked else "GRAPHQL_VALIDATION").inc()
    data = getattr(result, "data", None) or {}
    for payload in data.values() if isinstance(data, dict) else ():
        if isinstance(payload, dict):
            for user_error in payload.get("userErrors") or ():
                ERRORS.labels(str(user_error.get("code") or "UNKNOWN")).inc()


async def _business_gauges(now: datetime) -> None:
    from domain.store.claim_models import CoverDeadline
    from domain.store.cover_models import Cover, PaymentHold
    from domain.store.policy_models import PolicyDeadline
    from domain.store.webhook_models import WebhookEndpoint

    COVERS.clear()
    rows = (
        await Cover.all()
        .annotate(count=Count("id"))
        .group_by("status")
        .values_list("status", "count")
    )
    for status, count in rows:
        COVERS.labels(status).set(count)
    HOLDS_HELD.set(await PaymentHold.filter(status="HELD").count())
    until = (now + timedelta(hours=24)).date()
    DEADLINES_DUE.labels("cover").set(
        await CoverDeadline.filter(state="OPEN", due_on__lte=until).count()
    )
    DEADLINES_DUE.labels("policy").set(
        await PolicyDeadline.filter(state="OPEN", due_on__lte=until).count()
    )
    live = WebhookEndpoint.filter(deleted_at__isnull=True)
    ENDPOINTS_FAILING.labels("failing").set(
        await live.filter(enabled=True, consecutive_failures__gt=0).count()
    )
    ENDPOINTS_FAILING.labels("disabled").set(await live.filter(enabled=False).count())
    await _storage_gauges()


async def _storage_gauges() -> None:
    """Two grouped sums at scrape time (document_quota.usage_by_partner): the rows are
    the count, so the gauge cannot drift from what the quota decides on. Partners with
    nothing stored have no series: sandbox sign-ups do not each add one."""
    from domain.services import document_quota

    DOCUMENT_BYTES.clear()
    for usage in await document_quota.usage_by_partner():
        if usage.used:
            DOCUMENT_BYTES.labels(usage.partner_id, usage.mode).set(usage.used)
    quotas = document_quota.current()
    DOCUMENT_QUOTA.labels("live").set(quotas.live)
    DOCUMENT_QUOTA.labels("sandbox").set(quotas.sandbox)


async def _queue_gauges(redis_url: str, now_ms: float) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_url, socket_timeout=1.0)
    try:
        for queue in QUEUES:
            key = f"{NAMESPACE}:{queue}"
            waiting = await client.llen(key)
            QUEUE_MESSAGES.labels(queue).set(waiting)
            lag = 0.0
            if waiting:
                oldest = await client.lindex(key, 0)  # RPUSH to enqueue, LPOP to fetch
                raw = await client.hget(f"{key}.msgs", oldest) if oldest else None
                if raw:
                    enqueued = json.loads(raw).get("message_timestamp", now_ms)
                    lag = max(0.0, (now_ms - enqueued) / 1000)
            QUEUE_LAG.labels(queue).set(lag)
    finally:
        await client.aclose()


def bearer_matches(authorization: str | None, token: str) -> bool:
    """Whether an Authorization header carries `Bearer <token>`; constant time in the
    token, so that a scraper cannot guess it byte by byte from response times."""
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def metrics_endpoint(redis_url: str, token: str | None = None) -> Any:
    """GET /metrics; with a `token`, only for `Authorization: Bearer <token>`."""

    async def endpoint(request: Request) -> Response:
        if token and not bearer_matches(request.headers.get("authorization"), token):
            return request_error(
                401,
                "UNAUTHENTICATED",
                "GET /metrics needs Authorization: Bearer <TRADECOVER_METRICS_TOKEN>.",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        now = datetime.now(UTC)
        try:
            await _business_gauges(now)
        except Exception:  # a scrape must answer even while the database is away
            log.warning("metrics: business gauges unavailable", exc_info=True)
        try:
            await _queue_gauges(redis_url, time.time() * 1000)
        except Exception:
            log.warning("metrics: queue gauges unavailable", exc_info=True)
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return endpoint
