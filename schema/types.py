"""Core output types of the contract: nodes, money, errors, products, companies, quotes."""

from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum

import strawberry


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None = None


@strawberry.type
class Money:
    amount: decimal.Decimal
    currency: str


@strawberry.type
class UserError:
    code: str = strawberry.field(
        description="Stable machine code: a rule id (FI-E2), or NOT_FOUND, INVALID_STATE, "
        "INVALID_INPUT, IDEMPOTENCY_KEY_REUSED, FORBIDDEN."
    )
    message: str
    field: list[str] | None = strawberry.field(
        default=None,
        description='Path of the input field at fault, e.g. ["input", "invoice", "dueDate"].',
    )


@strawberry.type
class RuleViolation:
    rule: str
    message: str
    field: list[str] | None = None


@strawberry.enum
class ProductCode(Enum):
    FINANCED_INVOICE = "FINANCED_INVOICE"
    TRANSPORT_INVOICE = "TRANSPORT_INVOICE"


@strawberry.type
class Product:
    code: ProductCode
    name: str
    coverage_percent: decimal.Decimal
    premium_rate: decimal.Decimal = strawberry.field(
        description='Premium rate as a fraction, e.g. "0.0170"; the partner\'s own rate where '
        "it has one."
    )
    max_insured_amount: Money | None
    rules: list[RuleViolation]


@strawberry.enum
class LegalForm(Enum):
    COMPANY = "COMPANY"
    SOLE_TRADER = strawberry.enum_value(
        "SOLE_TRADER",
        description="A natural person with merchant status who trades professionally as "
        "their habitual occupation (C-1).",
    )
    PUBLIC_BODY = strawberry.enum_value(
        "PUBLIC_BODY",
        description="A state or public entity that cannot be declared insolvent (C-1); a "
        "state-owned company that can is a COMPANY.",
    )
    PRIVATE_INDIVIDUAL = "PRIVATE_INDIVIDUAL"


@strawberry.enum(description="A buyer's relationship to the insured, for C-2.")
class BuyerRelationship(Enum):
    NONE = "NONE"
    SUBSIDIARY = strawberry.enum_value(
        "SUBSIDIARY", description="The buyer is a subsidiary of the insured (controlled by it)."
    )
    PARENT = strawberry.enum_value(
        "PARENT", description="The insured is a subsidiary of the buyer."
    )
    BRANCH_OR_AGENCY = strawberry.enum_value(
        "BRANCH_OR_AGENCY", description="A branch or agency of the insured, or the reverse."
    )
    SHARED_MANAGEMENT = strawberry.enum_value(
        "SHARED_MANAGEMENT",
        description="Shared directors, legal representatives or managers, or the insured takes "
        "part in managing the buyer.",
    )
    SHAREHOLDING = strawberry.enum_value(
        "SHAREHOLDING", description="A shareholding between them that gives no control."
    )
    DEPENDENT = strawberry.enum_value(
        "DEPENDENT", description="Not independent of the insured, legally or financially."
    )
    FAMILY = strawberry.enum_value(
        "FAMILY",
        description="Sole traders: a spouse or a relative up to the second degree by blood or "
        "marriage.",
    )
    OTHER_LINK = strawberry.enum_value("OTHER_LINK", description="Any other link between them.")


@strawberry.type
class Company:
    country: str
    registration_number: str
    name: str
    legal_form: LegalForm
    sector: str
    relationship: BuyerRelationship | None = None
    merchant_registered: bool | None = None


@strawberry.type
class Invoice:
    number: str
    issue_date: dt.date
    due_date: dt.date
    amount: Money
    vat_amount: Money


@strawberry.type
class Quote(Node):
    id: strawberry.ID
    product: ProductCode
    eligible: bool
    violations: list[RuleViolation] = strawberry.field(
        description="Every rule the request breaks (C-5); empty when eligible."
    )
    premium: Money | None
    insured_amount: Money | None
    coverage_percent: decimal.Decimal
    request_date: dt.date
    valid_until: dt.datetime | None
    created_at: dt.datetime


@strawberry.type
class QuotePayload:
    quote: Quote | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.enum
class TestClockStatus(Enum):
    READY = "READY"
    ADVANCING = "ADVANCING"


@strawberry.type
class TestClock(Node):
    id: strawberry.ID
    frozen_time: dt.datetime
    status: TestClockStatus


@strawberry.type
class TestClockPayload:
    test_clock: TestClock | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
