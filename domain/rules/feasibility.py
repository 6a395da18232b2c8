"""The insurer's feasibility decision on a bound cover (LIFECYCLE 2, rules U-1 to U-4),
in the order the lifecycle gives: the first rule that applies decides.

The facts count only covers, incidents and invoices of the cover's own mode (sandbox or
live). `reason` is what the partner sees and never carries a figure that includes other
partners' covers; `staff_reason` is the full detail for the insurer's staff."""

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


def decide_feasibility(facts: FeasibilityFacts, spec: ProductSpec) -> FeasibilityDecision:
    exposure = facts.other_buyer_exposure + facts.insured_amount
    if exposure > spec.buyer_capacity:
        return FeasibilityDecision(
            DECLINED,
            "U-1",
            "The buyer's capacity for this cover is exceeded.",
            staff_reason=f"The buyer's exposure would be {exposure}, above its capacity of "
            f"{spec.buyer_capacity}.",
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
