"""Optional extensions (WT-X1, seed 003 art. 5.b-d): once per credit, granted by the
original due date + 30 days, to at most + 90 days, while the buyer's total extended
amount does not exceed the policy maximum; otherwise the insurer's written authorisation
is needed. And their extra premium at the rate for a term equal to the extension.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain.rules.violations import Violation
from domain.rules.wt.extensions import (
    EXTENSION_GRANT_DAYS,
    EXTENSION_MAX_DAYS,
    check_optional_extension,
    extension_premium,
)
from domain.rules.wt.terms import PremiumRate

D = Decimal
ORIGINAL_DUE = date(2025, 3, 31)


def check(**overrides: Any) -> list[Violation]:
    """An optional extension by default: 60 days, granted on the due date, room left."""
    fields: dict[str, Any] = {
        "original_due": ORIGINAL_DUE,
        "new_due": ORIGINAL_DUE + timedelta(days=60),
        "granted_on": ORIGINAL_DUE,
        "already_extended": False,
        "buyer_extended_total": D("10000.00"),
        "amount": D("5000.00"),
        "policy_max": D("50000.00"),
    }
    fields.update(overrides)
    return check_optional_extension(**fields)


def fields_of(violations: list[Violation]) -> list[tuple[str, ...] | None]:
    assert all(v.rule == "WT-X1" for v in violations)
    return [v.field for v in violations]


def test_wt_x1_constants():
    assert (EXTENSION_GRANT_DAYS, EXTENSION_MAX_DAYS) == (30, 90)


def test_wt_x1_optional_extension_needs_no_authorisation():
    assert check() == []


def test_wt_x1_second_extension_of_a_credit_needs_authorisation():
    assert fields_of(check(already_extended=True)) == [("input", "creditId")]


def test_wt_x1_granted_before_the_due_date_is_optional():
    assert check(granted_on=ORIGINAL_DUE - timedelta(days=20)) == []


def test_wt_x1_granted_30_days_after_the_due_date_is_optional_31_is_not():
    assert check(granted_on=ORIGINAL_DUE + timedelta(days=30)) == []
    assert fields_of(check(granted_on=ORIGINAL_DUE + timedelta(days=31))) == [
        ("input", "grantedOn")
    ]


def test_wt_x1_new_due_90_days_after_the_original_is_optional_91_is_not():
    assert check(new_due=ORIGINAL_DUE + timedelta(days=90)) == []
    violations = check(new_due=ORIGINAL_DUE + timedelta(days=91))
    assert violations == [
        Violation(
            "WT-X1",
            "An optional extension runs to 2025-06-29 at most, 90 days after the original "
            "due date.",
            ("input", "newDueDate"),
        )
    ]


def test_wt_x1_new_due_not_after_the_original_is_refused():
    assert fields_of(check(new_due=ORIGINAL_DUE)) == [("input", "newDueDate")]
    assert fields_of(check(new_due=ORIGINAL_DUE - timedelta(days=1))) == [("input", "newDueDate")]


def test_wt_x1_buyer_total_equal_to_the_policy_max_is_optional():
    # 45,000.00 already + 5,000.00 = 50,000.00: does not exceed the maximum.
    assert check(buyer_extended_total=D("45000.00")) == []


def test_wt_x1_buyer_total_above_the_policy_max_needs_authorisation():
    assert fields_of(check(buyer_extended_total=D("45000.01"))) == [("input", "amount")]


def test_wt_x1_lists_every_reason():
    violations = check(
        already_extended=True,
        granted_on=ORIGINAL_DUE + timedelta(days=40),
        new_due=ORIGINAL_DUE + timedelta(days=120),
        buyer_extended_total=D("49000.00"),
    )
    assert fields_of(violations) == [
        ("input", "creditId"),
        ("input", "grantedOn"),
        ("input", "newDueDate"),
        ("input", "amount"),
    ]


RATES = (PremiumRate(30, D("0.15")), PremiumRate(60, D("0.22")), PremiumRate(90, D("0.30")))


def test_wt_x1_extension_premium_at_the_rate_for_the_extension_term():
    # A 45-day extension of 10,000.00 is priced like a 45-day sale: 0.22% = 22.00.
    assert extension_premium(D("10000.00"), 45, RATES) == D("22.00")
    # 30 days: 0.15% x 10,000.00 = 15.00; 31 days: 0.22%.
    assert extension_premium(D("10000.00"), 30, RATES) == D("15.00")
    assert extension_premium(D("10000.00"), 31, RATES) == D("22.00")


def test_wt_x1_extension_premium_rounds_half_up():
    # 0.15% x 1,030.00 = 1.545 -> 1.55 (banker's: 1.54).
    assert extension_premium(D("1030.00"), 20, RATES) == D("1.55")
