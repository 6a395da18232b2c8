"""The shared values of the top-up rules: a policy's terms and a buyer's top-up limit with
what TU-L2 and TU-L3 need to remember. Amounts are Decimal in the policy currency."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class TopUpTerms:
    #: TU-C1: percentage of the loss in excess of the deductibles (seed 004 art. 7.2).
    coverage_percent: Decimal
    #: TU-C1: the first layer's percentage; `coverage_percent` may not exceed it.
    first_layer_coverage_percent: Decimal
    #: TU-C1: deducted from each loss (art. 7.4).
    per_loss_deductible: Decimal
    #: TU-C1/TU-C2: borne by the insured once per insurance year (art. 7.1).
    annual_aggregate_deductible: Decimal
    #: TU-C2: the most indemnified per insurance year (art. 7.3).
    annual_sum_insured: Decimal
    #: TU-E1: a loss of a buyer must be above this to be indemnifiable (art. 3.2.8).
    pni_threshold: Decimal
    #: TU-E1: the maximum payment term, already the shorter of the policy's and the first
    #: layer's (definition XIII).
    max_payment_term_days: int
    #: TU-E3: deliveries to a buyer overdue by more than this many days are not insured.
    supply_cutoff_days: int
    #: TU-E1: the first layer's invoicing term when it has one (the shorter term wins).
    first_layer_invoicing_days: int | None
    #: TU-E1: the first day deliveries are insured.
    period_start: date
    #: TU-E1: the last day deliveries are insured (inclusive).
    period_end: date


@dataclass(frozen=True)
class TopUpLimitState:
    """A buyer's top-up limit (TU-L1) and the reduction it is under (TU-L2, TU-L3)."""

    #: The amount the insured requested from the first layer.
    requested: Decimal
    #: The first layer's limit in force.
    first_layer_granted: Decimal
    #: The top-up limit in force.
    top_up_limit: Decimal
    #: TU-L2: the top-up limit was 0 at a reduction and stays 0 for future deliveries
    #: until TU-L3 recomputes it.
    zero_locked: bool = False
    #: TU-L2/TU-L3: the day of the last first-layer reduction not yet recomputed; None
    #: when nothing is pending.
    last_reduction_on: date | None = None
    #: TU-L3: the first layer's limit before the first reduction still pending; a
    #: restoration to it (or above) within 6 months recomputes the top-up limit.
    first_layer_before_reduction: Decimal | None = None


#: The insurer's underwriting terms of a top-up policy (set by staff, never by the
#: partner): the field names as the service and the store spell them.
INSURER_TERMS: tuple[str, ...] = (
    "coverage_percent",
    "per_loss_deductible",
    "annual_aggregate_deductible",
    "annual_sum_insured",
    "pni_threshold",
    "max_payment_term_days",
    "supply_cutoff_days",
    "covered_countries",
    "minimum_premium",
)

#: The product's default terms *(config)*, a policy's terms until staff set its own. The
#: coverage percentage is capped at the first layer's (TU-C1) and the covered countries
#: default to the insured's own country.
DEFAULT_TERMS: dict[str, object] = {
    "coverage_percent": Decimal("90"),
    "per_loss_deductible": Decimal("0.00"),
    "annual_aggregate_deductible": Decimal("0.00"),
    "annual_sum_insured": Decimal("100000.00"),
    "pni_threshold": Decimal("0.00"),
    "max_payment_term_days": 120,
    "supply_cutoff_days": 60,
    "minimum_premium": Decimal("1000.00"),
}


def terms_for_year(
    base: TopUpTerms, versions: list[tuple[int, dict[str, object]]], year: int
) -> TopUpTerms:
    """TU-C2: the conditions valid in insurance year `year` ("las condiciones
    contractuales de aplicación, serán las válidas en el momento establecido"): `base`
    (year 0) changed by every version from a year up to `year`, in year order."""
    terms = base
    for from_year, changes in sorted(versions, key=lambda v: v[0]):
        if from_year <= year:
            known = {k: v for k, v in changes.items() if k in TopUpTerms.__dataclass_fields__}
            terms = replace(terms, **known)  # type: ignore[arg-type]
    return terms
