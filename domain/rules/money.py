"""Exact money arithmetic: Decimal only, rounded half-up to the cent at defined points."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def round_cents(value: Decimal) -> Decimal:
    """Round half-up to the cent (0.005 -> 0.01), the product's only rounding mode."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# The rule functions' own argument checks (a programming error, not a partner's input:
# that goes through parse_amount) and their percent arithmetic, shared by every product.


def checked_cents(amount: Decimal, name: str) -> Decimal:
    """A rule's money argument: a finite Decimal of at least 0, at the cent."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{name} must be a finite amount of at least 0, not {amount}")
    return round_cents(amount)


def checked_percent(percent: Decimal, name: str = "coverage_percent") -> Decimal:
    """A rule's percentage argument: a finite Decimal above 0 and at most 100."""
    if not isinstance(percent, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(percent).__name__}")
    if not (percent.is_finite() and 0 < percent <= HUNDRED):
        raise ValueError(f"{name} must be above 0 and at most 100, not {percent}")
    return percent


def percent_share(amount: Decimal, percent: Decimal) -> Decimal:
    """percent% of amount, rounded half-up to the cent."""
    return round_cents(amount * percent / HUNDRED)


def percent_text(percent: Decimal) -> str:
    """90 -> "90", 87.50 -> "87.5" (no exponent), for indemnity line labels."""
    return format(percent.normalize(), "f")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")


#: Digits a money column holds: the smallest money column is DecimalField(max_digits=14,
#: decimal_places=2) (covers, claims); tests/rules/test_money_input.py checks every money
#: column of the models holds at least this, so the parser and storage cannot drift.
MONEY_DIGITS = 14
MONEY_PLACES = 2
MAX_MONEY = Decimal(10) ** (MONEY_DIGITS - MONEY_PLACES) - CENT


class AmountRefused(ValueError):
    """A money amount that cannot enter: not finite, more than two decimals, out of range."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_amount(value: object) -> Decimal:
    """The one way a money amount enters the system (every MoneyInput of the API, CSV
    sales, quote requests): a finite Decimal with at most two decimals that fits a money
    column, returned at the cent (10.5 -> 10.50). Nothing is rounded: 10.005 is refused,
    never stored as 10.00 (and 10.000 is refused too: two decimals as written). The sign is
    the business rule's to judge, not the parser's."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise AmountRefused("An amount is a decimal number such as 1234.50.")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except ArithmeticError:
        raise AmountRefused("An amount is a decimal number such as 1234.50.") from None
    if not amount.is_finite():
        raise AmountRefused("Amount must be a finite number.")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MONEY_PLACES:
        raise AmountRefused("Amount has more than 2 decimal places.")
    if abs(amount) > MAX_MONEY:
        raise AmountRefused(f"Amount is out of range (at most {MAX_MONEY}).")
    return amount.quantize(CENT)


def amount_problem(value: object) -> str | None:
    """Why `value` cannot enter as a money amount (parse_amount), or None."""
    try:
        parse_amount(value)
    except AmountRefused as refused:
        return refused.message
    return None
