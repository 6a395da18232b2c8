"""The one money parser (domain.rules.money.parse_amount) as a service refusal.

The API parses every MoneyInput before a resolver runs (schema/input_bounds.py); services
that workers, the console or an import call directly parse again with the same function,
so no caller can store an amount the API would refuse."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from domain.rules.money import AmountRefused, parse_amount
from domain.services.errors import DomainError


def amount_in(value: object, field: Sequence[str]) -> Decimal:
    """`value` parsed as money, or INVALID_INPUT on `field` (the amount's own path)."""
    try:
        return parse_amount(value)
    except AmountRefused as refused:
        raise DomainError("INVALID_INPUT", refused.message, tuple(field)) from None
