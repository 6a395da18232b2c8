"""A top-up contract's life (TU-P1, TU-P4, insurer terms): signed on creation with the
product's default terms, in force once the annual minimum premium is received, ended
automatically when the insured has no first-layer contract left, or rescinded by the
insurer within a month of learning of a new first-layer contract.

SIGNED -> IN_FORCE -> ENDED | RESCINDED (domain.rules.tu.premium.TRANSITIONS), each move a
compare-and-set on the status with a `top_up_policy.changed` webhook in its transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from tortoise.transactions import in_transaction

from domain.rules.money import round_cents
from domain.rules.tu import eligibility as tu_eligibility
from domain.rules.tu import premium as tu_premium
from domain.rules.tu.terms import INSURER_TERMS
from domain.services import top_up, top_up_terms
from domain.services.clocks import clock_for_request
from domain.services.errors import DomainError, InvalidInput, not_found
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.topup_models import TopUpClaim, TopUpPolicy

ZERO = Decimal("0.00")
TERMS_SET_BY_INSURER = "TERMS_SET_BY_INSURER"


def _check_draft(draft: top_up.TopUpDraft) -> None:
    problems: list[tuple[str, tuple[str, ...]]] = []
    if draft.period_end <= draft.period_start:
        problems.append(("The period ends after it starts.", ("input", "periodEnd")))
    if not Decimal(0) < draft.first_layer_coverage_percent <= 100:
        problems.append(("In (0, 100].", ("input", "firstLayerCoveragePercent")))
    if draft.first_layer_invoicing_days is not None and draft.first_layer_invoicing_days <= 0:
        problems.append(("Must be positive.", ("input", "firstLayerInvoicingDays")))
    if problems:
        raise InvalidInput(problems)


async def create_top_up_policy(
    principal: Principal, draft: top_up.TopUpDraft, real_now: datetime
) -> TopUpPolicy:
    """A partner requests a policy; it starts SIGNED with the product's default terms.
    A term in the draft is refused with TERMS_SET_BY_INSURER on its field: staff set
    terms (top_up_terms.set_top_up_policy_terms)."""
    if principal.partner_id is None:
        raise DomainError("FORBIDDEN", "Policies are created by partner keys.")
    given = [name for name in INSURER_TERMS if getattr(draft, name) is not None]
    if given:
        raise DomainError(
            TERMS_SET_BY_INSURER,
            "The policy's terms are set by the insurer, not in the request.",
            ("input", top_up_terms.FIELD_NAMES[given[0]]),
        )
    _check_draft(draft)
    clock = await clock_for_request(principal, draft.test_clock_id, ("input", "testClockId"))
    now = clock.frozen_time if clock else real_now
    terms = top_up_terms.default_terms(
        draft.first_layer_coverage_percent, str(draft.insured.get("country", ""))
    )
    signed_on = draft.signed_on or now.date()
    return await TopUpPolicy.create(
        id=new_id("tup"),
        partner_id=principal.partner_id,
        insured=draft.insured,
        first_layer_insurer=draft.first_layer_insurer,
        first_layer_policy=draft.first_layer_policy,
        currency=draft.currency,
        period_start=draft.period_start,
        period_end=draft.period_end,
        first_layer_coverage_percent=draft.first_layer_coverage_percent,
        first_layer_invoicing_days=draft.first_layer_invoicing_days,
        test_clock_id=clock.id if clock else None,
        created_at=now,
        status=tu_premium.SIGNED,
        signed_on=signed_on,
        premium_receipt_on=signed_on,
        **terms,
    )


async def _move(
    policy: TopUpPolicy, new: str, now: datetime, data: dict[str, Any], **changes: Any
) -> TopUpPolicy:
    """Compare-and-set the status, with the webhook, in the caller's transaction."""
    if not tu_premium.can_move(policy.status, new):
        raise DomainError(
            "INVALID_STATE", f"The policy is {policy.status}, not {new}.", ("input", "policyId")
        )
    moved = await TopUpPolicy.filter(id=policy.id, status=policy.status).update(
        status=new, **changes
    )
    if moved != 1:
        raise DomainError("INVALID_STATE", "The policy changed meanwhile; retry.")
    await policy.refresh_from_db()
    await top_up.emit(policy, "top_up_policy.changed", now, {"status": new, **data})
    return policy


async def _staff_policy(principal: Principal, policy_id: str) -> TopUpPolicy:
    if not principal.is_staff:
        raise DomainError("FORBIDDEN", "This operation is for insurer staff keys.")
    policy = await TopUpPolicy.get_or_none(id=policy_id)
    if policy is None:
        raise not_found("top-up policy", policy_id, ("input", "policyId"))
    return policy


