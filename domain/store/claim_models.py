"""Cover life: deadlines (swept by due date), incidents, claims and documents.

No semicolons or quotes in docstrings or `#:` comments here (see models.py).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.store.cover_models import Cover


class CoverDeadline(Model):
    """One deadline of a cover, kept in step with the cover facts by the services.

    The sweep reads it by (state, due_on), so its cost follows the deadlines due.
    """

    id = fields.CharField(pk=True, max_length=40)
    cover: fields.ForeignKeyRelation[Cover] = fields.ForeignKeyField(
        "models.Cover", related_name="deadline_rows", on_delete=fields.CASCADE
    )
    cover_id: str  # set by Tortoise from `cover`
    kind = fields.CharField(max_length=40)
    rule = fields.CharField(max_length=20)
    due_on = fields.DateField()
    #: OPEN, MET or MISSED
    state = fields.CharField(max_length=10)
    met_on = fields.DateField(null=True)
    insurer_side = fields.BooleanField(default=False)
    #: days-before values already announced by deadline.approaching, e.g. [7, 1]
    announced: Any = fields.JSONField(default=list)
    #: the next date the sweep must look at this row (announcement or due date)
    next_check_on = fields.DateField(index=True)
    flagged_to_staff = fields.BooleanField(default=False)

    class Meta:
        table = "cover_deadline"
        unique_together = (("cover_id", "kind"),)
        indexes = (("state", "next_check_on"),)


class Incident(Model):
    id = fields.CharField(pk=True, max_length=40)
    cover: fields.ForeignKeyRelation[Cover] = fields.ForeignKeyField(
        "models.Cover", related_name="incident_rows", on_delete=fields.CASCADE
    )
    cover_id: str  # set by Tortoise from `cover`
    kind = fields.CharField(max_length=20)
    unpaid_amount = fields.DecimalField(max_digits=14, decimal_places=2)
    currency = fields.CharField(max_length=3)
    occurred_on = fields.DateField()
    declared_on = fields.DateField()
    published = fields.BooleanField(default=False)
    #: TR-X2 - the client disputes the service as non-conforming
    disputed = fields.BooleanField(default=False)
    dispute_raised_on = fields.DateField(null=True)
    dispute_reason = fields.CharField(max_length=500, null=True)
    #: the final court decision - null while pending
    dispute_resolved_on = fields.DateField(null=True)
    dispute_conforming = fields.BooleanField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "incident"


class Claim(Model):
    id = fields.CharField(pk=True, max_length=40)
    cover: fields.OneToOneRelation[Cover] = fields.OneToOneField(
        "models.Cover", related_name="claim_row", on_delete=fields.CASCADE
    )
    cover_id: str  # set by Tortoise from `cover`
    status = fields.CharField(max_length=20, index=True)
    opened_on = fields.DateField()
    documents_due_on = fields.DateField(null=True)
    expected_decision_on = fields.DateField(null=True)
    indemnity_amount = fields.DecimalField(max_digits=14, decimal_places=2, null=True)
    indemnity_lines: Any = fields.JSONField(null=True)
    calculated_at = fields.DatetimeField(null=True)
    payable_by = fields.DateField(null=True)
    paid_on = fields.DateField(null=True)
    rejection: Any = fields.JSONField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "claim"


class Document(Model):
    """A received document, stored by content hash under the data directory."""

    id = fields.CharField(pk=True, max_length=40)
    cover: fields.ForeignKeyRelation[Cover] = fields.ForeignKeyField(
        "models.Cover", related_name="document_rows", on_delete=fields.CASCADE
    )
    cover_id: str  # set by Tortoise from `cover`
    kind = fields.CharField(max_length=40)
    filename = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=100)
    size_bytes = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    received_at = fields.DatetimeField()

    class Meta:
        table = "document"
