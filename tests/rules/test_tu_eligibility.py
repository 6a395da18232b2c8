"""Top-up eligibility, worked by hand at its boundaries: a delivery (TU-E1: policy period,
60 days to invoice or the first layer's shorter term, a limit in force, the maximum
payment term; TU-E3: the supply cut-off), a loss (TU-E1: admitted, recoveries exhausted,
above the PNI), the insured event (TU-E2), the notification (TU-N1) and the insurance
year of a loss (TU-C2); then their properties (seed 004 art. 3, 4.2, 5.6, 7).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from domain.rules.tu.eligibility import (
    check_delivery,
    check_loss,
    check_notification,
    insurance_year_of,
    insured_event_on,
    invoicing_days,
)
from domain.rules.tu.terms import TopUpTerms
from domain.rules.violations import Violation

D = Decimal
START = date(2025, 1, 1)
END = date(2025, 12, 31)
DELIVERED = date(2025, 3, 3)

TERMS = TopUpTerms(
    coverage_percent=D("90"),
    first_layer_coverage_percent=D("90"),
    per_loss_deductible=D("1000.00"),
    annual_aggregate_deductible=D("10000.00"),
    annual_sum_insured=D("500000.00"),
    pni_threshold=D("5000.00"),
    max_payment_term_days=90,
    supply_cutoff_days=60,
    first_layer_invoicing_days=None,
    period_start=START,
    period_end=END,
)


def delivery(terms: TopUpTerms = TERMS, **overrides: Any) -> list[Violation]:
    """An insured delivery: invoiced on delivery, due in 60 days, within a 50,000.00 limit,
    nothing overdue."""
    fields: dict[str, Any] = {
        "delivered_on": DELIVERED,
        "invoiced_on": DELIVERED,
        "due_date": DELIVERED + timedelta(days=60),
        "amount": D("20000.00"),
        "limit_in_force": D("50000.00"),
        "overdue_days_at_delivery": 0,
        "client_insolvent_at_delivery": False,
        "threat_of_loss_known": False,
    }
    fields.update(overrides)
    return check_delivery(terms, **fields)


def rules(found: list[Violation]) -> list[str]:
    return [v.rule for v in found]


def test_tu_e1_an_ordinary_delivery_is_insured():
    assert delivery() == []


# TU-E1: the policy period, both days included.


@pytest.mark.parametrize(
    ("day", "insured"),
    [
        (START - timedelta(days=1), False),
        (START, True),
        (END, True),
        (END + timedelta(days=1), False),
    ],
)
def test_tu_e1_delivered_within_the_policy_period(day: date, insured: bool):
    found = delivery(delivered_on=day, invoiced_on=day, due_date=day + timedelta(days=30))
    assert found == (
        []
        if insured
        else [
            Violation(
                "TU-E1",
                f"Delivered on {day.isoformat()}, outside the policy period 2025-01-01 to "
                "2025-12-31.",
                ("input", "deliveredOn"),
            )
        ]
    )


# TU-E1: invoiced within 60 days of the delivery, or the first layer's shorter term.


def test_tu_e1_invoiced_on_day_60_is_insured():
    assert delivery(invoiced_on=DELIVERED + timedelta(days=60), due_date=date(2025, 6, 1)) == []


def test_tu_e1_invoiced_on_day_61_is_not_insured():
    # 3 Mar + 61 days = 3 May.
    assert delivery(invoiced_on=date(2025, 5, 3), due_date=date(2025, 6, 1)) == [
        Violation(
            "TU-E1",
            "Invoiced on 2025-05-03, more than 60 days after the delivery on 2025-03-03.",
            ("input", "invoicedOn"),
        )
    ]


@pytest.mark.parametrize(("first_layer", "allowed"), [(None, 60), (45, 45), (60, 60), (90, 60)])
def test_tu_e1_the_shorter_invoicing_term_applies(first_layer: int | None, allowed: int):
    terms = replace(TERMS, first_layer_invoicing_days=first_layer)
    assert invoicing_days(terms) == allowed
    on_time = DELIVERED + timedelta(days=allowed)
    assert delivery(terms, invoiced_on=on_time, due_date=on_time) == []
    late = on_time + timedelta(days=1)
    assert rules(delivery(terms, invoiced_on=late, due_date=late)) == ["TU-E1"]


def test_tu_e1_invoiced_before_the_delivery_is_not_late():
    assert delivery(invoiced_on=DELIVERED - timedelta(days=5)) == []


# TU-E1: within an existing limit.


@pytest.mark.parametrize(("limit", "insured"), [("0.00", False), ("0.01", True)])
def test_tu_e1_invoiced_within_an_existing_limit(limit: str, insured: bool):
    found = delivery(limit_in_force=D(limit))
    assert found == (
        []
        if insured
        else [
            Violation(
                "TU-E1",
                "No top-up limit in force when the delivery was invoiced.",
                ("input", "amount"),
            )
        ]
    )


def test_tu_e1_an_amount_above_the_limit_is_not_refused_tu_c1_caps_it():
    assert delivery(amount=D("80000.00"), limit_in_force=D("50000.00")) == []


# TU-E1: payment term at most the policy maximum (90 days).


@pytest.mark.parametrize(("term", "insured"), [(89, True), (90, True), (91, False)])
def test_tu_e1_payment_term_at_most_the_maximum(term: int, insured: bool):
    found = delivery(invoiced_on=DELIVERED, due_date=DELIVERED + timedelta(days=term))
    assert found == (
        []
        if insured
        else [
            Violation(
                "TU-E1",
                "The payment term of 91 days exceeds the maximum of 90 days.",
                ("input", "dueDate"),
            )
        ]
    )


def test_tu_e1_payment_term_counted_from_the_invoice():
    # Delivered 3 Mar, invoiced 13 Mar, due 90 days after the invoice: within the maximum.
    invoiced = DELIVERED + timedelta(days=10)
    assert delivery(invoiced_on=invoiced, due_date=invoiced + timedelta(days=90)) == []


# TU-E3: the supply cut-off.


@pytest.mark.parametrize(("overdue", "insured"), [(0, True), (60, True), (61, False)])
def test_tu_e3_supply_cut_off_after_an_overdue_beyond_the_policy_days(overdue: int, insured: bool):
    found = delivery(overdue_days_at_delivery=overdue)
    assert found == (
        []
        if insured
        else [
            Violation(
                "TU-E3",
                "Supply cut-off: the buyer was 61 days overdue at the delivery, more than 60.",
                ("input", "deliveredOn"),
            )
        ]
    )


def test_tu_e3_no_cover_for_deliveries_to_an_insolvent_client():
    assert delivery(client_insolvent_at_delivery=True) == [
        Violation(
            "TU-E3",
            "Supply cut-off: the buyer was insolvent at the delivery.",
            ("input", "deliveredOn"),
        )
    ]


def test_tu_e3_no_cover_for_deliveries_after_a_threat_of_loss():
    assert delivery(threat_of_loss_known=True) == [
        Violation(
            "TU-E3",
            "Supply cut-off: a threat of loss was known at the delivery.",
            ("input", "deliveredOn"),
        )
    ]


def test_tu_e3_cover_follows_the_first_layer_covering_despite_the_cut_off():
    cut_off = {
        "overdue_days_at_delivery": 61,
        "client_insolvent_at_delivery": True,
        "threat_of_loss_known": True,
    }
    assert rules(delivery(**cut_off)) == ["TU-E3", "TU-E3", "TU-E3"]
    assert delivery(**cut_off, first_layer_covers_despite_cutoff=True) == []
    # The other conditions still apply.
    found = delivery(**cut_off, limit_in_force=D("0"), first_layer_covers_despite_cutoff=True)
    assert rules(found) == ["TU-E1"]


def test_tu_e1_tu_e3_every_reason_is_listed():
    found = delivery(
        delivered_on=date(2026, 1, 1),
        invoiced_on=date(2026, 3, 3),
        due_date=date(2026, 7, 1),
        limit_in_force=D("0"),
        overdue_days_at_delivery=90,
    )
    assert [(v.rule, v.field) for v in found] == [
        ("TU-E1", ("input", "deliveredOn")),
        ("TU-E1", ("input", "invoicedOn")),
        ("TU-E1", ("input", "amount")),
        ("TU-E1", ("input", "dueDate")),
        ("TU-E3", ("input", "deliveredOn")),
    ]


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"amount": 100.0}, TypeError),
        ({"limit_in_force": D("-0.01")}, ValueError),
        ({"overdue_days_at_delivery": -1}, ValueError),
        ({"overdue_days_at_delivery": True}, ValueError),
    ],
)
def test_tu_e1_refused_inputs(overrides: dict[str, Any], error: type):
    with pytest.raises(error):
        delivery(**overrides)


# TU-E1: the loss.


@pytest.mark.parametrize(
    ("loss", "indemnifiable"),
    [("4999.99", False), ("5000.00", False), ("5000.01", True)],
)
def test_tu_e1_loss_must_be_above_the_pni_threshold(loss: str, indemnifiable: bool):
    found = check_loss(TERMS, D(loss), admitted_in_proceedings=True, recoveries_exhausted=True)
    assert found == (
        []
        if indemnifiable
        else [
            Violation(
                "TU-E1",
                f"The loss of {loss} is not above the non-indemnifiable threshold of 5000.00.",
                ("input", "lossAmount"),
            )
        ]
    )


def test_tu_e1_loss_must_be_admitted_in_the_insolvency_proceedings():
    assert check_loss(TERMS, D("8000.00"), False, True) == [
        Violation(
            "TU-E1",
            "The claim was not admitted in the insolvency proceedings.",
            ("input", "admittedInProceedings"),
        )
    ]


def test_tu_e1_recoveries_must_be_exhausted():
    assert check_loss(TERMS, D("8000.00"), True, False) == [
        Violation(
            "TU-E1",
            "Not every possible recovery action has been exhausted.",
            ("input", "recoveriesExhausted"),
        )
    ]


def test_tu_e1_every_reason_a_loss_is_refused_is_listed():
    assert len(check_loss(TERMS, D("100.00"), False, False)) == 3


# TU-E2


def test_tu_e2_insured_event_on_the_day_the_first_layer_pays():
    assert insured_event_on(date(2025, 9, 10), True) == date(2025, 9, 10)


def test_tu_e2_no_insured_event_before_the_first_layer_pays():
    assert insured_event_on(None, True) is None


def test_tu_e2_a_payment_the_first_layer_did_not_owe_is_not_an_insured_event():
    assert insured_event_on(date(2025, 9, 10), False) is None


# TU-N1


def test_tu_n1_notified_on_day_30_is_on_time():
    assert check_notification(date(2025, 4, 1), date(2025, 5, 1)) is None


def test_tu_n1_notified_on_day_31_is_late():
    assert check_notification(date(2025, 4, 1), date(2025, 5, 2)) == Violation(
        "TU-N1",
        "Loss notified on 2025-05-02, after the last day 2025-05-01 "
        "(30 days after learning of the insolvency).",
        ("input", "notifiedOn"),
    )


def test_tu_n1_calendar_days_across_february():
    # 30 Jan + 30 days = 1 Mar (2025 is a common year).
    assert check_notification(date(2025, 1, 30), date(2025, 3, 1)) is None
    assert check_notification(date(2025, 1, 30), date(2025, 3, 2)) is not None


# TU-C2: the insurance year of the first unpaid invoice.


@pytest.mark.parametrize(
    ("invoice", "year"),
    [
        (date(2025, 4, 1), 0),
        (date(2026, 3, 31), 0),
        (date(2026, 4, 1), 1),
        (date(2027, 3, 31), 1),
        (date(2027, 4, 1), 2),
    ],
)
def test_tu_c2_loss_belongs_to_the_year_of_its_first_unpaid_invoice(invoice: date, year: int):
    assert insurance_year_of(invoice, date(2025, 4, 1)) == year


@pytest.mark.parametrize(
    ("invoice", "year"),
    [
        (date(2025, 2, 27), 0),
        (date(2025, 2, 28), 1),  # the anniversary of 29 Feb in a common year
        (date(2028, 2, 28), 3),
        (date(2028, 2, 29), 4),
    ],
)
def test_tu_c2_years_from_a_29_february_start(invoice: date, year: int):
    assert insurance_year_of(invoice, date(2024, 2, 29)) == year


def test_tu_c2_an_invoice_before_the_policy_start_has_no_year():
    with pytest.raises(ValueError):
        insurance_year_of(date(2025, 3, 31), date(2025, 4, 1))


# Properties

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
gaps = st.integers(min_value=-30, max_value=400)


@given(learned=days, gap=gaps)
def test_tu_n1_late_exactly_after_30_days(learned: date, gap: int):
    late = check_notification(learned, learned + timedelta(days=gap))
    assert (late is not None) == (gap > 30)
    assert late is None or late.rule == "TU-N1"


@given(start=days, gap=st.integers(min_value=0, max_value=20_000))
def test_tu_c2_year_index_between_its_anniversaries(start: date, gap: int):
    invoice = start + timedelta(days=gap)
    year = insurance_year_of(invoice, start)
    assert year >= 0
    assert start + relativedelta(years=year) <= invoice < start + relativedelta(years=year + 1)


@given(
    gap=gaps,
    first_layer=st.none() | st.integers(min_value=0, max_value=120),
    term=st.integers(min_value=0, max_value=200),
    overdue=st.integers(min_value=0, max_value=200),
)
def test_tu_e1_tu_e3_delivery_refused_exactly_past_each_boundary(
    gap: int, first_layer: int | None, term: int, overdue: int
):
    terms = replace(TERMS, first_layer_invoicing_days=first_layer)
    invoiced = DELIVERED + timedelta(days=gap)
    found = delivery(
        terms,
        invoiced_on=invoiced,
        due_date=invoiced + timedelta(days=term),
        overdue_days_at_delivery=overdue,
    )
    allowed = 60 if first_layer is None else min(60, first_layer)
    assert [v.field for v in found] == [
        f
        for f, refused in [
            (("input", "invoicedOn"), gap > allowed),
            (("input", "dueDate"), term > 90),
            (("input", "deliveredOn"), overdue > 60),
        ]
        if refused
    ]


@given(loss=st.decimals(min_value=0, max_value=100_000, places=2))
def test_tu_e1_pni_refuses_exactly_up_to_the_threshold(loss: Decimal):
    found = check_loss(TERMS, loss, True, True)
    assert (found != []) == (loss <= TERMS.pni_threshold)
