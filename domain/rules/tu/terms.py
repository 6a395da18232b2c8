"""The shared values of the top-up rules: a policy's terms and a buyer's top-up limit with
what TU-L2 and TU-L3 need to remember. Amounts are Decimal in the policy currency."""

from __future__ import annotations

from dataclasses import dataclass
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
