"""Whole-turnover policies (WT rules): the policy, buyer credit limits, declared sales and
collections, exchange rates, premium invoices, extensions, claims and their deadlines.

No semicolons or quotes in docstrings or `#:` comments here (see models.py).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.store.models import Partner, TestClock


class Policy(Model):
    """One insured, all its credit sales within scope, buyer by buyer (WT-L1)."""

    id = fields.CharField(pk=True, max_length=40)
    partner: fields.ForeignKeyRelation[Partner] = fields.ForeignKeyField(
        "models.Partner", related_name="policies", on_delete=fields.CASCADE
    )
    partner_id: str  # set by Tortoise from `partner`
    insured: Any = fields.JSONField()
    currency = fields.CharField(max_length=3)
    period_start = fields.DateField()
    period_end = fields.DateField()
    minimum_premium = fields.DecimalField(max_digits=16, decimal_places=2)
    #: list of objects with max_term_days and rate_percent (WT-P1)
    premium_rates: Any = fields.JSONField()
    coverage_percent = fields.DecimalField(max_digits=5, decimal_places=2)
    max_indemnity_multiple = fields.DecimalField(max_digits=6, decimal_places=2)
    minimum_unpaid_threshold = fields.DecimalField(max_digits=16, decimal_places=2)
    waiting_period_days = fields.IntField()
    max_extension_amount = fields.DecimalField(max_digits=16, decimal_places=2)
    #: C-1 - political and extraordinary risks contracted - admits public buyers outside CO
    political_risks_contracted = fields.BooleanField(default=False, db_default=False)
    #: WT-P5 - the fee each claim file opened costs the policyholder
    claim_file_fee = fields.DecimalField(max_digits=16, decimal_places=2, default=0, db_default=0)
    #: PENDING_PREMIUM until the minimum premium is paid (WT-P1), then ACTIVE
    status = fields.CharField(max_length=20, index=True)
    premium_paid = fields.DecimalField(max_digits=16, decimal_places=2, default=0)
    #: LIFECYCLE 5a - the last event sequence number given to this policy
    event_sequence = fields.IntField(default=0, db_default=0)
    #: the day the minimum premium was paid in full - cover starts then (WT-P1)
    activated_on = fields.DateField(null=True)
    #: WT-P4 - the day the policy ended automatically for a premium instalment paid late
    terminated_on = fields.DateField(null=True)
    #: WT-C6 - indemnities paid in the period, the compare-and-set guard of every payment
    indemnities_paid = fields.DecimalField(max_digits=16, decimal_places=2, default=0, db_default=0)
    test_clock: fields.ForeignKeyNullableRelation[TestClock] = fields.ForeignKeyField(
        "models.TestClock", related_name="policies", null=True, on_delete=fields.SET_NULL
    )
    test_clock_id: str | None  # set by Tortoise from `test_clock`
    created_at = fields.DatetimeField()

    class Meta:
        table = "policy"
        indexes = (("partner_id", "created_at"),)


class CreditLimit(Model):
    """One version of a buyer limit. A grant, increase or reduction starts a new version
    and ends the previous one the day before the new one takes effect (WT-L2, WT-L4)."""

    id = fields.CharField(pk=True, max_length=40)
    policy: fields.ForeignKeyRelation[Policy] = fields.ForeignKeyField(
        "models.Policy", related_name="limits", on_delete=fields.CASCADE
    )
    policy_id: str  # set by Tortoise from `policy`
    buyer_key = fields.CharField(max_length=120)
    buyer: Any = fields.JSONField()
    requested_amount = fields.DecimalField(max_digits=16, decimal_places=2)
    payment_term_days = fields.IntField()
    requested_on = fields.DateField()
    #: REQUESTED, GRANTED, REFUSED, REDUCED, CANCELLED or SUPERSEDED
    status = fields.CharField(max_length=20)
    amount = fields.DecimalField(max_digits=16, decimal_places=2, null=True)
    coverage_percent = fields.DecimalField(max_digits=5, decimal_places=2, null=True)
    rating_group = fields.CharField(max_length=20, null=True)
    effective_from = fields.DateField(null=True)
    #: last day of this version - null while in force
    ends_on = fields.DateField(null=True)
    decided_on = fields.DateField(null=True)
    refusal: Any = fields.JSONField(null=True)
    #: WT-L4 firm orders after a cancellation or reduction
    firm_orders_until = fields.DateField(null=True)
    firm_orders_cap = fields.DecimalField(max_digits=16, decimal_places=2, null=True)
    #: WT-L4 what staff recorded on a total cancellation that bars firm orders
    firm_order_bars: Any = fields.JSONField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "credit_limit"
        indexes = (("policy_id", "buyer_key", "created_at"),)


class Declaration(Model):
    """A monthly declaration of sales or collections (WT-N1, WT-N2)."""

    id = fields.CharField(pk=True, max_length=40)
    policy: fields.ForeignKeyRelation[Policy] = fields.ForeignKeyField(
        "models.Policy", related_name="declarations", on_delete=fields.CASCADE
    )
    policy_id: str  # set by Tortoise from `policy`
    #: SALES or COLLECTIONS
    kind = fields.CharField(max_length=20)
    #: first day of the declared month
    month = fields.DateField()
    declared_on = fields.DateField()
    due_on = fields.DateField()
    late = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "declaration"
        indexes = (("policy_id", "kind", "month"),)


class Sale(Model):
    """One declared credit sale (an invoice) to a buyer."""

    id = fields.CharField(pk=True, max_length=40)
    policy: fields.ForeignKeyRelation[Policy] = fields.ForeignKeyField(
        "models.Policy", related_name="sales", on_delete=fields.CASCADE
    )
    policy_id: str  # set by Tortoise from `policy`
    declaration: fields.ForeignKeyRelation[Declaration] = fields.ForeignKeyField(
        "models.Declaration", related_name="sales", on_delete=fields.CASCADE
    )
    declaration_id: str  # set by Tortoise from `declaration`
    buyer_key = fields.CharField(max_length=120)
    invoice_number = fields.CharField(max_length=100)
    issue_date = fields.DateField()
    due_date = fields.DateField()
    amount = fields.DecimalField(max_digits=16, decimal_places=2)
    currency = fields.CharField(max_length=3)
    #: WT-N3 day of sale rate to the policy currency and the converted amount
    rate = fields.DecimalField(max_digits=18, decimal_places=8)
    policy_amount = fields.DecimalField(max_digits=16, decimal_places=2)
    premium = fields.DecimalField(max_digits=16, decimal_places=2)
    collected = fields.DecimalField(max_digits=16, decimal_places=2, default=0)
    paid_in_full_on = fields.DateField(null=True)
    #: the rule that keeps it out of cover, or null
    excluded_by = fields.CharField(max_length=20, null=True)
    exclusion_reason = fields.CharField(max_length=300, null=True)
    #: WT-L4 covered as a firm order after a cancellation
    firm_order = fields.BooleanField(default=False)
    #: WT-L4 declared as a firm order - the cover decision is taken again on every change
    firm_order_declared = fields.BooleanField(default=False, db_default=False)
    #: WT-L4 the day the firm commercial contract was signed, when given
    firm_order_signed_on = fields.DateField(null=True)
    extended_due_date = fields.DateField(null=True)
    disputed = fields.BooleanField(default=False)
    #: WT-C8 - an excluded sale made with the insurer express authorisation
    outside_cover_authorised = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "sale"
        unique_together = (("policy_id", "buyer_key", "invoice_number"),)
        indexes = (("policy_id", "buyer_key", "due_date"),)


class Collection(Model):
    """A declared collection from a buyer, assigned to an invoice or not (WT-N2)."""

    id = fields.CharField(pk=True, max_length=40)
    policy: fields.ForeignKeyRelation[Policy] = fields.ForeignKeyField(
        "models.Policy", related_name="collections", on_delete=fields.CASCADE
    )
    policy_id: str  # set by Tortoise from `policy`
    declaration: fields.ForeignKeyRelation[Declaration] = fields.ForeignKeyField(
        "models.Declaration", related_name="collections", on_delete=fields.CASCADE
    )
    declaration_id: str  # set by Tortoise from `declaration`
    buyer_key = fields.CharField(max_length=120)
    amount = fields.DecimalField(max_digits=16, decimal_places=2)
    received_on = fields.DateField()
    invoice_number = fields.CharField(max_length=100, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "collection"
        indexes = (("policy_id", "buyer_key"),)


class ExchangeRate(Model):
    """WT-N3 and WT-C7: the rate of a currency pair on a day, by staff or a sandbox partner."""

    # `partner` None: the rate the insurer staff maintain, the only one live policies use.
    # The rows a sandbox partner sets are its own and used by its sandbox policies only
    # (sandbox and live are separate worlds). One row per (partner, pair, day): a unique
    # index counts NULLs as distinct, so the staff rows are kept unique by a partial
    # unique index of their own (migration 0014).
    id = fields.CharField(pk=True, max_length=40)
    partner: fields.ForeignKeyNullableRelation[Partner] = fields.ForeignKeyField(
        "models.Partner",
        related_name="exchange_rates",
        null=True,
        on_delete=fields.CASCADE,
        description="None - the staff rate, else the sandbox partner that set it",
    )
    partner_id: str | None  # set by Tortoise from `partner`
    from_currency = fields.CharField(max_length=3)
    to_currency = fields.CharField(max_length=3)
    on = fields.DateField()
    rate = fields.DecimalField(max_digits=18, decimal_places=8)
    created_at = fields.DatetimeField()

    class Meta:
        table = "exchange_rate"
        unique_together = (("partner_id", "from_currency", "to_currency", "on"),)


class PremiumInvoice(Model):
    """WT-P1 minimum premium, monthly adjustments and WT-X1 extension premium."""

    id = fields.CharField(pk=True, max_length=40)
    policy: fields.ForeignKeyRelation[Policy] = fields.ForeignKeyField(
        "models.Policy", related_name="premium_invoices", on_delete=fields.CASCADE
    )
    policy_id: str  # set by Tortoise from `policy`
    #: MINIMUM, ADJUSTMENT or EXTENSION
    kind = fields.CharField(max_length=20)
    #: first day of the month it adjusts, for ADJUSTMENT
    month = fields.DateField(null=True)
    amount = fields.DecimalField(max_digits=16, decimal_places=2)
    issued_on = fields.DateField()
    paid_amount = fields.DecimalField(max_digits=16, decimal_places=2, default=0)
    paid_on = fields.DateField(null=True)
    #: WT-P4 - the last day to pay it in full
    due_on = fields.DateField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "premium_invoice"
        unique_together = (("policy_id", "kind", "month"),)


class Extension(Model):
    """WT-X1: a credit extended, optionally or with the insurer authorisation."""

    id = fields.CharField(pk=True, max_length=40)
    policy: fields.ForeignKeyRelation[Policy] = fields.ForeignKeyField(
        "models.Policy", related_name="extensions", on_delete=fields.CASCADE
    )
    policy_id: str  # set by Tortoise from `policy`
    sale: fields.OneToOneRelation[Sale] = fields.OneToOneField(
        "models.Sale", related_name="extension", on_delete=fields.CASCADE
    )
    sale_id: str  # set by Tortoise from `sale`
    new_due_date = fields.DateField()
    granted_on = fields.DateField()
    #: OPTIONAL, PENDING_AUTHORISATION, AUTHORISED or REFUSED
    status = fields.CharField(max_length=30)
    premium = fields.DecimalField(max_digits=16, decimal_places=2, default=0)
    violations: Any = fields.JSONField(default=list)
    created_at = fields.DatetimeField()

    class Meta:
        table = "extension"


class PolicyClaim(Model):
    """A buyer non-payment notified under a policy (WT-C1 to WT-C6)."""

    id = fields.CharField(pk=True, max_length=40)
    policy: fields.ForeignKeyRelation[Policy] = fields.ForeignKeyField(
        "models.Policy", related_name="claims", on_delete=fields.CASCADE
    )
    policy_id: str  # set by Tortoise from `policy`
    buyer_key = fields.CharField(max_length=120)
    #: NON_PAYMENT or INSOLVENCY
    cause = fields.CharField(max_length=20)
    #: DOCUMENTS_PENDING, BELOW_THRESHOLD, UNDER_REVIEW, SUSPENDED, APPROVED, PAID, REJECTED
    status = fields.CharField(max_length=20, index=True)
    notified_on = fields.DateField()
    sale_ids: Any = fields.JSONField()
    documents_due_on = fields.DateField()
    settlement_on = fields.DateField()
    indemnity_amount = fields.DecimalField(max_digits=16, decimal_places=2, null=True)
    indemnity_lines: Any = fields.JSONField(null=True)
    calculated_at = fields.DatetimeField(null=True)
    paid_on = fields.DateField(null=True)
    #: WT-C10 - the day the documents were complete (WT-C2)
    documents_complete_on = fields.DateField(null=True)
    #: WT-C10 - the last day to pay the indemnity
    payable_by = fields.DateField(null=True)
    recovered = fields.DecimalField(max_digits=16, decimal_places=2, default=0)
    #: WT-C6 collection costs the insurer authorised, paid at the coverage percentage
    collection_costs = fields.DecimalField(max_digits=16, decimal_places=2, default=0)
    #: WT-P5 - the claim-file fee charged when this file opened
    file_fee = fields.DecimalField(max_digits=16, decimal_places=2, default=0, db_default=0)
    rejection: Any = fields.JSONField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "policy_claim"


class OmittedSale(Model):
    """WT-N4 - a sale that had to be declared and was not, recorded by insurer staff."""

    id = fields.CharField(pk=True, max_length=40)
    policy: fields.ForeignKeyRelation[Policy] = fields.ForeignKeyField(
        "models.Policy", related_name="omitted_sales", on_delete=fields.CASCADE
    )
    policy_id: str  # set by Tortoise from `policy`
    buyer_key = fields.CharField(max_length=120)
    invoice_number = fields.CharField(max_length=100)
    amount = fields.DecimalField(max_digits=16, decimal_places=2)
    #: the premium that should have been received on it (WT-P1 rate x amount)
    premium = fields.DecimalField(max_digits=16, decimal_places=2)
    found_on = fields.DateField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "omitted_sale"
        unique_together = (("policy_id", "buyer_key", "invoice_number"),)


class PolicyDocument(Model):
    """WT-C2 claim documents, stored like cover documents (content addressed)."""

    id = fields.CharField(pk=True, max_length=40)
    claim: fields.ForeignKeyRelation[PolicyClaim] = fields.ForeignKeyField(
        "models.PolicyClaim", related_name="documents", on_delete=fields.CASCADE
    )
    claim_id: str  # set by Tortoise from `claim`
    kind = fields.CharField(max_length=40)
    filename = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=100)
    size_bytes = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    received_at = fields.DatetimeField()

    class Meta:
        table = "policy_document"


class PolicyDeadline(Model):
    """A dated obligation under a policy, swept like cover deadlines by (state, next_check_on).

    kinds - DECLARATION (WT-N1), NOTIFICATION (WT-C1), DOCUMENTS (WT-C2),
    SETTLEMENT (WT-C3), PREMIUM_ADJUSTMENT (WT-P1)
    """

    id = fields.CharField(pk=True, max_length=40)
    policy: fields.ForeignKeyRelation[Policy] = fields.ForeignKeyField(
        "models.Policy", related_name="deadline_rows", on_delete=fields.CASCADE
    )
    policy_id: str  # set by Tortoise from `policy`
    kind = fields.CharField(max_length=30)
    #: what it is about - a month, a sale or a claim id
    subject = fields.CharField(max_length=60)
    rule = fields.CharField(max_length=20)
    due_on = fields.DateField()
    #: OPEN, MET, MISSED or VOID
    state = fields.CharField(max_length=10)
    met_on = fields.DateField(null=True)
    announced: Any = fields.JSONField(default=list)
    next_check_on = fields.DateField(index=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "policy_deadline"
        unique_together = (("policy_id", "kind", "subject"),)
        indexes = (("state", "next_check_on"),)


class PolicyEvent(Model):
    """C-6 for policies - every change with its time, actor and cause."""

    id = fields.CharField(pk=True, max_length=40)
    policy: fields.ForeignKeyRelation[Policy] = fields.ForeignKeyField(
        "models.Policy", related_name="events", on_delete=fields.CASCADE
    )
    policy_id: str  # set by Tortoise from `policy`
    #: LIFECYCLE 5a - the order of the facts of one policy, 1, 2, 3 and so on
    sequence = fields.IntField(default=0, db_default=0)
    type = fields.CharField(max_length=60)
    occurred_at = fields.DatetimeField()
    actor = fields.CharField(max_length=80)
    data: Any = fields.JSONField()

    class Meta:
        table = "policy_event"
        indexes = (("policy_id", "occurred_at"),)
        unique_together = (("policy_id", "sequence"),)
