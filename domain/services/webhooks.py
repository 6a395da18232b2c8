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
import base64
import ipaddress
import json
import random
import secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
from standardwebhooks.webhooks import Webhook
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from domain.services import outbox
from domain.services.errors import DomainError, InvalidInput, not_found
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.models import Partner
from domain.store.webhook_models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

#: The contract's event types (API_CONTRACT.graphql, comment above WebhookEndpoint).
EVENT_TYPES: tuple[str, ...] = (
    "cover.pending_confirmation",
    "cover.activated",
    "cover.declined",
    "cover.lapsed",
    "cover.settled",
    "payment_hold.captured",
    "payment_hold.released",
    "deadline.approaching",
    "deadline.missed",
    "incident.declared",
    "claim.opened",
    "claim.under_review",
    "claim.indemnity_calculated",
    "claim.approved",
    "claim.rejected",
    "claim.suspended",
    "claim.paid",
    "recovery.recorded",
)
#: Subscribes an endpoint to every event type, present and future.
ALL_EVENTS = "*"
DELIVER_ACTOR = "webhook.deliver"
PENDING, SUCCEEDED, FAILED = "PENDING", "SUCCEEDED", "FAILED"
URL_NOT_ALLOWED = "WEBHOOK_URL_NOT_ALLOWED"


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
#: After a rotation the previous secret also signs for this long.
ROTATION_OVERLAP = timedelta(hours=24)
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


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


# --- endpoints -------------------------------------------------------------------------


def _partner_id(principal: Principal) -> str:
    if principal.partner_id is None:
        raise DomainError("FORBIDDEN", "Webhook endpoints belong to partner keys.")
    return principal.partner_id


def _url_problem(url: str, allow_private: bool) -> str | None:
    if not url or len(url) > 2000:
        return "The URL must be 1 to 2000 characters."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        return "Not a valid URL."
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        return "The URL must use https." if not allow_private else "The URL must use http(s)."
    if not parts.hostname:
        return "The URL must name a host."
    if parts.username is not None or parts.password is not None:
        return "The URL must not carry credentials."
    return None


def _events_problem(events: Sequence[str]) -> tuple[list[str], str | None]:
    cleaned = list(dict.fromkeys(e.strip() for e in events))
    if not cleaned:
        return cleaned, 'Subscribe to at least one event type (or "*" for all).'
    unknown = [e for e in cleaned if e != ALL_EVENTS and e not in EVENT_TYPES]
    if unknown:
        return cleaned, f"Unknown event types: {', '.join(unknown)}."
    return cleaned, None


def is_public_address(address: str) -> bool:
    """False for loopback, private, link-local, multicast, reserved, unspecified and
    other non-global addresses (also IPv4 inside IPv6)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    blocked = (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )
    return not blocked and ip.is_global


async def host_problem(url: str) -> str | None:
    """Why the URL's host may not be called from here (None if every address it
    resolves to is public). Resolution runs in a thread: getaddrinfo blocks."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.to_thread(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return f"The host {host} does not resolve."
    addresses = {str(info[4][0]) for info in infos}
    if not addresses:
        return f"The host {host} does not resolve."
    if not all(is_public_address(a) for a in addresses):
        return f"The host {host} resolves to a non-public address."
    return None


