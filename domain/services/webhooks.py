"""Webhooks (LIFECYCLE 6, signed per Standard Webhooks): endpoints, events, delivery.

Delivery as data (STYLE): `emit` writes, in the caller's business transaction, one event
row with a frozen payload (its id is the `webhook-id` of every attempt), one delivery row
per subscribed endpoint and one outbox job per delivery. `deliver` makes one attempt:
it first claims the attempt by compare-and-set (attempts + 1 and a lease on
next_attempt_at), so concurrent or redelivered jobs POST once, then records the outcome
by compare-and-set on that claim. Retries wait in the database (next_attempt_at) and are
re-sent by the scheduler (`due_deliveries`), never as long-delayed messages.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from domain.services import outbox
from domain.services.webhook_endpoints import ALL_EVENTS, EVENT_TYPES, public_addresses
from domain.store.ids import new_id
from domain.store.models import Partner
from domain.store.webhook_models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

DELIVER_ACTOR = "webhook.deliver"
PENDING, SUCCEEDED, FAILED = "PENDING", "SUCCEEDED", "FAILED"


@dataclass(frozen=True)
class RetryPolicy:
    """LIFECYCLE 6 *config*: 8 attempts over about a day. The wait after failed attempt n
    is base * factor**(n-1), capped, times a random factor in 1 +/- jitter: 30 s, 2 min,
    8 min, 32 min, 2.1 h, 8.5 h, 12 h (23.4 h in all, before jitter)."""

    max_attempts: int = 8
    base: timedelta = timedelta(seconds=30)
    factor: float = 4.0
    cap: timedelta = timedelta(hours=12)
    jitter: float = 0.2


RETRY = RetryPolicy()
#: An endpoint is disabled after this many deliveries in a row ended FAILED.
DISABLE_AFTER_FAILED_DELIVERIES = 8
#: Whole-attempt limit: connect, send and response headers.
TIMEOUT_SECONDS = 10.0
#: A claimed attempt owns its delivery this long (well over the timeout); a worker that
#: died mid-attempt leaves the delivery to be retried once the lease is over.
ATTEMPT_LEASE = timedelta(seconds=60)
GONE_REASON = "endpoint answered 410 Gone"

_rng = random.Random()


def backoff(
    attempts: int, rng: random.Random | None = None, policy: RetryPolicy = RETRY
) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt (exponential, jittered)."""
    raw = min(
        policy.base.total_seconds() * policy.factor ** max(attempts - 1, 0),
        policy.cap.total_seconds(),
    )
    spread = (rng or _rng).uniform(1 - policy.jitter, 1 + policy.jitter)
    return timedelta(seconds=raw * spread)


# --- events ----------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def subscribed(events: Sequence[str], event_type: str) -> bool:
    return ALL_EVENTS in events or event_type in events


async def emit(
    partner_id: str, event_type: str, data: dict[str, Any], now: datetime
) -> WebhookEvent:
    """Call inside the business transaction of the change: writes the event, a PENDING
    delivery per enabled endpoint of the partner subscribed to the type, and an outbox
    job per delivery. A rollback leaves none of them."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"{event_type} is not a contract event type")
    body = {"type": event_type, "timestamp": now.isoformat(), "data": data}
    payload = json.loads(json.dumps(body, default=_json_default))
    event = await WebhookEvent.create(
        id=new_id("msg"),
        partner_id=partner_id,
        type=event_type,
        payload=payload,
        created_at=now,
    )
    endpoints = await WebhookEndpoint.filter(
        partner_id=partner_id, enabled=True, deleted_at__isnull=True
    ).order_by("id")
    for endpoint in endpoints:
        if not subscribed(endpoint.events, event_type):
            continue
        # next_attempt_at stays empty: the first attempt is due on arrival, whatever the
        # event's (possibly test clock) time.
        delivery = await WebhookDelivery.create(
            id=new_id("whd"),
            event_id=event.id,
            endpoint_id=endpoint.id,
            status=PENDING,
            attempts=0,
            created_at=now,
        )
        await outbox.enqueue(DELIVER_ACTOR, {"delivery_id": delivery.id}, now)
    return event


# --- delivery --------------------------------------------------------------------------


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while its rotation overlap lasts."""
    keys = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        keys.append(endpoint.previous_secret)
    return keys


def signed_headers(msg_id: str, body: str, now: datetime, keys: Sequence[str]) -> dict[str, str]:
    """Standard Webhooks headers; one v1 signature per key, space separated."""
    stamp = datetime.fromtimestamp(int(now.timestamp()), UTC)
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": " ".join(Webhook(k).sign(msg_id, stamp, body) for k in keys),
    }


def pin(url: str, address: str) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """The request to `url` sent to `address`, the one the SSRF guard checked, instead of
    a second lookup of the name (DNS rebinding). The name stays the Host header and the
    TLS server name (SNI and certificate check). `connection: close`: the pool keys
    connections by address, and a TLS session made for one name must not carry another
    name's requests."""
    original = httpx.URL(url)
    headers = {"host": original.netloc.decode("ascii"), "connection": "close"}
    extensions: dict[str, Any] = {}
    if original.scheme == "https":
        extensions["sni_hostname"] = original.raw_host.decode("ascii")
    return original.copy_with(host=address.split("%", 1)[0]), headers, extensions


@dataclass(frozen=True)
class Outcome:
    code: int | None
    error: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


