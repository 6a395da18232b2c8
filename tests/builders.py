"""GraphQL inputs for tests: a valid FI / TR quote request, to be changed field by field."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

REQUEST_DATE = date(2026, 11, 23)

QUOTE_MUTATION = """
mutation Quote($input: QuoteInput!) {
  requestQuote(input: $input) {
    quote {
      id product eligible requestDate validUntil createdAt coveragePercent
      premium { amount currency }
      insuredAmount { amount currency }
      violations { rule message field }
    }
    userErrors { code message field }
  }
}
"""


def company(**changes: Any) -> dict[str, Any]:
    base = {
        "country": "ES",
        "registrationNumber": "B12345678",
        "name": "Buyer SL",
        "legalForm": "COMPANY",
        "sector": "46.90",
    }
    return {**base, **changes}


def fi_input(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "product": "FINANCED_INVOICE",
        "seller": company(registrationNumber="A87654321", name="Seller SA", sector="25.11"),
        "buyer": company(),
        "invoice": {
            "number": "F-2026-001",
            "issueDate": REQUEST_DATE.isoformat(),
            "dueDate": (REQUEST_DATE + timedelta(days=60)).isoformat(),
            "amount": {"amount": "10000.00", "currency": "EUR"},
            "vatAmount": {"amount": "2100.00", "currency": "EUR"},
        },
        "financing": {
            "reference": "FIN-1",
            "financedAmount": {"amount": "9000.00", "currency": "EUR"},
        },
        "requestDate": REQUEST_DATE.isoformat(),
    }
    merged = copy.deepcopy(base)
    merged.update(changes)
    return merged


def tr_input(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "product": "TRANSPORT_INVOICE",
        "seller": company(
            registrationNumber="BG200300400", name="Carrier EOOD", country="BG", sector="49.41"
        ),
        "buyer": company(),
        "shipment": {
            "guaranteedAmount": {"amount": "1500.00", "currency": "EUR"},
            "loadingDate": REQUEST_DATE.isoformat(),
            "origin": "Sofia",
            "destination": "Madrid",
        },
        "requestDate": REQUEST_DATE.isoformat(),
    }
    merged = copy.deepcopy(base)
    merged.update(changes)
    return merged
