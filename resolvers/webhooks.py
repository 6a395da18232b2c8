"""registerWebhookEndpoint, rotateWebhookSecret, deleteWebhookEndpoint, webhookEndpoints,
webhookDeliveries (LIFECYCLE 6)."""

from __future__ import annotations

from typing import Any

import strawberry

from domain.services import webhook_endpoints as endpoint_service
from domain.store import webhook_models as rows
from resolvers.context import Info
from resolvers.errors import run_mutation
from resolvers.pagination import page_size
from schema.inputs import RegisterWebhookEndpointInput
from schema.types import PageInfo
from schema.webhook_types import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookDeliveryConnection,
    WebhookDeliveryEdge,
    WebhookEndpoint,
    WebhookEndpointPayload,
)
from tradecover.settings import get_settings


def endpoint_out(row: rows.WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=strawberry.ID(row.id),
        url=row.url,
        events=list(row.events),
        enabled=row.enabled,
        created_at=row.created_at,
    )


def delivery_out(row: rows.WebhookDelivery) -> WebhookDelivery:
    """`row.event` must be loaded (list_deliveries does)."""
    return WebhookDelivery(
        id=strawberry.ID(row.id),
        event_type=row.event.type,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        last_response_code=row.last_response_code,
        created_at=row.created_at,
        sequence=_sequence(row.event.payload),
    )


def _sequence(payload: object) -> int | None:
    """LIFECYCLE 5a: the cover's or policy's event number the webhook carries."""
    data = payload.get("data") if isinstance(payload, dict) else None
    value = data.get("sequence") if isinstance(data, dict) else None
    return value if isinstance(value, int) else None


def _allow_private(info: Info) -> bool:
    """Private and loopback URLs: sandbox keys outside production, live keys never, dev
    included (webhook_endpoints.private_hosts_allowed)."""
    return endpoint_service.private_hosts_allowed(
        sandbox=info.context.principal.sandbox, production=get_settings().env == "production"
    )


async def register_webhook_endpoint(
    info: Info, input: RegisterWebhookEndpointInput
) -> WebhookEndpointPayload:
    async def body() -> dict[str, Any]:
        row, secret = await endpoint_service.register_endpoint(
            info.context.principal,
            input.url,
            input.events,
            info.context.now,
            allow_private=_allow_private(info),
        )
        return {"endpoint": endpoint_out(row), "secret": secret}

    return await run_mutation(info, WebhookEndpointPayload, body)


async def rotate_webhook_secret(info: Info, id: strawberry.ID) -> WebhookEndpointPayload:
    async def body() -> dict[str, Any]:
        row, secret = await endpoint_service.rotate_secret(
            info.context.principal, str(id), info.context.now
        )
        return {"endpoint": endpoint_out(row), "secret": secret}

    return await run_mutation(info, WebhookEndpointPayload, body)


async def delete_webhook_endpoint(info: Info, id: strawberry.ID) -> WebhookEndpointPayload:
    async def body() -> dict[str, Any]:
        row = await endpoint_service.delete_endpoint(
            info.context.principal, str(id), info.context.now
        )
        return {"endpoint": endpoint_out(row)}

    return await run_mutation(info, WebhookEndpointPayload, body)


async def webhook_endpoints(info: Info) -> list[WebhookEndpoint]:
    return [endpoint_out(r) for r in await endpoint_service.list_endpoints(info.context.principal)]


async def webhook_deliveries(
    info: Info,
    first: int | None = 50,
    after: str | None = None,
    endpoint_id: strawberry.ID | None = None,
) -> WebhookDeliveryConnection:
    page = await endpoint_service.list_deliveries(
        info.context.principal,
        page_size(first),
        after,
        str(endpoint_id) if endpoint_id is not None else None,
    )
    edges = [WebhookDeliveryEdge(node=delivery_out(r), cursor=r.id) for r in page.rows]
    return WebhookDeliveryConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
        ),
    )
