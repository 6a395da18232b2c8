"""The whole-turnover premium (WT-P1, seed 003 art. 3.a-b), the reduction of an
indemnity for unpaid premium (WT-P2, seed 003 art. 3.d), the loss of the right to
indemnity (WT-P3, art. 7.5.3) and the automatic end of the policy (WT-P4, art. 3.d)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.rules.money import HUNDRED, round_cents
from domain.rules.violations import Violation
from domain.rules.wt.terms import PremiumRate

ZERO = Decimal("0.00")
#: WT-P1: rates are percentages of the declared sale.


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


# Premium consequences on indemnities (WT-P2, WT-P3, WT-P4; seed 003 art. 3.d, 7.5.3)

#: Product decision: a premium invoice (adjustment or extension) is due this many days
#: after its issue date; the seeds leave the term to the particular conditions.
PREMIUM_PAYMENT_DAYS = 30
#: WT-P3: the invoices whose non-payment removes the right to indemnity entirely (not
#: reduced pro rata under WT-P2).
ALL_OR_NOTHING_KINDS = ("MINIMUM", "ADJUSTMENT")


@dataclass(frozen=True)
class InvoiceFact:
    """A premium invoice as the WT-P2..P4 rules see it, on a given day."""

    id: str
    #: MINIMUM, ADJUSTMENT or EXTENSION
    kind: str
    amount: Decimal
    paid_amount: Decimal
    issued_on: date
    due_on: date
    #: the day it was paid in full, None while it is not
    paid_on: date | None = None

    @property
    def unpaid(self) -> Decimal:
        return max(self.amount - self.paid_amount, ZERO)


def invoice_due_on(issued_on: date) -> date:
    """WT-P4: the last day to pay a premium invoice (PREMIUM_PAYMENT_DAYS after issue)."""
    return issued_on + timedelta(days=PREMIUM_PAYMENT_DAYS)


def prorated_premium(invoices: Sequence[InvoiceFact], on: date) -> tuple[Decimal, Decimal]:
    """WT-P2: (unpaid, total) premium of the period for the proportional reduction.

    The total is every invoice issued by `on`; the unpaid part counts only invoices other
    than the minimum premium and the adjustments (for example the WT-X1 extension
    premium), whose non-payment is WT-P3 instead (seed 003 art. 3.d last paragraph)."""
    issued = [i for i in invoices if i.issued_on <= on]
    total = sum((i.amount for i in issued), ZERO)
    unpaid = sum((i.unpaid for i in issued if i.kind not in ALL_OR_NOTHING_KINDS), ZERO)
    return unpaid, total


def unpaid_minimum_or_adjustment(invoices: Sequence[InvoiceFact], on: date) -> Violation | None:
    """WT-P3: an instalment of the minimum premium or an adjustment invoice still unpaid
    after its due date on `on` removes all right to indemnity (seed 003 art. 7.5.3). One
    not yet due is not "unpaid" in the sense of the rule (product decision)."""
    for invoice in sorted(invoices, key=lambda i: (i.due_on, i.id)):
        if invoice.kind in ALL_OR_NOTHING_KINDS and invoice.unpaid > 0 and invoice.due_on < on:
            return Violation(
                "WT-P3",
                f"The {invoice.kind.lower()} premium invoice {invoice.id} ({invoice.unpaid} "
                f"unpaid, due {invoice.due_on.isoformat()}) is unpaid: no right to indemnity.",
                ("input", "claimId"),
            )
    return None


def terminated_on(invoices: Sequence[InvoiceFact], today: date) -> date | None:
    """WT-P4: late payment of any premium instalment ends the policy automatically on the
    day after its due date. An invoice not paid in full by its due date (`paid_on` None or
    after it) ends it; a partial or late payment does not reinstate cover. The MINIMUM
    invoice before the policy takes effect is WT-P1, not this rule: pass only invoices of
    a policy in effect. None while no due date has passed unpaid by `today`."""
    ends = [
        i.due_on + timedelta(days=1)
        for i in invoices
        if i.due_on < today and (i.paid_on is None or i.paid_on > i.due_on)
    ]
    return min(ends) if ends else None


def claim_after_termination(notified_on: date, terminated: date | None) -> Violation | None:
    """WT-P4: nothing is owed on a claim notified on or after the termination date ("con
    posterioridad a la fecha de terminación": the termination day is already after it)."""
    if terminated is None or notified_on < terminated:
        return None
    return Violation(
        "WT-P4",
        f"The policy ended on {terminated.isoformat()} (a premium instalment paid late): "
        f"nothing is owed on a claim notified on {notified_on.isoformat()}.",
        ("input", "claimId"),
    )
