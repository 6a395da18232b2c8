"""Top-up (excess layer) policies over a first-layer insurer (TU rules): output types,
inputs and payloads, in the contract's style."""

from __future__ import annotations

import datetime as dt
import decimal

import strawberry

from schema.cover_types import IndemnityLine
from schema.inputs import CompanyInput, MoneyInput
from schema.policy_types import BuyerRefInput
from schema.types import Company, Money, Node, RuleViolation, UserError

# Outputs


@strawberry.type
class TopUpPolicy(Node):
    id: strawberry.ID
    insured: Company
    first_layer_insurer: str
    first_layer_policy: str
    currency: str
    period_start: dt.date
    period_end: dt.date
    coverage_percent: decimal.Decimal
    first_layer_coverage_percent: decimal.Decimal
    per_loss_deductible: Money
    annual_aggregate_deductible: Money
    annual_sum_insured: Money
    remaining_sum_insured: Money = strawberry.field(
        description="TU-C2: this insurance year, after indemnities paid and recoveries."
    )
    pni_threshold: Money
    max_payment_term_days: int
    supply_cutoff_days: int
    covered_countries: list[str]
    minimum_premium: Money
    premium_paid_on: dt.date | None = strawberry.field(description="TU-P1.")
    rescinded_on: dt.date | None = strawberry.field(
        default=None,
        description="TU-P5: rescinded for misrepresentation, treated as never made.",
    )


@strawberry.type
class TopUpLimitChange:
    decided_on: dt.date
    first_layer_granted: Money
    top_up_limit: Money
    cause: str


@strawberry.type(description="TU-L1 to TU-L3 for one buyer.")
class TopUpLimit(Node):
    id: strawberry.ID
    buyer: Company
    requested: Money
    first_layer_granted: Money
    top_up_limit: Money
    zero_locked: bool = strawberry.field(description="TU-L2: 0 at a reduction, stays 0.")
    recompute_on: dt.date | None = strawberry.field(description="TU-L3.")
    history: list[TopUpLimitChange]


@strawberry.type
class TopUpDelivery:
    buyer: str
    invoice_number: str
    delivered_on: dt.date
    invoiced_on: dt.date
    due_date: dt.date
    amount: Money
    limit_at_delivery: Money
    insured: bool
    violations: list[RuleViolation]


@strawberry.type
class TopUpIndemnity:
    amount: Money
    lines: list[IndemnityLine]
    aggregate_deductible_used: Money


@strawberry.type
class TopUpClaim(Node):
    id: strawberry.ID
    policy_id: strawberry.ID
    buyer: str
    status: str = strawberry.field(
        description="NOTIFIED, INSURED_EVENT, APPROVED, PAID or REJECTED."
    )
    learned_of_insolvency_on: dt.date
    notified_on: dt.date
    insurance_year: int = strawberry.field(description="TU-C2: 0 for the first year.")
    covered_loss: Money
    first_layer_paid_on: dt.date | None
    first_layer_indemnity: Money | None
    recoveries: Money
    indemnity: TopUpIndemnity | None
    paid_amount: Money
    paid_on: dt.date | None
    refund_due: Money = strawberry.field(description="TU-R1: overpayment to refund.")
    rejection: RuleViolation | None


# Inputs


@strawberry.input
class CreateTopUpPolicyInput:
    insured: CompanyInput
    first_layer_insurer: str
    first_layer_policy: str
    currency: str
    period_start: dt.date
    period_end: dt.date
    coverage_percent: decimal.Decimal
    first_layer_coverage_percent: decimal.Decimal
    per_loss_deductible: MoneyInput
    annual_aggregate_deductible: MoneyInput
    annual_sum_insured: MoneyInput
    pni_threshold: MoneyInput
    max_payment_term_days: int
    supply_cutoff_days: int
    covered_countries: list[str]
    minimum_premium: MoneyInput
    first_layer_invoicing_days: int | None = None
    test_clock_id: strawberry.ID | None = None


@strawberry.input
class RecordFirstLayerDecisionInput:
    policy_id: strawberry.ID
    buyer: CompanyInput
    requested: MoneyInput
    granted: MoneyInput
    decided_on: dt.date


@strawberry.input
class DeliveryInput:
    buyer: BuyerRefInput
    invoice_number: str
    delivered_on: dt.date
    invoiced_on: dt.date
    due_date: dt.date
    amount: MoneyInput
    paid_on: dt.date | None = None
    threat_of_loss_known: bool = strawberry.field(
        default=False, description="TU-E3: delivered after a threat of loss was known."
    )


@strawberry.input
class DeclareDeliveriesInput:
    policy_id: strawberry.ID
    deliveries: list[DeliveryInput]


@strawberry.input
class NotifyInsolvencyInput:
    policy_id: strawberry.ID
    buyer: BuyerRefInput
    learned_on: dt.date
    covered_loss: MoneyInput
    first_unpaid_invoice_date: dt.date
    admitted_in_proceedings: bool = True


@strawberry.input
class RecordFirstLayerIndemnityInput:
    claim_id: strawberry.ID
    paid_on: dt.date
    amount: MoneyInput
    owed: bool = strawberry.field(
        default=True, description="TU-E2: a payment the first layer did not owe is no event."
    )


@strawberry.input
class RecordTopUpRecoveryInput:
    claim_id: strawberry.ID
    amount: MoneyInput
    received_on: dt.date
    attributable: bool = strawberry.field(
        default=True,
        description="TU-R1: false shares it pro rata between insured, first layer and top-up.",
    )


@strawberry.input
class DecideTopUpClaimInput:
    claim_id: strawberry.ID
    approve: bool
    paid_on: dt.date | None = None
    reason: str | None = None


@strawberry.input
class RecordTopUpPremiumInput:
    policy_id: strawberry.ID
    paid_on: dt.date


# Payloads


@strawberry.type
class TopUpPolicyPayload:
    policy: TopUpPolicy | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TopUpLimitPayload:
    limit: TopUpLimit | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeliveriesPayload:
    deliveries: list[TopUpDelivery] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TopUpClaimPayload:
    claim: TopUpClaim | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
