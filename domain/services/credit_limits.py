"""Buyer credit limits (WT-L1 to WT-L4): a partner requests, staff grant, reduce, cancel
or refuse. Each grant or reduction is a new limit version; the previous one ends the day
before (WT-L2 for grants and increases, WT-L4 for reductions and cancellations).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.rules.money import round_cents
from domain.rules.wt import limits as limit_rules
from domain.services import (
    buyer_credits,
    buyer_scopes,
    cover_decisions,
    event_sequence,
    policies,
    policy_events,
    study_fees,
)
from domain.services.errors import DomainError, not_found
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.policy_models import CreditLimit, Policy

GRANT, REDUCE, CANCEL, REFUSE = "GRANT", "REDUCE", "CANCEL", "REFUSE"


@dataclass(frozen=True)
class LimitDecision:
    decision: str
    amount: Decimal | None = None
    coverage_percent: Decimal | None = None
    rating_group: str | None = None
    reason: str | None = None
    #: WT-L4: on a CANCEL, what bars the firm orders (limits.FIRM_ORDER_BARS)
    firm_order_bars: tuple[str, ...] = ()


async def request_credit_limit(
    principal: Principal,
    policy_id: str,
    buyer: dict[str, Any],
    amount: Decimal,
    payment_term_days: int,
    real_now: datetime,
) -> CreditLimit:
    """A new limit, or an increase, for a buyer: REQUESTED until staff decide."""
    policy = await policies.partner_policy(principal, policy_id)
    buyer_scopes.check_wt_buyer(policy, buyer)  # C-1, C-2
    if amount <= 0:
        raise DomainError("INVALID_INPUT", "The amount is positive.", ("input", "amount"))
    if payment_term_days <= 0:
        raise DomainError(
            "INVALID_INPUT", "The payment term is positive.", ("input", "paymentTermDays")
        )
    now = await policies.policy_now(policy, real_now)
    await study_fees.refuse_if_limits_stopped(policy.id, now.date())  # WT-P6
    key = buyer_credits.buyer_key_of(buyer["country"], buyer["registration_number"])
    async with event_sequence.policy_transaction(policy.id):
        row = await CreditLimit.create(
            id=new_id("lim"),
            policy_id=policy.id,
            buyer_key=key,
            buyer=buyer,
            requested_amount=round_cents(amount),
            payment_term_days=payment_term_days,
            requested_on=now.date(),
            status="REQUESTED",
            created_at=now,
        )
        await policy_events.record(
            policy,
            "credit_limit.requested",
            actor=policies.actor_of(principal),
            now=now,
            data={"limitId": row.id, "buyer": key, "amount": str(row.requested_amount)},
            webhook=False,
        )
    return row


async def decide_credit_limit(
    principal: Principal, limit_id: str, decision: LimitDecision, real_now: datetime
) -> CreditLimit:
    """Staff: GRANT or REFUSE a request; REDUCE or CANCEL a limit in force."""
    if not principal.is_staff:
        raise DomainError("FORBIDDEN", "Limit decisions are for insurer staff keys.")
    row = await CreditLimit.get_or_none(id=limit_id)
    if row is None:
        raise not_found("credit limit", limit_id, ("input", "limitId"))
    policy = await Policy.get(id=row.policy_id)
    now = await policies.policy_now(policy, real_now)
    actor = policies.actor_of(principal)
    async with event_sequence.policy_transaction(policy.id):
        if decision.decision in (GRANT, REFUSE):
            result = await _decide_request(policy, row, decision, now, actor)
        else:
            result = await _change_limit(policy, row, decision, now, actor)
    return result


def _coverage(policy: Policy, decision: LimitDecision) -> Decimal:
    percent = decision.coverage_percent or policy.coverage_percent
    if not Decimal(0) < percent <= Decimal(100):
        raise DomainError(
            "INVALID_INPUT", "A percentage in (0, 100].", ("input", "coveragePercent")
        )
    return percent


async def _decide_request(
    policy: Policy, row: CreditLimit, decision: LimitDecision, now: datetime, actor: str
) -> CreditLimit:
    if row.status != "REQUESTED":
        raise DomainError(
            "INVALID_STATE", f"Limit {row.id} is {row.status}, not REQUESTED.", ("input", "limitId")
        )
    if decision.decision == REFUSE:
        refusal = {"rule": "WT-L1", "message": decision.reason or "Refused by the insurer."}
        await _cas(row, "REQUESTED", status="REFUSED", refusal=refusal, decided_on=now.date())
        await _event(policy, row, "credit_limit.decided", now, actor, {"decision": REFUSE})
        return row
    buyer_scopes.check_wt_buyer(policy, row.buyer)  # C-1, C-2 (and WT-L10) at the grant too
    amount = decision.amount if decision.amount is not None else row.requested_amount
    if amount <= 0:
        raise DomainError("INVALID_INPUT", "The amount is positive.", ("input", "amount"))
    # WT-L3: no effect while the buyer had overdue unpaid credits at the request date
    # (what it paid in full since then does not count).
    credits = [
        replace(credit, collected=credit.amount if paid_by_request else Decimal("0.00"))
        for credit in await buyer_credits.credits_of(policy.id, row.buyer_key)
        for paid_by_request in [
            credit.paid_in_full_on is not None and credit.paid_in_full_on <= row.requested_on
        ]
    ]
    overdue = limit_rules.check_no_overdue_credits(credits, row.requested_on)
    if overdue is not None:
        raise DomainError(overdue.rule, overdue.message, ("input", "limitId"))
    # WT-L2: never before the policy's effective date (WT-P1: its minimum premium paid);
    # until then, its period start (moved at activation, policies._limits_from_effective_date).
    effective_from = limit_rules.limit_effective_from(
        row.requested_on, policies.covered_from(policy) or policy.period_start
    )
    previous = await buyer_credits.current_limit(policy.id, row.buyer_key)
    granted = round_cents(amount)
    history = await buyer_credits.limit_versions(policy.id, row.buyer_key)
    if (previous is None and history) or (
        previous is not None and previous.amount is not None and granted <= previous.amount
    ):
        # WT-L2 backdates only a buyer never classified before and an increase; a new
        # limit after a cancellation, or a lower one, takes effect from its
        # communication (WT-L4), never before the last version ended.
        last_end = max((v.ends_on for v in history if v.ends_on is not None), default=None)
        effective_from = max(now.date(), policies.covered_from(policy) or policy.period_start)
        if last_end is not None:
            effective_from = max(effective_from, last_end + timedelta(days=1))
    if previous is not None:
        # WT-L2 for an increase too: the old version ends the day before the new one.
        ends = max(effective_from - timedelta(days=1), previous.effective_from or effective_from)
        await CreditLimit.filter(id=previous.id, ends_on=None).update(
            status="SUPERSEDED", ends_on=ends
        )
    await _cas(
        row,
        "REQUESTED",
        status="GRANTED",
        amount=granted,
        coverage_percent=_coverage(policy, decision),
        rating_group=decision.rating_group,
        effective_from=effective_from,
        decided_on=now.date(),
    )
    await _event(
        policy,
        row,
        "credit_limit.decided",
        now,
        actor,
        {
            "decision": GRANT,
            "amount": str(row.amount),
            "effectiveFrom": effective_from.isoformat(),
            "rule": "WT-L2",
        },
    )
    # A grant backdated before sales already declared covers them (WT-L1, WT-L2).
    await cover_decisions.redecide_buyer(policy, row.buyer_key, now)
    return row


async def _change_limit(
    policy: Policy, row: CreditLimit, decision: LimitDecision, now: datetime, actor: str
) -> CreditLimit:
    """WT-L4: effective from the communication (today), for every sale from then on.
    Only a total cancellation keeps firm orders covered for 30 days, the indemnity on
    all of them capped at 50% of the unused balance, unless a bar is recorded (fraud
    alert, the buyer's or guarantor's insolvency or cessation, the guarantor's arrears).
    WT-L8: what the buyer still owes under this version reduces the next one."""
    if row.status != "GRANTED" or row.ends_on is not None:
        raise DomainError(
            "INVALID_STATE", f"Limit {row.id} is not the one in force.", ("input", "limitId")
        )
    today = now.date()
    exposure = await buyer_credits.exposure_of(policy.id, row.buyer_key, today)
    assert row.amount is not None
    firm = limit_rules.firm_order_cover(today, row.amount, exposure.exposure)
    ends = today - timedelta(days=1)
    unknown = set(decision.firm_order_bars) - set(limit_rules.FIRM_ORDER_BARS)
    if unknown or (decision.firm_order_bars and decision.decision != CANCEL):
        raise DomainError(
            "INVALID_INPUT",
            "Firm-order bars are recorded on a cancellation, among "
            f"{', '.join(limit_rules.FIRM_ORDER_BARS)}.",
            ("input", "firmOrderBars"),
        )
    if decision.decision == CANCEL:
        bars = sorted(set(decision.firm_order_bars))
        await _cas(
            row,
            "GRANTED",
            status="CANCELLED",
            ends_on=ends,
            firm_orders_until=firm.until,
            firm_orders_cap=firm.cap,
            firm_order_bars=bars,
        )
        await _event(
            policy,
            row,
            "credit_limit.cancelled",
            now,
            actor,
            {
                "effectiveOn": today.isoformat(),
                "firmOrdersUntil": firm.until.isoformat(),
                "firmOrdersCap": str(firm.cap),
                "firmOrderBars": bars,
                "rule": "WT-L4",
            },
        )
        await cover_decisions.redecide_buyer(policy, row.buyer_key, now)
        return row
    if decision.amount is None or not Decimal(0) < decision.amount < row.amount:
        raise DomainError(
            "INVALID_INPUT",
            f"A reduction is below the current {row.amount} (cancel to remove it).",
            ("input", "amount"),
        )
    # WT-L4: a reduction is no total cancellation: no firm-order window.
    await _cas(row, "GRANTED", status="REDUCED", ends_on=ends)
    reduced = await CreditLimit.create(
        id=new_id("lim"),
        policy_id=policy.id,
        buyer_key=row.buyer_key,
        buyer=row.buyer,
        requested_amount=row.requested_amount,
        payment_term_days=row.payment_term_days,
        requested_on=row.requested_on,
        status="GRANTED",
        amount=round_cents(decision.amount),
        coverage_percent=decision.coverage_percent or row.coverage_percent,
        rating_group=decision.rating_group or row.rating_group,
        effective_from=today,
        decided_on=today,
        created_at=now,
    )
    await _event(
        policy,
        reduced,
        "credit_limit.reduced",
        now,
        actor,
        {
            "previousLimitId": row.id,
            "from": str(row.amount),
            "to": str(reduced.amount),
            "effectiveOn": today.isoformat(),
            "rule": "WT-L4",
        },
    )
    await cover_decisions.redecide_buyer(policy, row.buyer_key, now)
    return reduced


async def _cas(row: CreditLimit, expected: str, **changes: Any) -> None:
    moved = await CreditLimit.filter(id=row.id, status=expected).update(**changes)
    if moved != 1:
        raise DomainError(
            "INVALID_STATE", f"Limit {row.id} changed meanwhile.", ("input", "limitId")
        )
    await row.refresh_from_db()


async def _event(
    policy: Policy, row: CreditLimit, kind: str, now: datetime, actor: str, data: dict[str, Any]
) -> None:
    await policy_events.record(
        policy,
        kind,
        actor=actor,
        now=now,
        data={"limitId": row.id, "buyer": row.buyer_key, **data},
    )


async def credit_limits(policy_id: str) -> list[CreditLimit]:
    """Every version of every buyer limit of a policy the caller may see."""
    return await CreditLimit.filter(policy_id=policy_id).order_by("buyer_key", "created_at")


def firm_order_window(row: CreditLimit, sale_date: date) -> bool:
    """WT-L4: a firm-order sale made after the version ended, within its 30 days."""
    return (
        row.status == "CANCELLED"
        and row.ends_on is not None
        and row.firm_orders_until is not None
        and row.ends_on < sale_date <= row.firm_orders_until
    )