async def _post(
    http: httpx.AsyncClient,
    endpoint: WebhookEndpoint,
    event: WebhookEvent,
    now: datetime,
    allow_private: bool,
) -> Outcome:
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    url: str | httpx.URL = endpoint.url
    extensions: dict[str, Any] = {}
    pinned: dict[str, str] = {}
    try:
        if not allow_private:
            addresses, refusal = await public_addresses(endpoint.url)
            if refusal:
                return Outcome(None, refusal, elapsed())
            url, pinned, extensions = pin(endpoint.url, addresses[0])
    except Exception as error:  # a URL httpx cannot take: no request at all
        return Outcome(None, f"{type(error).__name__}: {error}"[:500], elapsed())
    body = json.dumps(event.payload, separators=(",", ":"))
    headers = signed_headers(event.id, body, now, signing_secrets(endpoint, now)) | pinned
    try:
        async with (
            asyncio.timeout(TIMEOUT_SECONDS),
            http.stream(
                "POST",
                url,
                content=body.encode(),
                headers=headers,
                timeout=TIMEOUT_SECONDS,
                follow_redirects=False,
                extensions=extensions,
            ) as response,
        ):
            code = response.status_code  # the body is never read
    except Exception as error:  # no response at all: refused, reset, timed out, bad URL
        return Outcome(None, f"{type(error).__name__}: {error}"[:500], elapsed())
    return Outcome(code, None if 200 <= code < 300 else f"HTTP {code}", elapsed())


async def _fail_without_attempt(delivery: WebhookDelivery, reason: str) -> str:
    await WebhookDelivery.filter(id=delivery.id, status=PENDING, attempts=delivery.attempts).update(
        status=FAILED, next_attempt_at=None, last_error=reason
    )
    return FAILED


async def _record(
    delivery_id: str,
    endpoint_id: str,
    claimed: int,
    outcome: Outcome,
    now: datetime,
    rng: random.Random | None,
) -> str:
    gone = outcome.code == 410
    if outcome.succeeded:
        status, next_at = SUCCEEDED, None
    elif gone or claimed >= RETRY.max_attempts:
        status, next_at = FAILED, None
    else:
        status, next_at = PENDING, now + backoff(claimed, rng)
    async with in_transaction():
        await WebhookAttempt.create(
            delivery_id=delivery_id,
            attempted_at=now,
            response_code=outcome.code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
        moved = await WebhookDelivery.filter(
            id=delivery_id, status=PENDING, attempts=claimed
        ).update(
            status=status,
            next_attempt_at=next_at,
            last_response_code=outcome.code,
            last_error=outcome.error,
        )
        if moved != 1:  # our lease ran out and a later attempt owns the outcome
            return PENDING
        endpoints = WebhookEndpoint.filter(id=endpoint_id)
        if outcome.succeeded:
            await endpoints.update(consecutive_failures=0)
        elif gone:
            await endpoints.filter(enabled=True).update(enabled=False, disabled_reason=GONE_REASON)
        elif status == FAILED:
            await endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
            await WebhookEndpoint.filter(
                id=endpoint_id,
                enabled=True,
                consecutive_failures__gte=DISABLE_AFTER_FAILED_DELIVERIES,
            ).update(
                enabled=False,
                disabled_reason=f"{DISABLE_AFTER_FAILED_DELIVERIES} deliveries in a row "
                f"failed after {RETRY.max_attempts} attempts each",
            )
    return status


def _due(delivery: WebhookDelivery, now: datetime) -> bool:
    return delivery.next_attempt_at is None or delivery.next_attempt_at <= now


async def deliver(
    delivery_id: str,
    now: datetime,
    http: httpx.AsyncClient,
    *,
    rng: random.Random | None = None,
    allow_private: bool = False,
    sandbox_private: bool = True,
) -> str:
    """The `webhook.deliver` job: one attempt if the delivery is PENDING and due, else
    nothing. Returns the delivery's status. `sandbox_private` lets sandbox partners'
    deliveries reach non-public hosts (off in production: a sandbox key must not probe the
    insurer's own network). `allow_private` lets every partner's reach them: for
    in-process tests only; the `webhook.deliver` actor never passes it, so a live
    endpoint is checked at each send in every environment."""
    delivery = await WebhookDelivery.get_or_none(id=delivery_id)
    if delivery is None:
        return "MISSING"
    if delivery.status != PENDING or not _due(delivery, now):
        return delivery.status
    endpoint = await WebhookEndpoint.get(id=delivery.endpoint_id)
    if endpoint.deleted_at is not None or not endpoint.enabled:
        reason = "endpoint deleted" if endpoint.deleted_at else "endpoint disabled"
        return await _fail_without_attempt(delivery, reason)
    if delivery.attempts >= RETRY.max_attempts:  # the last attempt's worker died
        return await _fail_without_attempt(delivery, "no attempts left")
    claimed = delivery.attempts + 1
    taken = await WebhookDelivery.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        id=delivery.id,
        status=PENDING,
        attempts=delivery.attempts,
    ).update(attempts=claimed, next_attempt_at=now + ATTEMPT_LEASE)
    if taken != 1:  # another worker claimed this attempt
        return PENDING
    event = await WebhookEvent.get(id=delivery.event_id)
    partner_id = endpoint.partner_id
    sandbox = await Partner.filter(id=partner_id).values_list("sandbox", flat=True)
    private_ok = allow_private or (sandbox_private and bool(sandbox and sandbox[0]))
    outcome = await _post(http, endpoint, event, now, private_ok)
    return await _record(delivery.id, endpoint.id, claimed, outcome, now, rng)


async def due_deliveries(now: datetime, limit: int = 100) -> list[str]:
    """PENDING deliveries whose next attempt is due, for the scheduler to re-send
    (first attempts whose job was lost included)."""
    ids = (
        await WebhookDelivery.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), status=PENDING
        )
        .order_by("id")
        .limit(limit)
        .values_list("id", flat=True)
    )
    return [str(i) for i in ids]
