"""The whole-turnover premium (WT-P1, seed 003 art. 3.a-b) and the reduction of an
indemnity for unpaid premium (WT-P2, seed 003 art. 3.d)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from domain.rules.money import round_cents
from domain.rules.wt.terms import PremiumRate

ZERO = Decimal("0.00")
#: WT-P1: rates are percentages of the declared sale.
HUNDRED = Decimal(100)


def rate_for_term(rates: Sequence[PremiumRate], term_days: int) -> Decimal:
    """WT-P1: the rate (percent) of the bracket with the smallest `max_term_days` >= the
    term; a term above every bracket takes the highest bracket's rate."""
    if not rates:
        raise ValueError("the policy has no premium rates")
    brackets = sorted(rates, key=lambda r: r.max_term_days)
    for bracket in brackets:
        if term_days <= bracket.max_term_days:
            return bracket.rate_percent
    return brackets[-1].rate_percent


def sale_premium(amount: Decimal, term_days: int, rates: Sequence[PremiumRate]) -> Decimal:
    """WT-P1: the premium of one declared sale, rate x amount, half-up to the cent."""
    return round_cents(amount * rate_for_term(rates, term_days) / HUNDRED)


def adjustment_due(
    accrued_premium: Decimal, minimum_premium: Decimal, already_invoiced: Decimal
) -> Decimal:
    """WT-P1: the next monthly adjustment invoice, max(0, accrued - max(minimum,
    invoiced)); `already_invoiced` counts the minimum premium invoice and the earlier
    adjustments, so nothing is due until the accrued premium exceeds the minimum."""
    return round_cents(max(accrued_premium - max(minimum_premium, already_invoiced), ZERO))


def unpaid_premium_factor(paid: Decimal, total: Decimal) -> Decimal:
    """WT-P2: the fraction every indemnity is reduced by, unpaid / total premium of the
    period (0 when the total is 0), unrounded; unpaid = total - paid, within [0, total]."""
    if total <= ZERO:
        return Decimal(0)
    return _unpaid(paid, total) / total


def apply_unpaid_premium(indemnity: Decimal, paid: Decimal, total: Decimal) -> Decimal:
    """WT-P2: the indemnity reduced in the proportion unpaid / total premium,
    indemnity x (1 - unpaid / total), rounded half-up to the cent once, at the end
    (computed as indemnity x (total - unpaid) / total, a single division)."""
    if total <= ZERO:
        return round_cents(indemnity)
    return round_cents(indemnity * (total - _unpaid(paid, total)) / total)


def _unpaid(paid: Decimal, total: Decimal) -> Decimal:
    """total - paid, kept within [0, total]."""
    return min(max(total - paid, ZERO), total)
