"""Whole-turnover policies (WT rules): output types, inputs and payloads, in the
contract's style (Relay-style nodes, Money, userErrors with rule ids)."""

from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from schema.cover_types import DocumentKind, Indemnity
from schema.inputs import ClaimDecision, CompanyInput, MoneyInput
from schema.types import Company, Money, Node, RuleViolation, UserError

# Outputs


@strawberry.enum
class PolicyStatus(Enum):
    PENDING_PREMIUM = "PENDING_PREMIUM"
    ACTIVE = "ACTIVE"
    TERMINATED = "TERMINATED"


@strawberry.type(description="WT-P1: the premium rate for payment terms up to maxTermDays.")
class PremiumRate:
    max_term_days: int
    rate_percent: decimal.Decimal


@strawberry.enum
class PremiumInvoiceKind(Enum):
    MINIMUM = "MINIMUM"
    ADJUSTMENT = "ADJUSTMENT"
    EXTENSION = "EXTENSION"


@strawberry.type
class PremiumInvoice(Node):
    id: strawberry.ID
    kind: PremiumInvoiceKind
    month: dt.date | None
    amount: Money
    issued_on: dt.date
    paid_amount: Money
    paid_on: dt.date | None
    due_on: dt.date | None = strawberry.field(
        default=None, description="WT-P4: paid in full by then, or the policy ends the day after."
    )


@strawberry.type(
    description="DECLARATION (WT-N1), PREMIUM_ADJUSTMENT (WT-P1), DOCUMENTS (WT-C2), "
    "SETTLEMENT (WT-C3), PAYMENT (WT-C10), PREMIUM_PAYMENT (WT-P4)."
)
class PolicyDeadline:
    kind: str
    rule: str
    subject: str = strawberry.field(description="The month, or the claim id.")
    due_on: dt.date
    met: bool | None = strawberry.field(
        default=None, description="null while open; true when met in time; false when missed."
    )
    met_on: dt.date | None = None


@strawberry.type
class PolicyEvent:
    type: str
    occurred_at: dt.datetime
    actor: str
    data: strawberry.scalars.JSON
    sequence: int = strawberry.field(
        default=0,
        description="The order of the policy's facts: 1 for its first event, then one more "
        "for each (LIFECYCLE 5a).",
    )


@strawberry.type
class Policy(Node):
    id: strawberry.ID
    status: PolicyStatus
    insured: Company
    currency: str
    period_start: dt.date
    period_end: dt.date
    minimum_premium: Money
    premium_rates: list[PremiumRate]
    coverage_percent: decimal.Decimal
    max_indemnity_multiple: decimal.Decimal
    minimum_unpaid_threshold: Money
    waiting_period_days: int
    max_extension_amount: Money
    activated_on: dt.date | None = strawberry.field(
        description="WT-P1: the day the minimum premium was paid; cover starts then."
    )
    premium_invoices: list[PremiumInvoice]
    accrued_premium: Money = strawberry.field(description="WT-P1: rate x declared sales.")
    deadlines: list[PolicyDeadline]
    events: list[PolicyEvent] = strawberry.field(description="The last 100 events, oldest first.")
    political_risks_contracted: bool = strawberry.field(
        default=False,
        description="C-1: political and extraordinary risks contracted (public buyers outside "
        "Colombia insurable).",
    )
    claim_file_fee: Money | None = strawberry.field(
        default=None, description="WT-P5: what each claim file opened costs."
    )
    terminated_on: dt.date | None = strawberry.field(
        default=None, description="WT-P4: ended automatically for a premium instalment paid late."
    )


@strawberry.enum
class CreditLimitStatus(Enum):
    REQUESTED = "REQUESTED"
    GRANTED = "GRANTED"
    REFUSED = "REFUSED"
    REDUCED = "REDUCED"
    CANCELLED = "CANCELLED"
    SUPERSEDED = "SUPERSEDED"
    VOID = strawberry.enum_value(
        "VOID", description="WT-L9: void for an undisclosed risk - never in force."
    )


