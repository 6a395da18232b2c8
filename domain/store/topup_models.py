"""Top-up (excess layer) policies over a first-layer credit insurer (TU rules): the policy,
its buyer limits with their history, deliveries, first-layer indemnities, claims and the
recompute deadlines of the limits (TU-L3).

No semicolons or quotes in docstrings or `#:` comments here (see models.py).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.store.models import Partner, TestClock


class TopUpPolicy(Model):
    id = fields.CharField(pk=True, max_length=40)
    partner: fields.ForeignKeyRelation[Partner] = fields.ForeignKeyField(
        "models.Partner", related_name="top_up_policies", on_delete=fields.CASCADE
    )
    partner_id: str  # set by Tortoise from `partner`
    insured: Any = fields.JSONField()
    first_layer_insurer = fields.CharField(max_length=200)
    first_layer_policy = fields.CharField(max_length=100)
    currency = fields.CharField(max_length=3)
    period_start = fields.DateField()
    period_end = fields.DateField()
    coverage_percent = fields.DecimalField(max_digits=5, decimal_places=2)
    first_layer_coverage_percent = fields.DecimalField(max_digits=5, decimal_places=2)
    per_loss_deductible = fields.DecimalField(max_digits=16, decimal_places=2)
    annual_aggregate_deductible = fields.DecimalField(max_digits=16, decimal_places=2)
    annual_sum_insured = fields.DecimalField(max_digits=16, decimal_places=2)
    pni_threshold = fields.DecimalField(max_digits=16, decimal_places=2)
    max_payment_term_days = fields.IntField()
    supply_cutoff_days = fields.IntField()
    first_layer_invoicing_days = fields.IntField(null=True)
    covered_countries: Any = fields.JSONField()
    minimum_premium = fields.DecimalField(max_digits=16, decimal_places=2)
    #: TU-P1 - the day the annual minimum premium was paid
    premium_paid_on = fields.DateField(null=True)
    #: TU-P5 - rescinded for misrepresentation - treated as never made from then on
    rescinded_on = fields.DateField(null=True)
    #: TU-P1 and TU-P4 - SIGNED, IN_FORCE, ENDED or RESCINDED
    status = fields.CharField(max_length=20, default="SIGNED", db_default="SIGNED")
    #: TU-E7 - the day the policy was signed
    signed_on = fields.DateField(null=True)
    #: TU-P1 - the day the insurer issued the premium receipt - 30 days to pay
    premium_receipt_on = fields.DateField(null=True)
    #: TU-P1 - every premium payment received - paid on and amount - instalments too
    premium_payments: Any = fields.JSONField(default=list, db_default="[]")
    #: TU-P1 - the sum of the premium payments received
    premium_paid_total = fields.DecimalField(
        max_digits=16, decimal_places=2, default=0, db_default=0
    )
    #: TU-P4 - the day the insurer learned of a new first-layer contract
    new_first_layer_contract_on = fields.DateField(null=True)
    #: TU-P4 - the day the contract ended or was rescinded
    ended_on = fields.DateField(null=True)
    #: TU-P4 - why it ended - rule, reason, refund and premium due at once
    ending: Any = fields.JSONField(null=True)
    #: TU-C2 - the terms of each insurance year from the one named - set by the insurer
    terms_versions: Any = fields.JSONField(default=list, db_default="[]")
    test_clock: fields.ForeignKeyNullableRelation[TestClock] = fields.ForeignKeyField(
        "models.TestClock", related_name="top_up_policies", null=True, on_delete=fields.SET_NULL
    )
    test_clock_id: str | None  # set by Tortoise from `test_clock`
    created_at = fields.DatetimeField()

    class Meta:
        table = "top_up_policy"


class TopUpLimit(Model):
    """The current top-up limit of one buyer, with what TU-L2 and TU-L3 need."""

    id = fields.CharField(pk=True, max_length=40)
    policy: fields.ForeignKeyRelation[TopUpPolicy] = fields.ForeignKeyField(
        "models.TopUpPolicy", related_name="limits", on_delete=fields.CASCADE
    )
    policy_id: str  # set by Tortoise from `policy`
    buyer_key = fields.CharField(max_length=120)
    buyer: Any = fields.JSONField()
    requested = fields.DecimalField(max_digits=16, decimal_places=2)
    first_layer_granted = fields.DecimalField(max_digits=16, decimal_places=2)
    top_up_limit = fields.DecimalField(max_digits=16, decimal_places=2)
    zero_locked = fields.BooleanField(default=False)
    last_reduction_on = fields.DateField(null=True)
    first_layer_before_reduction = fields.DecimalField(max_digits=16, decimal_places=2, null=True)
    #: each change - decided on, first layer granted, top-up limit, cause
    history: Any = fields.JSONField(default=list)
    #: TU-L3 - the sweep recomputes the limit on this day - null when nothing is pending
    recompute_on = fields.DateField(null=True, index=True)
    #: TU-L3 - the insured knows the first layer will reduce or cancel again
    further_reductions_expected = fields.BooleanField(default=False, db_default=False)
    #: TU-E7 - earlier invoices of the client at signing - original due date, paid on, disputed
    client_history: Any = fields.JSONField(default=list, db_default="[]")
    #: bumped on every change, for compare-and-set
    version = fields.IntField(default=0)
    created_at = fields.DatetimeField()

    class Meta:
        table = "top_up_limit"
        unique_together = (("policy_id", "buyer_key"),)


class TopUpDelivery(Model):
    id = fields.CharField(pk=True, max_length=40)
    policy: fields.ForeignKeyRelation[TopUpPolicy] = fields.ForeignKeyField(
        "models.TopUpPolicy", related_name="deliveries", on_delete=fields.CASCADE
    )
    policy_id: str  # set by Tortoise from `policy`
    buyer_key = fields.CharField(max_length=120)
    invoice_number = fields.CharField(max_length=100)
    delivered_on = fields.DateField()
    invoiced_on = fields.DateField()
    due_date = fields.DateField()
    amount = fields.DecimalField(max_digits=16, decimal_places=2)
    #: the top-up limit in force at delivery
    limit_at_delivery = fields.DecimalField(max_digits=16, decimal_places=2)
    insured = fields.BooleanField()
    violations: Any = fields.JSONField(default=list)
    paid_on = fields.DateField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "top_up_delivery"
        unique_together = (("policy_id", "buyer_key", "invoice_number"),)


class TopUpClaim(Model):
    """One loss of one buyer: notified (TU-N1), insured on the day the first layer pays
    (TU-E2), indemnified by TU-C1, in the insurance year of its first unpaid invoice."""

    id = fields.CharField(pk=True, max_length=40)
    policy: fields.ForeignKeyRelation[TopUpPolicy] = fields.ForeignKeyField(
        "models.TopUpPolicy", related_name="claims", on_delete=fields.CASCADE
    )
    policy_id: str  # set by Tortoise from `policy`
    buyer_key = fields.CharField(max_length=120)
    #: NOTIFIED, INSURED_EVENT, CALCULATED, APPROVED, PAID, REJECTED
    status = fields.CharField(max_length=20)
    learned_of_insolvency_on = fields.DateField()
    #: TU-E4 and TU-E5 - the day the insolvency was declared
    insolvency_declared_on = fields.DateField(null=True)
    #: TU-C1 - the top-up limit in force at the insolvency - taken when notified
    limit_at_insolvency = fields.DecimalField(max_digits=16, decimal_places=2, null=True)
    notified_on = fields.DateField()
    insurance_year = fields.IntField()
    covered_loss = fields.DecimalField(max_digits=16, decimal_places=2)
    admitted_in_proceedings = fields.BooleanField(default=True)
    first_layer_paid_on = fields.DateField(null=True)
    first_layer_indemnity = fields.DecimalField(max_digits=16, decimal_places=2, null=True)
    recoveries = fields.DecimalField(max_digits=16, decimal_places=2, default=0)
    indemnity_amount = fields.DecimalField(max_digits=16, decimal_places=2, null=True)
    indemnity_lines: Any = fields.JSONField(null=True)
    aggregate_deductible_used = fields.DecimalField(max_digits=16, decimal_places=2, default=0)
    paid_amount = fields.DecimalField(max_digits=16, decimal_places=2, default=0)
    paid_on = fields.DateField(null=True)
    #: TU-R1 - the year remaining sum insured the payment was calculated on
    sum_left_at_payment = fields.DecimalField(max_digits=16, decimal_places=2, null=True)
    #: TU-R1 - the aggregate deductible not yet borne the payment was calculated on
    aggregate_left_at_payment = fields.DecimalField(max_digits=16, decimal_places=2, null=True)
    #: TU-R1 - what the insured must refund after a recovery
    refund_due = fields.DecimalField(max_digits=16, decimal_places=2, default=0)
    rejection: Any = fields.JSONField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "top_up_claim"
        indexes = (("policy_id", "insurance_year"),)