async def register_endpoint(
    principal: Principal,
    url: str,
    events: Sequence[str],
    now: datetime,
    *,
    allow_private: bool,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret, shown this once (LIFECYCLE 6). Live keys need an
    https URL on a public host; sandbox keys and dev may use http and private hosts."""
    partner_id = _partner_id(principal)
    url = url.strip()
    cleaned, events_problem = _events_problem(events)
    problems: list[tuple[str, Sequence[str] | None]] = []
    url_problem = _url_problem(url, allow_private)
    if url_problem:
        problems.append((url_problem, ("input", "url")))
    if events_problem:
        problems.append((events_problem, ("input", "events")))
    if problems:
        raise InvalidInput(problems)
    if not allow_private:
        refusal = await host_problem(url)
        if refusal:
            raise DomainError(URL_NOT_ALLOWED, refusal, ("input", "url"))
    secret = new_secret()
    endpoint = await WebhookEndpoint.create(
        id=new_id("whe"),
        partner_id=partner_id,
        url=url,
        events=cleaned,
        secret=secret,
        enabled=True,
        consecutive_failures=0,
        created_at=now,
    )
    return endpoint, secret


async def _own_endpoint(principal: Principal, endpoint_id: str) -> WebhookEndpoint:
    """The caller's live endpoint; another partner's id answers as missing."""
    partner_id = _partner_id(principal)
    endpoint = await WebhookEndpoint.filter(
        id=endpoint_id, partner_id=partner_id, deleted_at__isnull=True
    ).first()
    if endpoint is None:
        raise not_found("webhook endpoint", endpoint_id, ("id",))
    return endpoint


async def rotate_secret(
    principal: Principal, endpoint_id: str, now: datetime
) -> tuple[WebhookEndpoint, str]:
    """A new secret (shown once); the one it replaces keeps signing for 24 h."""
    for _ in range(3):
        endpoint = await _own_endpoint(principal, endpoint_id)
        secret = new_secret()
        moved = await WebhookEndpoint.filter(
            id=endpoint.id, secret=endpoint.secret, deleted_at__isnull=True
        ).update(
            secret=secret,
            previous_secret=endpoint.secret,
            previous_secret_expires_at=now + ROTATION_OVERLAP,
        )
        if moved == 1:
            return await WebhookEndpoint.get(id=endpoint.id), secret
    raise DomainError("INVALID_STATE", "The secret was being rotated concurrently; retry.")


async def delete_endpoint(principal: Principal, endpoint_id: str, now: datetime) -> WebhookEndpoint:
    """Soft delete: no new deliveries, and pending ones end FAILED at their next try."""
    endpoint = await _own_endpoint(principal, endpoint_id)
    moved = await WebhookEndpoint.filter(id=endpoint.id, deleted_at__isnull=True).update(
        deleted_at=now, enabled=False, disabled_reason="deleted"
    )
    if moved != 1:
        raise not_found("webhook endpoint", endpoint_id, ("id",))
    return await WebhookEndpoint.get(id=endpoint.id)


async def list_endpoints(principal: Principal) -> list[WebhookEndpoint]:
    if principal.partner_id is None:
        return []
    return await WebhookEndpoint.filter(
        partner_id=principal.partner_id, deleted_at__isnull=True
    ).order_by("id")


@dataclass(frozen=True)
class DeliveryPage:
    rows: list[WebhookDelivery]  # each with `event` loaded
    has_next: bool


async def list_deliveries(
    principal: Principal, first: int, after: str | None, endpoint_id: str | None
) -> DeliveryPage:
    """The caller's deliveries, oldest first; the cursor is a delivery id (time ordered)."""
    if principal.partner_id is None:
        return DeliveryPage([], False)
    query = WebhookDelivery.filter(endpoint__partner_id=principal.partner_id)
    if endpoint_id is not None:
        query = query.filter(endpoint_id=endpoint_id)
    if after:
        query = query.filter(id__gt=after)
    size = max(first, 1)
    rows = await query.select_related("event").order_by("id").limit(size + 1)
    return DeliveryPage(rows[:size], len(rows) > size)


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

    if not allow_private:
        refusal = await host_problem(endpoint.url)
        if refusal:
            return Outcome(None, refusal, elapsed())
    body = json.dumps(event.payload, separators=(",", ":"))
    headers = signed_headers(event.id, body, now, signing_secrets(endpoint, now))
    try:
        async with (
            asyncio.timeout(TIMEOUT_SECONDS),
            http.stream(
                "POST",
                endpoint.url,
                content=body.encode(),
                headers=headers,
                timeout=TIMEOUT_SECONDS,
                follow_redirects=False,
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
) -> str:
    """The `webhook.deliver` job: one attempt if the delivery is PENDING and due, else
    nothing. Returns the delivery's status. `allow_private` (dev) lets every partner's
    deliveries reach non-public hosts; sandbox partners always may."""
    delivery = await WebhookDelivery.get_or_none(id=delivery_id)
    if delivery is None:
        return "MISSING"
    if delivery.status != PENDING or not _due(delivery, now):
        return delivery.status
    endpoint = await WebhookEndpoint.get(id=delivery.endpoint_id)  # type: ignore[attr-defined]
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
    event = await WebhookEvent.get(id=delivery.event_id)  # type: ignore[attr-defined]
    partner_id = endpoint.partner_id  # type: ignore[attr-defined]
    sandbox = await Partner.filter(id=partner_id).values_list("sandbox", flat=True)
    private_ok = allow_private or bool(sandbox and sandbox[0])
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
