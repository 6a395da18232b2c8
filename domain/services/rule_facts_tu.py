"""The consequences of TU facts (rules v2): TU-P5 rescission, a breach or exclusion
rejecting the named claim, TU-C3 payable-by date, TU-P3 notice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.rules import contract_terms
from domain.rules import rule_facts as rules
from domain.services import top_up
from domain.services.errors import DomainError, not_found
from domain.services.rule_fact_common import FactDraft, cause_of, notice
from domain.store.topup_models import TopUpClaim, TopUpPolicy

#: Claim statuses the insurer can still refuse to pay.
TU_OPEN = ("NOTIFIED", "INSURED_EVENT", "CALCULATED", "APPROVED")


async def apply_tu(
    policy: TopUpPolicy, spec: rules.Recordable, draft: FactDraft, now: datetime
) -> tuple[str | None, str | None, dict[str, Any]]:
    claim = None
    if draft.claim_id is not None:
        claim = await TopUpClaim.get_or_none(id=draft.claim_id, policy_id=policy.id)
        if claim is None:
            raise not_found("claim", draft.claim_id, ("input", "claimId"))
    if draft.limit_id is not None:
        raise DomainError("INVALID_INPUT", "TU facts name no WT limit.", ("input", "limitId"))
    cause = cause_of(spec, draft.note)
    if spec.consequence == rules.NOT_RENEWED:
        return None, *notice(policy.period_end, draft, contract_terms.TU_NOTICE_MONTHS)
    if spec.consequence == rules.INSOLVENCY_DECLARED and claim is not None:
        # TU-E4: deliveries declared from then on to this client meet the TU-E3 cut-off.
        return claim.buyer_key, rules.INSOLVENCY_DECLARED, {"buyer": claim.buyer_key}
    if spec.consequence == rules.PAYABLE_BY and claim is not None:
        payable_by = contract_terms.tu_payable_by(draft.occurred_on)
        return claim.buyer_key, rules.PAYABLE_BY, {"payableBy": payable_by.isoformat()}
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