@strawberry.type(description="One version of a buyer's credit limit (WT-L1 to WT-L4).")
class CreditLimit(Node):
    id: strawberry.ID
    buyer: Company
    requested_amount: Money
    payment_term_days: int
    requested_on: dt.date
    status: CreditLimitStatus
    amount: Money | None
    coverage_percent: decimal.Decimal | None
    rating_group: str | None
    effective_from: dt.date | None = strawberry.field(description="WT-L2.")
    ends_on: dt.date | None = strawberry.field(description="Last day of this version.")
    refusal: RuleViolation | None
    firm_orders_until: dt.date | None = strawberry.field(description="WT-L4.")
    firm_orders_cap: Money | None = strawberry.field(
        description="WT-L4: the insurer's maximum indemnity on all the firm orders together."
    )
    firm_order_bars: list[FirmOrderBar] = strawberry.field(
        default_factory=list, description="WT-L4: recorded on the cancellation."
    )


@strawberry.type(description="A declared credit sale and whether it is covered.")
class DeclaredCredit:
    id: strawberry.ID
    buyer: str = strawberry.field(description="Country and registration number, e.g. ES:B123.")
    invoice_number: str
    issue_date: dt.date
    due_date: dt.date
    extended_due_date: dt.date | None
    amount: Money
    policy_amount: Money = strawberry.field(description="WT-N3: at the day-of-sale rate.")
    premium: Money
    collected: Money
    covered: bool
    exclusion: RuleViolation | None
    firm_order: bool
    disputed: bool


@strawberry.type
class Declaration(Node):
    id: strawberry.ID
    kind: str = strawberry.field(description="SALES or COLLECTIONS.")
    month: dt.date
    declared_on: dt.date
    due_on: dt.date = strawberry.field(description="WT-N1: the 30th of the next month.")
    late: bool
    sales: list[DeclaredCredit]
    collections_count: int


@strawberry.type(description="WT-L5 to WT-L7 for one buyer on one day.")
class BuyerExposure:
    buyer: str
    on: dt.date
    limit: CreditLimit | None
    exposure: Money
    insured: Money
    uninsured: Money
    overdue: Money
    aggravated_risk: bool = strawberry.field(description="WT-L7: a sale today is not covered.")
    credits: list[DeclaredCredit]


@strawberry.type(description="WT-X1.")
class Extension(Node):
    id: strawberry.ID
    invoice_number: str
    new_due_date: dt.date
    granted_on: dt.date
    status: str = strawberry.field(
        description="OPTIONAL, PENDING_AUTHORISATION, AUTHORISED or REFUSED."
    )
    premium: Money
    violations: list[RuleViolation]


@strawberry.enum
class PolicyClaimStatus(Enum):
    DOCUMENTS_PENDING = "DOCUMENTS_PENDING"
    BELOW_THRESHOLD = "BELOW_THRESHOLD"
    UNDER_REVIEW = "UNDER_REVIEW"
    SUSPENDED = "SUSPENDED"
    APPROVED = "APPROVED"
    PAID = "PAID"
    REJECTED = "REJECTED"


@strawberry.enum
class NonPaymentCause(Enum):
    NON_PAYMENT = "NON_PAYMENT"
    INSOLVENCY = "INSOLVENCY"


@strawberry.type
class PolicyClaim(Node):
    id: strawberry.ID
    policy_id: strawberry.ID
    buyer: str
    cause: NonPaymentCause
    status: PolicyClaimStatus
    notified_on: dt.date
    documents_due_on: dt.date = strawberry.field(description="WT-C2.")
    settlement_on: dt.date = strawberry.field(description="WT-C3: end of the waiting period.")
    missing_documents: list[DocumentKind]
    credits: list[DeclaredCredit]
    indemnity: Indemnity | None
    paid_on: dt.date | None
    recovered: Money
    rejection: RuleViolation | None
    file_fee: Money | None = strawberry.field(
        default=None, description="WT-P5: what opening this claim file costs the policyholder."
    )
    documents_complete_on: dt.date | None = strawberry.field(
        default=None, description="WT-C10: the day the WT-C2 documents were complete."
    )
    payable_by: dt.date | None = strawberry.field(
        default=None,
        description="WT-C10: max(end of the waiting period + 1 month, complete documentation "
        "+ 30 days).",
    )


