"""Computed contract clauses of rules v2 that are about money owed by the insured and
contract dates: WT-P5 claim-file fee (003 art. 6 c), WT-P6 limits stopped for an unpaid
study fee (003 art. 4.2 e), WT-P7 and TU-P3 tacit renewal and its notice (003 art. 2 b,
004 art. 10.1, 10.3), TU-C3 payment within 30 days of complete documents (004 art.
7.6) and TU-C5 two-year time bar (004 art. 13).

Months are calendar months with the end-of-month clamp (as FI-C2); periods are days.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from domain.rules.money import round_cents
from domain.rules.violations import Violation

#: WT-P7: notice at least 2 months before the period ends.
WT_NOTICE_MONTHS = 2
#: TU-P3: notice by registered letter at least 1 month before the insurance year ends.
TU_NOTICE_MONTHS = 1
#: WT-P6: limits may stop this many days after an unpaid study invoice's issue date.
STUDY_FEE_GRACE_DAYS = 30
#: TU-C3: the insurer pays within this many days of the complete documentation.
TU_PAYMENT_DAYS = 30
#: TU-C5: claims are time-barred this many years after the end of the insurance year.
TU_TIME_BAR_YEARS = 2
#: WT-C5: a claim below the threshold is not processed, so no file is opened.
NOT_PROCESSED = "BELOW_THRESHOLD"


def claim_file_fee(policy_fee: Decimal, claim_status: str) -> Decimal:
    """WT-P5: each claim file opened costs the policy's fee; a notification below the
    WT-C5 threshold opens no file (nothing is processed), so it costs nothing."""
    if policy_fee < 0:
        raise ValueError("the claim-file fee is not negative")
    return Decimal("0.00") if claim_status == NOT_PROCESSED else round_cents(policy_fee)


def study_fee_stops_limits_on(issued_on: date) -> date:
    """WT-P6: the first day the insurer stops studying and issuing limits for an unpaid
    study invoice - 30 days after its issue date."""
    return issued_on + timedelta(days=STUDY_FEE_GRACE_DAYS)


def limits_stopped(unpaid_issued_on: Iterable[date], today: date) -> Violation | None:
    """WT-P6: no new limit while a study invoice issued 30 or more days ago is unpaid."""
    due = [d for d in unpaid_issued_on if study_fee_stops_limits_on(d) <= today]
    if not due:
        return None
    oldest = min(due)
    return Violation(
        "WT-P6",
        f"A buyer study invoice issued on {oldest.isoformat()} is unpaid: no limit is studied "
        f"or issued from {study_fee_stops_limits_on(oldest).isoformat()}.",
        ("input", "policyId"),
    )


def notice_deadline(period_end: date, notice_months: int) -> date:
    """WT-P7, TU-P3: the last day a notice of non-renewal is on time - the period's last
    day minus the notice months (31 Dec - 2 months = 31 Oct, 31 Dec - 1 month = 30 Nov)."""
    return period_end - relativedelta(months=notice_months)


def check_notice(
    period_end: date, given_on: date, notice_months: int, rule: str
) -> Violation | None:
    """WT-P7, TU-P3: a notice given after the deadline does not stop the tacit renewal."""
    last = notice_deadline(period_end, notice_months)
    if given_on <= last:
        return None
    start, end = next_period(period_end)
    return Violation(
        rule,
        f"Notice given on {given_on.isoformat()}, after {last.isoformat()} ({notice_months} "
        f"month(s) before the period ends on {period_end.isoformat()}): the contract renews "
        f"tacitly from {start.isoformat()} to {end.isoformat()}.",
        ("input", "occurredOn"),
    )


def next_period(period_end: date) -> tuple[date, date]:
    """WT-P7, TU-P3: the renewed period - a year from the day after the current end, to
    the same day a year later (TU policies run for a year, so "the same period" is a year
    too)."""
    return period_end + timedelta(days=1), period_end + relativedelta(years=1)


def tu_payable_by(documents_complete_on: date) -> date:
    """TU-C3: paid within 30 days of receiving everything the insurer asked for."""
    return documents_complete_on + timedelta(days=TU_PAYMENT_DAYS)


def insurance_year_end(period_start: date, insurance_year: int) -> date:
    """The last day of insurance year `insurance_year` (0 = the first) of a policy."""
    return period_start + relativedelta(years=insurance_year + 1) - timedelta(days=1)


def tu_time_bar(period_start: date, insurance_year: int, on: date) -> Violation | None:
    """TU-C5: claims and actions are time-barred two years after the end of the insurance
    year in which the matter arose - the last day of those two years is still on time."""
    last = insurance_year_end(period_start, insurance_year) + relativedelta(years=TU_TIME_BAR_YEARS)
    if on <= last:
        return None
    return Violation(
        "TU-C5",
        f"Time-barred: the insurance year ended on "
        f"{insurance_year_end(period_start, insurance_year).isoformat()}, so claims under it "
        f"could be brought until {last.isoformat()}.",
        ("input", "firstUnpaidInvoiceDate"),
    )


def indemnity_due_date(
    original_due: date, extended_due: date | None, early_maturity_on: date | None = None
) -> date:
    """WT-C13: the due date an indemnity counts from is the one originally agreed (or set
    by law), or an extension the insurer accepted (WT-X1); an early maturity - a credit
    falling due at once on the buyer's insolvency or by an acceleration clause - is
    ignored (003 art. 7.1 d)."""
    _ = early_maturity_on  # ignored on purpose
    return extended_due or original_due


#: WT-C12: a refusal to take export goods is notified within this many days of arrival.
GOODS_REFUSAL_NOTICE_DAYS = 30


def goods_refusal_notice(arrived_on: date, notified_on: date) -> Violation | None:
    """WT-C12: the buyer's unjustified refusal to take export goods counts as a
    non-payment notified within 30 days of the goods' arrival at destination - day 30 is
    on time, day 31 is late and there is no indemnity (003 art. 1.2.1 b, 6 a)."""
    last = arrived_on + timedelta(days=GOODS_REFUSAL_NOTICE_DAYS)
    if notified_on <= last:
        return None
    return Violation(
        "WT-C12",
        f"The goods arrived on {arrived_on.isoformat()}: their refusal had to be notified by "
        f"{last.isoformat()}; notified late, there is no indemnity.",
        ("input", "occurredOn"),
    )
