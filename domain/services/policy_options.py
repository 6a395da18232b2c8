"""Staff set two contract options of a WT policy that the buyer scope and the claim file
read: political and extraordinary risks contracted by express agreement (C-1, 003 art.
1.2.2, 1.3 b) and the claim-file fee (WT-P5, 003 art. 6 c)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from domain.rules.money import round_cents
from domain.services import event_sequence, policies, policy_events
from domain.services.errors import DomainError
from domain.services.principals import Principal
from domain.store.policy_models import Policy


async def set_policy_contract_options(
    principal: Principal,
    policy_id: str,
    real_now: datetime,
    *,
    political_risks_contracted: bool | None = None,
    claim_file_fee: Decimal | None = None,
    claim_file_fee_currency: str | None = None,
) -> Policy:
    policy = await policies.staff_policy(principal, policy_id)
    if claim_file_fee_currency is not None and (
        claim_file_fee_currency.strip().upper() != policy.currency
    ):
        raise DomainError(
            "INVALID_INPUT",
            f"In the policy currency {policy.currency}.",
            ("input", "claimFileFee", "currency"),
        )
    changes: dict[str, object] = {}
    if political_risks_contracted is not None:
        changes["political_risks_contracted"] = political_risks_contracted
    if claim_file_fee is not None:
        if claim_file_fee < 0:
            raise DomainError(
                "INVALID_INPUT", "The fee is not negative.", ("input", "claimFileFee")
            )
        changes["claim_file_fee"] = round_cents(claim_file_fee)
    if not changes:
        return policy
    now = await policies.policy_now(policy, real_now)
    async with event_sequence.policy_transaction(policy.id):
        await Policy.filter(id=policy.id).update(**changes)
        await policy.refresh_from_db()
        await policy_events.record(
            policy,
            "policy.options_set",
            actor=policies.actor_of(principal),
            now=now,
            data={
                "politicalRisksContracted": policy.political_risks_contracted,
                "claimFileFee": str(policy.claim_file_fee),
                "rules": ["C-1", "WT-P5"],
            },
            webhook=False,
        )
    return policy
