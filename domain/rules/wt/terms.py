"""The shared values of the whole-turnover rules: a policy's terms, a buyer's credit
(one declared sale) and a collection. Amounts are Decimal in the policy currency,
already converted at the day-of-sale rate (WT-N3) unless said otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class PremiumRate:
    """WT-P1: the premium rate (a percentage of declared sales) for payment terms up to
    `max_term_days` days."""

    max_term_days: int
    rate_percent: Decimal


@dataclass(frozen=True)
class PolicyTerms:
    currency: str
    period_start: date
    period_end: date
    #: WT-P1: the provisional premium, due before cover starts.
    minimum_premium: Decimal
    #: WT-P1: rates by payment term, any order; the first whose max_term_days >= the term.
    premium_rates: tuple[PremiumRate, ...]
    #: WT-L1/WT-C6: default coverage percentage of a limit (a limit may set its own).
    coverage_percent: Decimal
    #: WT-C6: all indemnities of a period <= minimum premium x this multiple.
    max_indemnity_multiple: Decimal
    #: WT-C5: no claim while the buyer's accumulated unpaid amount <= this.
    minimum_unpaid_threshold: Decimal
    #: WT-C3: indemnity settled this many days after the notification.
    waiting_period_days: int
    #: WT-X1: a buyer's total amount under optional extensions stays under this.
    max_extension_amount: Decimal


@dataclass(frozen=True)
class Credit:
    """One declared sale to a buyer (an invoice), as the rules see it."""

    id: str
    issue_date: date
    due_date: date
    #: Face amount in the policy currency (WT-N3 already applied).
    amount: Decimal
    #: Collections allocated to it so far (WT-N2), in the policy currency.
    collected: Decimal = Decimal("0.00")
    #: The day it was paid in full, if it was.
    paid_in_full_on: date | None = None
    #: WT-X1: the extended due date, when an extension applies.
    extended_due_date: date | None = None
    #: The rule that excludes it from cover (WT-L1, WT-L6, WT-L7, WT-N1, WT-L4...), or None.
    excluded_by: str | None = None

    @property
    def outstanding(self) -> Decimal:
        return max(self.amount - self.collected, Decimal("0.00"))

    @property
    def effective_due_date(self) -> date:
        return self.extended_due_date or self.due_date


@dataclass(frozen=True)
class Collection:
    """A declared collection from a buyer (WT-N2): assigned to one invoice, or not."""

    id: str
    received_on: date
    amount: Decimal
    credit_id: str | None = None


@dataclass(frozen=True)
class LimitTerms:
    """A buyer's credit limit in force (WT-L1)."""

    amount: Decimal
    coverage_percent: Decimal
    max_payment_term_days: int
    effective_from: date
    rating_group: str = ""
    #: WT-L4: reduced or cancelled from this day (communication); None while in force.
    ends_on: date | None = None