@strawberry.type
class ExchangeRate:
    partner_id: strawberry.ID | None = strawberry.field(
        description="The sandbox partner whose own rate this is (used by its sandbox "
        "policies only); null: the insurer staff's rate, used by live policies and by "
        "sandbox policies whose partner set none for the pair."
    )
    from_currency: str
    to_currency: str
    on: dt.date
    rate: decimal.Decimal


# Inputs


@strawberry.input
class PremiumRateInput:
    max_term_days: int
    rate_percent: decimal.Decimal


_SET_BY_INSURER = (
    "An underwriting term set by the insurer (setPolicyTerms): sending it answers "
    "TERMS_SET_BY_INSURER."
)


def _insurer_term() -> Any:
    return strawberry.field(default=None, deprecation_reason=_SET_BY_INSURER)


@strawberry.input(
    description="A partner asks for a policy; it starts with the product's default terms "
    "until insurer staff set its own (setPolicyTerms)."
)
class CreatePolicyInput:
    insured: CompanyInput
    currency: str
    period_start: dt.date
    period_end: dt.date
    minimum_premium: MoneyInput | None = _insurer_term()
    premium_rates: list[PremiumRateInput] | None = _insurer_term()
    coverage_percent: decimal.Decimal | None = _insurer_term()
    max_indemnity_multiple: decimal.Decimal | None = _insurer_term()
    minimum_unpaid_threshold: MoneyInput | None = _insurer_term()
    waiting_period_days: int | None = _insurer_term()
    max_extension_amount: MoneyInput | None = _insurer_term()
    test_clock_id: strawberry.ID | None = None
    partner_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Staff only: the partner the policy is for; staff may then set the "
        "terms at once.",
    )


@strawberry.input(
    description="Staff: a policy's underwriting terms, before it takes effect (WT-P1). "
    "Omitted terms stay as they are."
)
class SetPolicyTermsInput:
    policy_id: strawberry.ID
    minimum_premium: MoneyInput | None = None
    premium_rates: list[PremiumRateInput] | None = None
    coverage_percent: decimal.Decimal | None = None
    max_indemnity_multiple: decimal.Decimal | None = None
    minimum_unpaid_threshold: MoneyInput | None = None
    waiting_period_days: int | None = None
    max_extension_amount: MoneyInput | None = None


@strawberry.input(description="A buyer by country and registration number.")
class BuyerRefInput:
    country: str
    registration_number: str


@strawberry.input
class RequestCreditLimitInput:
    policy_id: strawberry.ID
    buyer: CompanyInput
    amount: MoneyInput
    payment_term_days: int


@strawberry.enum
class CreditLimitDecision(Enum):
    GRANT = "GRANT"
    REFUSE = "REFUSE"
    REDUCE = "REDUCE"
    CANCEL = "CANCEL"


@strawberry.enum(description="WT-L4: what bars firm orders after a total cancellation.")
class FirmOrderBar(Enum):
    FRAUD_ALERT = "FRAUD_ALERT"
    BUYER_INSOLVENT = "BUYER_INSOLVENT"
    BUYER_CEASED_TRADING = "BUYER_CEASED_TRADING"
    GUARANTOR_IN_ARREARS = "GUARANTOR_IN_ARREARS"
    GUARANTOR_INSOLVENT = "GUARANTOR_INSOLVENT"
    GUARANTOR_CEASED_TRADING = "GUARANTOR_CEASED_TRADING"


@strawberry.input
class DecideCreditLimitInput:
    limit_id: strawberry.ID
    decision: CreditLimitDecision
    amount: MoneyInput | None = None
    coverage_percent: decimal.Decimal | None = None
    rating_group: str | None = None
    reason: str | None = None
    firm_order_bars: list[FirmOrderBar] | None = strawberry.field(
        default=None,
        description="WT-L4, on a CANCEL: facts that bar the firm orders (the cancellation "
        "followed a fraud alert; the buyer or guarantor is insolvent or ceased trading; the "
        "guarantor is in arrears). The buyer's own arrears are computed from its credits.",
    )


@strawberry.input
class SaleInput:
    buyer: BuyerRefInput
    invoice_number: str
    issue_date: dt.date
    due_date: dt.date
    amount: MoneyInput
    firm_order: bool = strawberry.field(
        default=False, description="WT-L4: under a contract signed before a cancellation."
    )
    firm_order_signed_on: dt.date | None = strawberry.field(
        default=None,
        description="WT-L4: the day that contract was signed (before the cancellation).",
    )


