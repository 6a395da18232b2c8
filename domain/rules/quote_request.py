"""The facts of a quote request, as frozen values the eligibility rules read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.rules.money import Money

LEGAL_ENTITY = "COMPANY"


@dataclass(frozen=True)
class Company:
    country: str
    registration_number: str
    name: str
    legal_form: str
    sector: str
    group: str | None = None
    #: C-2: the buyer's declared relationship to the insured (buyer_scope.RELATIONSHIPS)
    relationship: str | None = None
    #: C-1 (TU): registered as a merchant, None when not said
    merchant_registered: bool | None = None


@dataclass(frozen=True)
class InvoiceFacts:
    number: str
    issue_date: date
    due_date: date
    amount: Money
    vat_amount: Money


@dataclass(frozen=True)
class FinancingFacts:
    reference: str
    financed_amount: Money


@dataclass(frozen=True)
class ShipmentFacts:
    guaranteed_amount: Money
    loading_date: date
    origin: str | None = None
    destination: str | None = None


@dataclass(frozen=True)
class QuoteRequest:
    product: str
    seller: Company
    buyer: Company
    request_date: date
    invoice: InvoiceFacts | None = None
    financing: FinancingFacts | None = None
    shipment: ShipmentFacts | None = None
