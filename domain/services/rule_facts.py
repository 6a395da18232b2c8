"""One way to record a fact the system cannot judge (`recordRuleFact`, rules v2): the
rule id is checked against the product's recordable ids (domain.rules.rule_facts), the
fact is stored with an event and a webhook in one transaction, and the consequence the
seed gives is applied by compare-and-set - WT-L9 voids the limit, TU-P5 rescinds the
contract, a breach or exclusion rejects the named claim."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.rules import rule_facts as rules
from domain.services import (
    event_sequence,
    policies,
    policy_events,
    rule_facts_tu,
    rule_facts_wt,
    top_up,
)
from domain.services.errors import DomainError, not_found
from domain.services.principals import Principal
from domain.services.rule_fact_common import FactDraft
from domain.store.ids import new_id
from domain.store.policy_models import Policy
from domain.store.rule_fact_models import RuleFact
from domain.store.topup_models import TopUpPolicy

__all__ = ["EVENT", "FactDraft", "record_rule_fact", "visible_facts"]

EVENT = "rule_fact.recorded"


async def _policy_of(
    principal: Principal, policy_id: str
) -> tuple[str, Policy | None, TopUpPolicy | None]:
    wt = await Policy.get_or_none(id=policy_id)
    tu = None if wt is not None else await TopUpPolicy.get_or_none(id=policy_id)
    row = wt or tu
    owner = None if row is None else str(row.partner_id)
    if owner is None or (not principal.is_staff and owner != principal.partner_id):
        raise not_found("policy", policy_id, ("input", "policyId"))
    return (rules.WHOLE_TURNOVER if wt else rules.TOP_UP), wt, tu


def _refuse(found: list[Any]) -> None:
    if found:
        raise DomainError(found[0].rule, found[0].message, found[0].field)


async def record_rule_fact(principal: Principal, draft: FactDraft, real_now: datetime) -> RuleFact:
    """Staff (and, for information the insured gives, the partner) record a fact."""
    product, wt, tu = await _policy_of(principal, draft.policy_id)
    if wt is not None:
        now = await policies.policy_now(wt, real_now)
        actor = policies.actor_of(principal)
    else:
        assert tu is not None
        now = await top_up.policy_now(tu, real_now)
        actor = top_up.actor_of(principal)
    spec, found = rules.check_fact(
        product,
        draft.rule,
        by_staff=principal.is_staff,
        occurred_on=draft.occurred_on,
        today=now.date(),
        note=draft.note,
        has_limit=draft.limit_id is not None,
        has_claim=draft.claim_id is not None,
        has_document=draft.document_id is not None,
    )
    _refuse(found)
    assert spec is not None
    if draft.document_id is not None and not 0 < len(draft.document_id) <= 40:
        raise DomainError("INVALID_INPUT", "A document id of 1 to 40.", ("input", "documentId"))
    # LIFECYCLE 5a: a WT policy's row first; a top-up policy has no event sequence.
    transaction = event_sequence.policy_transaction(wt.id) if wt is not None else in_transaction()
    async with transaction:
        if wt is not None:
            buyer, consequence, data = await rule_facts_wt.apply_wt(wt, spec, draft, now, actor)
        else:
            assert tu is not None
            buyer, consequence, data = await rule_facts_tu.apply_tu(tu, spec, draft, now)
        # LIFECYCLE 5a: the order of facts is their sequence per policy; a concurrent fact
        # taking the same number makes this one retry (unique per policy).
        sequence = await RuleFact.filter(policy_id=draft.policy_id).count() + 1
        try:
            fact = await RuleFact.create(
                id=new_id("rfa"),
                sequence=sequence,
                partner_id=(wt or tu).partner_id,  # type: ignore[union-attr]
                product=product,
                policy_id=draft.policy_id,
                limit_id=draft.limit_id,
                claim_id=draft.claim_id,
                buyer_key=buyer,
                rule=spec.rule,
                occurred_on=draft.occurred_on,
                note=draft.note.strip(),
                document_id=draft.document_id,
                consequence=consequence,
                actor=actor,
                created_at=now,
            )
        except IntegrityError as clash:
            raise DomainError(
                "INVALID_STATE", "Another fact was recorded on the policy meanwhile; retry."
            ) from clash
        details = {
            "factId": fact.id,
            "sequence": fact.sequence,
            "rule": spec.rule,
            "occurredOn": draft.occurred_on.isoformat(),
            "consequence": consequence,
            "limitId": draft.limit_id,
            "claimId": draft.claim_id,
            **data,
        }
        if wt is not None:
            await policy_events.record(wt, EVENT, actor=actor, now=now, data=details)
        else:
            assert tu is not None
            await top_up.emit(tu, EVENT, now, details)
    return fact


async def visible_facts(principal: Principal, policy_id: str) -> list[RuleFact]:
    """The facts recorded on a policy the caller may see, oldest first ([] otherwise)."""
    query = RuleFact.filter(policy_id=policy_id)
    if not principal.is_staff:
        query = query.filter(partner_id=principal.partner_id)
    return await query.order_by("sequence")
