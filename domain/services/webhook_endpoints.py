"""Webhook endpoints (LIFECYCLE 6): registration with a whsec_ secret shown once,
rotation with an overlap during which both secrets sign, deletion, listings, and the
guard that keeps live partners from pointing webhooks at private addresses, in every
environment."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from domain.services.errors import DomainError, InvalidInput, not_found
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.webhook_models import (
    WebhookDelivery,
    WebhookEndpoint,
)

#: The contract's event types (API_CONTRACT.graphql, comment above WebhookEndpoint).
EVENT_TYPES: tuple[str, ...] = (
    "cover.pending_confirmation",
    "cover.referred",
    "cover.activated",
    "cover.declined",
    "cover.lapsed",
    "cover.settled",
    "payment_hold.captured",
    "payment_hold.released",
    "deadline.approaching",
    "deadline.missed",
    "incident.declared",
    "incident.disputed",
    "incident.dispute_resolved",
    "claim.opened",
    "claim.under_review",
    "claim.indemnity_calculated",
    "claim.approved",
    "claim.rejected",
    "claim.suspended",
    "claim.resumed",
    "claim.paid",
    "recovery.recorded",
    # Whole-turnover policies (WT rules); claim and deadline events are shared.
    "policy.activated",
    "credit_limit.decided",
    "credit_limit.reduced",
    "credit_limit.cancelled",
    "declaration.late",
    "premium.adjustment_issued",
    "policy.terminated",
    "extension.decided",
    # Top-up policies (TU rules); claim events are shared.
    "top_up_limit.changed",
    # Recorded facts (rules v2), every product with policies.
    "rule_fact.recorded",
    "top_up_policy.changed",
)
#: Subscribes an endpoint to every event type, present and future.
ALL_EVENTS = "*"
URL_NOT_ALLOWED = "WEBHOOK_URL_NOT_ALLOWED"
#: After a rotation the previous secret also signs for this long.
ROTATION_OVERLAP = timedelta(hours=24)


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _partner_id(principal: Principal) -> str:
    if principal.partner_id is None:
        raise DomainError("FORBIDDEN", "Webhook endpoints belong to partner keys.")
    return principal.partner_id


def private_hosts_allowed(*, sandbox: bool, production: bool) -> bool:
    """Whether a partner's webhooks may use http and loopback, private or link-local hosts,
    at registration and at send time: sandbox keys outside production (a partner's local
    receiver while integrating). Live keys never, whatever the environment: the README
    promises https on public addresses, and a dev or test box is on someone's network too
    (SSRF). In production not even sandbox keys: they would reach the insurer's network."""
    return sandbox and not production


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
    """False for loopback, private, link-local, site-local, multicast, reserved,
    unspecified and other non-global addresses (also IPv4 inside IPv6: mapped, 6to4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.is_site_local or (
            ip.sixtofour is not None and not is_public_address(str(ip.sixtofour))
        ):
            return False
    blocked = (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )
    return not blocked and ip.is_global


async def public_addresses(url: str) -> tuple[list[str], str | None]:
    """The addresses the URL's host resolves to, in resolver order, and why it may not be
    called from here (None if every one of them is public). Resolution runs in a
    thread: getaddrinfo blocks. Connect only to these addresses (`webhooks._post`
    pins them): a second lookup may answer otherwise (DNS rebinding)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.to_thread(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return [], f"The host {host} does not resolve."
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        return [], f"The host {host} does not resolve."
    if not all(is_public_address(a) for a in addresses):
        return addresses, f"The host {host} resolves to a non-public address."
    return addresses, None


async def host_problem(url: str) -> str | None:
    """Why the URL's host may not be called from here (None if every address it
    resolves to is public)."""
    return (await public_addresses(url))[1]


async def register_endpoint(
    principal: Principal,
    url: str,
    events: Sequence[str],
    now: datetime,
    *,
    allow_private: bool,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret, shown this once (LIFECYCLE 6). Without
    `allow_private` (see `private_hosts_allowed`) the URL must be https on a public host."""
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
