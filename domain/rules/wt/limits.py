"""A buyer's credit limit (WT-L1..WT-L4, WT-L6, WT-L7, seed 003 art. 1.3.i, 4.1.c, 4.2):
when it takes effect, whether a sale falls under it, the firm orders kept after a total
cancellation and the cap on their indemnity, the payment-term tolerance and the
aggravated risk.

Periods are calendar days. A credit's due date is its effective one (an extended due
date when WT-X1 applies, "vencimiento original o debidamente prorrogado").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from domain.rules.money import round_cents
from domain.rules.violations import Violation
from domain.rules.wt.terms import Credit, LimitTerms

ZERO = Decimal("0.00")

#: WT-L2: a new (or increased) limit takes effect on the 1st of this many months before
#: the request month.
LIMIT_BACKDATING_MONTHS = 1
#: WT-L4: firm orders stay covered for this many days after the cancellation.
FIRM_ORDER_DAYS = 30
#: WT-L4: ...at this share of the unused limit balance (50%).
FIRM_ORDER_SHARE = Decimal("0.50")
#: WT-L6: a payment term may exceed the limit's maximum by up to this many days.
PAYMENT_TERM_TOLERANCE_DAYS = 30
#: WT-L7: a due date unpaid for this many days or more aggravates the risk.
AGGRAVATED_RISK_DAYS = 30


#: WT-L4: what bars the firm-order cover after a total cancellation (seed 003 art.
#: 4.2.d), recorded by staff on the cancellation. The buyer's own arrears with the
#: insured are computed from its declared credits (`firm_order_violation`).
FIRM_ORDER_BARS = (
    "FRAUD_ALERT",
    "BUYER_INSOLVENT",
    "BUYER_CEASED_TRADING",
    "GUARANTOR_IN_ARREARS",
    "GUARANTOR_INSOLVENT",
    "GUARANTOR_CEASED_TRADING",
)


@dataclass(frozen=True)
class FirmOrderCover:
    """WT-L4: the cover kept for firm orders after a limit's total cancellation."""

    #: The last day a firm-order sale is covered (cancellation + 30 days).
    until: date
    #: The insurer's maximum indemnity for all those sales together: 50% of the unused
    #: balance of the cancelled limit. A cap on the indemnity, not on the sales.
    cap: Decimal


def limit_effective_from(requested_on: date, policy_effective_on: date) -> date:
    """WT-L2: the 1st day of the month before the request month, never before the
    policy's effective date (the day its provisional premium or first instalment was
    paid in full, WT-P1), which is then used instead (seed 003 art. 4.2.a); the same for
    an increase."""
    first = requested_on.replace(day=1) - relativedelta(months=LIMIT_BACKDATING_MONTHS)
    return max(first, policy_effective_on)


def available_balance(limit_amount: Decimal, used_unpaid: Decimal) -> Decimal:
    """WT-L8: a limit version's available balance: its amount less the amounts used and
    still unpaid, under it and under any previous limit version for the buyer (seed 003
    art. 4.4.f), never below 0."""
    return max(limit_amount - used_unpaid, ZERO)


def overdue_unpaid(credits: Sequence[Credit], on: date) -> list[Credit]:
    """WT-L3: the credits overdue and unpaid on `on` (effective due date before `on` and
    something outstanding), in the order given."""
    return [c for c in credits if c.effective_due_date < on and c.outstanding > ZERO]


def check_no_overdue_credits(credits: Sequence[Credit], on: date) -> Violation | None:
    """WT-L3: a limit does not take effect while the buyer has overdue unpaid credits at
    the request date `on` (seed 003 art. 4.2.a)."""
    overdue = overdue_unpaid(credits, on)
    if not overdue:
        return None
    ids = ", ".join(c.id for c in overdue)
    return Violation(
        "WT-L3",
        f"The buyer has overdue unpaid credits on {on.isoformat()} ({ids}): "
        "the limit cannot take effect.",
    )


