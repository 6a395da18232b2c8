"""Top-up policy operations (TU rules): GraphQL inputs to the top-up services; the rows
go out through resolvers.top_up_out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry

from domain.rules.tu.clients import EarlierInvoice
from domain.services import top_up, top_up_claims, top_up_contract, top_up_deliveries, top_up_terms
from domain.services.buyer_credits import buyer_key_of
from domain.services.errors import DomainError
from domain.store import topup_models as rows
from resolvers.context import Info
from resolvers.errors import run_mutation
from resolvers.policies import _company_dict
from resolvers.top_up_out import claim_out, delivery_out, limit_out, policy_out
from schema import topup_types as t

__all__ = ["claim_out", "delivery_out", "limit_out", "policy_out"]

# Queries


async def top_up_policy(info: Info, id: strawberry.ID) -> t.TopUpPolicy | None:
    row = await top_up.visible_policy(info.context.principal, str(id))
    return await policy_out(row) if row else None


async def top_up_limits(info: Info, policy_id: strawberry.ID) -> list[t.TopUpLimit]:
    row = await top_up.visible_policy(info.context.principal, str(policy_id))
    if row is None:
        return []
    found = await rows.TopUpLimit.filter(policy_id=row.id).order_by("buyer_key")
    return [limit_out(r, row.currency, row) for r in found]


async def top_up_claim(info: Info, id: strawberry.ID) -> t.TopUpClaim | None:
    row = await top_up_claims.visible_claim(info.context.principal, str(id))
    return await claim_out(row) if row else None


# Mutations


def _same_currency(currency: str, **amounts: Any) -> None:
    for name, money in amounts.items():
        if money is not None and money.currency.strip().upper() != currency:
            raise DomainError(
                "INVALID_INPUT", f"In the policy currency {currency}.", ("input", name)
            )


def _amount(money: Any) -> Decimal | None:
    return None if money is None else money.amount


async def create_top_up_policy(info: Info, input: t.CreateTopUpPolicyInput) -> t.TopUpPolicyPayload:
    async def body() -> dict[str, Any]:
        currency = input.currency.strip().upper()
        draft = top_up.TopUpDraft(
            insured=_company_dict(input.insured),
            first_layer_insurer=input.first_layer_insurer.strip(),
            first_layer_policy=input.first_layer_policy.strip(),
            currency=currency,
            period_start=input.period_start,
            period_end=input.period_end,
            first_layer_coverage_percent=input.first_layer_coverage_percent,
            first_layer_invoicing_days=input.first_layer_invoicing_days,
            test_clock_id=str(input.test_clock_id) if input.test_clock_id else None,
            signed_on=input.signed_on,
            # Deprecated: the insurer's terms; a partner sending one is refused.
            coverage_percent=input.coverage_percent,
            per_loss_deductible=_amount(input.per_loss_deductible),
            annual_aggregate_deductible=_amount(input.annual_aggregate_deductible),
            annual_sum_insured=_amount(input.annual_sum_insured),
            pni_threshold=_amount(input.pni_threshold),
            max_payment_term_days=input.max_payment_term_days,
            supply_cutoff_days=input.supply_cutoff_days,
            covered_countries=tuple(input.covered_countries)
            if input.covered_countries is not None
            else None,
            minimum_premium=_amount(input.minimum_premium),
        )
        row = await top_up_contract.create_top_up_policy(
            info.context.principal, draft, info.context.now
        )
        return {"policy": await policy_out(row)}

    return await run_mutation(info, t.TopUpPolicyPayload, body)


async def set_top_up_policy_terms(
    info: Info, input: t.SetTopUpPolicyTermsInput
) -> t.TopUpPolicyPayload:
    async def body() -> dict[str, Any]:
        policy = await top_up.visible_policy(info.context.principal, str(input.policy_id))
        if policy is not None:
            _same_currency(
                policy.currency,
                perLossDeductible=input.per_loss_deductible,
                annualAggregateDeductible=input.annual_aggregate_deductible,
                annualSumInsured=input.annual_sum_insured,
                pniThreshold=input.pni_threshold,
                minimumPremium=input.minimum_premium,
            )
        given = {
            "coverage_percent": input.coverage_percent,
            "per_loss_deductible": _amount(input.per_loss_deductible),
            "annual_aggregate_deductible": _amount(input.annual_aggregate_deductible),
            "annual_sum_insured": _amount(input.annual_sum_insured),
            "pni_threshold": _amount(input.pni_threshold),
            "max_payment_term_days": input.max_payment_term_days,
            "supply_cutoff_days": input.supply_cutoff_days,
            "covered_countries": input.covered_countries,
            "minimum_premium": _amount(input.minimum_premium),
        }
        row = await top_up_terms.set_top_up_policy_terms(
            info.context.principal,
            str(input.policy_id),
            {k: v for k, v in given.items() if v is not None},
            input.from_year,
            info.context.now,
        )
        return {"policy": await policy_out(row)}

    return await run_mutation(info, t.TopUpPolicyPayload, body)


async def record_top_up_premium(
    info: Info, input: t.RecordTopUpPremiumInput
) -> t.TopUpPolicyPayload:
    async def body() -> dict[str, Any]:
        policy = await top_up.visible_policy(info.context.principal, str(input.policy_id))
        if policy is not None:
            _same_currency(policy.currency, amount=input.amount)
        row = await top_up_contract.record_premium(
            info.context.principal,
            str(input.policy_id),
            input.paid_on,
            info.context.now,
            amount=_amount(input.amount),
        )
        return {"policy": await policy_out(row)}

    return await run_mutation(info, t.TopUpPolicyPayload, body)


async def record_first_layer_contract(
    info: Info, input: t.RecordFirstLayerContractInput
) -> t.TopUpPolicyPayload:
    async def body() -> dict[str, Any]:
        row = await top_up_contract.record_first_layer_contract(
            info.context.principal,
            str(input.policy_id),
            ended=input.ended,
            on=input.on,
            real_now=info.context.now,
        )
        return {"policy": await policy_out(row)}

    return await run_mutation(info, t.TopUpPolicyPayload, body)


async def rescind_top_up_policy(
    info: Info, input: t.RescindTopUpPolicyInput
) -> t.TopUpPolicyPayload:
    async def body() -> dict[str, Any]:
        row = await top_up_contract.rescind_top_up_policy(
            info.context.principal, str(input.policy_id), input.rescinded_on, info.context.now
        )
        return {"policy": await policy_out(row)}

    return await run_mutation(info, t.TopUpPolicyPayload, body)


async def record_first_layer_decision(
    info: Info, input: t.RecordFirstLayerDecisionInput
) -> t.TopUpLimitPayload:
    async def body() -> dict[str, Any]:
        policy = await top_up.partner_policy(info.context.principal, str(input.policy_id))
        _same_currency(
            policy.currency,
            requested=input.requested,
            granted=input.granted,
            temporary=input.temporary,
            otherInsurance=input.other_insurance,
        )
        history = None
        if input.client_history is not None:
            history = [
                EarlierInvoice(i.original_due_date, i.paid_on, i.disputed)
                for i in input.client_history
            ]
        row = await top_up.record_first_layer_decision(
            info.context.principal,
            policy.id,
            _company_dict(input.buyer),
            input.requested.amount,
            input.granted.amount,
            input.decided_on,
            info.context.now,
            temporary=_amount(input.temporary) or Decimal("0.00"),
            other_insurance=_amount(input.other_insurance) or Decimal("0.00"),
            further_reductions_expected=input.further_reductions_expected,
            client_history=history,
        )
        return {"limit": limit_out(row, policy.currency, policy)}

    return await run_mutation(info, t.TopUpLimitPayload, body)


async def declare_deliveries(info: Info, input: t.DeclareDeliveriesInput) -> t.DeliveriesPayload:
    async def body() -> dict[str, Any]:
        policy = await top_up.partner_policy(info.context.principal, str(input.policy_id))
        lines = []
        for n, d in enumerate(input.deliveries):
            _same_currency(policy.currency, **{f"deliveries.{n}.amount": d.amount})
            lines.append(
                top_up_deliveries.DeliveryLine(
                    buyer_key=buyer_key_of(d.buyer.country, d.buyer.registration_number),
                    invoice_number=d.invoice_number.strip(),
                    delivered_on=d.delivered_on,
                    invoiced_on=d.invoiced_on,
                    due_date=d.due_date,
                    amount=d.amount.amount,
                    paid_on=d.paid_on,
                    threat_of_loss_known=d.threat_of_loss_known,
                )
            )
        found = await top_up_deliveries.declare_deliveries(
            info.context.principal, policy.id, lines, info.context.now
        )
        return {"deliveries": [delivery_out(r, policy.currency) for r in found]}

    return await run_mutation(info, t.DeliveriesPayload, body)


async def notify_insolvency(info: Info, input: t.NotifyInsolvencyInput) -> t.TopUpClaimPayload:
    async def body() -> dict[str, Any]:
        row = await top_up_claims.notify_insolvency(
            info.context.principal,
            str(input.policy_id),
            buyer_key_of(input.buyer.country, input.buyer.registration_number),
            input.learned_on,
            input.covered_loss.amount,
            input.first_unpaid_invoice_date,
            input.admitted_in_proceedings,
            info.context.now,
            insolvency_declared_on=input.insolvency_declared_on,
        )
        return {"claim": await claim_out(row)}

    return await run_mutation(info, t.TopUpClaimPayload, body)


async def record_first_layer_indemnity(
    info: Info, input: t.RecordFirstLayerIndemnityInput
) -> t.TopUpClaimPayload:
    async def body() -> dict[str, Any]:
        row = await top_up_claims.record_first_layer_indemnity(
            info.context.principal,
            str(input.claim_id),
            input.paid_on,
            input.amount.amount,
            input.owed,
            info.context.now,
        )
        return {"claim": await claim_out(row)}

    return await run_mutation(info, t.TopUpClaimPayload, body)


async def decide_top_up_claim(info: Info, input: t.DecideTopUpClaimInput) -> t.TopUpClaimPayload:
    async def body() -> dict[str, Any]:
        row = await top_up_claims.decide_top_up_claim(
            info.context.principal,
            str(input.claim_id),
            input.approve,
            input.paid_on,
            input.reason,
            info.context.now,
        )
        return {"claim": await claim_out(row)}

    return await run_mutation(info, t.TopUpClaimPayload, body)


async def record_top_up_recovery(
    info: Info, input: t.RecordTopUpRecoveryInput
) -> t.TopUpClaimPayload:
    async def body() -> dict[str, Any]:
        row = await top_up_claims.record_recovery(
            info.context.principal,
            str(input.claim_id),
            input.amount.amount,
            input.received_on,
            input.attributable,
            info.context.now,
        )
        return {"claim": await claim_out(row)}

    return await run_mutation(info, t.TopUpClaimPayload, body)
