"""Rows and rule values -> schema types, and schema inputs -> rule values."""

from __future__ import annotations

from decimal import Decimal

from domain.rules.money import Money as MoneyValue
from domain.rules.quote_request import Company, FinancingFacts, InvoiceFacts, ShipmentFacts
from domain.store import models
from schema import inputs
from schema.types import Money, ProductCode, Quote, RuleViolation, TestClock, TestClockStatus


def money_in(value: inputs.MoneyInput) -> MoneyValue:
    return MoneyValue(value.amount, value.currency.strip().upper())


def company_in(value: inputs.CompanyInput) -> Company:
    return Company(
        country=value.country.strip(),
        registration_number=value.registration_number,
        name=value.name,
        legal_form=value.legal_form.value,
        sector=value.sector.strip(),
        group=value.group,
        relationship=value.relationship.value if value.relationship else None,
        merchant_registered=value.merchant_registered,
    )


def invoice_in(value: inputs.InvoiceInput | None) -> InvoiceFacts | None:
    if value is None:
        return None
    amount = money_in(value.amount)
    vat = (
        money_in(value.vat_amount)
        if value.vat_amount
        else MoneyValue(Decimal("0"), amount.currency)
    )
    return InvoiceFacts(value.number, value.issue_date, value.due_date, amount, vat)


def financing_in(value: inputs.FinancingInput | None) -> FinancingFacts | None:
    if value is None:
        return None
    return FinancingFacts(value.reference, money_in(value.financed_amount))


def shipment_in(value: inputs.ShipmentInput | None) -> ShipmentFacts | None:
    if value is None:
        return None
    return ShipmentFacts(
        money_in(value.guaranteed_amount), value.loading_date, value.origin, value.destination
    )


def money_or_zero(amount: Decimal | None, currency: str) -> Money:
    """Money for a stored amount, 0 when it is unset (collected, paid, recovered...)."""
    return Money(amount=Decimal(amount if amount is not None else 0), currency=currency)


def money_out(amount: Decimal | None, currency: str) -> Money | None:
    return None if amount is None else Money(amount=amount, currency=currency)


def quote_out(row: models.Quote) -> Quote:
    return Quote(
        id=row.id,  # type: ignore[arg-type]
        product=ProductCode(row.product),
        eligible=row.eligible,
        violations=[
            RuleViolation(rule=v["rule"], message=v["message"], field=v.get("field"))
            for v in row.violations
        ],
        premium=money_out(row.premium, row.currency),
        insured_amount=money_out(row.insured_amount, row.currency),
        coverage_percent=row.coverage_percent,
        request_date=row.request_date,
        valid_until=row.valid_until,
        created_at=row.created_at,
    )


def test_clock_out(row: models.TestClock) -> TestClock:
    return TestClock(
        id=row.id,  # type: ignore[arg-type]
        frozen_time=row.frozen_time,
        status=TestClockStatus(row.status),
    )
