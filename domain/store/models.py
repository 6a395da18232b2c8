"""Tortoise models. Ids are prefixed, time-ordered strings (see `ids.new_id`).

Docstrings and `#:` comments become SQL comments in migrations: Tortoise 1.1.9 splits
SQLite statements on semicolons and does not escape quotes there, so avoid both.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class Partner(Model):
    id = fields.CharField(pk=True, max_length=40)
    name = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=40)  # financing_platform | freight_exchange
    sandbox = fields.BooleanField(default=True)
    #: FI-P1 per-partner premium rate. None means the catalogue rate.
    premium_rate = fields.DecimalField(max_digits=8, decimal_places=6, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "partner"


class StaffMember(Model):
    id = fields.CharField(pk=True, max_length=40)
    name = fields.CharField(max_length=200)
    created_at = fields.DatetimeField()

    class Meta:
        table = "staff_member"


class ApiKey(Model):
    """An API key, stored as its SHA-256 only. `display_prefix` helps people tell keys apart."""

    id = fields.CharField(pk=True, max_length=40)
    key_hash = fields.CharField(max_length=64, unique=True)
    display_prefix = fields.CharField(max_length=20)
    partner: fields.ForeignKeyNullableRelation[Partner] = fields.ForeignKeyField(
        "models.Partner", related_name="api_keys", null=True, on_delete=fields.CASCADE
    )
    partner_id: str | None  # set by Tortoise from `partner`
    staff: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="api_keys", null=True, on_delete=fields.CASCADE
    )
    staff_id: str | None  # set by Tortoise from `staff`
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_key"


class TestClock(Model):
    """A sandbox clock (LIFECYCLE 7): covers on it live in its frozen time."""

    id = fields.CharField(pk=True, max_length=40)
    partner: fields.ForeignKeyRelation[Partner] = fields.ForeignKeyField(
        "models.Partner", related_name="test_clocks", on_delete=fields.CASCADE
    )
    partner_id: str  # set by Tortoise from `partner`
    frozen_time = fields.DatetimeField()
    status = fields.CharField(max_length=20, default="READY")
    advancing_since = fields.DatetimeField(
        null=True, description="when the running advance took the clock (its lease)"
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "test_clock"


class Quote(Model):
    """An immutable quote with its violations (C-5) and, when eligible, its price."""

    id = fields.CharField(pk=True, max_length=40)
    partner: fields.ForeignKeyRelation[Partner] = fields.ForeignKeyField(
        "models.Partner", related_name="quotes", on_delete=fields.CASCADE
    )
    partner_id: str  # set by Tortoise from `partner`
    product = fields.CharField(max_length=40)
    eligible = fields.BooleanField()
    violations: Any = fields.JSONField(default=list)
    currency = fields.CharField(max_length=3)
    premium = fields.DecimalField(max_digits=14, decimal_places=2, null=True)
    premium_rate = fields.DecimalField(max_digits=8, decimal_places=6)
    insured_amount = fields.DecimalField(max_digits=14, decimal_places=2, null=True)
    coverage_percent = fields.DecimalField(max_digits=5, decimal_places=2)
    request_date = fields.DateField()
    valid_until = fields.DatetimeField(null=True)
    #: The request as received (seller, buyer, invoice, financing, shipment), for binding.
    request: Any = fields.JSONField()
    test_clock: fields.ForeignKeyNullableRelation[TestClock] = fields.ForeignKeyField(
        "models.TestClock", related_name="quotes", null=True, on_delete=fields.SET_NULL
    )
    test_clock_id: str | None  # set by Tortoise from `test_clock`
    created_at = fields.DatetimeField()

    class Meta:
        table = "quote"
        indexes = (("partner_id", "created_at"),)


class IdempotencyRecord(Model):
    """One Idempotency-Key of one principal: the hash of the request and the stored response."""

    id = fields.IntField(pk=True)
    principal = fields.CharField(max_length=40)
    key = fields.CharField(max_length=255)
    request_hash = fields.CharField(max_length=64)
    #: IN_PROGRESS while the first request runs, then DONE with its response.
    status = fields.CharField(max_length=16)
    response: Any = fields.JSONField(null=True)
    created_at = fields.DatetimeField(index=True)

    class Meta:
        table = "idempotency_record"
        unique_together = (("principal", "key"),)


class OutboxMessage(Model):
    """A job written in the business transaction. The relay sends it to Redis after commit."""

    id = fields.CharField(pk=True, max_length=40)
    actor = fields.CharField(max_length=100)
    payload: Any = fields.JSONField()
    created_at = fields.DatetimeField()
    published_at = fields.DatetimeField(null=True, index=True)
    #: A relay that takes a row claims it until this time (compare-and-set).
    claimed_until = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"


class WorkerHeartbeat(Model):
    """Proof that the outbox -> Redis -> worker path runs: one row per heartbeat source."""

    name = fields.CharField(pk=True, max_length=100)
    beats = fields.IntField(default=0)
    last_message_id = fields.CharField(max_length=40, null=True)
    last_seen = fields.DatetimeField()

    class Meta:
        table = "worker_heartbeat"