@strawberry.input
class DeclareSalesInput:
    policy_id: strawberry.ID
    month: dt.date = strawberry.field(description="Any day of the month the sales were made.")
    sales: list[SaleInput]


@strawberry.input
class CollectionInput:
    buyer: BuyerRefInput
    amount: MoneyInput
    received_on: dt.date
    invoice_number: str | None = None


@strawberry.input
class DeclareCollectionsInput:
    policy_id: strawberry.ID
    month: dt.date
    collections: list[CollectionInput]


@strawberry.input
class DeclareExtensionInput:
    policy_id: strawberry.ID
    buyer: BuyerRefInput
    invoice_number: str
    new_due_date: dt.date


@strawberry.input
class AuthorizeExtensionInput:
    extension_id: strawberry.ID
    approve: bool


@strawberry.input
class NotifyNonPaymentInput:
    policy_id: strawberry.ID
    buyer: BuyerRefInput
    cause: NonPaymentCause
    insolvency_known_on: dt.date | None = None
    disputed_invoice_numbers: list[str] = strawberry.field(
        default_factory=list, description="WT-C4: suspended until a final judgment or award."
    )


@strawberry.input
class SubmitPolicyDocumentInput:
    claim_id: strawberry.ID
    kind: DocumentKind
    file: Upload


@strawberry.input
class DecidePolicyClaimInput:
    claim_id: strawberry.ID
    decision: ClaimDecision
    reason: str | None = None


@strawberry.input(description="WT-C4: the final judgment or award on a disputed credit.")
class ResolveCreditDisputeInput:
    claim_id: strawberry.ID
    invoice_number: str
    for_insured: bool
    decided_on: dt.date


@strawberry.input
class MarkPolicyIndemnityPaidInput:
    claim_id: strawberry.ID
    paid_on: dt.date


@strawberry.input
class RecordRecoveryInput:
    claim_id: strawberry.ID
    received_on: dt.date
    amount: MoneyInput | None = strawberry.field(default=None, description="Money recovered.")
    goods_market_value: MoneyInput | None = strawberry.field(
        default=None,
        description="WT-R2: goods recovered, at market value (never below 50% invoiced).",
    )
    costs: MoneyInput | None = None


@strawberry.input(description="WT-C6: collection costs the insurer authorised.")
class RecordCollectionCostsInput:
    claim_id: strawberry.ID
    amount: MoneyInput


@strawberry.input(description="WT-N4: a sale that had to be declared and was not.")
class OmittedSaleInput:
    buyer: BuyerRefInput
    invoice_number: str
    issue_date: dt.date
    due_date: dt.date
    amount: MoneyInput


@strawberry.input
class RecordOmittedSalesInput:
    policy_id: strawberry.ID
    sales: list[OmittedSaleInput]


@strawberry.input(description="WT-C8: a sale outside the cover made with the insurer's consent.")
class AuthoriseSaleOutsideCoverInput:
    policy_id: strawberry.ID
    buyer: BuyerRefInput
    invoice_number: str


@strawberry.type
class DeclaredCreditPayload:
    credit: DeclaredCredit | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class IssuePremiumInvoiceInput:
    policy_id: strawberry.ID
    month: dt.date


@strawberry.input
class RecordPremiumPaymentInput:
    invoice_id: strawberry.ID
    amount: MoneyInput
    paid_on: dt.date


@strawberry.input
class SetExchangeRateInput:
    from_currency: str
    to_currency: str
    on: dt.date
    rate: decimal.Decimal


# Payloads


@strawberry.type
class PolicyPayload:
    policy: Policy | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CreditLimitPayload:
    credit_limit: CreditLimit | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeclarationPayload:
    declaration: Declaration | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ExtensionPayload:
    extension: Extension | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PolicyClaimPayload:
    claim: PolicyClaim | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RecoveryPayload:
    claim: PolicyClaim | None = None
    insurer_share: Money | None = None
    insured_share: Money | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PremiumInvoicePayload:
    invoice: PremiumInvoice | None = None
    policy: Policy | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ExchangeRatePayload:
    exchange_rate: ExchangeRate | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
