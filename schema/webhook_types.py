"""Webhook endpoint and delivery types of the contract (Standard Webhooks)."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from schema.types import Node, PageInfo, UserError


@strawberry.type
class WebhookEndpoint(Node):
    id: strawberry.ID
    url: str
    events: list[str]
    enabled: bool
    created_at: dt.datetime


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(
        default=None, description="Shown once, on register and rotate."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.enum
class DeliveryStatus(Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@strawberry.type
class WebhookDelivery(Node):
    id: strawberry.ID
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_response_code: int | None
    created_at: dt.datetime
    sequence: int | None = strawberry.field(
        default=None,
        description="The event's place in its cover's or policy's sequence (LIFECYCLE 5a), "
        "as `data.sequence` in the payload: order a cover's webhooks by it.",
    )


@strawberry.type
class WebhookDeliveryEdge:
    node: WebhookDelivery
    cursor: str


@strawberry.type
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge]
    page_info: PageInfo
