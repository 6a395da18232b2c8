"""Sales left out of the declarations (WT-N4, seed 003 art. 4.4.a): the indemnity on the
declared credits is reduced in the proportion premium received / premium that should
have been received, on the buyer, or on the whole policy if the omission there is
larger.

"Premium received" is the premium charged on the declared sales (WT-P1), and "premium
that should have been received" adds the premium of the omitted sales: unpaid premium
on declared sales is WT-P2/WT-P3, so it is not counted a second time here.
"""

from __future__ import annotations

from decimal import Decimal

ZERO = Decimal("0.00")


def omission_proportion(
    buyer_declared: Decimal,
    buyer_omitted: Decimal,
    policy_declared: Decimal,
    policy_omitted: Decimal,
) -> tuple[Decimal, Decimal] | None:
    """WT-N4: (premium received, premium that should have been received) of the larger
    omission, the buyer's or the whole policy's; None when nothing was omitted on either.

    The omission is larger where received / due is smaller; compared exactly by
    cross-multiplication (no rounding). A tie keeps the buyer's figures."""
    for name, value in (
        ("buyer_declared", buyer_declared),
        ("buyer_omitted", buyer_omitted),
        ("policy_declared", policy_declared),
        ("policy_omitted", policy_omitted),
    ):
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            raise ValueError(f"{name} must be a Decimal at least 0, not {value!r}")
    if buyer_omitted <= ZERO and policy_omitted <= ZERO:
        return None
    buyer = (buyer_declared, buyer_declared + buyer_omitted)
    policy = (policy_declared, policy_declared + policy_omitted)
    if buyer_omitted <= ZERO:
        return policy
    if policy_omitted <= ZERO:
        return buyer
    # buyer[0] / buyer[1] > policy[0] / policy[1]  <=>  the policy's omission is larger.
    if buyer[0] * policy[1] > policy[0] * buyer[1]:
        return policy
    return buyer
