"""Webhook endpoints, events and delivery attempts (LIFECYCLE 6, Standard Webhooks).

No semicolons or quotes in docstrings or `#:` comments here (see models.py).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.store.models import Partner


class WebhookEndpoint(Model):
    id = fields.CharField(pk=True, max_length=40)
    partner: fields.ForeignKeyRelation[Partner] = fields.ForeignKeyField(
        "models.Partner", related_name="webhook_endpoints", on_delete=fields.CASCADE
    )
    partner_id: str  # set by Tortoise from `partner`
    url = fields.CharField(max_length=2000)
    events: Any = fields.JSONField()
    secret = fields.CharField(max_length=200)
    #: after a rotation the previous secret also signs until this time
    previous_secret = fields.CharField(max_length=200, null=True)
    previous_secret_expires_at = fields.DatetimeField(null=True)
    enabled = fields.BooleanField(default=True)
    disabled_reason = fields.CharField(max_length=300, null=True)
    consecutive_failures = fields.IntField(default=0)
    deleted_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "webhook_endpoint"


class WebhookEvent(Model):
    """One event with its frozen payload. Its id is the webhook-id of every attempt."""

    id = fields.CharField(pk=True, max_length=40)
    partner: fields.ForeignKeyRelation[Partner] = fields.ForeignKeyField(
        "models.Partner", related_name="webhook_events", on_delete=fields.CASCADE
    )
    partner_id: str  # set by Tortoise from `partner`
    type = fields.CharField(max_length=60)
    payload: Any = fields.JSONField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "webhook_event"


class WebhookDelivery(Model):
    """One event to one endpoint: PENDING until a 2xx or until attempts run out."""

    id = fields.CharField(pk=True, max_length=40)
    event: fields.ForeignKeyRelation[WebhookEvent] = fields.ForeignKeyField(
        "models.WebhookEvent", related_name="deliveries", on_delete=fields.CASCADE
    )
    event_id: str  # set by Tortoise from `event`
    endpoint: fields.ForeignKeyRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "models.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    endpoint_id: str  # set by Tortoise from `endpoint`
    status = fields.CharField(max_length=20, index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True, index=True)
    last_response_code = fields.IntField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "webhook_delivery"
        unique_together = (("event_id", "endpoint_id"),)


class WebhookAttempt(Model):
    """Each HTTP attempt of a delivery, as it happened."""

    id = fields.IntField(pk=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "models.WebhookDelivery", related_name="attempt_rows", on_delete=fields.CASCADE
    )
    delivery_id: str  # set by Tortoise from `delivery`
    attempted_at = fields.DatetimeField()
    response_code = fields.IntField(null=True)
    error = fields.CharField(max_length=500, null=True)
    duration_ms = fields.IntField()

    class Meta:
        table = "webhook_attempt"
