"""Which clients and insolvencies the top-up cover counts (TU-L1 first-layer limit,
TU-E5, TU-E7; seed 004 def. IV, art. 3.1.2, 3.3.4).

Periods are calendar days; "one year" is the calendar year (29 Feb + 1 year = 28 Feb).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from domain.rules.money import checked_cents, round_cents
from domain.rules.violations import Violation

ZERO = Decimal("0.00")

#: TU-E5: insolvencies up to this many years after the policy expires count ("hasta un
#: año después del vencimiento del Contrato de Seguro", art. 3.1.2).
RUN_OFF_YEARS = 1


@dataclass(frozen=True)
class EarlierInvoice:
    """TU-E7: an invoice of the client from before the policy was signed."""

    #: The original due date ("Fecha de vencimiento de pago original", def. XIV).
    original_due_date: date
    #: The day it was paid; None while unpaid.
    paid_on: date | None = None
    #: A disputed invoice does not count ("factura anterior no impugnada").
    disputed: bool = False


def first_layer_limit(
    granted: Decimal, temporary: Decimal = ZERO, other_insurance: Decimal = ZERO
) -> Decimal:
    """TU-L1 (def. IV): the first layer's limit for TU-L1 and TU-L2 is what it granted
    plus its temporary limits; limits added through other insurance (other top-up covers)
    are not part of it ("Este incluye límites temporales, pero no límites adicionales
    otorgados a través de otros seguros"). `other_insurance` is taken only to be ignored."""
    for name, value in (("granted", granted), ("temporary", temporary)):
        checked_cents(value, name)
    checked_cents(other_insurance, "other_insurance")
    return round_cents(granted) + round_cents(temporary)


def insolvency_run_off_ends(period_end: date) -> date:
    """TU-E5: the last day an insolvency still counts: the policy's expiry + 1 calendar
    year (31 Dec 2027 -> 31 Dec 2028, 366 days; 29 Feb 2028 -> 28 Feb 2029)."""
    return period_end + relativedelta(years=RUN_OFF_YEARS)


def check_insolvency_date(period_end: date, declared_on: date) -> Violation | None:
    """TU-E5: an insolvency declared up to one year after the policy expires counts (the
    last day included); later, it is not an insured event. TU-E1 still applies."""
    last = insolvency_run_off_ends(period_end)
    if declared_on <= last:
        return None
    return Violation(
        "TU-E5",
        f"Insolvency declared on {declared_on.isoformat()}, more than a year after the "
        f"policy expired on {period_end.isoformat()} (last day {last.isoformat()}).",
        ("input", "insolvencyDeclaredOn"),
    )


def days_late_at_signing(invoice: EarlierInvoice, signed_on: date) -> int:
    """TU-E7: how many days an earlier, undisputed invoice was late on the signing date,
    counted from its original due date; 0 when disputed, paid by then or not yet due."""
    if invoice.disputed or invoice.original_due_date >= signed_on:
        return 0
    if invoice.paid_on is not None and invoice.paid_on <= signed_on:
        return 0
    return (signed_on - invoice.original_due_date).days


def check_client_at_signing(
    invoices: list[EarlierInvoice], signed_on: date, overdue_days: int
) -> Violation | None:
    """TU-E7: a client more than `overdue_days` (the TU-E3 days) late on an earlier,
    undisputed invoice on the signing date is not covered; exactly that many days late
    still is."""
    worst = max((days_late_at_signing(i, signed_on) for i in invoices), default=0)
    if worst <= overdue_days:
        return None
    return Violation(
        "TU-E7",
        f"On the signing date {signed_on.isoformat()} the client was {worst} days late on an "
        f"earlier undisputed invoice, more than {overdue_days}: not covered.",
        ("input", "buyer"),
    )
