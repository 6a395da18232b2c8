"""products, requestQuote, quote(id)."""

from __future__ import annotations

from typing import Any

import strawberry

from domain.rules.catalogue import PRODUCTS, RULE_TEXTS
from domain.rules.pricing import effective_premium_rate
from domain.services import quotes as quote_service
from domain.services.quotes import QuoteDraft
from resolvers.context import Info
from resolvers.errors import run_mutation
from resolvers.mappers import company_in, financing_in, invoice_in, quote_out, shipment_in
from schema.inputs import QuoteInput
from schema.types import Money, Product, ProductCode, Quote, QuotePayload, RuleViolation


def products(info: Info) -> list[Product]:
    partner_rate = info.context.principal.premium_rate
    return [
        Product(
            code=ProductCode(spec.code),
            name=spec.name,
            coverage_percent=spec.coverage_percent,
            premium_rate=effective_premium_rate(spec, partner_rate),
            max_insured_amount=(
                Money(amount=spec.max_invoice_amount, currency=spec.currencies[0])
                if spec.max_invoice_amount is not None
                else None
            ),
            rules=[RuleViolation(rule=r, message=RULE_TEXTS[r]) for r in spec.quote_rules],
        )
        for spec in PRODUCTS.values()
    ]


def quote_draft(input: QuoteInput) -> QuoteDraft:
    """The contract's QuoteInput as the domain's QuoteDraft (also bench/quote_throughput.py's
    bare route, so both sides of that benchmark do the same mapping)."""
    return QuoteDraft(
        product=input.product.value,
        seller=company_in(input.seller),
        buyer=company_in(input.buyer),
        invoice=invoice_in(input.invoice),
        financing=financing_in(input.financing),
        shipment=shipment_in(input.shipment),
        request_date=input.request_date,
        test_clock_id=str(input.test_clock_id) if input.test_clock_id else None,
    )


async def request_quote(info: Info, input: QuoteInput) -> QuotePayload:
    async def body() -> dict[str, Any]:
        draft = quote_draft(input)
        row = await quote_service.request_quote(info.context.principal, draft, info.context.now)
        return {"quote": quote_out(row)}

    return await run_mutation(info, QuotePayload, body)


async def quote(info: Info, id: strawberry.ID) -> Quote | None:
    row = await quote_service.get_quote(info.context.principal, str(id))
    return quote_out(row) if row else None
