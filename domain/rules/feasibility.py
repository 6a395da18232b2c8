"""The insurer's feasibility decision on a bound cover (LIFECYCLE 2, rules U-1 to U-4),
in the order the lifecycle gives: the first rule that applies decides.

The facts count only covers, incidents and invoices of the cover's own mode (sandbox or
live). `reason` is what the partner sees and never carries a figure that includes other
partners' covers: a U-1 decline tells the partner the most its own covers leave of the
buyer's capacity, a figure made of the configured capacity and its own covers only.
`staff_reason` is the full detail for the insurer's staff."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.rules.catalogue import ProductSpec

CONFIRMED = "CONFIRMED"
DECLINED = "DECLINED"
REFERRED = "REFERRED"


@dataclass(frozen=True)
class FeasibilityFacts:
    insured_amount: Decimal
    #: Insured amounts of the buyer's other pending, active, defaulted or in-claim covers
    #: of the same mode, across partners.
    other_buyer_exposure: Decimal
    buyer_had_recent_incident: bool
    #: Another, earlier cover that is not declined insures the same invoice.
    duplicate_invoice: bool
    #: The part of `other_buyer_exposure` that is the deciding cover's own partner's
    #: (same statuses, same mode, the decided cover excluded): the only exposure the
    #: partner's U-1 reason may depend on.
    partner_buyer_exposure: Decimal


@dataclass(frozen=True)
class FeasibilityDecision:
    outcome: str
    rule: str | None
    #: Shown to the partner (decline reason, cover events).
    reason: str
    #: Shown to the insurer's staff only. None: the same as `reason`.
    staff_reason: str | None = None

    @property
    def reason_for_staff(self) -> str:
        return self.staff_reason if self.staff_reason is not None else self.reason


def capacity_left_by_partner(facts: FeasibilityFacts, spec: ProductSpec) -> Decimal:
    """U-1, as the partner may hear it: the most of the buyer's capacity this partner's own
    covers leave, never below zero. Other partners' business may leave less; it is not in
    this figure, so the figure tells the partner nothing about it."""
    left = spec.buyer_capacity - facts.partner_buyer_exposure
    return max(Decimal("0"), left).quantize(Decimal("0.01"))


def decide_feasibility(facts: FeasibilityFacts, spec: ProductSpec) -> FeasibilityDecision:
    exposure = facts.other_buyer_exposure + facts.insured_amount
    if exposure > spec.buyer_capacity:
        capacity_left = capacity_left_by_partner(facts, spec)
        return FeasibilityDecision(
            DECLINED,
            "U-1",
            # Written out here, not built elsewhere: docs/error_codes.py reads it (AST).
            "The buyer's capacity for this cover is exceeded. This partner's covers on this "
            f"buyer leave at most {capacity_left} of its capacity; "
            "other business on the buyer may leave less.",
            staff_reason=f"The buyer's exposure would be {exposure}, above its capacity of "
            f"{spec.buyer_capacity}; this partner's other covers on the buyer: "
            f"{facts.partner_buyer_exposure}.",
        )
    if facts.buyer_had_recent_incident:
        return FeasibilityDecision(
            DECLINED,
            "U-2",
            f"The buyer had an incident declared in the last {spec.incident_lookback_months} "
            "months.",
        )
    if facts.duplicate_invoice:
        return FeasibilityDecision(
            DECLINED, "U-3", "The same invoice is already under another cover."
        )
    if facts.insured_amount > spec.auto_approval_threshold:
        return FeasibilityDecision(
            REFERRED,
            "U-4",
            f"Insured amount {facts.insured_amount} is above the auto-approval threshold of "
            f"{spec.auto_approval_threshold}: referred to insurer staff.",
        )
    return FeasibilityDecision(CONFIRMED, None, "Confirmed.")
