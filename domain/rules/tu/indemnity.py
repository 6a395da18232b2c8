"""The top-up indemnity (TU-C1, TU-C2, TU-P1; seed 004 art. 6.5, 7, 8) step by step, the
losses of one insurance year, and recoveries (TU-R1).

Decimal only. Amounts are taken to the cent (half-up) on entry and the coverage
percentage is rounded half-up to the cent as it is taken (money.round_cents), so every
line is exact to the cent. A deduction never takes the running amount below 0: its line
shows what it actually took.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.rules.indemnity import IndemnityLine
from domain.rules.money import (
    CENT,
    HUNDRED,
    checked_cents,
    checked_percent,
    percent_share,
    percent_text,
)
from domain.rules.tu.terms import TopUpTerms

ZERO = Decimal("0.00")

#: TU-C1: the top-up coverage percentage is above 0 and at most this (and at most the
#: first layer's, art. 7.2: "que no podrá ser superior al porcentaje de cobertura del
#: Contrato de Primera Capa").
MAX_COVERAGE_PERCENT = HUNDRED


@dataclass(frozen=True)
class TopUpIndemnity:
    amount: Decimal
    lines: tuple[IndemnityLine, ...]
    #: TU-C1: how much of the annual aggregate deductible this loss bore.
    aggregate_deductible_used: Decimal
    #: TU-P1: the indemnity owed but withheld while the premium is unpaid (0 when paid).
    withheld: Decimal = ZERO


@dataclass(frozen=True)
class LossInput:
    """One insured loss of an insurance year, for `apply_losses_in_year` (TU-C2)."""

    covered_loss: Decimal
    #: TU-L1: the buyer's top-up limit.
    top_up_limit: Decimal
    #: TU-C1: the first layer's final indemnity for the same loss.
    first_layer_final_indemnity: Decimal
    #: TU-C1: recoveries and set-offs that exclusively affect the loss (art. 8).
    recoveries_and_setoffs: Decimal = ZERO
    #: TU-C2: recoveries the top-up insurer received after this loss's indemnity, which
    #: restore the annual sum insured for the losses after it (art. 7.3).
    recoveries_received: Decimal = ZERO
    #: TU-P1: the premium was fully paid.
    premium_paid: bool = True


@dataclass(frozen=True)
class RecoveryShares:
    """TU-R1: an unattributable recovery shared; the three add up to it exactly."""

    insured: Decimal
    first_layer: Decimal
    top_up: Decimal


def tu_indemnity(
    *,
    covered_loss: Decimal,
    top_up_limit: Decimal,
    remaining_sum_insured: Decimal,
    recoveries_and_setoffs: Decimal,
    per_loss_deductible: Decimal,
    aggregate_deductible_remaining: Decimal,
    coverage_percent: Decimal,
    first_layer_coverage_percent: Decimal,
    first_layer_final_indemnity: Decimal,
    premium_paid: bool = True,
) -> TopUpIndemnity:
    """TU-C1, one line per step, in the order of seed 004 art. 7.5:

    1. the covered loss, limited to the top-up credit limit ("al Límite de crédito"),
    2. then to the remaining annual sum insured ("a la suma global asegurada"; it is the
       most payable in the year, art. 7.3, which this order keeps: nothing after it adds),
    3. less recoveries and set-offs ("menos las recuperaciones deducibles y los créditos
       compensables según el artículo 8"),
    4. less the per-loss deductible ("menos la franquicia por pérdida asegurada"),
    5. less the aggregate deductible not yet borne, only as much as is left of the loss
       ("menos la parte de la franquicia anual agregada todavía no soportada"); that is
       `aggregate_deductible_used`,
    6. times the coverage percentage ("el resultado se multiplicará por el porcentaje"),
       which may not exceed the first layer's (ValueError, art. 7.2),
    7. capped at the first layer's final indemnity for the loss ("nunca puede ser
       superior a la indemnización final de la Aseguradora de Primera Capa"),
    8. TU-P1: nothing while the premium is not fully paid (art. 6.5); the indemnity
       withheld is `withheld`. The loss still bears the aggregate deductible: the
       deductible is borne by insured losses, and the premium only suspends the right
       to be paid.
    """
    percent = checked_percent(coverage_percent, "coverage_percent")
    first_percent = checked_percent(first_layer_coverage_percent, "first_layer_coverage_percent")
    if percent > first_percent:
        raise ValueError(
            f"coverage_percent {percent} exceeds the first layer's {first_percent} (TU-C1)"
        )
    loss = checked_cents(covered_loss, "covered_loss")
    limit = checked_cents(top_up_limit, "top_up_limit")
    sum_left = checked_cents(remaining_sum_insured, "remaining_sum_insured")
    recoveries = checked_cents(recoveries_and_setoffs, "recoveries_and_setoffs")
    deductible = checked_cents(per_loss_deductible, "per_loss_deductible")
    aggregate = checked_cents(aggregate_deductible_remaining, "aggregate_deductible_remaining")
    first_final = checked_cents(first_layer_final_indemnity, "first_layer_final_indemnity")

    limited = min(loss, limit)
    in_sum = min(limited, sum_left)
    recovered = min(recoveries, in_sum)
    deducted = min(deductible, in_sum - recovered)
    used = min(aggregate, in_sum - recovered - deducted)
    excess = in_sum - recovered - deducted - used
    covered = percent_share(excess, percent)
    capped = min(covered, first_final)
    amount = capped if premium_paid else ZERO
    lines = [
        IndemnityLine("Covered loss", loss, "TU-C1"),
        IndemnityLine(f"Limited to the top-up credit limit ({limit})", limited, "TU-C1"),
        IndemnityLine(f"Limited to the remaining annual sum insured ({sum_left})", in_sum, "TU-C2"),
        IndemnityLine(f"Less recoveries and set-offs ({recoveries})", ZERO - recovered, "TU-C1"),
        IndemnityLine(f"Less the per-loss deductible ({deductible})", ZERO - deducted, "TU-C1"),
        IndemnityLine(
            f"Less the annual aggregate deductible not yet borne ({aggregate})",
            ZERO - used,
            "TU-C1",
        ),
        IndemnityLine("Loss in excess of the deductibles", excess, "TU-C1"),
        IndemnityLine(
            f"Coverage {percent_text(percent)}% (first layer {percent_text(first_percent)}%)",
            covered,
            "TU-C1",
        ),
        IndemnityLine(
            f"Capped at the first layer's final indemnity ({first_final})", capped, "TU-C1"
        ),
    ]
    if not premium_paid:
        lines.append(IndemnityLine("Withheld while the premium is unpaid", ZERO - capped, "TU-P1"))
    lines.append(IndemnityLine("Indemnity", amount, "TU-C1"))
    return TopUpIndemnity(amount, tuple(lines), used, capped - amount)


def apply_losses_in_year(terms: TopUpTerms, losses: Sequence[LossInput]) -> list[TopUpIndemnity]:
    """TU-C2: the losses of one insurance year, in the order given (the order they are
    indemnified). The aggregate deductible is borne once across them, each loss taking
    what is left of it; the annual sum insured left for each is the annual sum insured
    less the indemnities before it (withheld ones too: they are owed), plus the
    recoveries received after them, never above the annual sum insured (art. 7.3: "se
    reducirá por el importe de las Indemnizaciones pagadas y/o adeudadas ... y se
    incrementará por los recobros recibidos")."""
    sum_insured = checked_cents(terms.annual_sum_insured, "annual_sum_insured")
    sum_left = sum_insured
    aggregate_left = checked_cents(terms.annual_aggregate_deductible, "annual_aggregate_deductible")
    results: list[TopUpIndemnity] = []
    for loss in losses:
        result = tu_indemnity(
            covered_loss=loss.covered_loss,
            top_up_limit=loss.top_up_limit,
            remaining_sum_insured=sum_left,
            recoveries_and_setoffs=loss.recoveries_and_setoffs,
            per_loss_deductible=terms.per_loss_deductible,
            aggregate_deductible_remaining=aggregate_left,
            coverage_percent=terms.coverage_percent,
            first_layer_coverage_percent=terms.first_layer_coverage_percent,
            first_layer_final_indemnity=loss.first_layer_final_indemnity,
            premium_paid=loss.premium_paid,
        )
        aggregate_left -= result.aggregate_deductible_used
        received = checked_cents(loss.recoveries_received, "recoveries_received")
        owed = result.amount + result.withheld
        sum_left = min(sum_left - owed + received, sum_insured)
        results.append(result)
    return results


def tu_recovery_shares(
    recovery: Decimal,
    insured_share_base: Decimal,
    first_layer_share_base: Decimal,
    top_up_share_base: Decimal,
) -> RecoveryShares:
    """TU-R1: a recovery that cannot be attributed to an insured or uninsured loss, shared
    pro rata to each party's part of the loss (art. 8: "asignados en proporción pro-rata
    entre el Asegurado, la Aseguradora de Primera Capa y la Compañía según la
    participación individual en la Pérdida").

    Each share is first rounded down to the cent; the cents left over go one each to the
    largest remainders, ties in the order insured, first layer, top-up. So the shares add
    up exactly, each is within a cent of its exact pro rata, and a base of 0 gets nothing.
    """
    total = checked_cents(recovery, "recovery")
    bases = (
        checked_cents(insured_share_base, "insured_share_base"),
        checked_cents(first_layer_share_base, "first_layer_share_base"),
        checked_cents(top_up_share_base, "top_up_share_base"),
    )
    base_total = sum(bases, ZERO)
    if base_total == ZERO:
        if total == ZERO:
            return RecoveryShares(ZERO, ZERO, ZERO)
        raise ValueError("a recovery cannot be shared when every share base is 0")
    cents, base_cents = int(total / CENT), int(base_total / CENT)
    exact = [cents * int(b / CENT) for b in bases]
    shares = [e // base_cents for e in exact]
    left = cents - sum(shares)
    by_remainder = sorted(range(3), key=lambda i: (-(exact[i] % base_cents), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    insured, first_layer, top_up = (Decimal(s) * CENT for s in shares)
    return RecoveryShares(insured, first_layer, top_up)


def recalculate_after_recovery(paid_indemnity: Decimal, recomputed_indemnity: Decimal) -> Decimal:
    """TU-R1: after a recovery received once indemnified, the indemnity is recomputed and
    the insured refunds what was overpaid, paid - recomputed, never below 0 (art. 8: "el
    Asegurado tiene la obligación de devolver el exceso de indemnización pagada")."""
    paid = checked_cents(paid_indemnity, "paid_indemnity")
    return max(paid - checked_cents(recomputed_indemnity, "recomputed_indemnity"), ZERO)
