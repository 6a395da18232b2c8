"""Cover-life output types of the contract: covers, holds, deadlines, incidents, claims."""

from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum

import strawberry

from schema.types import (
    Company,
    Invoice,
    Money,
    Node,
    PageInfo,
    ProductCode,
    Quote,
    RuleViolation,
    UserError,
)


@strawberry.enum
class CoverStatus(Enum):
    PENDING_CONFIRMATION = strawberry.enum_value(
        "PENDING_CONFIRMATION",
        description="Bound (signed or paid by card hold); waiting for the insurer's feasibility "
        "confirmation (and, FI, the platform's financing confirmation).",
    )
    ACTIVE = "ACTIVE"
    DECLINED = strawberry.enum_value(
        "DECLINED", description="Refused by the insurer or the platform, or not confirmed in time."
    )
    SETTLED = strawberry.enum_value(
        "SETTLED", description="The buyer paid in full; nothing more to cover."
    )
    DEFAULTED = strawberry.enum_value(
        "DEFAULTED", description="A non-payment or insolvency was declared."
    )
    IN_CLAIM = "IN_CLAIM"
    INDEMNIFIED = "INDEMNIFIED"
    LAPSED = strawberry.enum_value(
        "LAPSED", description="A deadline was missed or an exclusion applies: no cover any more."
    )


@strawberry.enum
class FeasibilityStatus(Enum):
    PENDING = "PENDING"
    REFERRED = "REFERRED"
    CONFIRMED = "CONFIRMED"
    DECLINED = "DECLINED"


@strawberry.enum
class HoldStatus(Enum):
    HELD = "HELD"
    CAPTURED = "CAPTURED"
    RELEASED = "RELEASED"
    FAILED = "FAILED"


@strawberry.type
class PaymentHold:
    amount: Money
    status: HoldStatus
    expires_at: dt.datetime
    captured_at: dt.datetime | None = None
    released_at: dt.datetime | None = None
    failure_reason: str | None = None


@strawberry.type
class Deadline:
    kind: str = strawberry.field(
        description="UNLOADING, INVOICING, INVOICE_DUE_DATE, INCIDENT_DECLARATION, CLAIM_OPENING, "
        "DOCUMENTS, INDEMNITY_PAYMENT, CONFIRMATION"
    )
    rule: str
    due_on: dt.date
    met: bool | None = strawberry.field(
        default=None, description="null while open; true when met in time; false when missed."
    )
    met_on: dt.date | None = None


@strawberry.enum
class IncidentKind(Enum):
    NON_PAYMENT = "NON_PAYMENT"
    INSOLVENCY = "INSOLVENCY"


@strawberry.type(description="TR-X2: a service disputed as non-conforming, and its final decision.")
class ServiceDispute:
    raised_on: dt.date
    reason: str
    resolved_on: dt.date | None = strawberry.field(
        default=None, description="The final court decision; null while it is awaited."
    )
    conforming: bool | None = strawberry.field(
        default=None, description="The decision: true, the service was conforming."
    )


@strawberry.type
class Incident(Node):
    id: strawberry.ID
    kind: IncidentKind
    unpaid_amount: Money
    occurred_on: dt.date
    declared_on: dt.date
    published: bool = strawberry.field(description="TR-S1: published in the payment-incident list.")
    dispute: ServiceDispute | None = strawberry.field(
        default=None,
        description="TR-X2: the client disputes the transport service as non-conforming.",
    )


@strawberry.enum
class DocumentKind(Enum):
    COLLECTION_ATTEMPT_PROOF = "COLLECTION_ATTEMPT_PROOF"
    TRANSPORT_ORDER = "TRANSPORT_ORDER"
    CMR = "CMR"
    TRANSPORT_INVOICE = "TRANSPORT_INVOICE"
    UBO_FORM = "UBO_FORM"
    UBO_IDENTITY = "UBO_IDENTITY"
    BANK_ACCOUNT = "BANK_ACCOUNT"
    DEBTOR_LEDGER = "DEBTOR_LEDGER"
    INVOICE = "INVOICE"
    FINANCING_AGREEMENT = "FINANCING_AGREEMENT"
    ACCOUNT_STATEMENT = "ACCOUNT_STATEMENT"
    OTHER = "OTHER"


@strawberry.type
class Document(Node):
    id: strawberry.ID
    kind: DocumentKind
    filename: str
    size_bytes: int
    sha256: str
    received_at: dt.datetime


