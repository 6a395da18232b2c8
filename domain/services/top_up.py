"""Top-up (excess layer) policies (TU rules, seed 004): what every top-up service shares
(the policy as the caller may see it, its clock, its terms, webhooks) and the buyer
limits following the first layer's decisions (TU-L1 to TU-L3, recomputed by the deadline
sweep). Creation and premium: top_up_contract; deliveries: top_up_deliveries.

Every "now" is the policy's test clock time when it has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from domain.rules import rule_facts
from domain.rules.tu import clients as tu_clients
from domain.rules.tu import limits as tu_limits
from domain.rules.tu.terms import TopUpLimitState, TopUpTerms
from domain.rules.violations import Violation
from domain.services import buyer_scopes, cover_events, top_up_terms, webhooks
from domain.services.buyer_credits import buyer_key_of
from domain.services.clock_time import now_on_clock
from domain.services.errors import DomainError, not_found
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.topup_models import TopUpLimit, TopUpPolicy

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class TopUpDraft:
    insured: dict[str, Any]
    first_layer_insurer: str
    first_layer_policy: str
    currency: str
    period_start: date
    period_end: date
    first_layer_coverage_percent: Decimal
    first_layer_invoicing_days: int | None = None
    test_clock_id: str | None = None
    #: The insurer's terms (domain.rules.tu.terms.INSURER_TERMS): None when not given. A
    #: partner that gives one is refused (TERMS_SET_BY_INSURER); staff set them with
    #: top_up_terms.set_top_up_policy_terms.
    coverage_percent: Decimal | None = None
    per_loss_deductible: Decimal | None = None
    annual_aggregate_deductible: Decimal | None = None
    annual_sum_insured: Decimal | None = None
    pni_threshold: Decimal | None = None
    max_payment_term_days: int | None = None
    supply_cutoff_days: int | None = None
    covered_countries: tuple[str, ...] | None = None
    minimum_premium: Decimal | None = None
    #: TU-E7: the day the policy was signed (default: the day it is created).
    signed_on: date | None = None


@dataclass(frozen=True)
class DeliveryLine:
    buyer_key: str
    invoice_number: str
    delivered_on: date
    invoiced_on: date
    due_date: date
    amount: Decimal
    paid_on: date | None = None
    threat_of_loss_known: bool = False


def terms_of(policy: TopUpPolicy) -> TopUpTerms:
    """The policy's terms of its first insurance year."""
    return top_up_terms.base_terms(policy)


def terms_for_year(policy: TopUpPolicy, year: int) -> TopUpTerms:
    """TU-C2: the terms valid in insurance year `year`."""
    return top_up_terms.terms_for_year(policy, year)


def client_excluded(policy: TopUpPolicy, limit: TopUpLimit) -> Violation | None:
    """TU-E7 on the client history recorded with the buyer's limit, on the signing date,
    with the TU-E3 days of the first insurance year."""
    signed_on = policy.signed_on or policy.period_start
    invoices = [
        tu_clients.EarlierInvoice(
            original_due_date=date.fromisoformat(i["original_due_date"]),
            paid_on=date.fromisoformat(i["paid_on"]) if i.get("paid_on") else None,
            disputed=bool(i.get("disputed")),
        )
        for i in limit.client_history
    ]
    return tu_clients.check_client_at_signing(invoices, signed_on, policy.supply_cutoff_days)


def state_of(row: TopUpLimit) -> TopUpLimitState:
    return TopUpLimitState(
        requested=row.requested,
        first_layer_granted=row.first_layer_granted,
        top_up_limit=row.top_up_limit,
        zero_locked=row.zero_locked,
        last_reduction_on=row.last_reduction_on,
        first_layer_before_reduction=row.first_layer_before_reduction,
    )


async def policy_now(policy: TopUpPolicy, real_now: datetime) -> datetime:
    return await now_on_clock(policy.test_clock_id, real_now)


async def partner_policy(principal: Principal, policy_id: str) -> TopUpPolicy:
    if principal.partner_id is None:
        raise DomainError("FORBIDDEN", "This operation is for partner keys.")
    policy = await TopUpPolicy.filter(id=policy_id, partner_id=principal.partner_id).first()
    if policy is None:
        raise not_found("top-up policy", policy_id, ("input", "policyId"))
    void = rule_facts.rescinded(policy.rescinded_on)  # TU-P5
    if void is not None:
        raise DomainError(void.rule, void.message, void.field)
    return policy


async def visible_policy(principal: Principal, policy_id: str) -> TopUpPolicy | None:
    query = TopUpPolicy.filter(id=policy_id)
    if not principal.is_staff:
        query = query.filter(partner_id=principal.partner_id)
    return await query.first()


def actor_of(principal: Principal) -> str:
    if principal.is_staff:
        return cover_events.staff_actor(str(principal.staff_id))
    return cover_events.partner_actor(str(principal.partner_id))


async def emit(policy: TopUpPolicy, event_type: str, now: datetime, data: dict[str, Any]) -> None:
    """C-6: a webhook to the partner, in the caller's transaction."""
    await webhooks.emit(
        policy.partner_id,
        event_type,
        {"topUpPolicy": {"id": policy.id}, **data},
        now,
    )


# Limits (TU-L1 to TU-L3)


