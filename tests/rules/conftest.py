"""Builders for quote requests of the pure rule tests (FI-*, TR-*, C-*).

The builders are exposed as session-scoped fixtures (so hypothesis tests can use them)
that return plain functions. Every default request is well-formed (no INVALID_INPUT)
and eligible for its product; a test overrides only the fact its rule is about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.rules.catalogue import FINANCED_INVOICE, TRANSPORT_INVOICE
from domain.rules.money import Money
from domain.rules.quote_request import (
    Company,
    FinancingFacts,
    InvoiceFacts,
    QuoteRequest,
    ShipmentFacts,
)

#: Default request (= purchase) date of every built request.
REQUEST_DATE = date(2025, 3, 3)

_MISSING: Any = object()


def eur(amount: str, currency: str = "EUR") -> Money:
    return Money(Decimal(amount), currency)


def build_company(**overrides: Any) -> Company:
    """A buyer-like company: a merchant in road freight (NACE 49.41), no group."""
    fields: dict[str, Any] = {
        "country": "FR",
        "registration_number": "552100554",
        "name": "Transports Durand SA",
        "legal_form": "COMPANY",
        "sector": "49.41",
        "group": None,
    }
    fields.update(overrides)
    return Company(**fields)


def _seller() -> Company:
    return build_company(
        country="ES",
        registration_number="B12345678",
        name="Exportadora Levante SL",
        sector="46.90",
        group="Grupo Levante",
    )


def build_fi_request(
    *,
    request_date: date = REQUEST_DATE,
    issue_date: date | None = None,
    due_date: date | None = None,
    amount: str = "10000.00",
    vat: str = "2100.00",
    currency: str = "EUR",
    reference: str = "FIN-2025-0001",
    financed: str = "8000.00",
    financing: Any = _MISSING,
    invoice: Any = _MISSING,
    seller: Company | None = None,
    buyer: Company | None = None,
) -> QuoteRequest:
    """An eligible FI request: issued 2 days before the request, due 59 days after it.

    Pass `financing=None` / `invoice=None` to leave those facts out.
    """
    if invoice is _MISSING:
        invoice = InvoiceFacts(
            number="F-2025-0042",
            issue_date=issue_date or request_date - timedelta(days=2),
            due_date=due_date or request_date + timedelta(days=59),
            amount=eur(amount, currency),
            vat_amount=eur(vat, currency),
        )
    if financing is _MISSING:
        financing = FinancingFacts(reference=reference, financed_amount=eur(financed, currency))
    return QuoteRequest(
        product=FINANCED_INVOICE,
        seller=seller or _seller(),
        buyer=buyer or build_company(),
        request_date=request_date,
        invoice=invoice,
        financing=financing,
    )


def build_tr_request(
    *,
    request_date: date = REQUEST_DATE,
    loading_date: date | None = None,
    guaranteed: str = "1500.00",
    currency: str = "EUR",
    shipment: Any = _MISSING,
    seller: Company | None = None,
    buyer: Company | None = None,
) -> QuoteRequest:
    """An eligible TR request: loading on the purchase date (day 0).

    Pass `shipment=None` to leave the shipment out.
    """
    if shipment is _MISSING:
        shipment = ShipmentFacts(
            guaranteed_amount=eur(guaranteed, currency),
            loading_date=loading_date or request_date,
            origin="Valencia",
            destination="Lyon",
        )
    return QuoteRequest(
        product=TRANSPORT_INVOICE,
        seller=seller or _seller(),
        buyer=buyer or build_company(),
        request_date=request_date,
        shipment=shipment,
    )


def build_request(product: str, **overrides: Any) -> QuoteRequest:
    """An eligible request of either product, with its buyer/seller replaced if given."""
    req = build_fi_request() if product == FINANCED_INVOICE else build_tr_request()
    return replace(req, **overrides)


@pytest.fixture(scope="session")
def company() -> Callable[..., Company]:
    return build_company


@pytest.fixture(scope="session")
def fi_request() -> Callable[..., QuoteRequest]:
    return build_fi_request


@pytest.fixture(scope="session")
def tr_request() -> Callable[..., QuoteRequest]:
    return build_tr_request


@pytest.fixture(scope="session")
def any_request() -> Callable[..., QuoteRequest]:
    return build_request


@pytest.fixture(scope="session")
def money() -> Callable[..., Money]:
    return eur
