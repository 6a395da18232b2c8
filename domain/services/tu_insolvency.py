"""TU-E4 (004 art. 3.1.1): a client is insolvent from the date of the final court decision
declaring it, recorded as a TU-E4 fact on its claim (`recordRuleFact`); a delivery on or
after that date meets the TU-E3 cut-off even before the insured learned of it."""

from __future__ import annotations

from datetime import date

from domain.rules import rule_facts as rules
from domain.store.rule_fact_models import RuleFact


async def declared_insolvent_on(policy_id: str, buyer_key: str, on: date) -> bool:
    """Whether a TU-E4 declaration dated on or before `on` is recorded for the client."""
    return await RuleFact.filter(
        policy_id=policy_id,
        buyer_key=buyer_key,
        rule="TU-E4",
        consequence=rules.INSOLVENCY_DECLARED,
        occurred_on__lte=on,
    ).exists()