async def _save_state(
    row: TopUpLimit,
    state: TopUpLimitState,
    decided_on: date,
    cause: str,
    **facts: Any,
) -> TopUpLimit:
    """Compare-and-set on the row version; the history keeps every change. `facts` are
    other columns to set with it (TU-L3 outlook, TU-E7 client history)."""
    history = [
        *row.history,
        {
            "decided_on": decided_on.isoformat(),
            "first_layer_granted": str(state.first_layer_granted),
            "top_up_limit": str(state.top_up_limit),
            "cause": cause,
        },
    ]
    moved = await TopUpLimit.filter(id=row.id, version=row.version).update(
        **facts,
        requested=state.requested,
        first_layer_granted=state.first_layer_granted,
        top_up_limit=state.top_up_limit,
        zero_locked=state.zero_locked,
        last_reduction_on=state.last_reduction_on,
        first_layer_before_reduction=state.first_layer_before_reduction,
        recompute_on=tu_limits.recompute_due_on(state),
        history=history,
        version=row.version + 1,
    )
    if moved != 1:
        raise DomainError("INVALID_STATE", "The limit changed meanwhile; retry.", ("input",))
    await row.refresh_from_db()
    return row


def _cause(before: TopUpLimitState | None, after: TopUpLimitState) -> str:
    if before is None:
        return "TU-L1: first-layer decision"
    if after.first_layer_granted < before.first_layer_granted:
        return "TU-L2: first layer reduced" + (" (stays 0)" if after.zero_locked else "")
    if after.last_reduction_on is None and before.last_reduction_on is not None:
        return "TU-L3: first layer restored, recomputed"
    return "TU-L1: first-layer decision"


async def record_first_layer_decision(
    principal: Principal,
    policy_id: str,
    buyer: dict[str, Any],
    requested: Decimal,
    granted: Decimal,
    decided_on: date,
    real_now: datetime,
    *,
    temporary: Decimal = ZERO,
    other_insurance: Decimal = ZERO,
    further_reductions_expected: bool | None = None,
    client_history: list[tu_clients.EarlierInvoice] | None = None,
) -> TopUpLimit:
    """The first layer decided on a buyer: creates or changes the top-up limit.

    TU-L1: the first layer's limit is `granted` plus its `temporary` limits; limits from
    other insurance (`other_insurance`, other top-up covers) are not part of it. TU-L3:
    `further_reductions_expected` records whether the insured knows of more reductions
    to come (None keeps what was recorded). TU-E7: `client_history` records the client's
    earlier invoices as they stood at signing (None keeps what was recorded)."""
    policy = await partner_policy(principal, policy_id)
    buyer_scopes.check_tu_client(policy, buyer)  # C-1, TU-E6, C-2
    if min(requested, granted, temporary, other_insurance) < 0:
        raise DomainError("INVALID_INPUT", "Amounts are not negative.", ("input", "granted"))
    first_layer = tu_clients.first_layer_limit(granted, temporary, other_insurance)
    now = await policy_now(policy, real_now)
    key = buyer_key_of(buyer["country"], buyer["registration_number"])
    async with in_transaction():
        row = await TopUpLimit.filter(policy_id=policy.id, buyer_key=key).first()
        before = state_of(row) if row else None
        expected = (
            further_reductions_expected
            if further_reductions_expected is not None
            else bool(row and row.further_reductions_expected)
        )
        try:
            after = tu_limits.on_first_layer_decision(
                before, requested, first_layer, decided_on, further_reductions_expected=expected
            )
        except ValueError as error:
            raise DomainError("INVALID_INPUT", str(error), ("input", "decidedOn")) from error
        if row is None:
            row = await TopUpLimit.create(
                id=new_id("tul"),
                policy_id=policy.id,
                buyer_key=key,
                buyer=buyer,
                requested=after.requested,
                first_layer_granted=after.first_layer_granted,
                top_up_limit=after.top_up_limit,
                history=[],
                created_at=now,
            )
        facts: dict[str, Any] = {"further_reductions_expected": expected}
        if client_history is not None:
            facts["client_history"] = [
                {
                    "original_due_date": i.original_due_date.isoformat(),
                    "paid_on": i.paid_on.isoformat() if i.paid_on else None,
                    "disputed": i.disputed,
                }
                for i in client_history
            ]
        row = await _save_state(row, after, decided_on, _cause(before, after), **facts)
        await emit(
            policy,
            "top_up_limit.changed",
            now,
            {
                "buyer": key,
                "firstLayerGranted": str(after.first_layer_granted),
                "topUpLimit": str(after.top_up_limit),
                "cause": row.history[-1]["cause"],
            },
        )
    return row


async def recompute_due_limits(now: datetime, *, test_clock_id: str | None = None) -> int:
    """TU-L3 by the deadline sweep: limits whose 6 months without reduction are over,
    unless the insured knows of further reductions to come (they wait until it does not:
    a later decision clears it)."""
    today = now.date()
    query = TopUpLimit.filter(recompute_on__lte=today, further_reductions_expected=False)
    if test_clock_id is None:
        query = query.filter(policy__test_clock_id__isnull=True)
    else:
        query = query.filter(policy__test_clock_id=test_clock_id)
    rows = await query.prefetch_related("policy")
    for row in rows:
        after = tu_limits.recompute_after_six_months(state_of(row), today)
        async with in_transaction():
            try:
                await _save_state(row, after, today, "TU-L3: 6 months without reduction")
            except DomainError:
                continue  # another sweep took it
            await emit(
                row.policy,
                "top_up_limit.changed",
                now,
                {
                    "buyer": row.buyer_key,
                    "firstLayerGranted": str(after.first_layer_granted),
                    "topUpLimit": str(after.top_up_limit),
                    "cause": "TU-L3: 6 months without reduction",
                },
            )
    return len(rows)