def firm_order_cover(
    cancelled_on: date, limit_amount: Decimal, exposure_at_cancellation: Decimal
) -> FirmOrderCover:
    """WT-L4: after a TOTAL cancellation, firm orders (contract signed before it) stay
    covered until 30 days after it; the insurer's maximum indemnity for all of them is
    50% of the unused balance max(0, limit - exposure), half-up to the cent (seed 003
    art. 4.2.d). A reduction opens no firm-order window (art. 4.2.c)."""
    unused = max(limit_amount - exposure_at_cancellation, ZERO)
    return FirmOrderCover(
        until=cancelled_on + timedelta(days=FIRM_ORDER_DAYS),
        cap=round_cents(unused * FIRM_ORDER_SHARE),
    )


def overdue_on(credit: Credit, day: date) -> bool:
    """The credit is overdue and not paid in full on `day` (effective due date before
    it; paid in full only if `paid_in_full_on` is on or before `day`, or, without a
    payment date, nothing is outstanding)."""
    if credit.effective_due_date >= day or credit.amount <= ZERO:
        return False
    if credit.paid_in_full_on is not None:
        return credit.paid_in_full_on > day
    return credit.outstanding > ZERO


def firm_order_violation(
    sale_date: date,
    cancelled_on: date,
    firm_orders_until: date | None,
    bars: Sequence[str],
    contract_signed_on: date | None,
    buyer_credits: Sequence[Credit],
) -> Violation | None:
    """WT-L4: a sale claimed as a firm order after a total cancellation (communicated on
    `cancelled_on`) is covered only if made within the 30 days (`firm_orders_until`,
    None when the limit was not cancelled in full), under a contract signed before the
    cancellation (`contract_signed_on`; None: the insured's declaration stands), with no
    bar recorded on the cancellation (fraud alert, the buyer's or guarantor's insolvency
    or cessation, the guarantor's arrears) and with the buyer up to date with its
    payments on the sale date (none of its credits overdue and unpaid then; seed 003
    art. 4.2.d)."""
    if firm_orders_until is None:
        return Violation("WT-L4", "Firm orders are kept only after a total cancellation.")
    if not cancelled_on <= sale_date <= firm_orders_until:
        return Violation(
            "WT-L4",
            f"Firm orders are covered only up to {firm_orders_until.isoformat()}, 30 days "
            "after the cancellation.",
            ("input", "issueDate"),
        )
    if contract_signed_on is not None and contract_signed_on >= cancelled_on:
        return Violation(
            "WT-L4",
            f"The contract was signed on {contract_signed_on.isoformat()}, not before the "
            f"cancellation on {cancelled_on.isoformat()}.",
            ("input", "firmOrderSignedOn"),
        )
    if bars:
        return Violation(
            "WT-L4", f"No firm-order cover: {', '.join(sorted(bars))} at the cancellation."
        )
    overdue = [c for c in buyer_credits if overdue_on(c, sale_date)]
    if overdue:
        return Violation(
            "WT-L4",
            f"No firm-order cover: the buyer is not up to date with its payments on "
            f"{sale_date.isoformat()} ({', '.join(sorted(c.id for c in overdue))}).",
        )
    return None


#: WT-L4: the label of the indemnity line giving the firm-order part paid within the cap
#: (later claims on the same cancelled limit add these up).
FIRM_ORDER_LINE = "Firm orders within 50% of the unused cancelled limit"


def firm_order_cap_left(cap: Decimal, firm_order_indemnities_paid: Decimal) -> Decimal:
    """WT-L4: what is left of the firm-order cap once indemnities already paid on the
    firm orders of the same cancelled limit are taken, never below 0."""
    return max(cap - firm_order_indemnities_paid, ZERO)


def cap_firm_order_indemnity(
    indemnity: Decimal, firm_order_indemnity: Decimal, cap_left: Decimal | None
) -> tuple[Decimal, Decimal]:
    """WT-L4: the indemnity once its firm-order part is held to the cap left: returns
    (indemnity, firm-order part paid). `firm_order_indemnity` is coverage% of the
    firm-order credits' loss (at most `indemnity`); above `cap_left` the excess is taken
    off the indemnity, the sales stay covered (seed 003 art. 4.2.d: "responsabilidad
    indemnizatoria máxima para estas VENTAS"). None: no firm orders, unchanged."""
    if cap_left is None:
        return indemnity, ZERO
    firm = min(max(firm_order_indemnity, ZERO), indemnity)
    paid = min(firm, max(cap_left, ZERO))
    return indemnity - (firm - paid), paid


