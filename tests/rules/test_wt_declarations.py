"""Monthly sales declarations (WT-N1, WT-N2, WT-N5, seed 003 art. 4.4.b) and their
currency (WT-N3)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.rules.wt.declarations import (
    convert,
    declaration_due_on,
    declaration_is_late,
    late_declaration_exclusions,
    missing_mandatory_data,
)
from domain.rules.wt.terms import Credit

D = Decimal
DECLARED_ON = date(2025, 5, 10)


def credit(id: str, due: date, **overrides: Any) -> Credit:
    fields: dict[str, Any] = {
        "id": id,
        "issue_date": date(2025, 3, 1),
        "due_date": due,
        "amount": D("1000.00"),
    }
    fields.update(overrides)
    return Credit(**fields)


# WT-N1, WT-N2: before the 30th of the following month (by the 29th), its last day when
# shorter.


@pytest.mark.parametrize(
    ("sales_month", "due"),
    [
        (date(2025, 3, 1), date(2025, 4, 29)),
        (date(2025, 3, 31), date(2025, 4, 29)),  # any day of the month
        (date(2025, 1, 15), date(2025, 2, 28)),  # February is shorter
        (date(2024, 1, 15), date(2024, 2, 29)),  # leap year: the 29th is its last day
        (date(2025, 4, 1), date(2025, 5, 29)),  # not the 30th or 31st of May
        (date(2025, 12, 10), date(2026, 1, 29)),  # across the year
    ],
)
def test_wt_n1_declaration_due_on_the_29th_of_the_next_month(sales_month: date, due: date):
    assert declaration_due_on(sales_month) == due


def test_wt_n1_declaration_on_the_29th_is_in_time_on_the_30th_is_late():
    assert declaration_is_late(date(2025, 3, 1), date(2025, 4, 29)) is False
    assert declaration_is_late(date(2025, 3, 1), date(2025, 4, 30)) is True


def test_wt_n1_february_due_on_its_last_day_28_or_29():
    assert declaration_is_late(date(2025, 1, 1), date(2025, 2, 28)) is False
    assert declaration_is_late(date(2025, 1, 1), date(2025, 3, 1)) is True
    assert declaration_is_late(date(2024, 1, 1), date(2024, 2, 29)) is False
    assert declaration_is_late(date(2024, 1, 1), date(2024, 3, 1)) is True


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_wt_n1_declaration_due_in_the_next_month_before_the_30th(day: date):
    due = declaration_due_on(day)
    assert (due.year * 12 + due.month) - (day.year * 12 + day.month) == 1
    assert due.day == 29 or (due.day < 29 and (due + timedelta(days=1)).month != due.month)


# WT-N5: a sale without its mandatory data is not priced and not covered.


def test_wt_n5_complete_sale_lacks_nothing():
    values = {
        "buyer": "ES:B1",
        "invoiceNumber": "F-1",
        "issueDate": date(2025, 3, 1),
        "amount": D("1.00"),
        "dueDate": date(2025, 4, 1),
    }
    assert missing_mandatory_data(values) == []


def test_wt_n5_blank_or_absent_data_is_missing():
    values = {"buyer": " ", "invoiceNumber": "", "issueDate": date(2025, 3, 1), "amount": None}
    assert missing_mandatory_data(values) == ["buyer", "invoiceNumber", "amount", "dueDate"]


# WT-N1: a late declaration excludes the overdue unpaid credits and the later pending ones.


def test_wt_n1_late_declaration_without_overdue_credits_excludes_nothing():
    credits = [
        credit("due-on-the-day", DECLARED_ON),
        credit("later", date(2025, 6, 30)),
        credit("paid", date(2025, 4, 30), collected=D("1000.00")),
    ]
    assert late_declaration_exclusions(credits, DECLARED_ON) == set()


def test_wt_n1_late_declaration_excludes_overdue_unpaid_and_later_pending_credits():
    credits = [
        credit("overdue", DECLARED_ON - timedelta(days=1)),
        credit("due-on-the-day", DECLARED_ON),
        credit("later", date(2025, 7, 31), collected=D("400.00")),
        credit("overdue-but-paid", date(2025, 4, 1), collected=D("1000.00")),
    ]
    assert late_declaration_exclusions(credits, DECLARED_ON) == {
        "overdue",
        "due-on-the-day",
        "later",
    }


def test_wt_n1_extended_due_date_decides_overdue():
    extended = credit("extended", date(2025, 4, 30), extended_due_date=date(2025, 6, 30))
    assert late_declaration_exclusions([extended], DECLARED_ON) == set()


def test_wt_n1_sales_after_the_declaration_are_not_excluded():
    credits = [
        credit("overdue", date(2025, 4, 30)),
        credit("issued-on-the-day", date(2025, 7, 31), issue_date=DECLARED_ON),
        credit("issued-after", date(2025, 7, 31), issue_date=DECLARED_ON + timedelta(days=1)),
    ]
    assert late_declaration_exclusions(credits, DECLARED_ON) == {"overdue", "issued-on-the-day"}


# WT-N3: the day-of-sale rate, half-up to the cent.


@pytest.mark.parametrize(
    ("amount", "rate", "converted"),
    [
        ("1000.00", "0.92", "920.00"),
        ("10.01", "0.5", "5.01"),  # 5.005 -> 5.01 half-up (banker's: 5.00)
        ("10.03", "0.5", "5.02"),  # 5.015 -> 5.02
        ("0.00", "1.2345", "0.00"),
        ("1234.56", "1", "1234.56"),
    ],
)
def test_wt_n3_converted_at_the_day_of_sale_rate_half_up(amount: str, rate: str, converted: str):
    assert convert(D(amount), D(rate)) == D(converted)


def test_wt_n3_rate_must_be_positive():
    with pytest.raises(ValueError):
        convert(D("100.00"), D("0"))
