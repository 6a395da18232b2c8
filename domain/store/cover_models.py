"""Covers, their card holds and their event history (LIFECYCLE 2, C-6).

No semicolons or quotes in docstrings or `#:` comments here (see models.py).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.store.models import Partner, Quote, TestClock


class Cover(Model):
    """One insured receivable. Status moves only by compare-and-set on the current one."""

    id = fields.CharField(pk=True, max_length=40)
    partner: fields.ForeignKeyRelation[Partner] = fields.ForeignKeyField(
        "models.Partner", related_name="covers", on_delete=fields.CASCADE
    )
    partner_id: str  # set by Tortoise from `partner`
    #: Unique: a quote binds at most once, whatever the concurrency.
    quote: fields.OneToOneRelation[Quote] = fields.OneToOneField(
        "models.Quote", related_name="cover", on_delete=fields.RESTRICT
    )
    quote_id: str  # set by Tortoise from `quote`
    product = fields.CharField(max_length=40)
    status = fields.CharField(max_length=30, index=True)
    #: PENDING, CONFIRMED, REFERRED or DECLINED (U-1 to U-4)
    feasibility = fields.CharField(max_length=20, default="PENDING")
    feasibility_reason = fields.CharField(max_length=300, null=True)
    #: FI-A1 financing confirmation by the platform: None until it answers
    financing_confirmed = fields.BooleanField(null=True)
    signature_reference = fields.CharField(max_length=200, null=True)
    seller: Any = fields.JSONField()
    buyer: Any = fields.JSONField()
    #: country and registration number of the buyer, for U-1 exposure across partners
    buyer_key = fields.CharField(max_length=120, index=True)
    seller_key = fields.CharField(max_length=120)
    invoice_number = fields.CharField(max_length=100, null=True)
    invoice: Any = fields.JSONField(null=True)
    currency = fields.CharField(max_length=3)
    insured_amount = fields.DecimalField(max_digits=14, decimal_places=2)
    premium = fields.DecimalField(max_digits=14, decimal_places=2)
    coverage_percent = fields.DecimalField(max_digits=5, decimal_places=2)
    paid_amount = fields.DecimalField(max_digits=14, decimal_places=2, default=0)
    #: LIFECYCLE 5a - the last event sequence number given to this cover
    event_sequence = fields.IntField(default=0, db_default=0)
    bound_at = fields.DatetimeField()
    confirmation_due_at = fields.DatetimeField(index=True)
    activated_at = fields.DatetimeField(null=True)
    declined_at = fields.DatetimeField(null=True)
    decline_reason = fields.CharField(max_length=300, null=True)
    lapse: Any = fields.JSONField(null=True)
    loaded_on = fields.DateField(null=True)
    unloaded_on = fields.DateField(null=True)
    test_clock: fields.ForeignKeyNullableRelation[TestClock] = fields.ForeignKeyField(
        "models.TestClock", related_name="covers", null=True, on_delete=fields.SET_NULL
    )
    test_clock_id: str | None  # set by Tortoise from `test_clock`
    created_at = fields.DatetimeField()

    class Meta:
        table = "cover"
        indexes = (("partner_id", "created_at"), ("status", "confirmation_due_at"))


class PaymentHold(Model):
    """TR-P2: the premium held on the card. HELD, then CAPTURED or RELEASED, never both.

    CAPTURING and RELEASING are the claimed intents while the gateway call runs.
    """

    id = fields.CharField(pk=True, max_length=40)
    cover: fields.OneToOneRelation[Cover] = fields.OneToOneField(
        "models.Cover", related_name="payment_hold", on_delete=fields.CASCADE
    )
    cover_id: str  # set by Tortoise from `cover`
    gateway = fields.CharField(max_length=20)
    gateway_reference = fields.CharField(max_length=100)
    amount = fields.DecimalField(max_digits=14, decimal_places=2)
    currency = fields.CharField(max_length=3)
    status = fields.CharField(max_length=20)
    expires_at = fields.DatetimeField(index=True)
    captured_at = fields.DatetimeField(null=True)
    released_at = fields.DatetimeField(null=True)
    failure_reason = fields.CharField(max_length=300, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "payment_hold"


class CoverEvent(Model):
    """C-6: every state change of a cover, with its time, actor and cause."""

    id = fields.CharField(pk=True, max_length=40)
    cover: fields.ForeignKeyRelation[Cover] = fields.ForeignKeyField(
        "models.Cover", related_name="events", on_delete=fields.CASCADE
    )
    cover_id: str  # set by Tortoise from `cover`
    #: LIFECYCLE 5a - the order of the facts of one cover, 1, 2, 3 and so on
    sequence = fields.IntField(default=0, db_default=0)
    type = fields.CharField(max_length=60)
    occurred_at = fields.DatetimeField()
    #: partner, staff or system, with the id where there is one
    actor = fields.CharField(max_length=80)
    data: Any = fields.JSONField()

    class Meta:
        table = "cover_event"
        indexes = (("cover_id", "id"),)
        unique_together = (("cover_id", "sequence"),)


class SandboxCardAuthorization(Model):
    """The sandbox card network ledger: what a real acquirer would record for a hold."""

    id = fields.CharField(pk=True, max_length=40)
    idempotency_key = fields.CharField(max_length=200, unique=True)
    token = fields.CharField(max_length=100)
    amount = fields.DecimalField(max_digits=14, decimal_places=2)
    currency = fields.CharField(max_length=3)
    #: AUTHORIZED, CAPTURED, CANCELED or EXPIRED
    status = fields.CharField(max_length=20)
    capture_count = fields.IntField(default=0)
    cancel_count = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()

    class Meta:
        table = "sandbox_card_authorization"
