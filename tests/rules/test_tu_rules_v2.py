"""Top-up rules v2 (seed 004) at their boundaries: TU-L1 first-layer limit, TU-E5 run-off
year, TU-E7 client overdue at signing, TU-P1 premium (in force, owed, fully paid), TU-P4
rescission, TU-C2 year balance counting each amount once, TU-C2 terms of the year."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.rules.tu import clients, premium, sum_insured
from domain.rules.tu.clients import EarlierInvoice
from domain.rules.tu.sum_insured import YearLoss
from domain.rules.tu.terms import TopUpTerms, terms_for_year

D = Decimal


# TU-L1


def test_tu_l1_first_layer_limit_includes_temporary_limits():
    assert clients.first_layer_limit(D("60000.00"), D("15000.00")) == D("75000.00")


def test_tu_l1_first_layer_limit_excludes_limits_from_other_insurance():
    assert clients.first_layer_limit(D("60000.00"), D("0"), D("40000.00")) == D("60000.00")


def test_tu_l1_first_layer_limit_refuses_negative_amounts():
    with pytest.raises(ValueError):
        clients.first_layer_limit(D("1.00"), D("-0.01"))


# TU-E5


@pytest.mark.parametrize(
    ("period_end", "declared", "counts"),
    [
        (date(2027, 12, 31), date(2028, 12, 30), True),  # day 365
        (date(2027, 12, 31), date(2028, 12, 31), True),  # day 366: 2028 is a leap year
        (date(2027, 12, 31), date(2029, 1, 1), False),  # day 367
        (date(2026, 12, 31), date(2027, 12, 31), True),  # day 365 in a common year
        (date(2026, 12, 31), date(2028, 1, 1), False),  # day 366 in a common year
        (date(2028, 2, 29), date(2029, 2, 28), True),  # 29 Feb + 1 year = 28 Feb
        (date(2028, 2, 29), date(2029, 3, 1), False),
    ],
)
def test_tu_e5_insolvency_up_to_one_calendar_year_after_expiry(
    period_end: date, declared: date, counts: bool
):
    found = clients.check_insolvency_date(period_end, declared)
    assert (found is None) is counts
    if found is not None:
        assert found.rule == "TU-E5"
        assert found.field == ("input", "insolvencyDeclaredOn")


def test_tu_e5_run_off_end_is_expiry_plus_a_calendar_year():
    assert clients.insolvency_run_off_ends(date(2027, 12, 31)) == date(2028, 12, 31)
    assert clients.insolvency_run_off_ends(date(2028, 2, 29)) == date(2029, 2, 28)


# TU-E7

SIGNED = date(2027, 1, 1)


@pytest.mark.parametrize(
    ("due", "covered"), [(date(2026, 11, 2), True), (date(2026, 11, 1), False)]
)
def test_tu_e7_overdue_days_at_signing_from_the_original_due_date(due: date, covered: bool):
    # 2026-11-02 -> 2027-01-01 is 60 days late (covered); 2026-11-01 is 61 (not covered).
    found = clients.check_client_at_signing([EarlierInvoice(due)], SIGNED, 60)
    assert (found is None) is covered
    if found is not None:
        assert found.rule == "TU-E7"


def test_tu_e7_a_disputed_invoice_does_not_count():
    invoice = EarlierInvoice(date(2026, 6, 1), disputed=True)
    assert clients.check_client_at_signing([invoice], SIGNED, 60) is None


def test_tu_e7_an_invoice_paid_by_the_signing_date_does_not_count():
    paid = EarlierInvoice(date(2026, 6, 1), paid_on=SIGNED)
    assert clients.check_client_at_signing([paid], SIGNED, 60) is None


def test_tu_e7_an_invoice_paid_after_the_signing_date_counts():
    late = EarlierInvoice(date(2026, 6, 1), paid_on=date(2027, 1, 2))
    assert clients.days_late_at_signing(late, SIGNED) == 214
    assert clients.check_client_at_signing([late], SIGNED, 60) is not None


def test_tu_e7_no_history_no_exclusion():
    assert clients.check_client_at_signing([], SIGNED, 60) is None


# TU-P1


def test_tu_p1_in_force_from_the_day_payments_reach_the_minimum_premium():
    payments = [(date(2027, 1, 20), D("1000.00")), (date(2027, 1, 10), D("1999.99"))]
    assert premium.in_force_on(D("3000.00"), payments) is None  # one cent short
    payments.append((date(2027, 2, 1), D("0.01")))
    assert premium.in_force_on(D("3000.00"), payments) == date(2027, 2, 1)


def test_tu_p1_in_force_on_the_day_of_a_single_full_payment():
    assert premium.in_force_on(D("3000.00"), [(date(2027, 1, 5), D("3000.00"))]) == date(2027, 1, 5)


@pytest.mark.parametrize(
    ("in_force", "delivered", "insured"),
    [
        (date(2027, 1, 10), date(2027, 1, 9), False),
        (date(2027, 1, 10), date(2027, 1, 10), True),
        (None, date(2027, 6, 1), False),
    ],
)
def test_tu_p1_deliveries_before_the_contract_is_in_force_are_not_insured(
    in_force: date | None, delivered: date, insured: bool
):
    found = premium.delivery_before_in_force(in_force, delivered)
    assert (found is None) is insured
    if found is not None:
        assert found.rule == "TU-P1"


def test_tu_p1_premium_payable_within_30_days_of_the_receipt():
    assert premium.premium_due_on(date(2027, 1, 1)) == date(2027, 1, 31)


def test_tu_p1_premium_owed_is_the_minimum_of_every_year_begun():
    start = date(2027, 1, 1)
    assert premium.premium_owed_on(D("3000.00"), start, date(2027, 12, 31)) == D("3000.00")
    assert premium.premium_owed_on(D("3000.00"), start, date(2028, 1, 1)) == D("6000.00")


@pytest.mark.parametrize(("paid", "refused"), [("3000.00", False), ("2999.99", True)])
def test_tu_p1_no_indemnity_unless_the_premium_is_fully_paid(paid: str, refused: bool):
    found = premium.check_premium_paid(D("3000.00"), date(2027, 1, 1), D(paid), date(2027, 7, 1))
    assert (found is not None) is refused
    if found is not None:
        assert found.rule == "TU-P1"


def test_tu_p1_a_renewal_year_premium_must_be_paid_too():
    found = premium.check_premium_paid(
        D("3000.00"), date(2027, 1, 1), D("3000.00"), date(2028, 1, 1)
    )
    assert found is not None and found.rule == "TU-P1"


# TU-P4


def test_tu_p4_transitions():
    assert premium.can_move("SIGNED", "IN_FORCE")
    assert premium.can_move("IN_FORCE", "ENDED")
    assert premium.can_move("IN_FORCE", "RESCINDED")
    assert not premium.can_move("ENDED", "IN_FORCE")
    assert not premium.can_move("RESCINDED", "ENDED")
    assert not premium.can_move("IN_FORCE", "SIGNED")


@pytest.mark.parametrize(
    ("learned", "rescinded", "allowed"),
    [
        (date(2027, 3, 15), date(2027, 4, 15), True),  # one month: the last day
        (date(2027, 3, 15), date(2027, 4, 16), False),
        (date(2027, 1, 31), date(2027, 2, 28), True),  # end of month
        (date(2027, 1, 31), date(2027, 3, 1), False),
        (date(2027, 3, 15), date(2027, 3, 14), False),  # before learning of it
    ],
)
def test_tu_p4_rescission_within_one_month_of_learning(
    learned: date, rescinded: date, allowed: bool
):
    found = premium.check_rescission(learned, rescinded)
    assert (found is None) is allowed


def test_tu_p4_no_rescission_without_a_new_first_layer_contract():
    found = premium.check_rescission(None, date(2027, 3, 1))
    assert found is not None and found.rule == "TU-P4"


def test_tu_p4_rescission_without_losses_refunds_pro_rata_temporis():
    # Rescinded on 2027-07-01 (day 182 of 365): 183 days left -> 3000 x 183 / 365.
    refund, due = premium.rescission_settlement(
        minimum_premium=D("3000.00"),
        premium_paid=D("3000.00"),
        year_start=date(2027, 1, 1),
        rescinded_on=date(2027, 7, 1),
        losses_indemnified_or_owed=False,
    )
    assert (refund, due) == (D("1504.11"), D("0.00"))


def test_tu_p4_rescission_with_losses_keeps_the_year_and_the_unpaid_minimum_is_due():
    refund, due = premium.rescission_settlement(
        minimum_premium=D("3000.00"),
        premium_paid=D("1000.00"),
        year_start=date(2027, 1, 1),
        rescinded_on=date(2027, 7, 1),
        losses_indemnified_or_owed=True,
    )
    assert (refund, due) == (D("0.00"), D("2000.00"))


def test_tu_p4_rescission_on_the_last_day_of_the_year_refunds_nothing():
    refund, _ = premium.rescission_settlement(
        minimum_premium=D("3000.00"),
        premium_paid=D("3000.00"),
        year_start=date(2027, 1, 1),
        rescinded_on=date(2027, 12, 31),
        losses_indemnified_or_owed=False,
    )
    assert refund == D("0.00")


# TU-C2


def test_tu_c2_owed_and_paid_indemnities_reduce_the_balance_once_each():
    losses = [
        YearLoss("INSURED_EVENT", D("12600.00")),
        YearLoss("PAID", D("17100.00"), paid=D("17100.00")),
        YearLoss("NOTIFIED", D("0.00")),
        YearLoss("REJECTED", D("9000.00")),
    ]
    assert sum_insured.remaining_sum_insured(D("100000.00"), losses) == D("70300.00")


def test_tu_c2_a_recovery_before_payment_only_lowers_the_indemnity():
    # The recovery is inside the calculation (15,561 instead of 17,100): nothing added back.
    before = YearLoss("INSURED_EVENT", D("15561.00"), insurer_recoveries=D("0.00"))
    assert sum_insured.remaining_sum_insured(D("100000.00"), [before]) == D("84439.00")


def test_tu_c2_a_recovery_after_payment_comes_back_as_the_insurer_share():
    # Paid 12,600; a recovery recalculated it to 9,000: the insurer's 3,600 comes back.
    paid = YearLoss("PAID", D("9000.00"), paid=D("12600.00"), insurer_recoveries=D("3600.00"))
    assert sum_insured.remaining_sum_insured(D("100000.00"), [paid]) == D("91000.00")


def test_tu_c2_balance_stays_within_zero_and_the_sum_insured():
    over = [YearLoss("PAID", D("0"), paid=D("150000.00"))]
    assert sum_insured.remaining_sum_insured(D("100000.00"), over) == D("0.00")
    back = [YearLoss("PAID", D("0"), paid=D("10.00"), insurer_recoveries=D("50.00"))]
    assert sum_insured.remaining_sum_insured(D("100000.00"), back) == D("100000.00")


def test_tu_c2_aggregate_deductible_borne_by_counted_losses_only():
    losses = [
        YearLoss("PAID", D("1"), paid=D("1"), aggregate_deductible_used=D("3000.00")),
        YearLoss("REJECTED", D("1"), aggregate_deductible_used=D("2000.00")),
    ]
    assert sum_insured.aggregate_deductible_left(D("5000.00"), losses) == D("2000.00")


BASE = TopUpTerms(
    coverage_percent=D("90"),
    first_layer_coverage_percent=D("90"),
    per_loss_deductible=D("1000.00"),
    annual_aggregate_deductible=D("5000.00"),
    annual_sum_insured=D("100000.00"),
    pni_threshold=D("2000.00"),
    max_payment_term_days=120,
    supply_cutoff_days=60,
    first_layer_invoicing_days=None,
    period_start=date(2027, 1, 1),
    period_end=date(2028, 12, 31),
)


def test_tu_c2_a_loss_takes_the_terms_of_its_insurance_year():
    versions: list[tuple[int, dict[str, object]]] = [(1, {"coverage_percent": D("80")})]
    assert terms_for_year(BASE, versions, 0).coverage_percent == D("90")
    assert terms_for_year(BASE, versions, 1).coverage_percent == D("80")
    assert terms_for_year(BASE, versions, 2).coverage_percent == D("80")