def check_payment_term(
    issue_date: date, due_date: date, max_payment_term_days: int
) -> Violation | None:
    """WT-L6: the payment term (due date - issue date) may exceed the limit's maximum by
    up to 30 days: max + 30 is covered, max + 31 is not (seed 003 art. 4.1.c)."""
    allowed = max_payment_term_days + PAYMENT_TERM_TOLERANCE_DAYS
    term = (due_date - issue_date).days
    if term <= allowed:
        return None
    return Violation(
        "WT-L6",
        f"The payment term of {term} days exceeds the limit's maximum of "
        f"{max_payment_term_days} days by more than {PAYMENT_TERM_TOLERANCE_DAYS} days.",
        ("input", "dueDate"),
    )


def _aggravates_from(credit: Credit) -> date | None:
    """WT-L7: the day from which `credit` aggravates the risk (its effective due date +
    30 days), or None when it was paid in full before then.

    A credit with nothing outstanding and no payment date recorded shows no delay and is
    taken as paid in time.
    """
    threshold = credit.effective_due_date + timedelta(days=AGGRAVATED_RISK_DAYS)
    paid_on = credit.paid_in_full_on
    if paid_on is not None:
        return None if paid_on < threshold else threshold
    return threshold if credit.outstanding > ZERO else None


def aggravated_risk(sale_date: date, earlier_credits: Sequence[Credit]) -> Violation | None:
    """WT-L7: a sale made on or after the day one of the buyer's (effective) due dates has
    been unpaid for 30 days or more is not covered (seed 003 art. 1.3.i).

    A due date paid in full before due + 30 never aggravates; one paid on or after due +
    30 aggravates every sale from due + 30 on, even after the late payment ("ventas
    efectuadas con posterioridad a la existencia de un vencimiento impagado ... con un
    retraso igual o superior a 30 días").
    """
    late = [
        (start, c)
        for c in earlier_credits
        if (start := _aggravates_from(c)) is not None and start <= sale_date
    ]
    if not late:
        return None
    start, credit = min(late, key=lambda pair: (pair[0], pair[1].id))
    return Violation(
        "WT-L7",
        f"Aggravated risk: credit {credit.id} due {credit.effective_due_date.isoformat()} "
        f"has been unpaid for {AGGRAVATED_RISK_DAYS} days or more since "
        f"{start.isoformat()}; sales from then on are not covered.",
        ("input", "issueDate"),
    )


def aggravating_credit(credits: Sequence[Credit]) -> Credit | None:
    """WT-L7: the one credit `aggravated_risk` would cite for any sale date (the earliest
    day from which a credit aggravates, ties by id), or None. A buyer's history reduces
    to it: `aggravated_risk(day, credits) == aggravated_risk(day, [aggravating_credit])`."""
    found = [(start, c.id, c) for c in credits if (start := _aggravates_from(c)) is not None]
    return min(found, key=lambda item: (item[0], item[1]))[2] if found else None


def limit_in_force(limit: LimitTerms | None, sale_date: date) -> Violation | None:
    """WT-L1: a sale is covered only under a limit in force on the sale date: there is a
    limit, it has taken effect (`effective_from` <= sale date) and it was not cancelled
    or reduced to nothing before it (WT-L4: `ends_on` applies to sales from that day on,
    so a sale on `ends_on` is not covered)."""
    if limit is None:
        return Violation("WT-L1", "The buyer has no credit limit: the sale is not covered.")
    if sale_date < limit.effective_from:
        return Violation(
            "WT-L1",
            f"The buyer's credit limit takes effect on {limit.effective_from.isoformat()}, "
            f"after the sale on {sale_date.isoformat()}.",
            ("input", "issueDate"),
        )
    if limit.ends_on is not None and sale_date >= limit.ends_on:
        return Violation(
            "WT-L1",
            f"The buyer's credit limit ended on {limit.ends_on.isoformat()}, "
            f"on or before the sale on {sale_date.isoformat()}.",
            ("input", "issueDate"),
        )
    return None
