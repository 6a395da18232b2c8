"""Facts a system cannot judge but must record (rules v2 - WT-L9, WT-L10, WT-C11,
WT-R3..R5, TU-L4, TU-E8, TU-N1..N3, TU-C4, TU-R2, TU-P5 and others): who said what
happened on which day under which rule, and the state change it caused, if any.

No semicolons or quotes in docstrings or `#:` comments here (see models.py).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RuleFact(Model):
    id = fields.CharField(pk=True, max_length=40)
    partner_id = fields.CharField(max_length=40, index=True)
    #: WHOLE_TURNOVER or TOP_UP
    product = fields.CharField(max_length=30)
    #: a WT or TU policy id
    policy_id = fields.CharField(max_length=40, index=True)
    #: optional subjects of the fact - a credit limit or a claim of that policy
    limit_id = fields.CharField(max_length=40, null=True)
    claim_id = fields.CharField(max_length=40, null=True)
    buyer_key = fields.CharField(max_length=120, null=True)
    #: 1, 2, 3 per policy in recording order (LIFECYCLE 5a - never timestamps)
    sequence = fields.IntField()
    rule = fields.CharField(max_length=20)
    occurred_on = fields.DateField()
    note = fields.CharField(max_length=2000)
    document_id = fields.CharField(max_length=40, null=True)
    #: the state change applied - LIMIT_VOID, CLAIM_REJECTED, CONTRACT_RESCINDED or null
    consequence = fields.CharField(max_length=30, null=True)
    actor = fields.CharField(max_length=80)
    created_at = fields.DatetimeField()

    class Meta:
        table = "rule_fact"
        unique_together = (("policy_id", "sequence"),)
