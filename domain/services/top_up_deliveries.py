"""Declared deliveries of a top-up policy: each insured or not, with every rule that keeps
it out (TU-E1, TU-E3, TU-E7, TU-P1, TU-P4)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from tortoise.transactions import in_transaction

from domain.rules.money import round_cents
from domain.rules.tu import eligibility as tu_eligibility
from domain.rules.tu import premium as tu_premium
from domain.services import top_up, tu_insolvency
from domain.services.errors import DomainError
from domain.services.principals import Principal
from domain.services.top_up import DeliveryLine
from domain.store.ids import new_id
from domain.store.topup_models import TopUpClaim, TopUpDelivery, TopUpLimit

__all__ = ["DeliveryLine", "declare_deliveries"]


async def _overdue_days(policy_id: str, buyer_key: str, on: date) -> int:
    """The most days one of the buyer's deliveries was overdue and unpaid on `on`."""
    worst = 0
    for row in await TopUpDelivery.filter(policy_id=policy_id, buyer_key=buyer_key):
        if row.due_date < on and (row.paid_on is None or row.paid_on > on):
            worst = max(worst, (on - row.due_date).days)
    return worst


async def declare_deliveries(
    principal: Principal, policy_id: str, lines: list[DeliveryLine], real_now: datetime
) -> list[TopUpDelivery]:
    """Each delivery is insured or not, with the rules that keep it out: TU-E1, TU-E3 on
    the terms of the delivery's insurance year, TU-P1 (before the contract is in force),
    TU-P4 (after it ended) and TU-E7 (a client overdue at signing)."""
    policy = await top_up.partner_policy(principal, policy_id)
    now = await top_up.policy_now(policy, real_now)
    created: list[TopUpDelivery] = []
    async with in_transaction():
        for n, line in enumerate(lines):
            if line.buyer_key.split(":")[0] not in policy.covered_countries:
                raise DomainError(
                    "TU-E6",
                    f"The buyer's country is not covered ({', '.join(policy.covered_countries)}).",
                    ("input", "deliveries", str(n), "buyer"),
                )
            if await TopUpDelivery.filter(
                policy_id=policy.id, buyer_key=line.buyer_key, invoice_number=line.invoice_number
            ).exists():
                raise DomainError(
                    "DUPLICATE_INVOICE",
                    f"Invoice {line.invoice_number} is already declared.",
                    ("input", "deliveries", str(n), "invoiceNumber"),
                )
            limit = await TopUpLimit.filter(policy_id=policy.id, buyer_key=line.buyer_key).first()
            in_force = Decimal("0.00") if limit is None else limit.top_up_limit
            insolvent = await TopUpClaim.filter(
                policy_id=policy.id,
                buyer_key=line.buyer_key,
                learned_of_insolvency_on__lte=line.delivered_on,
            ).exists() or await tu_insolvency.declared_insolvent_on(  # TU-E4
                policy.id, line.buyer_key, line.delivered_on
            )
            year = (
                tu_eligibility.insurance_year_of(line.delivered_on, policy.period_start)
                if line.delivered_on >= policy.period_start
                else 0
            )
            violations = tu_eligibility.check_delivery(
                top_up.terms_for_year(policy, year),
                line.delivered_on,
                line.invoiced_on,
                line.due_date,
                line.amount,
                in_force,
                await _overdue_days(policy.id, line.buyer_key, line.delivered_on),
                insolvent,
                line.threat_of_loss_known,
            )
            violations += [
                v
                for v in (
                    tu_premium.delivery_before_in_force(policy.premium_paid_on, line.delivered_on),
                    tu_premium.delivery_after_end(policy.ended_on, line.delivered_on),
                    None if limit is None else top_up.client_excluded(policy, limit),
                )
                if v is not None
            ]
            created.append(
                await TopUpDelivery.create(
                    id=new_id("tud"),
                    policy_id=policy.id,
                    buyer_key=line.buyer_key,
                    invoice_number=line.invoice_number,
                    delivered_on=line.delivered_on,
                    invoiced_on=line.invoiced_on,
                    due_date=line.due_date,
                    amount=round_cents(line.amount),
                    limit_at_delivery=in_force,
                    insured=not violations,
                    violations=[{"rule": v.rule, "message": v.message} for v in violations],
                    paid_on=line.paid_on,
                    created_at=now,
                )
            )
    return created
