"""Pure rules of a whole-turnover payment: WT-C3 waiting period from the due date, WT-C10
payable_by, WT-C8 imputation of collections, WT-C9 buyer maximum, WT-N4 undeclared
sales, and the premium consequences WT-P2, WT-P3, WT-P4. Both sides of each boundary."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.rules.wt.claims import wt_indemnity
from domain.rules.wt.collections import impute_collections
from domain.rules.wt.premium import (
    InvoiceFact,
    claim_after_termination,
    invoice_due_on,
    prorated_premium,
    terminated_on,
    unpaid_minimum_or_adjustment,
)
from domain.rules.wt.settlement import (
    check_payment_day,
    claim_settlement_on,
    payable_by,
    waiting_period_ends_on,
)
from domain.rules.wt.terms import Collection, Credit
from domain.rules.wt.undeclared import omission_proportion

D = Decimal


# WT-C3


def test_wt_c3_waiting_period_counted_from_the_due_date():
    assert waiting_period_ends_on(date(2027, 2, 15), 180) == date(2027, 8, 14)
    assert waiting_period_ends_on(date(2027, 2, 15), 0) == date(2027, 2, 15)


def test_wt_c3_claim_settles_with_its_latest_effective_due_date():
    dues = [date(2027, 2, 15), date(2027, 5, 18), date(2027, 3, 1)]
    assert claim_settlement_on(dues, 180) == date(2027, 5, 18) + timedelta(days=180)
    with pytest.raises(ValueError):
        claim_settlement_on([], 180)
    with pytest.raises(ValueError):
        waiting_period_ends_on(date(2027, 1, 1), -1)


def test_wt_c3_payment_on_the_last_day_of_the_waiting_period_is_accepted_not_the_day_before():
    settles = date(2027, 8, 14)
    assert check_payment_day(settles, settles) is None
    assert check_payment_day(settles + timedelta(days=1), settles) is None
    refused = check_payment_day(settles - timedelta(days=1), settles)
    assert refused is not None and (refused.rule, refused.field) == ("WT-C3", ("input", "paidOn"))


# WT-C10


def test_wt_c10_one_month_after_the_waiting_period_with_the_end_of_month_clamp():
    assert payable_by(date(2027, 8, 14), None) == date(2027, 9, 14)
    assert payable_by(date(2027, 1, 31), None) == date(2027, 2, 28)
    assert payable_by(date(2028, 1, 31), None) == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("documents", "expected"),
    [
        (date(2027, 3, 18), date(2027, 4, 17)),  # + 30 = 04-17: equal, the month term
        (date(2027, 3, 19), date(2027, 4, 18)),  # one day later wins
        (date(2027, 3, 1), date(2027, 4, 17)),
    ],
)
def test_wt_c10_at_least_30_days_from_complete_documentation(documents: date, expected: date):
    assert payable_by(date(2027, 3, 17), documents) == expected


# WT-C8


def credit(cid: str, due: date, amount: str, excluded: str | None = None) -> Credit:
    return Credit(cid, due - timedelta(days=30), due, D(amount), excluded_by=excluded)


BUYER = [
    credit("c1", date(2027, 3, 1), "1000.00"),
    credit("c2", date(2027, 2, 1), "500.00"),
    credit("x1", date(2027, 1, 1), "300.00", excluded="WT-L7"),
]


def test_wt_c8_collections_go_oldest_due_date_first_whatever_the_assignment():
    got = impute_collections(BUYER, [Collection("k1", date(2027, 4, 1), D("700.00"), "c1")], None)
    # c2 (due 02-01) first, whole, then c1; the excluded x1 takes nothing.
    assert got.per_credit == {"c2": D("500.00"), "c1": D("200.00")}
    assert (got.outside_cover, got.authorised, got.unallocated) == (D("0.00"),) * 3


def test_wt_c8_collections_on_an_outside_cover_sale_count_against_the_insured_credit():
    pay_x1 = Collection("k1", date(2027, 4, 1), D("300.00"), "x1")
    got = impute_collections(BUYER, [pay_x1], None)
    assert (got.outside_cover, sum(got.per_credit.values())) == (D("300.00"), D("0.00"))
    authorised = impute_collections(BUYER, [pay_x1], None, authorised={"x1"})
    assert (authorised.outside_cover, authorised.authorised) == (D("0.00"), D("300.00"))


def test_wt_c8_only_collections_received_by_the_payment_day():
    late = Collection("k1", date(2027, 4, 2), D("100.00"), None)
    assert sum(impute_collections(BUYER, [late], date(2027, 4, 1)).per_credit.values()) == 0
    assert impute_collections(BUYER, [late], date(2027, 4, 2)).per_credit["c2"] == D("100.00")


@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=D("0.01"), max_value=D("2000"), places=2),
            st.sampled_from([None, "c1", "c2", "x1", "nope"]),
        ),
        max_size=6,
    ),
    st.booleans(),
)
def test_wt_c8_money_is_conserved(rows: list[tuple[Decimal, str | None]], auth: bool):
    collections = [Collection(f"k{n}", date(2027, 4, 1), a, c) for n, (a, c) in enumerate(rows)]
    got = impute_collections(BUYER, collections, None, {"x1"} if auth else ())
    total = sum(got.per_credit.values()) + got.outside_cover + got.authorised + got.unallocated
    assert total == sum((a for a, _ in rows), D("0.00"))
    assert all(got.per_credit[c.id] <= c.amount for c in BUYER if c.excluded_by is None)


# wt_indemnity: WT-C8 outside cover, WT-C9, WT-N4


def indemnity(**overrides: Any) -> Decimal:
    fields: dict[str, Any] = {
        "insured_unpaid": D("15000.00"),
        "collections_up_to_payment": D("0.00"),
        "coverage_percent": D("90"),
        "limit_amount": D("10000.00"),
        "period_indemnities_paid": D("0.00"),
        "minimum_premium": D("1000.00"),
        "max_indemnity_multiple": D("100"),
        "premium_paid": D("1000.00"),
        "premium_total": D("1000.00"),
    }
    fields.update(overrides)
    return wt_indemnity(**fields).amount


def test_wt_c8_outside_cover_collections_come_off_the_limit_when_lower():
    # A collection on a covered credit lowers the 15,000.00 loss first: still above the
    # limit. One on a sale outside cover comes off min(15,000.00, 10,000.00).
    assert indemnity(collections_up_to_payment=D("2000.00")) == D("9000.00")
    assert indemnity(outside_cover_collections=D("2000.00")) == D("7200.00")
    assert indemnity(outside_cover_collections=D("10000.00")) == D("0.00")
    assert indemnity(outside_cover_collections=D("10000.01")) == D("0.00")


@pytest.mark.parametrize(
    ("paid", "expected"),
    [("0.00", "9000.00"), ("8999.99", "0.01"), ("9000.00", "0.00"), ("9500.00", "0.00")],
)
def test_wt_c9_buyer_maximum_less_indemnities_already_paid(paid: str, expected: str):
    assert indemnity(buyer_indemnities_paid=D(paid)) == D(expected)


def test_wt_c9_limit_used_up_pays_no_collection_costs_either():
    assert indemnity(buyer_indemnities_paid=D("9000.00"), collection_costs=D("100.00")) == 0
    assert indemnity(buyer_indemnities_paid=D("8999.99"), collection_costs=D("100.00")) == D(
        "90.01"
    )


def test_wt_n4_indemnity_times_premium_received_over_due():
    assert indemnity(premium_received_of_due=(D("75.00"), D("100.00"))) == D("6750.00")
    assert indemnity(premium_received_of_due=(D("100.00"), D("100.00"))) == D("9000.00")
    assert indemnity(premium_received_of_due=(D("99.99"), D("100.00"))) == D("8999.10")


# WT-N4


def test_wt_n4_the_larger_omission_buyer_or_policy():
    # Buyer 80 of 100 (20% omitted); policy 900 of 1,000 (10%): the buyer's.
    assert omission_proportion(D("80"), D("20"), D("900"), D("100")) == (D("80"), D("100"))
    # Buyer 95 of 100 (5%); policy 800 of 1,000 (20%): the policy's.
    assert omission_proportion(D("95"), D("5"), D("800"), D("200")) == (D("800"), D("1000"))
    # Nothing omitted on the buyer, some on the policy: the policy's.
    assert omission_proportion(D("50"), D("0"), D("900"), D("100")) == (D("900"), D("1000"))
    assert omission_proportion(D("50"), D("0"), D("900"), D("0")) is None
    # Equal proportions: the buyer's.
    assert omission_proportion(D("9"), D("1"), D("90"), D("10")) == (D("9"), D("10"))


# WT-P2, WT-P3, WT-P4


def invoice(kind: str, amount: str, paid: str, issued: date, **extra: Any) -> InvoiceFact:
    return InvoiceFact(
        id=f"{kind.lower()}-{issued.isoformat()}",
        kind=kind,
        amount=D(amount),
        paid_amount=D(paid),
        issued_on=issued,
        due_on=extra.pop("due_on", invoice_due_on(issued)),
        **extra,
    )


MINIMUM = invoice("MINIMUM", "1000.00", "1000.00", date(2027, 1, 1), paid_on=date(2027, 1, 1))


def test_wt_p2_only_premium_other_than_minimum_and_adjustments_is_prorated():
    invoices = [
        MINIMUM,
        invoice("ADJUSTMENT", "200.00", "0.00", date(2027, 3, 1)),
        invoice("EXTENSION", "50.00", "10.00", date(2027, 3, 5)),
        invoice("EXTENSION", "30.00", "0.00", date(2027, 3, 10)),
    ]
    assert prorated_premium(invoices, date(2027, 3, 9)) == (D("40.00"), D("1250.00"))
    assert prorated_premium(invoices, date(2027, 3, 10)) == (D("70.00"), D("1280.00"))


def test_wt_p3_unpaid_adjustment_after_its_due_date_removes_the_indemnity():
    adjustment = invoice("ADJUSTMENT", "200.00", "199.99", date(2027, 3, 1))
    assert adjustment.due_on == date(2027, 3, 31)
    assert unpaid_minimum_or_adjustment([MINIMUM, adjustment], date(2027, 3, 31)) is None
    refused = unpaid_minimum_or_adjustment([MINIMUM, adjustment], date(2027, 4, 1))
    assert refused is not None and refused.rule == "WT-P3"
    paid = invoice("ADJUSTMENT", "200.00", "200.00", date(2027, 3, 1), paid_on=date(2027, 4, 5))
    assert unpaid_minimum_or_adjustment([MINIMUM, paid], date(2027, 4, 6)) is None
    extension = invoice("EXTENSION", "50.00", "0.00", date(2027, 3, 1))
    assert unpaid_minimum_or_adjustment([extension], date(2027, 5, 1)) is None  # WT-P2's


def test_wt_p4_policy_ends_the_day_after_an_instalment_due_date_unpaid():
    due = invoice("EXTENSION", "50.00", "0.00", date(2027, 3, 1))
    assert terminated_on([due], date(2027, 3, 31)) is None
    assert terminated_on([due], date(2027, 4, 1)) == date(2027, 4, 1)
    on_time = invoice("EXTENSION", "50.00", "50.00", date(2027, 3, 1), paid_on=date(2027, 3, 31))
    assert terminated_on([on_time], date(2027, 6, 1)) is None
    late = invoice("EXTENSION", "50.00", "50.00", date(2027, 3, 1), paid_on=date(2027, 4, 1))
    assert terminated_on([late], date(2027, 6, 1)) == date(2027, 4, 1)  # not reinstated
    partial = invoice("EXTENSION", "50.00", "49.99", date(2027, 3, 1))
    assert terminated_on([partial], date(2027, 6, 1)) == date(2027, 4, 1)


def test_wt_p4_nothing_owed_on_claims_notified_from_the_termination_day():
    assert claim_after_termination(date(2027, 3, 31), date(2027, 4, 1)) is None
    refused = claim_after_termination(date(2027, 4, 1), date(2027, 4, 1))
    assert refused is not None and refused.rule == "WT-P4"
    assert claim_after_termination(date(2027, 4, 1), None) is None
