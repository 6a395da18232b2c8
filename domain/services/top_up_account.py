"""The insurance year's account of a top-up policy and the TU-C1 calculation of one loss
on it (TU-C1, TU-C2, TU-P1).

A stored calculation is a preview: the amount paid is recalculated by `calculate` in the
paying transaction, on the year's state at that moment (`lock_year` first).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.rules.tu import indemnity as tu_indemnity
from domain.rules.tu import sum_insured
from domain.rules.tu.terms import TopUpTerms
from domain.services import top_up_terms
from domain.store.locks import lock_for_transaction
from domain.store.topup_models import TopUpClaim, TopUpLimit, TopUpPolicy

ZERO = Decimal("0.00")


def year_loss(claim: TopUpClaim) -> sum_insured.YearLoss:
    """TU-C2: one claim as the year's account counts it; the insurer's share of recoveries
    after its payment is the overpayment the recalculation found (`refund_due`)."""
    return sum_insured.YearLoss(
        status=claim.status,
        indemnity=claim.indemnity_amount or ZERO,
        paid=claim.paid_amount,
        insurer_recoveries=claim.refund_due,
        aggregate_deductible_used=claim.aggregate_deductible_used,
    )


async def lock_year(policy: TopUpPolicy, year: int) -> None:
    """Call inside the transaction that reads the year's account and writes to it."""
    await lock_for_transaction(f"top-up-year:{policy.id}:{year}")


async def year_account(
    policy: TopUpPolicy, year: int, *, excluding: str | None = None
) -> tuple[Decimal, Decimal]:
    """(remaining annual sum insured, aggregate deductible not yet borne) of a year by
    TU-C2, with the terms of that year; `excluding` leaves one claim out (the one being
    calculated)."""
    terms = top_up_terms.terms_for_year(policy, year)
    claims = await TopUpClaim.filter(policy_id=policy.id, insurance_year=year).exclude(
        id=excluding or ""
    )
    losses = [year_loss(c) for c in claims]
    return (
        sum_insured.remaining_sum_insured(terms.annual_sum_insured, losses),
        sum_insured.aggregate_deductible_left(terms.annual_aggregate_deductible, losses),
    )


async def calculate(policy: TopUpPolicy, claim: TopUpClaim) -> tu_indemnity.TopUpIndemnity:
    """TU-C1 on the year's state now, with the terms of the loss's year (TU-C2). The
    premium does not change the amount owed (TU-P1 refuses the payment instead).

    Once paid, a claim is recalculated (TU-R1, a recovery after payment) on the year's
    remaining sum insured and aggregate deductible it was paid on: only its own
    recoveries change it, so it never rises above the payment and the refund is what the
    recovery takes off, not what later losses of the year consumed."""
    terms: TopUpTerms = top_up_terms.terms_for_year(policy, claim.insurance_year)
    limit = claim.limit_at_insolvency
    if limit is None:
        row = await TopUpLimit.get(policy_id=policy.id, buyer_key=claim.buyer_key)
        limit = limit_on(row, claim.insolvency_declared_on or claim.learned_of_insolvency_on)
    if claim.status == "PAID" and claim.sum_left_at_payment is not None:
        remaining = claim.sum_left_at_payment
        aggregate_left = claim.aggregate_left_at_payment or ZERO
    else:
        remaining, aggregate_left = await year_account(
            policy, claim.insurance_year, excluding=claim.id
        )
    return tu_indemnity.tu_indemnity(
        covered_loss=claim.covered_loss,
        top_up_limit=limit,
        remaining_sum_insured=remaining,
        recoveries_and_setoffs=claim.recoveries,
        per_loss_deductible=terms.per_loss_deductible,
        aggregate_deductible_remaining=aggregate_left,
        coverage_percent=terms.coverage_percent,
        first_layer_coverage_percent=terms.first_layer_coverage_percent,
        first_layer_final_indemnity=claim.first_layer_indemnity or ZERO,
    )


def limit_on(limit: TopUpLimit, day: date) -> Decimal:
    """TU-C1: the top-up limit of the loss is the one in force on the day of the
    insolvency (TU-E4), the last change decided on or before it; a later first-layer
    cancellation (usual after an insolvency) does not take the indemnity away. It is
    taken once, when the loss is notified (`TopUpClaim.limit_at_insolvency`): a decision
    recorded later, even one dated that same day, does not change it (LIFECYCLE 5a)."""
    in_force = ZERO
    for change in limit.history:
        if date.fromisoformat(change["decided_on"]) <= day:
            in_force = Decimal(change["top_up_limit"])
    return in_force


def lines_of(result: tu_indemnity.TopUpIndemnity) -> list[dict[str, Any]]:
    return [
        {"label": line.label, "amount": str(line.amount), "rule": line.rule}
        for line in result.lines
    ]
