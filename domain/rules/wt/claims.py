"""A whole-turnover claim (WT-C1..WT-C7, WT-P2, WT-R1, WT-R2; seed 003 art. 3.d, 6, 7, 8):
its deadlines, whether it can be processed, the indemnity step by step and the split of
a recovery after it.

Periods are calendar days and a deadline's last day is still on time. Money is Decimal:
amounts are taken to the cent (half-up) on entry, and every percentage, proportion or
conversion of an amount is rounded half-up to the cent as soon as it is taken
(money.round_cents), so every line is exact to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.rules.indemnity import IndemnityLine, IndemnityResult
from domain.rules.money import (
    HUNDRED,
    checked_cents,
    checked_percent,
    percent_share,
    percent_text,
    round_cents,
)
from domain.rules.violations import Violation
from domain.rules.wt import settlement
from domain.rules.wt.limits import FIRM_ORDER_LINE, cap_firm_order_indemnity

ZERO = Decimal("0.00")

#: WT-C1: non-payment is notified within this many days of the due date...
NOTIFICATION_DAYS = 60
#: WT-C1: ...or within this many days of an extended due date (WT-X1)...
EXTENDED_NOTIFICATION_DAYS = 30
#: WT-C1: ...and "inmediatamente" on learning of the buyer's insolvency, closure or
#: disappearance: on the day it became known (no grace is given by the seed).
IMMEDIATE_NOTIFICATION_DAYS = 0
#: WT-C2: the claim documents arrive within this many days of the notification.
DOCUMENTS_DAYS = 30
#: WT-C6: collection costs are paid up to this share (50%) of the limit or of the
#: unpaid credit, whichever is lower.
COLLECTION_COSTS_CAP_SHARE = Decimal("0.50")
#: WT-R2: recovered goods are valued at no less than this share (50%) of the invoice.
RECOVERED_GOODS_FLOOR_SHARE = Decimal("0.50")


@dataclass(frozen=True)
class RecoverySplit:
    """WT-R1: a recovery after the indemnity, net of collection costs, split between the
    insurer and the insured; insurer_share + insured_share == the net recovery."""

    insurer_share: Decimal
    insured_share: Decimal
    #: The part applied to the principal of the indemnified credits (shared by coverage%).
    applied_to_indemnified: Decimal
    #: The part applied to `interest_claimed` once that principal is paid (the insurer's).
    applied_to_interest: Decimal
    #: What is left after both, the insured's.
    surplus: Decimal


def notification_due_on(
    due_date: date, extended_due_date: date | None, insolvency_known_on: date | None
) -> date:
    """WT-C1: the last day to notify a non-payment (seed 003 art. 6.a).

    60 days after the due date, or 30 days after the extended due date when the credit
    was extended (WT-X1; that deadline replaces the 60 days: "En caso de CRÉDITOS
    prorrogados ... el plazo máximo será de 30 días siguientes a la fecha del vencimiento
    prorrogado"); and immediately (IMMEDIATE_NOTIFICATION_DAYS) once the insured knows of
    the buyer's insolvency, closure or disappearance. The earliest applicable date wins,
    so an insolvency known before the due date brings the deadline before it.
    """
    if extended_due_date is None:
        due_by = due_date + timedelta(days=NOTIFICATION_DAYS)
    elif extended_due_date <= due_date:
        raise ValueError(
            f"the extended due date {extended_due_date} must fall after the due date {due_date}"
        )
    else:
        due_by = extended_due_date + timedelta(days=EXTENDED_NOTIFICATION_DAYS)
    if insolvency_known_on is None:
        return due_by
    return min(due_by, insolvency_known_on + timedelta(days=IMMEDIATE_NOTIFICATION_DAYS))


def check_notification(
    notified_on: date,
    due_date: date,
    extended_due_date: date | None,
    insolvency_known_on: date | None,
) -> Violation | None:
    """WT-C1: a notification after `notification_due_on` gets no indemnity ("SEGUREXPO
    quedará exonerado de cualquier obligación indemnizatoria", seed 003 art. 6.a)."""
    last_day = notification_due_on(due_date, extended_due_date, insolvency_known_on)
    if notified_on <= last_day:
        return None
    return Violation(
        "WT-C1",
        f"Non-payment notified on {notified_on.isoformat()}, after the last day "
        f"{last_day.isoformat()}: no indemnity.",
        ("input", "notifiedOn"),
    )


def documents_due_on(notified_on: date) -> date:
    """WT-C2: the last day for the claim documents, 30 days after the notification; missing
    then, the affected credits get no indemnity (seed 003 art. 6.b)."""
    return notified_on + timedelta(days=DOCUMENTS_DAYS)


def settlement_on(due_date: date, waiting_period_days: int) -> date:
    """WT-C3: the day the indemnity is settled as provisional insolvency, on account of the
    final loss: the end of the settlement table's waiting period, counted from the
    credit's due date, original or extended under WT-X1, not from the notification
    (settlement.waiting_period_ends_on; a claim of several credits:
    settlement.claim_settlement_on)."""
    return settlement.waiting_period_ends_on(due_date, waiting_period_days)


def dispute_blocks_indemnity(disputed: bool, final_decision_for_insured: bool | None) -> bool:
    """WT-C4: a credit disputed by the buyer (or not admitted in insolvency proceedings)
    keeps its cover but is not indemnified until a final judgment or arbitral award
    recognises the insured's right (seed 003 art. 7.1.a).

    True while disputed and no final decision for the insured exists (None: pending, the
    claim stays suspended; False: decided against the insured, never indemnified). The
    insurer's option to indemnify provisionally against a guarantee is a decision of the
    services, not of this rule.
    """
    return disputed and final_decision_for_insured is not True


def claim_processable(accumulated_unpaid: Decimal, threshold: Decimal) -> bool:
    """WT-C5: a buyer's claim is processed only once its accumulated unpaid amount is above
    the minimum unpaid threshold; an amount equal to it is not ("por importe igual o
    inferior a la cifra ... mínima impagada", seed 003 art. 7.1.a)."""
    return checked_cents(accumulated_unpaid, "accumulated_unpaid") > checked_cents(
        threshold, "threshold"
    )


def wt_indemnity(
    *,
    insured_unpaid: Decimal,
    collections_up_to_payment: Decimal,
    coverage_percent: Decimal,
    limit_amount: Decimal,
    period_indemnities_paid: Decimal,
    minimum_premium: Decimal,
    max_indemnity_multiple: Decimal,
    premium_paid: Decimal,
    premium_total: Decimal,
    collection_costs: Decimal = ZERO,
    sale_rate: Decimal | None = None,
    indemnity_rate: Decimal | None = None,
    firm_order_loss: Decimal = ZERO,
    firm_order_cap_left: Decimal | None = None,
    buyer_indemnities_paid: Decimal = ZERO,
    outside_cover_collections: Decimal = ZERO,
    premium_received_of_due: tuple[Decimal, Decimal] | None = None,
    buyer_limit_amount: Decimal | None = None,
) -> IndemnityResult:
    """WT-C6 with WT-C7 and WT-P2, one line per step, in this order:

    1. WT-C7: with rates, `insured_unpaid`, `collections_up_to_payment` and
       `collection_costs` are in the credit's currency and are converted to the policy
       currency at the lesser rate (a rate is policy-currency units per credit-currency
       unit, so the lesser rate gives the smaller amount, seed 003 art. 7.4.b). This
       comes first because the caps (limit, minimum premium) are in the policy currency.
    2. WT-C6: loss = max(insured unpaid - collections up to payment, 0); coverage% of it,
       capped at coverage% x the limit (the "SUMA MÁXIMA ASEGURADA" per buyer) less the
       indemnities already paid on the buyer (WT-C9: once they reach it, nothing more,
       whatever was recovered since: `buyer_indemnities_paid` is gross of recoveries).
       WT-C8: collections on sales outside the cover come off the loss taken at most at
       the limit (the insured unpaid credit or the limit if lower), before coverage%.
       WT-L4: with `firm_order_cap_left`, the firm orders' part (coverage% of
       `firm_order_loss`, part of the loss) is held to it (limits.cap_firm_order_indemnity).
    3. WT-C6: collection costs at coverage%, capped at 50% x min(limit, insured unpaid
       credit before collections), added to the indemnity (nothing once WT-C9 applies).
    4. WT-N4: times received / due of `premium_received_of_due` (premium received,
       premium that should have been received: undeclared.omission_proportion) when
       sales that had to be declared were left out.
    5. WT-P2: less the indemnity x unpaid / total premium of the period (art. 3.d); pass
       the unpaid premium other than minimum and adjustments (premium.prorated_premium).
    6. WT-C6: capped at minimum premium x multiple - indemnities already paid in the
       period, never below 0 (art. 7.2).

    The per-buyer and cost caps come before the WT-P2 proration: art. 3.d prorates the
    "importe objeto de indemnización", and the coverage percentage is applied "sobre el
    LÍMITE DE RIESGO o sobre el CRÉDITO impagado, si éste fuese inferior, a fin de
    determinar el importe de la indemnización"; prorating first would let the cap absorb
    the reduction of a claim above the limit, when unpaid premium reduces every indemnity.
    The period cap comes last: it bounds the indemnities actually paid ("la suma de
    indemnizaciones pagadas").
    """
    percent = checked_percent(coverage_percent)
    rate = _lesser_rate(sale_rate, indemnity_rate)
    unpaid_given = checked_cents(insured_unpaid, "insured_unpaid")
    collections_given = checked_cents(collections_up_to_payment, "collections_up_to_payment")
    costs_given = checked_cents(collection_costs, "collection_costs")
    outside_given = checked_cents(outside_cover_collections, "outside_cover_collections")
    unpaid, collections, costs, outside = (
        _convert(a, rate) for a in (unpaid_given, collections_given, costs_given, outside_given)
    )
    limit = checked_cents(limit_amount, "limit_amount")
    already_paid = checked_cents(period_indemnities_paid, "period_indemnities_paid")
    period_maximum = round_cents(
        checked_cents(minimum_premium, "minimum_premium")
        * _non_negative(max_indemnity_multiple, "max_indemnity_multiple")
    )
    paid = checked_cents(premium_paid, "premium_paid")
    total = checked_cents(premium_total, "premium_total")
    pct = percent_text(percent)

    source_rule = "WT-C6" if rate is None else "WT-C7"
    loss = max(unpaid - collections, ZERO)
    covered = percent_share(loss, percent)
    # WT-C9: the buyer maximum is coverage% x the whole limit; `limit_amount` may be only
    # the room the buyer's other credits left (WT-L5, WT-L8), which already counts the
    # indemnified ones, so it caps this loss but is not the base of the maximum.
    whole_limit = (
        limit if buyer_limit_amount is None else checked_cents(buyer_limit_amount, "limit")
    )
    buyer_maximum = percent_share(whole_limit, percent)
    buyer_paid = checked_cents(buyer_indemnities_paid, "buyer_indemnities_paid")
    buyer_left = max(buyer_maximum - buyer_paid, ZERO)
    indemnity = min(covered, percent_share(limit, percent))
    lines = [
        IndemnityLine(f"Insured unpaid credit{_given(unpaid_given, rate)}", unpaid, source_rule),
        IndemnityLine(
            f"Less collections up to payment{_given(collections_given, rate)}",
            ZERO - collections,
            source_rule,
        ),
        IndemnityLine("Indemnifiable loss", loss, "WT-C6"),
        IndemnityLine(f"Coverage {pct}%", covered, "WT-C6"),
        IndemnityLine(f"Capped at {pct}% of the credit limit ({limit})", indemnity, "WT-C6"),
    ]
    if outside > ZERO:
        base = min(loss, limit)
        indemnity = percent_share(max(base - outside, ZERO), percent)
        lines.append(
            IndemnityLine(
                f"Less collections on sales outside cover {outside}{_given(outside_given, rate)}"
                f" from the loss or the limit if lower ({base}), at {pct}%",
                indemnity,
                "WT-C8",
            )
        )
    if buyer_paid > ZERO:
        indemnity = min(indemnity, buyer_left)
        lines.append(
            IndemnityLine(
                f"Capped at the buyer maximum left ({buyer_maximum} less {buyer_paid} paid)",
                indemnity,
                "WT-C9",
            )
        )
    if firm_order_cap_left is not None:  # WT-L4: firm orders' part held to the 50% cap
        firm_share = percent_share(
            _convert(checked_cents(firm_order_loss, "firm_order_loss"), rate), percent
        )
        indemnity, firm_paid = cap_firm_order_indemnity(indemnity, firm_share, firm_order_cap_left)
        lines.append(IndemnityLine(FIRM_ORDER_LINE, firm_paid, "WT-L4"))

    if costs > ZERO and buyer_left > ZERO:
        base = min(whole_limit, unpaid)
        costs_share = percent_share(costs, percent)
        costs_paid = min(costs_share, round_cents(base * COLLECTION_COSTS_CAP_SHARE))
        indemnity += costs_paid
        lines += [
            IndemnityLine(
                f"Collection costs {costs}{_given(costs_given, rate)} at {pct}%",
                costs_share,
                "WT-C6",
            ),
            IndemnityLine(
                f"Capped at {percent_text(COLLECTION_COSTS_CAP_SHARE * HUNDRED)}% of the credit "
                f"limit or of the unpaid credit if lower ({base})",
                costs_paid,
                "WT-C6",
            ),
            IndemnityLine("Indemnity with collection costs", indemnity, "WT-C6"),
        ]

    if premium_received_of_due is not None:
        received = checked_cents(premium_received_of_due[0], "premium received")
        due = checked_cents(premium_received_of_due[1], "premium due")
        if due > ZERO and received < due:
            reduced = round_cents(indemnity * received / due)
            lines.append(
                IndemnityLine(
                    f"Less undeclared sales (premium received {received} of {due} due)",
                    reduced - indemnity,
                    "WT-N4",
                )
            )
            indemnity = reduced

    unpaid_premium = max(total - paid, ZERO)
    reduction = round_cents(indemnity * unpaid_premium / total) if total > ZERO else ZERO
    indemnity -= reduction
    remaining = max(period_maximum - already_paid, ZERO)
    capped = min(indemnity, remaining)
    lines += [
        IndemnityLine(
            f"Less unpaid premium ({unpaid_premium} of {total} for the period)",
            ZERO - reduction,
            "WT-P2",
        ),
        IndemnityLine(
            f"Capped at the period maximum left ({period_maximum} less {already_paid} paid)",
            capped,
            "WT-C6",
        ),
        IndemnityLine("Indemnity", capped, "WT-C6"),
    ]
    return IndemnityResult(capped, tuple(lines))


def wt_recovery_split(
    recovery: Decimal,
    recovery_costs: Decimal,
    indemnified_credit_outstanding: Decimal,
    coverage_percent: Decimal,
    interest_claimed: Decimal = ZERO,
) -> RecoverySplit:
    """WT-R1: a recovery after the indemnity (seed 003 art. 8.4).

    Net of the collection costs (returned to whoever bore them, outside this split), it
    goes first to the outstanding principal of the indemnified credits, shared by
    coverage%: the insurer takes coverage% of it, half-up to the cent, the insured the
    rest (its uncovered share). Only once that principal is fully paid does anything go
    to `interest_claimed`, the default interest accrued on the indemnities paid, which
    belongs to the insurer (art. 8.4.c: "No se aplicará ninguna cantidad recobrada a la
    recuperación de intereses de mora hasta que haya quedado totalmente saldado el
    principal ... corresponderán a SEGUREXPO los devengados por las indemnizaciones
    pagadas"). The surplus is the insured's (art. 8.4.a: "correspondiendo el exceso al
    ASEGURADO"). Costs above the recovery leave nothing to share.
    """
    percent = checked_percent(coverage_percent)
    net = max(
        checked_cents(recovery, "recovery") - checked_cents(recovery_costs, "recovery_costs"), ZERO
    )
    principal = min(
        net, checked_cents(indemnified_credit_outstanding, "indemnified_credit_outstanding")
    )
    interest = min(net - principal, checked_cents(interest_claimed, "interest_claimed"))
    surplus = net - principal - interest
    insurer = percent_share(principal, percent) + interest
    return RecoverySplit(
        insurer_share=insurer,
        insured_share=net - insurer,
        applied_to_indemnified=principal,
        applied_to_interest=interest,
        surplus=surplus,
    )


def recovered_goods_value(market_value: Decimal, invoiced_amount: Decimal) -> Decimal:
    """WT-R2: recovered goods count (as a collection or a recovery) at their market value,
    never below 50% of the amount invoiced to the buyer (seed 003 art. 8.3)."""
    floor = round_cents(
        checked_cents(invoiced_amount, "invoiced_amount") * RECOVERED_GOODS_FLOOR_SHARE
    )
    return max(checked_cents(market_value, "market_value"), floor)


def _lesser_rate(sale: Decimal | None, indemnity: Decimal | None) -> tuple[Decimal, str] | None:
    """WT-C7: the rate giving the smaller amount, named; None when both are None."""
    if sale is None and indemnity is None:
        return None
    if sale is None or indemnity is None:
        raise ValueError("sale_rate and indemnity_rate are given together or not at all")
    sale = _rate(sale, "sale_rate")
    indemnity = _rate(indemnity, "indemnity_rate")
    return (sale, "day-of-sale") if sale <= indemnity else (indemnity, "day-of-indemnity")


def _convert(amount: Decimal, rate: tuple[Decimal, str] | None) -> Decimal:
    return amount if rate is None else round_cents(amount * rate[0])


def _given(amount: Decimal, rate: tuple[Decimal, str] | None) -> str:
    """WT-C7: " (1000.00 at the day-of-sale rate 3900)" for a converted amount, else ""."""
    return "" if rate is None else f" ({amount} at the {rate[1]} rate {percent_text(rate[0])})"


def _rate(rate: Decimal, name: str) -> Decimal:
    if not isinstance(rate, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(rate).__name__}")
    if not rate.is_finite() or rate <= 0:
        raise ValueError(f"{name} must be a finite rate above 0, not {rate}")
    return rate


def _non_negative(value: Decimal, name: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be finite and at least 0, not {value}")
    return value
