"""recordRuleFact, ruleFacts and setPolicyContractOptions: map inputs to the services."""

from __future__ import annotations

from typing import Any

import strawberry

from domain.services import policy_options, rule_facts
from domain.services.errors import DomainError
from domain.store.rule_fact_models import RuleFact as RuleFactRow
from resolvers.context import Info
from resolvers.errors import run_mutation
from resolvers.policies import policy_out
from schema import rule_fact_types as t


def fact_out(row: RuleFactRow) -> t.RuleFact:
    def opt(value: str | None) -> strawberry.ID | None:
        return strawberry.ID(value) if value else None

    return t.RuleFact(
        id=strawberry.ID(row.id),
        policy_id=strawberry.ID(row.policy_id),
        sequence=row.sequence,
        rule=row.rule,
        occurred_on=row.occurred_on,
        note=row.note,
        limit_id=opt(row.limit_id),
        claim_id=opt(row.claim_id),
        document_id=opt(row.document_id),
        buyer=row.buyer_key,
        consequence=row.consequence,
        actor=row.actor,
        recorded_at=row.created_at,
    )


async def record_rule_fact(info: Info, input: t.RecordRuleFactInput) -> t.RuleFactPayload:
    async def body() -> dict[str, Any]:
        draft = rule_facts.FactDraft(
            policy_id=str(input.policy_id),
            rule=input.rule,
            occurred_on=input.occurred_on,
            note=input.note,
            limit_id=str(input.limit_id) if input.limit_id else None,
            claim_id=str(input.claim_id) if input.claim_id else None,
            document_id=str(input.document_id) if input.document_id else None,
        )
        row = await rule_facts.record_rule_fact(info.context.principal, draft, info.context.now)
        return {"fact": fact_out(row)}

    return await run_mutation(info, t.RuleFactPayload, body)


async def rule_fact_list(info: Info, policy_id: strawberry.ID) -> list[t.RuleFact]:
    rows = await rule_facts.visible_facts(info.context.principal, str(policy_id))
    return [fact_out(row) for row in rows]


async def set_policy_contract_options(
    info: Info, input: t.SetPolicyContractOptionsInput
) -> t.PolicyContractOptionsPayload:
    async def body() -> dict[str, Any]:
        fee = input.claim_file_fee
        if fee is not None and fee.amount.as_tuple().exponent < -2:  # type: ignore[operator]
            raise DomainError(
                "INVALID_INPUT", "At most two decimals.", ("input", "claimFileFee", "amount")
            )
        row = await policy_options.set_policy_contract_options(
            info.context.principal,
            str(input.policy_id),
            info.context.now,
            political_risks_contracted=input.political_risks_contracted,
            claim_file_fee=fee.amount if fee is not None else None,
            claim_file_fee_currency=fee.currency if fee is not None else None,
        )
        return {"policy": await policy_out(row)}

    return await run_mutation(info, t.PolicyContractOptionsPayload, body)
