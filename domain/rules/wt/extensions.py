"""Optional extensions of a credit's due date (WT-X1, seed 003 art. 5.b-d): the ones the
insured may grant without the insurer's authorisation, and their extra premium."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from domain.rules.violations import Violation
from domain.rules.wt.premium import sale_premium
from domain.rules.wt.terms import PremiumRate

#: WT-X1: an optional extension is granted before or within this many days after the
#: original due date...
EXTENSION_GRANT_DAYS = 30
#: WT-X1: ...to a new due date at most this many days after the original one.
EXTENSION_MAX_DAYS = 90

RULE = "WT-X1"


def check_optional_extension(
    original_due: date,
    new_due: date,
    granted_on: date,
    already_extended: bool,
    buyer_extended_total: Decimal,
    amount: Decimal,
    policy_max: Decimal,
) -> list[Violation]:
    """WT-X1: every reason an extension is not an optional one; an empty list means the
    insured may grant it alone, any violation means it needs the insurer's written
    authorisation (seed 003 art. 5.c).

    Optional: the credit's first extension; granted on or before original due + 30
    days; new due date after the original one and on or before original due + 90 days;
    the buyer's total extended amount, `buyer_extended_total` (its earlier extensions,
    this one not included) + `amount`, at most `policy_max`. Decision: "stays under" is
    <=, after the seed's "no exceda el límite máximo" (does not exceed it).
    """
    found: list[Violation] = []
    if already_extended:
        found.append(
            Violation(RULE, "The credit was already extended once.", ("input", "creditId"))
        )
    latest_grant = original_due + timedelta(days=EXTENSION_GRANT_DAYS)
    if granted_on > latest_grant:
        found.append(
            Violation(
                RULE,
                f"An optional extension is granted by {latest_grant.isoformat()}, "
                f"{EXTENSION_GRANT_DAYS} days after the original due date.",
                ("input", "grantedOn"),
            )
        )
    latest_due = original_due + timedelta(days=EXTENSION_MAX_DAYS)
    if new_due <= original_due:
        found.append(
            Violation(
                RULE,
                f"The new due date must be after the original due date {original_due.isoformat()}.",
                ("input", "newDueDate"),
            )
        )
    elif new_due > latest_due:
        found.append(
            Violation(
                RULE,
                f"An optional extension runs to {latest_due.isoformat()} at most, "
                f"{EXTENSION_MAX_DAYS} days after the original due date.",
                ("input", "newDueDate"),
            )
        )
    total = buyer_extended_total + amount
    if total > policy_max:
        found.append(
            Violation(
                RULE,
                f"The buyer's total extended amount would be {total}, "
                f"above the policy maximum of {policy_max}.",
                ("input", "amount"),
            )
        )
    return found


def extension_premium(
    amount: Decimal, extension_days: int, rates: Sequence[PremiumRate]
) -> Decimal:
    """WT-X1: the extra premium of an extension, the extended amount at the rate for a
    sale whose payment term equals the extension (seed 003 art. 5.d), half-up cents."""
    return sale_premium(amount, extension_days, rates)
