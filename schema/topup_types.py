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


@strawberry.type(description="TU-P4: why the contract ended, and the premium settled.")
class TopUpPolicyEnding:
    rule: str
    reason: str
    refund: Money
    due_now: Money


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
        description="TU-C2: the first insurance year's, less indemnities paid or owed, plus "
        "the insurer's share of recoveries after its payments."
    )
    pni_threshold: Money
    max_payment_term_days: int
    supply_cutoff_days: int
    covered_countries: list[str]
    minimum_premium: Money
    premium_paid_on: dt.date | None = strawberry.field(
        description="TU-P1: the day the payments reached the annual minimum premium; the "
        "contract is in force from it."
    )
    status: str = strawberry.field(
        default="SIGNED",
        description="TU-P1/TU-P4: SIGNED (not in force), IN_FORCE, ENDED or RESCINDED.",
    )
    signed_on: dt.date | None = strawberry.field(default=None, description="TU-E7.")
    premium_due_on: dt.date | None = strawberry.field(
        default=None, description="TU-P1: 30 days after the premium receipt."
    )
    premium_paid: Money | None = strawberry.field(
        default=None, description="TU-P1: every premium payment received, instalments too."
    )
    new_first_layer_contract_on: dt.date | None = strawberry.field(
        default=None, description="TU-P4: the insurer learned of a new first-layer contract."
    )
    rescind_by: dt.date | None = strawberry.field(
        default=None, description="TU-P4: the last day the insurer may rescind."
    )
    ended_on: dt.date | None = strawberry.field(default=None, description="TU-P4.")
    ending: TopUpPolicyEnding | None = strawberry.field(default=None, description="TU-P4.")
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
    further_reductions_expected: bool = strawberry.field(
        default=False, description="TU-L3: no recomputation while the insured knows of more."
    )
    client_excluded: RuleViolation | None = strawberry.field(
        default=None, description="TU-E7: the client was overdue at signing."
    )


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


TERMS_DEPRECATION = (
    "Set by the insurer (setTopUpPolicyTerms); a partner that sends it is refused with "
    "TERMS_SET_BY_INSURER."
)


@strawberry.input
class CreateTopUpPolicyInput:
    insured: CompanyInput
    first_layer_insurer: str
    first_layer_policy: str
    currency: str
    period_start: dt.date
    period_end: dt.date
    first_layer_coverage_percent: decimal.Decimal
    coverage_percent: decimal.Decimal | None = strawberry.field(
        default=None, deprecation_reason=TERMS_DEPRECATION
    )
    per_loss_deductible: MoneyInput | None = strawberry.field(
        default=None, deprecation_reason=TERMS_DEPRECATION
    )
    annual_aggregate_deductible: MoneyInput | None = strawberry.field(
        default=None, deprecation_reason=TERMS_DEPRECATION
    )
    annual_sum_insured: MoneyInput | None = strawberry.field(
        default=None, deprecation_reason=TERMS_DEPRECATION
    )
    pni_threshold: MoneyInput | None = strawberry.field(
        default=None, deprecation_reason=TERMS_DEPRECATION
    )
    max_payment_term_days: int | None = strawberry.field(
        default=None, deprecation_reason=TERMS_DEPRECATION
    )
    supply_cutoff_days: int | None = strawberry.field(
        default=None, deprecation_reason=TERMS_DEPRECATION
    )
    covered_countries: list[str] | None = strawberry.field(
        default=None, deprecation_reason=TERMS_DEPRECATION
    )
    minimum_premium: MoneyInput | None = strawberry.field(
        default=None, deprecation_reason=TERMS_DEPRECATION
    )
    first_layer_invoicing_days: int | None = None
    test_clock_id: strawberry.ID | None = None
    signed_on: dt.date | None = strawberry.field(
        default=None, description="TU-E7: the signing date (default: today)."
    )


@strawberry.input(description="The insurer's terms of a top-up policy (staff).")
class SetTopUpPolicyTermsInput:
    policy_id: strawberry.ID
    from_year: int = strawberry.field(
        default=0,
        description="TU-C2: the first insurance year the terms apply to (0: the whole policy).",
    )
    coverage_percent: decimal.Decimal | None = None
    per_loss_deductible: MoneyInput | None = None
    annual_aggregate_deductible: MoneyInput | None = None
    annual_sum_insured: MoneyInput | None = None
    pni_threshold: MoneyInput | None = None
    max_payment_term_days: int | None = None
    supply_cutoff_days: int | None = None
    covered_countries: list[str] | None = None
    minimum_premium: MoneyInput | None = None


@strawberry.input(description="TU-P4: the insured's first-layer contract ended, or a new one.")
class RecordFirstLayerContractInput:
    policy_id: strawberry.ID
    ended: bool = strawberry.field(
        description="true: no first-layer contract left (the policy ends); false: a new one."
    )
    on: dt.date


@strawberry.input
class RescindTopUpPolicyInput:
    policy_id: strawberry.ID
    rescinded_on: dt.date


@strawberry.input(description="TU-E7: an earlier invoice of the client, as at signing.")
class EarlierInvoiceInput:
    original_due_date: dt.date
    paid_on: dt.date | None = None
    disputed: bool = False


@strawberry.input
class RecordFirstLayerDecisionInput:
    policy_id: strawberry.ID
    buyer: CompanyInput
    requested: MoneyInput
    granted: MoneyInput
    decided_on: dt.date
    temporary: MoneyInput | None = strawberry.field(
        default=None, description="TU-L1: the first layer's temporary limits, included."
    )
    other_insurance: MoneyInput | None = strawberry.field(
        default=None, description="TU-L1: limits through other insurance, not included."
    )
    further_reductions_expected: bool | None = strawberry.field(
        default=None,
        description="TU-L3: the insured knows of more reductions to come (null: unchanged).",
    )
    client_history: list[EarlierInvoiceInput] | None = strawberry.field(
        default=None, description="TU-E7: the client's earlier invoices at signing."
    )


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
    insolvency_declared_on: dt.date | None = strawberry.field(
        default=None, description="TU-E4/TU-E5: the declaration day (default: learnedOn)."
    )


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
    amount: MoneyInput | None = strawberry.field(
        default=None, description="TU-P1: an instalment; null: all the premium owed."
    )


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
