"""Top-up (excess layer) policies (TU rules, seed 004): creation and premium (TU-P1),
buyer limits following the first layer's decisions (TU-L1 to TU-L3, recomputed by the
deadline sweep) and declared deliveries (TU-E1, TU-E3).

Every "now" is the policy's test clock time when it has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from domain.rules import rule_facts
from domain.rules.money import round_cents
from domain.rules.tu import eligibility as tu_eligibility
from domain.rules.tu import limits as tu_limits
from domain.rules.tu.terms import TopUpLimitState, TopUpTerms
from domain.services import buyer_scopes, cover_events, tu_insolvency, webhooks
from domain.services.buyer_credits import buyer_key_of
from domain.services.clock_time import now_on_clock
from domain.services.clocks import clock_for_request
from domain.services.errors import DomainError, InvalidInput, not_found
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.topup_models import TopUpClaim, TopUpDelivery, TopUpLimit, TopUpPolicy


@dataclass(frozen=True)
class TopUpDraft:
    insured: dict[str, Any]
    first_layer_insurer: str
    first_layer_policy: str
    currency: str
    period_start: date
    period_end: date
    coverage_percent: Decimal
    first_layer_coverage_percent: Decimal
    per_loss_deductible: Decimal
    annual_aggregate_deductible: Decimal
    annual_sum_insured: Decimal
    pni_threshold: Decimal
    max_payment_term_days: int
    supply_cutoff_days: int
    covered_countries: tuple[str, ...]
    minimum_premium: Decimal
    first_layer_invoicing_days: int | None = None
    test_clock_id: str | None = None


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
    return TopUpTerms(
        coverage_percent=policy.coverage_percent,
        first_layer_coverage_percent=policy.first_layer_coverage_percent,
        per_loss_deductible=policy.per_loss_deductible,
        annual_aggregate_deductible=policy.annual_aggregate_deductible,
        annual_sum_insured=policy.annual_sum_insured,
        pni_threshold=policy.pni_threshold,
        max_payment_term_days=policy.max_payment_term_days,
        supply_cutoff_days=policy.supply_cutoff_days,
        first_layer_invoicing_days=policy.first_layer_invoicing_days,
        period_start=policy.period_start,
        period_end=policy.period_end,
    )


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
    return await now_on_clock(policy.test_clock_id, real_now)  # type: ignore[attr-defined]


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
        policy.partner_id,  # type: ignore[attr-defined]
        event_type,
        {"topUpPolicy": {"id": policy.id}, **data},
        now,
    )


def _check_draft(draft: TopUpDraft) -> None:
    problems: list[tuple[str, tuple[str, ...]]] = []
    if draft.period_end <= draft.period_start:
        problems.append(("The period ends after it starts.", ("input", "periodEnd")))
    if not Decimal(0) < draft.coverage_percent <= draft.first_layer_coverage_percent <= 100:
        # TU-C1: the top-up percentage is not above the first layer's.
        problems.append(
            (
                "In (0, first layer's %], the first layer's at most 100.",
                ("input", "coveragePercent"),
            )
        )
    for name, value in (
        ("perLossDeductible", draft.per_loss_deductible),
        ("annualAggregateDeductible", draft.annual_aggregate_deductible),
        ("pniThreshold", draft.pni_threshold),
        ("minimumPremium", draft.minimum_premium),
    ):
        if value < 0:
            problems.append(("Must not be negative.", ("input", name)))
    if draft.annual_sum_insured <= 0:
        problems.append(("Must be positive.", ("input", "annualSumInsured")))
    for name, days in (
        ("maxPaymentTermDays", draft.max_payment_term_days),
        ("supplyCutoffDays", draft.supply_cutoff_days),
    ):
        if days <= 0:
            problems.append(("Must be positive.", ("input", name)))
    if not draft.covered_countries:
        problems.append(("At least one covered country.", ("input", "coveredCountries")))
    if problems:
        raise InvalidInput(problems)


async def create_top_up_policy(
    principal: Principal, draft: TopUpDraft, real_now: datetime
) -> TopUpPolicy:
    if principal.partner_id is None:
        raise DomainError("FORBIDDEN", "Policies are created by partner keys.")
    _check_draft(draft)
    clock = await clock_for_request(principal, draft.test_clock_id, ("input", "testClockId"))
    now = clock.frozen_time if clock else real_now
    return await TopUpPolicy.create(
        id=new_id("tup"),
        partner_id=principal.partner_id,
        insured=draft.insured,
        first_layer_insurer=draft.first_layer_insurer,
        first_layer_policy=draft.first_layer_policy,
        currency=draft.currency,
        period_start=draft.period_start,
        period_end=draft.period_end,
        coverage_percent=draft.coverage_percent,
        first_layer_coverage_percent=draft.first_layer_coverage_percent,
        per_loss_deductible=round_cents(draft.per_loss_deductible),
        annual_aggregate_deductible=round_cents(draft.annual_aggregate_deductible),
        annual_sum_insured=round_cents(draft.annual_sum_insured),
        pni_threshold=round_cents(draft.pni_threshold),
        max_payment_term_days=draft.max_payment_term_days,
        supply_cutoff_days=draft.supply_cutoff_days,
        first_layer_invoicing_days=draft.first_layer_invoicing_days,
        covered_countries=sorted({c.strip().upper() for c in draft.covered_countries}),
        minimum_premium=round_cents(draft.minimum_premium),
        test_clock_id=clock.id if clock else None,
        created_at=now,
    )


async def record_premium(
    principal: Principal, policy_id: str, paid_on: date, real_now: datetime
) -> TopUpPolicy:
    """Staff: the annual minimum premium was paid (TU-P1: no indemnity before)."""
    if not principal.is_staff:
        raise DomainError("FORBIDDEN", "Premium payments are recorded by insurer staff keys.")
    policy = await TopUpPolicy.get_or_none(id=policy_id)
    if policy is None:
        raise not_found("top-up policy", policy_id, ("input", "policyId"))
    await TopUpPolicy.filter(id=policy.id, premium_paid_on=None).update(premium_paid_on=paid_on)
    await policy.refresh_from_db()
    return policy


# Limits (TU-L1 to TU-L3)


async def _save_state(
    row: TopUpLimit, state: TopUpLimitState, decided_on: date, cause: str
) -> TopUpLimit:
    """Compare-and-set on the row version; the history keeps every change."""
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
) -> TopUpLimit:
    """The first layer decided on a buyer: creates or changes the top-up limit."""
    policy = await partner_policy(principal, policy_id)
    buyer_scopes.check_tu_client(policy, buyer)  # C-1, TU-E6, C-2
    if requested < 0 or granted < 0:
        raise DomainError("INVALID_INPUT", "Amounts are not negative.", ("input", "granted"))
    now = await policy_now(policy, real_now)
    key = buyer_key_of(buyer["country"], buyer["registration_number"])
    async with in_transaction():
        row = await TopUpLimit.filter(policy_id=policy.id, buyer_key=key).first()
        before = state_of(row) if row else None
        after = tu_limits.on_first_layer_decision(before, requested, granted, decided_on)
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
        row = await _save_state(row, after, decided_on, _cause(before, after))
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
    """TU-L3 by the deadline sweep: limits whose 6 months without reduction are over."""
    today = now.date()
    query = TopUpLimit.filter(recompute_on__lte=today)
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


# Deliveries (TU-E1, TU-E3)


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
    """Each delivery is insured or not, with the rules that keep it out (TU-E1, TU-E3)."""
    policy = await partner_policy(principal, policy_id)
    now = await policy_now(policy, real_now)
    terms = terms_of(policy)
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
            violations = tu_eligibility.check_delivery(
                terms,
                line.delivered_on,
                line.invoiced_on,
                line.due_date,
                line.amount,
                in_force,
                await _overdue_days(policy.id, line.buyer_key, line.delivered_on),
                insolvent,
                line.threat_of_loss_known,
            )
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