@strawberry.enum
class ClaimStatus(Enum):
    DOCUMENTS_PENDING = "DOCUMENTS_PENDING"
    UNDER_REVIEW = "UNDER_REVIEW"
    SUSPENDED = "SUSPENDED"
    APPROVED = "APPROVED"
    PAID = "PAID"
    REJECTED = "REJECTED"


@strawberry.type
class IndemnityLine:
    label: str
    amount: Money
    rule: str | None = None


@strawberry.type
class Indemnity:
    amount: Money
    lines: list[IndemnityLine] = strawberry.field(
        description="The calculation step by step: insured loss, recoveries, caps, percentage."
    )
    calculated_at: dt.datetime


@strawberry.type
class Recovery:
    """A payment from the buyer after the indemnity was paid, shared by coverage (FI-R1)."""

    amount: Money
    insurer_share: Money
    insured_share: Money
    received_on: dt.date
    sequence: int = strawberry.field(description="The recovery's place in the cover's events.")


@strawberry.type
class Claim(Node):
    id: strawberry.ID
    cover: Cover
    status: ClaimStatus
    opened_on: dt.date
    missing_documents: list[DocumentKind]
    documents_due_on: dt.date | None = None
    expected_decision_on: dt.date | None = None
    indemnity: Indemnity | None = None
    payable_by: dt.date | None = None
    paid_on: dt.date | None = None
    rejection: RuleViolation | None = None
    recoveries: list[Recovery] = strawberry.field(
        default_factory=list,
        description="Recoveries after the indemnity with both shares (FI-R1), in sequence.",
    )


@strawberry.type
class CoverEvent:
    type: str
    occurred_at: dt.datetime
    actor: str
    data: str = strawberry.field(description="The event's details as a JSON string.")
    sequence: int = strawberry.field(
        default=0,
        description="The order of the cover's facts: 1 for its first event, then one more "
        "for each (LIFECYCLE 5a). Order by this, never by occurredAt.",
    )
    payload: strawberry.scalars.JSON = strawberry.field(
        default_factory=dict, description="The same details as `data`, as JSON."
    )


@strawberry.type
class CoverEventEdge:
    node: CoverEvent
    cursor: str


@strawberry.type
class CoverEventConnection:
    edges: list[CoverEventEdge]
    page_info: PageInfo


@strawberry.type
class Cover(Node):
    id: strawberry.ID
    product: ProductCode
    status: CoverStatus
    quote: Quote
    seller: Company
    buyer: Company
    insured_amount: Money
    premium: Money
    coverage_percent: decimal.Decimal
    feasibility: FeasibilityStatus = strawberry.field(
        default=FeasibilityStatus.PENDING,
        description="The insurer's feasibility answer (LIFECYCLE 2): REFERRED while U-4 "
        "waits for staff.",
    )
    bound_at: dt.datetime
    activated_at: dt.datetime | None = None
    decline_reason: str | None = None
    lapse: RuleViolation | None = None
    payment_hold: PaymentHold | None = strawberry.field(
        default=None, description="TRANSPORT_INVOICE."
    )
    signature_reference: str | None = strawberry.field(
        default=None, description="FINANCED_INVOICE."
    )
    financing_confirmed: bool | None = None
    invoice: Invoice | None = None
    loaded_on: dt.date | None = None
    unloaded_on: dt.date | None = None
    deadlines: list[Deadline] = strawberry.field(default_factory=list)
    incidents: list[Incident] = strawberry.field(default_factory=list)
    claim: Claim | None = None
    paid_amount: Money = strawberry.field(description="Total received from the buyer so far.")

    @strawberry.field
    async def documents(self) -> list[Document]:
        from resolvers.documents import cover_documents  # resolvers import these types

        return await cover_documents(str(self.id))

    @strawberry.field
    async def events(
        self, first: int | None = 50, after: str | None = None
    ) -> CoverEventConnection:
        from resolvers.covers import cover_event_page  # resolvers import these types

        return await cover_event_page(str(self.id), first, after)


@strawberry.type
class CoverEdge:
    node: Cover
    cursor: str


@strawberry.type
class CoverConnection:
    edges: list[CoverEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class CoverPayload:
    cover: Cover | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class IncidentPayload:
    incident: Incident | None = None
    cover: Cover | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ClaimPayload:
    claim: Claim | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DocumentPayload:
    document: Document | None = None
    cover: Cover | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(
    description="An insurer-side deadline the sweep flagged as missed (FI-C2), for staff."
)
class FlaggedDeadline:
    cover: Cover
    deadline: Deadline
    claim: Claim | None = None
