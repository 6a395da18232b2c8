"""Premiums and insured amounts of the single-invoice products (FI-P1, FI-C1, TR-P1)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.rules.catalogue import FINANCED_INVOICE, ProductSpec
from domain.rules.money import Money, round_cents
from domain.rules.quote_request import QuoteRequest


@dataclass(frozen=True)
class Price:
    premium: Money
    insured_amount: Money
    premium_rate: Decimal
    coverage_percent: Decimal


def insured_amount(req: QuoteRequest, spec: ProductSpec) -> Money:
    """FI-C1: the financed amount; TR-P1: the guaranteed amount (freight excl. VAT)."""
    if spec.code == FINANCED_INVOICE:
        if req.financing is None:
            raise ValueError("FI needs financing (FI-E4)")
        return req.financing.financed_amount
    if req.shipment is None:
        raise ValueError("TR needs a shipment")
    return req.shipment.guaranteed_amount


def price(req: QuoteRequest, spec: ProductSpec, premium_rate: Decimal | None = None) -> Price:
    """Premium = rate x insured amount, rounded half-up to the cent (FI-P1, TR-P1).

    `premium_rate` is the partner's own rate where it has one (FI-P1); otherwise the
    product's catalogue rate.
    """
    rate = premium_rate if premium_rate is not None else spec.premium_rate
    insured = insured_amount(req, spec)
    premium = Money(round_cents(insured.amount * rate), insured.currency)
    return Price(premium, insured, rate, spec.coverage_percent)


def effective_premium_rate(spec: ProductSpec, partner_rate: Decimal | None) -> Decimal:
    """FI-P1 lets each financing partner have its own rate; TR-P1's rate is the product's."""
    if spec.code == FINANCED_INVOICE and partner_rate is not None:
        return partner_rate
    return spec.premium_rate
