"""requestQuote and quote(id) (LIFECYCLE 1): validate, run every rule, price, store once."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.rules.catalogue import PRODUCTS
from domain.rules.eligibility import quote_violations
from domain.rules.input_checks import input_problems
from domain.rules.pricing import effective_premium_rate, price
from domain.rules.quote_request import (
    Company,
    FinancingFacts,
    InvoiceFacts,
    QuoteRequest,
    ShipmentFacts,
)
from domain.services.clocks import clock_for_request
from domain.services.errors import DomainError, InvalidInput
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.models import Quote


@dataclass(frozen=True)
class QuoteDraft:
    """A quote request as the API received it: the request date may be missing."""

    product: str
    seller: Company
    buyer: Company
    invoice: InvoiceFacts | None = None
    financing: FinancingFacts | None = None
    shipment: ShipmentFacts | None = None
    request_date: date | None = None
    test_clock_id: str | None = None


def _jsonable(value: Any) -> Any:
    """The request as JSON values, walked once (`dataclasses.asdict` deep-copies every leaf
    first, a third of this service's time per quote: bench/RESULTS.md)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _request_json(request: QuoteRequest) -> dict[str, Any]:
    stored: dict[str, Any] = _jsonable(request)
    return stored


def _quoted_currency(request: QuoteRequest) -> str:
    """Input checks guarantee FI has an invoice and TR a shipment."""
    if request.shipment is not None:
        return request.shipment.guaranteed_amount.currency
    assert request.invoice is not None
    return request.invoice.amount.currency


async def request_quote(principal: Principal, draft: QuoteDraft, now: datetime) -> Quote:
    """Store a quote: eligible with its price, or ineligible with every violation (C-5).

    Malformed input raises InvalidInput and stores nothing.
    """
    if principal.partner_id is None:
        raise DomainError("FORBIDDEN", "Quotes are requested by partner keys.")
    clock = await clock_for_request(principal, draft.test_clock_id, ("input", "testClockId"))
    if clock is not None:
        now = clock.frozen_time
    today = now.date()
    request_date = draft.request_date or today
    if request_date != today and not principal.sandbox:
        # A live partner cannot move the request date: FI-E2 counts from the real request.
        raise InvalidInput(
            [
                (
                    f"requestDate must be today ({today.isoformat()}) for live keys.",
                    ("input", "requestDate"),
                )
            ]
        )
    spec = PRODUCTS[draft.product]
    request = QuoteRequest(
        product=draft.product,
        seller=draft.seller,
        buyer=draft.buyer,
        request_date=request_date,
        invoice=draft.invoice,
        financing=draft.financing,
        shipment=draft.shipment,
    )
    problems = input_problems(request, spec)
    if problems:
        raise InvalidInput([(p.message, p.field) for p in problems])

    violations = quote_violations(request, spec)
    rate = effective_premium_rate(spec, principal.premium_rate)
    quoted = price(request, spec, rate) if not violations else None
    currency = _quoted_currency(request)
    return await Quote.create(
        id=new_id("quo"),
        partner_id=principal.partner_id,
        product=spec.code,
        eligible=not violations,
        violations=[
            {"rule": v.rule, "message": v.message, "field": list(v.field) if v.field else None}
            for v in violations
        ],
        currency=currency,
        premium=quoted.premium.amount if quoted else None,
        premium_rate=rate,
        insured_amount=quoted.insured_amount.amount if quoted else None,
        coverage_percent=spec.coverage_percent,
        request_date=request_date,
        valid_until=now + spec.quote_validity if quoted else None,
        request=_request_json(request),
        test_clock_id=clock.id if clock else None,
        created_at=now,
    )


async def get_quote(principal: Principal, quote_id: str) -> Quote | None:
    """A partner sees its own quotes; insurer staff see all."""
    query = Quote.filter(id=quote_id)
    if not principal.is_staff:
        query = query.filter(partner_id=principal.partner_id)
    return await query.first()
