"""One way to record a fact the system cannot judge (`recordRuleFact`, rules v2): the
rule id is checked against the product's recordable ids (domain.rules.rule_facts), the
fact is stored with an event and a webhook in one transaction, and the consequence the
seed gives is applied by compare-and-set - WT-L9 voids the limit, TU-P5 rescinds the
contract, a breach or exclusion rejects the named claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from domain.rules import rule_facts as rules
from domain.services import policies, policy_events, policy_sweep, top_up
from domain.services.errors import DomainError, not_found
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.policy_models import CreditLimit, Policy, PolicyClaim, Sale
from domain.store.rule_fact_models import RuleFact
from domain.store.topup_models import TopUpClaim, TopUpPolicy

#: Claim statuses the insurer can still refuse to pay.
WT_OPEN = ("DOCUMENTS_PENDING", "BELOW_THRESHOLD", "UNDER_REVIEW", "SUSPENDED", "APPROVED")
TU_OPEN = ("NOTIFIED", "INSURED_EVENT", "CALCULATED", "APPROVED")
#: Limit versions that were (or are) in force, which WT-L9 voids.
WT_LIMIT_DECIDED = ("GRANTED", "REDUCED", "CANCELLED", "SUPERSEDED")
EVENT = "rule_fact.recorded"


@dataclass(frozen=True)
class FactDraft:
    policy_id: str
    rule: str
    occurred_on: date
    note: str
    limit_id: str | None = None
    claim_id: str | None = None
    document_id: str | None = None


async def _policy_of(
    principal: Principal, policy_id: str
) -> tuple[str, Policy | None, TopUpPolicy | None]:
    wt = await Policy.get_or_none(id=policy_id)
    tu = None if wt is not None else await TopUpPolicy.get_or_none(id=policy_id)
    row = wt or tu
    owner = None if row is None else str(row.partner_id)  # type: ignore[union-attr]
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
    )
    _refuse(found)
    assert spec is not None
    if draft.document_id is not None and not 0 < len(draft.document_id) <= 40:
        raise DomainError("INVALID_INPUT", "A document id of 1 to 40.", ("input", "documentId"))
    async with in_transaction():
        if wt is not None:
            buyer, consequence, data = await _apply_wt(wt, spec, draft, now, actor)
        else:
            assert tu is not None
            buyer, consequence, data = await _apply_tu(tu, spec, draft, now)
        fact = await RuleFact.create(
            id=new_id("rfa"),
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
        details = {
            "factId": fact.id,
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


def _cause(spec: rules.Recordable, note: str) -> str:
    return f"{spec.rule}: {spec.summary}. {note.strip()}"[:300]


async def _wt_claim(policy: Policy, claim_id: str | None) -> PolicyClaim | None:
    if claim_id is None:
        return None
    claim = await PolicyClaim.get_or_none(id=claim_id, policy_id=policy.id)
    if claim is None:
        raise not_found("claim", claim_id, ("input", "claimId"))
    return claim


async def _reject_wt(
    policy: Policy, claims: list[PolicyClaim], cause: str, rule: str, now: datetime, actor: str
) -> list[str]:
    """Rejects each claim still open, by compare-and-set on its status."""
    rejected: list[str] = []
    for claim in claims:
        if claim.status not in WT_OPEN:
            continue
        moved = await PolicyClaim.filter(id=claim.id, status=claim.status).update(
            status="REJECTED", rejection={"rule": rule, "message": cause}
        )
        if moved != 1:
            raise DomainError("INVALID_STATE", f"Claim {claim.id} changed meanwhile; retry.")
        await policy_sweep.void_claim_deadlines(policy.id, claim.id)
        await policy_events.record(
            policy,
            "claim.rejected",
            actor=actor,
            now=now,
            data={"claimId": claim.id, "cause": cause},
        )
        rejected.append(claim.id)
    return rejected


async def _apply_wt(
    policy: Policy, spec: rules.Recordable, draft: FactDraft, now: datetime, actor: str
) -> tuple[str | None, str | None, dict[str, Any]]:
    claim = await _wt_claim(policy, draft.claim_id)
    limit = None
    if draft.limit_id is not None:
        limit = await CreditLimit.get_or_none(id=draft.limit_id, policy_id=policy.id)
        if limit is None:
            raise not_found("credit limit", draft.limit_id, ("input", "limitId"))
    buyer = limit.buyer_key if limit else claim.buyer_key if claim else None
    cause = _cause(spec, draft.note)
    if spec.consequence == rules.LIMIT_VOID and limit is not None:
        voided, excluded = await _void_limit(policy, limit, cause)
        claims = await PolicyClaim.filter(policy_id=policy.id, buyer_key=limit.buyer_key)
        rejected = await _reject_wt(policy, list(claims), cause, spec.rule, now, actor)
        data = {"voidedLimitIds": voided, "excludedSales": excluded, "rejectedClaimIds": rejected}
        return buyer, rules.LIMIT_VOID, data
    if spec.consequence == rules.CLAIM_REJECTED and claim is not None:
        rejected = await _reject_wt(policy, [claim], cause, spec.rule, now, actor)
        return buyer, (rules.CLAIM_REJECTED if rejected else None), {"rejectedClaimIds": rejected}
    return buyer, None, {}


async def _void_limit(policy: Policy, limit: CreditLimit, cause: str) -> tuple[list[str], int]:
    """WT-L9: the named version and every later version of the buyer's limit never were
    in force (ends the day before it took effect), and the buyer's credits from then on
    are not covered."""
    if limit.status not in WT_LIMIT_DECIDED or limit.effective_from is None:
        raise DomainError(
            "INVALID_STATE",
            f"Limit {limit.id} is {limit.status}: only a granted limit is void.",
            ("input", "limitId"),
        )
    versions = await CreditLimit.filter(
        policy_id=policy.id,
        buyer_key=limit.buyer_key,
        status__in=WT_LIMIT_DECIDED,
        created_at__gte=limit.created_at,
    )
    voided: list[str] = []
    for row in versions:
        start = row.effective_from or limit.effective_from
        moved = await CreditLimit.filter(id=row.id, status=row.status).update(
            status="VOID", ends_on=start - timedelta(days=1)
        )
        if moved != 1:
            raise DomainError("INVALID_STATE", f"Limit {row.id} changed meanwhile; retry.")
        voided.append(row.id)
    excluded = await Sale.filter(
        policy_id=policy.id,
        buyer_key=limit.buyer_key,
        issue_date__gte=limit.effective_from,
        excluded_by__isnull=True,
    ).update(excluded_by="WT-L9", exclusion_reason=cause)
    return voided, excluded


async def _apply_tu(
    policy: TopUpPolicy, spec: rules.Recordable, draft: FactDraft, now: datetime
) -> tuple[str | None, str | None, dict[str, Any]]:
    claim = None
    if draft.claim_id is not None:
        claim = await TopUpClaim.get_or_none(id=draft.claim_id, policy_id=policy.id)
        if claim is None:
            raise not_found("claim", draft.claim_id, ("input", "claimId"))
    if draft.limit_id is not None:
        raise DomainError("INVALID_INPUT", "TU facts name no WT limit.", ("input", "limitId"))
    cause = _cause(spec, draft.note)
    if spec.consequence == rules.CONTRACT_RESCINDED:
        moved = await TopUpPolicy.filter(id=policy.id, rescinded_on__isnull=True).update(
            rescinded_on=draft.occurred_on
        )
        if moved != 1:
            raise DomainError(
                "INVALID_STATE", f"Policy {policy.id} is already rescinded.", ("input", "policyId")
            )
        claims = list(await TopUpClaim.filter(policy_id=policy.id))
        rejected = await _reject_tu(policy, claims, cause, spec.rule, now)
        refunds = await _refund_paid(claims)
        data = {"rejectedClaimIds": rejected, "refundClaimIds": refunds}
        return None, rules.CONTRACT_RESCINDED, data
    if spec.consequence == rules.CLAIM_REJECTED and claim is not None:
        rejected = await _reject_tu(policy, [claim], cause, spec.rule, now)
        consequence = rules.CLAIM_REJECTED if rejected else None
        return claim.buyer_key, consequence, {"rejectedClaimIds": rejected}
    return (claim.buyer_key if claim else None), None, {}


async def _reject_tu(
    policy: TopUpPolicy, claims: list[TopUpClaim], cause: str, rule: str, now: datetime
) -> list[str]:
    rejected: list[str] = []
    for claim in claims:
        if claim.status not in TU_OPEN:
            continue
        moved = await TopUpClaim.filter(id=claim.id, status=claim.status).update(
            status="REJECTED", rejection={"rule": rule, "message": cause}
        )
        if moved != 1:
            raise DomainError("INVALID_STATE", f"Claim {claim.id} changed meanwhile; retry.")
        await top_up.emit(policy, "claim.rejected", now, {"claimId": claim.id, "cause": cause})
        rejected.append(claim.id)
    return rejected


async def _refund_paid(claims: list[TopUpClaim]) -> list[str]:
    """TU-P5: the insured refunds every indemnity paid."""
    refunds: list[str] = []
    for claim in claims:
        if claim.status != "PAID" or claim.paid_amount <= 0:
            continue
        moved = await TopUpClaim.filter(
            id=claim.id, status="PAID", paid_amount=claim.paid_amount
        ).update(refund_due=claim.paid_amount)
        if moved != 1:
            raise DomainError("INVALID_STATE", f"Claim {claim.id} changed meanwhile; retry.")
        refunds.append(claim.id)
    return refunds


async def visible_facts(principal: Principal, policy_id: str) -> list[RuleFact]:
    """The facts recorded on a policy the caller may see, oldest first ([] otherwise)."""
    query = RuleFact.filter(policy_id=policy_id)
    if not principal.is_staff:
        query = query.filter(partner_id=principal.partner_id)
    return await query.order_by("created_at", "id")
