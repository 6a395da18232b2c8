"""The remaining annual sum insured of one insurance year (TU-C2; seed 004 art. 7, 7.3).

"El saldo ... se reducirá por el importe de las Indemnizaciones pagadas y/o adeudadas ...
y se incrementará por los recobros recibidos por la Compañía." Each amount is counted
once:

- an indemnity paid counts with the amount paid; one owed (calculated after the insured
  event, not yet paid or rejected) with its current calculation;
- a recovery before the payment only lowers that loss's indemnity (TU-C1) and adds
  nothing back: the insurer never paid it out;
- a recovery after the payment recalculates the indemnity (TU-R1); the overpayment the
  insured must refund is the insurer's share of it, and that share is what comes back to
  the balance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from domain.rules.money import round_cents

ZERO = Decimal("0.00")

#: TU-C2: the claim states whose indemnity is paid or owed.
OWED = frozenset({"INSURED_EVENT", "APPROVED"})
PAID = "PAID"


@dataclass(frozen=True)
class YearLoss:
    """One loss of the year as TU-C2 counts it."""

    status: str
    #: The current TU-C1 calculation (the owed amount before payment).
    indemnity: Decimal
    #: What the insurer paid (0 before payment).
    paid: Decimal = ZERO
    #: TU-R1: the insurer's share of recoveries after its payment.
    insurer_recoveries: Decimal = ZERO
    #: TU-C1: the part of the annual aggregate deductible this loss bore.
    aggregate_deductible_used: Decimal = ZERO


def counted_indemnity(loss: YearLoss) -> Decimal:
    """TU-C2: what one loss takes off the year: paid, or owed; 0 otherwise."""
    if loss.status == PAID:
        return round_cents(loss.paid)
    if loss.status in OWED:
        return round_cents(loss.indemnity)
    return ZERO


def counts(loss: YearLoss) -> bool:
    """TU-C2: whether a loss takes part in the year's account (and bears its deductible)."""
    return loss.status == PAID or loss.status in OWED


def remaining_sum_insured(annual_sum_insured: Decimal, losses: Iterable[YearLoss]) -> Decimal:
    """TU-C2: initial - indemnities paid or owed + recoveries received by the insurer,
    within [0, initial]."""
    initial = round_cents(annual_sum_insured)
    taken = ZERO
    back = ZERO
    for loss in losses:
        taken += counted_indemnity(loss)
        if loss.status == PAID:
            back += round_cents(loss.insurer_recoveries)
    return min(max(initial - taken + back, ZERO), initial)


def aggregate_deductible_left(
    annual_aggregate_deductible: Decimal, losses: Iterable[YearLoss]
) -> Decimal:
    """TU-C1: the annual aggregate deductible not yet borne by the year's counted losses."""
    used = sum((round_cents(x.aggregate_deductible_used) for x in losses if counts(x)), ZERO)
    return max(round_cents(annual_aggregate_deductible) - used, ZERO)
