"""Whether a declared credit is covered, decided from the whole state of its buyer
(WT-P1, WT-L1, WT-L4, WT-L6, WT-L7; seed 003 art. 1.3.i, 2.a, 4.1, 4.2).

The decision depends only on the facts (the credit, the buyer's other credits, the
limit versions with their dates, the policy's effective date), never on the order in
which they were recorded: a limit granted with an effect date before a sale already
declared covers it exactly as if the sale were declared after the grant. The services
re-decide a buyer's credits whenever one of these facts changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.rules.wt import limits as limit_rules
from domain.rules.wt.terms import Credit

#: The exclusions this decision owns; any other rule on a credit (WT-N1, WT-N5, WT-C1,
#: WT-C4, WT-X2...) was decided by another fact and is kept as it is.
DECIDED_HERE = ("WT-P1", "WT-L1", "WT-L4", "WT-L6", "WT-L7")


@dataclass(frozen=True)
class LimitVersion:
    """One granted version of a buyer's limit (WT-L1)."""

    id: str
    amount: Decimal
    max_payment_term_days: int
    effective_from: date
    #: The version's last day; None while in force.
    ends_on: date | None = None
    #: WT-L4: cancelled in full (a reduction or an increase ends a version too, but
    #: opens no firm-order window).
    cancelled: bool = False
    firm_orders_until: date | None = None
    firm_order_bars: tuple[str, ...] = ()


@dataclass(frozen=True)
class SaleFacts:
    credit: Credit
    #: WT-L4: declared as made under a firm commitment signed before a cancellation.
    firm_order: bool = False
    #: WT-L4: the day that commercial contract was signed, when the insured gives it.
    firm_order_signed_on: date | None = None


@dataclass(frozen=True)
class CoverDecision:
    #: The rule that keeps the credit out of cover, or None when covered.
    rule: str | None
    reason: str | None
    #: The limit version the credit falls under (its cover date's), or None.
    version_id: str | None
    #: WT-L4: covered as a firm order after a total cancellation.
    firm_order: bool = False


@dataclass(frozen=True)
class BuyerHistory:
    """A buyer's credits as the decision reads them, with the one WT-L7 would cite
    (`limits.aggravating_credit`), computed once for all the buyer's decisions."""

    credits: tuple[Credit, ...]
    aggravating: Credit | None


def buyer_history(credits: Sequence[Credit]) -> BuyerHistory:
    return BuyerHistory(tuple(credits), limit_rules.aggravating_credit(credits))


def version_on(versions: Sequence[LimitVersion], day: date) -> LimitVersion | None:
    """WT-L1: the version in force on `day` (effective on or before it, not ended before
    it); the latest such when several overlap."""
    found = None
    for version in sorted(versions, key=lambda v: v.effective_from):
        if version.effective_from > day:
            continue
        if version.ends_on is not None and version.ends_on < day:
            continue
        found = version
    return found


def _cancelled_before(versions: Sequence[LimitVersion], day: date) -> LimitVersion | None:
    ended = [v for v in versions if v.cancelled and v.ends_on is not None and v.ends_on < day]
    return max(ended, key=lambda v: v.ends_on or day) if ended else None


def decide_cover(
    sale: SaleFacts,
    versions: Sequence[LimitVersion],
    policy_effective_on: date | None,
    period_end: date,
    buyer_credits: Sequence[Credit] | BuyerHistory,
) -> CoverDecision:
    """The first rule that keeps `sale` out of cover, in this order: WT-P1 (sold before
    the policy's effective date or after its period), WT-L1 (no limit version in force
    on the cover date) or WT-L4 (a firm order after a total cancellation that does not
    meet its conditions), WT-L6 (payment term), WT-L7 (aggravated risk, judged on the
    buyer's credits, `buyer_credits`, best given once as a `BuyerHistory`). The sale
    itself may be among them: a credit neither aggravates nor is overdue on its own
    sale date (its due date is not before it)."""
    history = (
        buyer_credits if isinstance(buyer_credits, BuyerHistory) else buyer_history(buyer_credits)
    )
    credit = sale.credit
    day = credit.issue_date
    if policy_effective_on is None or day < policy_effective_on:
        return CoverDecision("WT-P1", "Sold before the policy took effect.", None)
    if day > period_end:
        return CoverDecision("WT-P1", "Sold after the policy period.", None)
    in_force = version_on(versions, day)
    firm = False
    if in_force is None:
        cancelled = _cancelled_before(versions, day) if sale.firm_order else None
        if cancelled is None:
            return CoverDecision(
                "WT-L1", "No credit limit in force for the buyer on the sale date.", None
            )
        assert cancelled.ends_on is not None
        refusal = limit_rules.firm_order_violation(
            day,
            cancelled.ends_on + timedelta(days=1),
            cancelled.firm_orders_until,
            cancelled.firm_order_bars,
            sale.firm_order_signed_on,
            history.credits,
        )
        if refusal is not None:
            return CoverDecision(refusal.rule, refusal.message, cancelled.id)
        in_force, firm = cancelled, True
    term = limit_rules.check_payment_term(day, credit.due_date, in_force.max_payment_term_days)
    if term is not None:
        return CoverDecision(term.rule, term.message, in_force.id, firm)
    worst = history.aggravating
    aggravated = limit_rules.aggravated_risk(day, [worst] if worst else [])
    if aggravated is not None:
        return CoverDecision(aggravated.rule, aggravated.message, in_force.id, firm)
    return CoverDecision(None, None, in_force.id, firm)
