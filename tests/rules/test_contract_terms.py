"""Computed contract clauses of rules v2 at their boundaries: WT-P5 claim-file fee, WT-P6
limits stopped 30 days after an unpaid study invoice, WT-P7 / TU-P3 notice of
non-renewal (2 months / 1 month before the period ends) and the renewed period, TU-C3
payment within 30 days of complete documents, TU-C5 two-year time bar."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.rules import contract_terms as ct


def test_wt_p5_each_claim_file_opened_costs_the_policy_fee():
    assert ct.claim_file_fee(Decimal("150"), "DOCUMENTS_PENDING") == Decimal("150.00")
    assert ct.claim_file_fee(Decimal("150.005"), "SUSPENDED") == Decimal("150.01")
    assert ct.claim_file_fee(Decimal("0"), "DOCUMENTS_PENDING") == Decimal("0.00")


def test_wt_p5_a_notification_below_the_wt_c5_threshold_opens_no_file():
    assert ct.claim_file_fee(Decimal("150.00"), "BELOW_THRESHOLD") == Decimal("0.00")


def test_wt_p5_negative_fee_is_a_bug():
    with pytest.raises(ValueError):
        ct.claim_file_fee(Decimal("-0.01"), "DOCUMENTS_PENDING")


def test_wt_p6_limits_stop_on_day_30_after_issue_not_day_29():
    issued = date(2027, 3, 1)
    assert ct.study_fee_stops_limits_on(issued) == date(2027, 3, 31)
    assert ct.limits_stopped([issued], date(2027, 3, 30)) is None
    stopped = ct.limits_stopped([issued], date(2027, 3, 31))
    assert stopped is not None and stopped.rule == "WT-P6"
    assert ct.limits_stopped([], date(2030, 1, 1)) is None


def test_wt_p7_notice_on_the_day_two_months_before_the_end_is_on_time_the_next_is_late():
    end = date(2027, 12, 31)
    assert ct.notice_deadline(end, ct.WT_NOTICE_MONTHS) == date(2027, 10, 31)
    assert ct.check_notice(end, date(2027, 10, 31), 2, "WT-P7") is None
    late = ct.check_notice(end, date(2027, 11, 1), 2, "WT-P7")
    assert late is not None and late.rule == "WT-P7"
    assert "renews tacitly from 2028-01-01 to 2028-12-31" in late.message


def test_tu_p3_notice_one_month_before_the_insurance_year_ends():
    end = date(2027, 12, 31)
    assert ct.notice_deadline(end, ct.TU_NOTICE_MONTHS) == date(2027, 11, 30)
    assert ct.check_notice(end, date(2027, 11, 30), 1, "TU-P3") is None
    assert ct.check_notice(end, date(2027, 12, 1), 1, "TU-P3") is not None


def test_wt_p7_notice_deadline_clamps_to_the_end_of_a_shorter_month():
    # a period ending on 30 April: 2 months before is 28 February (29 in a leap year)
    assert ct.notice_deadline(date(2027, 4, 30), 2) == date(2027, 2, 28)
    assert ct.notice_deadline(date(2028, 4, 30), 2) == date(2028, 2, 29)


def test_wt_p7_renewed_period_is_a_year_from_the_day_after_the_end():
    assert ct.next_period(date(2027, 12, 31)) == (date(2028, 1, 1), date(2028, 12, 31))
    assert ct.next_period(date(2028, 2, 28)) == (date(2028, 2, 29), date(2029, 2, 28))


def test_tu_c3_payable_within_30_days_of_complete_documents():
    assert ct.tu_payable_by(date(2027, 7, 2)) == date(2027, 8, 1)


def test_tu_c5_time_bar_two_years_after_the_end_of_the_insurance_year():
    start = date(2027, 1, 1)
    assert ct.insurance_year_end(start, 0) == date(2027, 12, 31)
    assert ct.insurance_year_end(start, 1) == date(2028, 12, 31)
    assert ct.tu_time_bar(start, 0, date(2029, 12, 31)) is None
    barred = ct.tu_time_bar(start, 0, date(2030, 1, 1))
    assert barred is not None and barred.rule == "TU-C5"
    assert ct.tu_time_bar(start, 1, date(2030, 1, 1)) is None


def test_wt_c13_early_maturity_is_ignored_the_agreed_or_extended_due_date_counts():
    """WT-C13: an earlier maturity is ignored unless the insurer accepted it."""
    original, extended = date(2027, 5, 31), date(2027, 7, 15)
    assert ct.indemnity_due_date(original, None, early_maturity_on=date(2027, 3, 1)) == original
    assert ct.indemnity_due_date(original, extended, early_maturity_on=date(2027, 3, 1)) == extended
    assert ct.indemnity_due_date(original, None) == original


def test_wt_c12_goods_refusal_notified_on_day_30_is_on_time_day_31_late():
    arrived = date(2027, 4, 1)
    assert ct.goods_refusal_notice(arrived, date(2027, 5, 1)) is None
    late = ct.goods_refusal_notice(arrived, date(2027, 5, 2))
    assert late is not None and late.rule == "WT-C12"
