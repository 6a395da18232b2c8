"""Input types of the contract."""

from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum

import strawberry
from strawberry.file_uploads import Upload

from schema.cover_types import DocumentKind, IncidentKind
from schema.types import BuyerRelationship, LegalForm, ProductCode


@strawberry.input
class MoneyInput:
    amount: decimal.Decimal
    currency: str


@strawberry.input
class CompanyInput:
    country: str = strawberry.field(description="ISO 3166-1 alpha-2.")
    registration_number: str
    name: str
    legal_form: LegalForm
    sector: str = strawberry.field(description='NACE rev.2 code, e.g. "49.41".')
    group: str | None = strawberry.field(
        default=None,
        description="Corporate group identifier; a seller and buyer of the same group are "
        "related (C-2).",
    )
    relationship: BuyerRelationship | None = strawberry.field(
        default=None,
        description="A buyer's relationship to the insured (C-2); what counts as related "
        "depends on the product.",
    )
    merchant_registered: bool | None = strawberry.field(
        default=None,
        description="Registered as a merchant in the commercial register or the legal register "
        "of its country (C-1, TOP_UP: a sole trader must say true).",
    )


@strawberry.input
class InvoiceInput:
    number: str
    issue_date: dt.date
    due_date: dt.date
    amount: MoneyInput = strawberry.field(description="Amount excluding VAT.")
    vat_amount: MoneyInput | None = None


@strawberry.input
class FinancingInput:
    reference: str
    financed_amount: MoneyInput


@strawberry.input
class ShipmentInput:
    guaranteed_amount: MoneyInput = strawberry.field(
        description="Freight price excluding VAT: the guaranteed amount (TR-P1)."
    )
    loading_date: dt.date
    origin: str | None = None
    destination: str | None = None


@strawberry.input
class QuoteInput:
    product: ProductCode
    seller: CompanyInput
    buyer: CompanyInput
    invoice: InvoiceInput | None = strawberry.field(
        default=None, description="FINANCED_INVOICE: required."
    )
    financing: FinancingInput | None = strawberry.field(
        default=None, description="FINANCED_INVOICE: required (FI-E4)."
    )
    shipment: ShipmentInput | None = strawberry.field(
        default=None, description="TRANSPORT_INVOICE: required."
    )
    request_date: dt.date | None = strawberry.field(
        default=None,
        description="Defaults to today on the partner's clock (or the test clock).",
    )
    test_clock_id: strawberry.ID | None = strawberry.field(
        default=None, description="Sandbox only: run this quote and its cover on a test clock."
    )


@strawberry.input
class BindCoverInput:
    quote_id: strawberry.ID
    signature_reference: str | None = strawberry.field(
        default=None,
        description="FINANCED_INVOICE: the completed e-signature envelope (FI-A1).",
    )
    payment_method_token: str | None = strawberry.field(
        default=None,
        description="TRANSPORT_INVOICE: a card payment-method token from the card gateway "
        "(TR-P2). The sandbox gateway knows tok_visa (authorises), tok_chargeDeclined "
        "(refused), tok_insufficientFunds (refused).",
    )


@strawberry.input
class ConfirmFinancingInput:
    cover_id: strawberry.ID
    financed: bool
    reason: str | None = None


@strawberry.enum
class ShipmentEventKind(Enum):
    LOADED = "LOADED"
    UNLOADED = "UNLOADED"


@strawberry.input
class RecordShipmentEventInput:
    cover_id: strawberry.ID
    kind: ShipmentEventKind
    on: dt.date


@strawberry.input
class RecordInvoiceInput:
    cover_id: strawberry.ID
    invoice: InvoiceInput


@strawberry.input
class RecordPaymentInput:
    cover_id: strawberry.ID
    amount: MoneyInput
    received_on: dt.date


@strawberry.input
class DeclareIncidentInput:
    cover_id: strawberry.ID
    kind: IncidentKind
    unpaid_amount: MoneyInput
    occurred_on: dt.date


@strawberry.input(description="TR-X2: the client disputes the service of the cover's incident.")
class RecordServiceDisputeInput:
    cover_id: strawberry.ID
    raised_on: dt.date
    reason: str


@strawberry.input(description="TR-X2: staff record the final court decision on a dispute.")
class ResolveServiceDisputeInput:
    incident_id: strawberry.ID
    conforming: bool
    decided_on: dt.date


@strawberry.input
class OpenClaimInput:
    cover_id: strawberry.ID


@strawberry.input
class SubmitDocumentInput:
    cover_id: strawberry.ID
    kind: DocumentKind
    file: Upload


@strawberry.input
class DecideFeasibilityInput:
    cover_id: strawberry.ID
    approve: bool
    reason: str | None = None


@strawberry.enum
class ClaimDecision(Enum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    SUSPEND = "SUSPEND"


@strawberry.input
class DecideClaimInput:
    claim_id: strawberry.ID
    decision: ClaimDecision
    reason: str | None = None


@strawberry.input
class MarkIndemnityPaidInput:
    claim_id: strawberry.ID
    paid_on: dt.date


@strawberry.input
class CreateTestClockInput:
    frozen_time: dt.datetime


@strawberry.input
class AdvanceTestClockInput:
    test_clock_id: strawberry.ID
    frozen_time: dt.datetime


@strawberry.input
class RegisterWebhookEndpointInput:
    url: str
    events: list[str]
