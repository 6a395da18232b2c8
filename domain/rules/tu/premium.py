"""The top-up premium and the contract's life (TU-P1, TU-P4; seed 004 art. 6.1, 6.5, 10.2,
11.1-11.2).

TU-P1: concluded on signature, in force from the day the insurer has received the annual
minimum premium; payable within 30 days of the premium receipt; no indemnity unless the
premium owed (the minimum premium of every insurance year begun, instalments included) is
fully paid. TU-P4: the contract ends when the insured has no first-layer contract left; on
a new first-layer contract the insurer may rescind within a month of learning of it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from domain.rules.money import checked_cents, round_cents
from domain.rules.violations import Violation

ZERO = Decimal("0.00")

#: TU-P1: the premium is payable within this many days of the premium receipt ("en el
#: plazo de 30 días a contar desde la emisión del recibo", art. 6.1).
PREMIUM_PAYMENT_DAYS = 30
#: TU-P4: the insurer may rescind within this many months of learning of a new
#: first-layer contract ("en el plazo de un (1) mes", art. 11.1).
RESCISSION_MONTHS = 1

#: TU-P1/TU-P4: the policy's states and the moves between them.
SIGNED, IN_FORCE, ENDED, RESCINDED = "SIGNED", "IN_FORCE", "ENDED", "RESCINDED"
TRANSITIONS: dict[str, frozenset[str]] = {
    SIGNED: frozenset({IN_FORCE, ENDED, RESCINDED}),
    IN_FORCE: frozenset({ENDED, RESCINDED}),
    ENDED: frozenset(),
    RESCINDED: frozenset(),
}


def premium_due_on(receipt_issued_on: date) -> date:
    """TU-P1: the last day to pay a premium receipt: issued + 30 days (day 30 on time)."""
    return receipt_issued_on + timedelta(days=PREMIUM_PAYMENT_DAYS)


def in_force_on(minimum_premium: Decimal, payments: list[tuple[date, Decimal]]) -> date | None:
    """TU-P1: the day the payments received reach the annual minimum premium (art. 10.2:
    "no entrará en vigor hasta que la Compañía reciba ... la prima mínima anual"); None
    while they do not. Payments are taken in date order."""
    minimum = checked_cents(minimum_premium, "minimum_premium")
    total = ZERO
    for paid_on, amount in sorted(payments, key=lambda p: p[0]):
        total += checked_cents(amount, "payment")
        if total >= minimum:
            return paid_on
    return None


def premium_owed_on(minimum_premium: Decimal, period_start: date, on: date) -> Decimal:
    """TU-P1: the minimum premium of every insurance year begun by `on` (art. 6.1: at
    signing and, on renewal, at the start of each insurance year); at least one year's."""
    minimum = checked_cents(minimum_premium, "minimum_premium")
    years = 1
    while on >= period_start + relativedelta(years=years):
        years += 1
    return minimum * years


def check_premium_paid(
    minimum_premium: Decimal, period_start: date, paid_total: Decimal, on: date
) -> Violation | None:
    """TU-P1: an indemnity is paid on `on` only if the premium owed then is fully paid,
    instalments included (art. 6.5: "La prima debe estar totalmente pagada ... Esto incluye
    cualquier eventual aplazamiento o fraccionamiento"). One cent short refuses."""
    owed = premium_owed_on(minimum_premium, period_start, on)
    paid = checked_cents(paid_total, "paid_total")
    if paid >= owed:
        return None
    return Violation(
        "TU-P1",
        f"No indemnity is paid while the premium is not fully paid: {paid} of {owed} received.",
        ("input", "claimId"),
    )


def delivery_before_in_force(in_force_from: date | None, delivered_on: date) -> Violation | None:
    """TU-P1: a delivery before the day the contract came into force is not insured (the
    day itself is)."""
    if in_force_from is not None and delivered_on >= in_force_from:
        return None
    when = (
        "the minimum premium is not received"
        if in_force_from is None
        else (f"the contract is in force from {in_force_from.isoformat()}")
    )
    return Violation(
        "TU-P1",
        f"Delivered on {delivered_on.isoformat()}, before the contract is in force: {when}.",
        ("input", "deliveredOn"),
    )


def delivery_after_end(ended_on: date | None, delivered_on: date) -> Violation | None:
    """TU-P4: nothing delivered after the contract ended (the end day is still insured)."""
    if ended_on is None or delivered_on <= ended_on:
        return None
    return Violation(
        "TU-P4",
        f"Delivered on {delivered_on.isoformat()}, after the contract ended on "
        f"{ended_on.isoformat()}.",
        ("input", "deliveredOn"),
    )


def can_move(current: str, new: str) -> bool:
    """TU-P1/TU-P4: whether the policy may go from `current` to `new`."""
    return new in TRANSITIONS.get(current, frozenset())


def rescission_deadline(learned_on: date) -> date:
    """TU-P4: the last day the insurer may rescind: learned + 1 month (31 Jan -> 28/29 Feb)."""
    return learned_on + relativedelta(months=RESCISSION_MONTHS)


def check_rescission(learned_on: date | None, rescinded_on: date) -> Violation | None:
    """TU-P4: rescission only after learning of a new first-layer contract, at most a
    month later (the last day is on time)."""
    if learned_on is None:
        return Violation(
            "TU-P4",
            "No new first-layer contract is recorded: the insurer has no right to rescind.",
            ("input", "policyId"),
        )
    last = rescission_deadline(learned_on)
    if learned_on <= rescinded_on <= last:
        return None
    return Violation(
        "TU-P4",
        f"Rescission on {rescinded_on.isoformat()} is outside the month from "
        f"{learned_on.isoformat()} to {last.isoformat()}.",
        ("input", "rescindedOn"),
    )


def rescission_settlement(
    *,
    minimum_premium: Decimal,
    premium_paid: Decimal,
    year_start: date,
    rescinded_on: date,
    losses_indemnified_or_owed: bool,
) -> tuple[Decimal, Decimal]:
    """TU-P4 (art. 11.2): (premium refunded, unpaid minimum premium due at once).

    The unpaid part of the minimum premium is due at once in every case ("es deber
    ineludible del Asegurado proceder a su pago inmediato"), so the whole minimum premium
    counts as paid. With no insured loss indemnified or to be indemnified, the part for
    the days after the rescission day is refunded pro rata temporis: minimum x days left
    in the insurance year / days in it, half-up; otherwise the whole year's premium is
    kept (refund 0). Taxes are not modelled."""
    minimum = checked_cents(minimum_premium, "minimum_premium")
    paid = checked_cents(premium_paid, "premium_paid")
    due_now = max(minimum - paid, ZERO)
    if losses_indemnified_or_owed:
        return ZERO, due_now
    year_end = year_start + relativedelta(years=1)
    if not year_start <= rescinded_on < year_end:
        raise ValueError("the rescission must fall in the insurance year given")
    days_left = (year_end - rescinded_on).days - 1
    refund = round_cents(minimum * days_left / (year_end - year_start).days)
    return refund, due_now