async def record_premium(
    principal: Principal,
    policy_id: str,
    paid_on: date,
    real_now: datetime,
    *,
    amount: Decimal | None = None,
) -> TopUpPolicy:
    """Staff: a premium payment was received, an instalment or (`amount` None) all that
    is owed. TU-P1: the contract is in force from the day the payments reach the annual
    minimum premium (`premium_paid_on`)."""
    policy = await _staff_policy(principal, policy_id)
    if amount is not None and amount <= 0:
        raise DomainError("INVALID_INPUT", "A positive amount.", ("input", "amount"))
    async with in_transaction():
        await policy.refresh_from_db()
        now = await top_up.policy_now(policy, real_now)
        if amount is None:
            owed = tu_premium.premium_owed_on(policy.minimum_premium, policy.period_start, paid_on)
            amount = max(owed - policy.premium_paid_total, ZERO)
            if amount == ZERO:
                return policy
        amount = round_cents(amount)
        payments = [
            *policy.premium_payments,
            {"paid_on": paid_on.isoformat(), "amount": str(amount)},
        ]
        moved = await TopUpPolicy.filter(
            id=policy.id, premium_paid_total=policy.premium_paid_total
        ).update(premium_payments=payments, premium_paid_total=policy.premium_paid_total + amount)
        if moved != 1:
            raise DomainError("INVALID_STATE", "The policy changed meanwhile; retry.")
        await policy.refresh_from_db()
        in_force = tu_premium.in_force_on(
            policy.minimum_premium,
            [(date.fromisoformat(p["paid_on"]), Decimal(p["amount"])) for p in payments],
        )
        if policy.status == tu_premium.SIGNED and in_force is not None:
            policy = await _move(
                policy,
                tu_premium.IN_FORCE,
                now,
                {"inForceFrom": in_force.isoformat(), "rule": "TU-P1"},
                premium_paid_on=in_force,
            )
    return policy


async def record_first_layer_contract(
    principal: Principal,
    policy_id: str,
    *,
    ended: bool,
    on: date,
    real_now: datetime,
) -> TopUpPolicy:
    """TU-P4, reported by the partner: the insured has no first-layer contract left from
    `on` (`ended`: the contract ends automatically that day), or signed a new one and
    the insurer learns of it on `on` (its month to rescind starts)."""
    policy = await top_up.partner_policy(principal, policy_id)
    async with in_transaction():
        now = await top_up.policy_now(policy, real_now)
        if ended:
            return await _move(
                policy,
                tu_premium.ENDED,
                now,
                {"endedOn": on.isoformat(), "rule": "TU-P4"},
                ended_on=on,
                ending={"rule": "TU-P4", "reason": "No first-layer contract left."},
            )
        if policy.status in (tu_premium.ENDED, tu_premium.RESCINDED):
            raise DomainError(
                "INVALID_STATE", f"The policy is {policy.status}.", ("input", "policyId")
            )
        await TopUpPolicy.filter(id=policy.id).update(new_first_layer_contract_on=on)
        await policy.refresh_from_db()
        await top_up.emit(
            policy,
            "top_up_policy.changed",
            now,
            {
                "status": policy.status,
                "newFirstLayerContractOn": on.isoformat(),
                "rescindBy": tu_premium.rescission_deadline(on).isoformat(),
                "rule": "TU-P4",
            },
        )
    return policy


async def rescind_top_up_policy(
    principal: Principal, policy_id: str, rescinded_on: date, real_now: datetime
) -> TopUpPolicy:
    """Staff: TU-P4 rescission within a month of learning of a new first-layer contract,
    with the premium settled by art. 11.2 (`ending`: refund and premium due at once)."""
    policy = await _staff_policy(principal, policy_id)
    refused = tu_premium.check_rescission(policy.new_first_layer_contract_on, rescinded_on)
    if refused is not None:
        raise DomainError(refused.rule, refused.message, refused.field)
    if not policy.period_start <= rescinded_on <= policy.period_end:
        raise DomainError("INVALID_INPUT", "Within the policy period.", ("input", "rescindedOn"))
    async with in_transaction():
        now = await top_up.policy_now(policy, real_now)
        losses = await TopUpClaim.filter(
            policy_id=policy.id, status__in=("NOTIFIED", "INSURED_EVENT", "APPROVED", "PAID")
        ).exists()
        year = tu_eligibility.insurance_year_of(rescinded_on, policy.period_start)
        year_start = policy.period_start + relativedelta(years=year)
        minimum = policy.minimum_premium
        paid_this_year = max(policy.premium_paid_total - minimum * year, ZERO)
        refund, due_now = tu_premium.rescission_settlement(
            minimum_premium=minimum,
            premium_paid=min(paid_this_year, minimum),
            year_start=year_start,
            rescinded_on=rescinded_on,
            losses_indemnified_or_owed=losses,
        )
        return await _move(
            policy,
            tu_premium.RESCINDED,
            now,
            {"endedOn": rescinded_on.isoformat(), "refund": str(refund), "dueNow": str(due_now)},
            ended_on=rescinded_on,
            ending={
                "rule": "TU-P4",
                "reason": "Rescinded on a new first-layer contract.",
                "refund": str(refund),
                "due_now": str(due_now),
                "losses": losses,
            },
        )
