"""WT-P6 (003 art. 4.2 e): limits stop 30 days after the issue date of a buyer study
invoice still unpaid. Study invoices are recorded as WT-P6 facts (`recordRuleFact`
with the invoice as `documentId`: the first fact is its issue, the next its payment)."""

from __future__ import annotations

from datetime import date

from domain.rules import contract_terms
from domain.rules import rule_facts as rules
from domain.services.errors import DomainError
from domain.store.rule_fact_models import RuleFact


async def unpaid_study_fees(policy_id: str) -> list[date]:
    """The issue dates of the study invoices recorded and not paid yet."""
    facts = await RuleFact.filter(policy_id=policy_id, rule="WT-P6")
    paid = {f.document_id for f in facts if f.consequence == rules.STUDY_FEE_PAID}
    return [
        f.occurred_on
        for f in facts
        if f.consequence == rules.STUDY_FEE_UNPAID and f.document_id not in paid
    ]


async def refuse_if_limits_stopped(policy_id: str, today: date) -> None:
    """WT-P6: no limit is studied or issued while such an invoice is 30 days unpaid."""
    stopped = contract_terms.limits_stopped(await unpaid_study_fees(policy_id), today)
    if stopped is not None:
        raise DomainError(stopped.rule, stopped.message, stopped.field)
