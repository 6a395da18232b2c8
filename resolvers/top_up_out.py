"""Top-up rows to the schema's types (TU rules)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from domain.rules.tu import premium as tu_premium
from domain.services import top_up, top_up_claims
from domain.store import topup_models as rows
from resolvers.covers import _company
from resolvers.mappers import money_or_zero
from schema import topup_types as t
from schema.cover_types import IndemnityLine
from schema.types import RuleViolation


async def policy_out(row: rows.TopUpPolicy) -> t.TopUpPolicy:
    currency = row.currency
    remaining, _ = await top_up_claims.year_account(row, 0)
    ending = None
    if row.ending:
        ending = t.TopUpPolicyEnding(
            rule=row.ending["rule"],
            reason=row.ending["reason"],
            refund=money_or_zero(Decimal(row.ending.get("refund", "0")), currency),
            due_now=money_or_zero(Decimal(row.ending.get("due_now", "0")), currency),
        )
    learned = row.new_first_layer_contract_on
    return t.TopUpPolicy(
        id=strawberry.ID(row.id),
        insured=_company(row.insured),
        first_layer_insurer=row.first_layer_insurer,
        first_layer_policy=row.first_layer_policy,
        currency=currency,
        period_start=row.period_start,
        period_end=row.period_end,
        coverage_percent=row.coverage_percent,
        first_layer_coverage_percent=row.first_layer_coverage_percent,
        per_loss_deductible=money_or_zero(row.per_loss_deductible, currency),
        annual_aggregate_deductible=money_or_zero(row.annual_aggregate_deductible, currency),
        annual_sum_insured=money_or_zero(row.annual_sum_insured, currency),
        remaining_sum_insured=money_or_zero(remaining, currency),
        pni_threshold=money_or_zero(row.pni_threshold, currency),
        max_payment_term_days=row.max_payment_term_days,
        supply_cutoff_days=row.supply_cutoff_days,
        covered_countries=list(row.covered_countries),
        minimum_premium=money_or_zero(row.minimum_premium, currency),
        premium_paid_on=row.premium_paid_on,
        status=row.status,
        signed_on=row.signed_on,
        premium_due_on=tu_premium.premium_due_on(row.premium_receipt_on)
        if row.premium_receipt_on
        else None,
        premium_paid=money_or_zero(row.premium_paid_total, currency),
        new_first_layer_contract_on=learned,
        rescind_by=tu_premium.rescission_deadline(learned) if learned else None,
        ended_on=row.ended_on,
        ending=ending,
        rescinded_on=row.rescinded_on,  # TU-P5
    )


def limit_out(
    row: rows.TopUpLimit, currency: str, policy: rows.TopUpPolicy | None = None
) -> t.TopUpLimit:
    excluded = top_up.client_excluded(policy, row) if policy is not None else None
    return t.TopUpLimit(
        further_reductions_expected=row.further_reductions_expected,
        client_excluded=RuleViolation(rule=excluded.rule, message=excluded.message)
        if excluded
        else None,
        id=strawberry.ID(row.id),
        buyer=_company(row.buyer),
        requested=money_or_zero(row.requested, currency),
        first_layer_granted=money_or_zero(row.first_layer_granted, currency),
        top_up_limit=money_or_zero(row.top_up_limit, currency),
        zero_locked=row.zero_locked,
        recompute_on=row.recompute_on,
        history=[
            t.TopUpLimitChange(
                decided_on=date.fromisoformat(h["decided_on"]),
                first_layer_granted=money_or_zero(Decimal(h["first_layer_granted"]), currency),
                top_up_limit=money_or_zero(Decimal(h["top_up_limit"]), currency),
                cause=h["cause"],
            )
            for h in row.history
        ],
    )


def delivery_out(row: rows.TopUpDelivery, currency: str) -> t.TopUpDelivery:
    return t.TopUpDelivery(
        buyer=row.buyer_key,
        invoice_number=row.invoice_number,
        delivered_on=row.delivered_on,
        invoiced_on=row.invoiced_on,
        due_date=row.due_date,
        amount=money_or_zero(row.amount, currency),
        limit_at_delivery=money_or_zero(row.limit_at_delivery, currency),
        insured=row.insured,
        violations=[RuleViolation(rule=v["rule"], message=v["message"]) for v in row.violations],
    )


async def claim_out(row: rows.TopUpClaim) -> t.TopUpClaim:
    policy = await rows.TopUpPolicy.get(id=row.policy_id)
    currency = policy.currency
    indemnity = None
    if row.indemnity_amount is not None:
        indemnity = t.TopUpIndemnity(
            amount=money_or_zero(row.indemnity_amount, currency),
            lines=[
                IndemnityLine(
                    label=line["label"],
                    amount=money_or_zero(Decimal(line["amount"]), currency),
                    rule=line.get("rule"),
                )
                for line in row.indemnity_lines or []
            ],
            aggregate_deductible_used=money_or_zero(row.aggregate_deductible_used, currency),
        )
    return t.TopUpClaim(
        id=strawberry.ID(row.id),
        policy_id=strawberry.ID(policy.id),
        buyer=row.buyer_key,
        status=row.status,
        learned_of_insolvency_on=row.learned_of_insolvency_on,
        notified_on=row.notified_on,
        insurance_year=row.insurance_year,
        covered_loss=money_or_zero(row.covered_loss, currency),
        first_layer_paid_on=row.first_layer_paid_on,
        first_layer_indemnity=money_or_zero(row.first_layer_indemnity, currency)
        if row.first_layer_indemnity is not None
        else None,
        recoveries=money_or_zero(row.recoveries, currency),
        indemnity=indemnity,
        paid_amount=money_or_zero(row.paid_amount, currency),
        paid_on=row.paid_on,
        refund_due=money_or_zero(row.refund_due, currency),
        rejection=RuleViolation(rule=row.rejection["rule"], message=row.rejection["message"])
        if row.rejection
        else None,
    )
