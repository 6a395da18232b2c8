"""The consequences of WT facts (rules v2): WT-L9 voids the limit, its credits and its
claims; a breach or exclusion rejects the named claim; WT-P7 notice; WT-P6 study fees."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain.rules import contract_terms
from domain.rules import rule_facts as rules
from domain.services import policy_events, policy_sweep
from domain.services.errors import DomainError, not_found
from domain.services.rule_fact_common import FactDraft, cause_of, notice
from domain.store.policy_models import CreditLimit, Policy, PolicyClaim, Sale
from domain.store.rule_fact_models import RuleFact

#: Claim statuses the insurer can still refuse to pay.
WT_OPEN = ("DOCUMENTS_PENDING", "BELOW_THRESHOLD", "UNDER_REVIEW", "SUSPENDED", "APPROVED")
#: Limit versions that were (or are) in force, which WT-L9 voids.
WT_LIMIT_DECIDED = ("GRANTED", "REDUCED", "CANCELLED", "SUPERSEDED")


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


async def apply_wt(
    policy: Policy, spec: rules.Recordable, draft: FactDraft, now: datetime, actor: str
) -> tuple[str | None, str | None, dict[str, Any]]:
    claim = await _wt_claim(policy, draft.claim_id)
    limit = None
    if draft.limit_id is not None:
        limit = await CreditLimit.get_or_none(id=draft.limit_id, policy_id=policy.id)
        if limit is None:
            raise not_found("credit limit", draft.limit_id, ("input", "limitId"))
    buyer = limit.buyer_key if limit else claim.buyer_key if claim else None
    cause = cause_of(spec, draft.note)
    if spec.consequence == rules.NOT_RENEWED:
        return None, *notice(policy.period_end, draft, contract_terms.WT_NOTICE_MONTHS)
    if spec.consequence == rules.GOODS_REFUSED:
        late = contract_terms.goods_refusal_notice(draft.occurred_on, now.date())  # WT-C12
        if late is not None:
            raise DomainError(late.rule, late.message, late.field)
        return buyer, rules.GOODS_REFUSED, {"arrivedOn": draft.occurred_on.isoformat()}
    if spec.consequence == rules.STUDY_FEE_UNPAID:
        return None, *(await _study_fee(policy, draft))
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


async def _study_fee(policy: Policy, draft: FactDraft) -> tuple[str | None, dict[str, Any]]:
    """WT-P6: the first fact naming a study invoice records its issue, the next its
    payment; limits stop 30 days after the issue of one still unpaid."""
    earlier = [
        fact.consequence
        for fact in await RuleFact.filter(
            policy_id=policy.id, rule="WT-P6", document_id=draft.document_id
        )
    ]
    if rules.STUDY_FEE_PAID in earlier:
        raise DomainError(
            "INVALID_STATE",
            f"Invoice {draft.document_id} is already paid.",
            ("input", "documentId"),
        )
    if earlier:
        return rules.STUDY_FEE_PAID, {"documentId": draft.document_id}
    stops = contract_terms.study_fee_stops_limits_on(draft.occurred_on)
    return rules.STUDY_FEE_UNPAID, {
        "documentId": draft.document_id,
        "limitsStopOn": stops.isoformat(),
    }
