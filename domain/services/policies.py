"""Whole-turnover policies (WT rules): creation, access, terms, and the premium account
(WT-P1 minimum premium first, cover from its payment, monthly adjustments; WT-P2).

Every "now" is the policy's test clock time when it has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from tortoise.transactions import in_transaction

from domain.rules.money import round_cents
from domain.rules.wt import declarations as declaration_rules
from domain.rules.wt import premium as premium_rules
from domain.rules.wt.terms import PolicyTerms, PremiumRate
from domain.services import cover_events, policy_events
from domain.services.clock_time import now_on_clock
from domain.services.clocks import clock_for_request
from domain.services.compare_and_set import compare_and_set
from domain.services.errors import DomainError, InvalidInput, not_found
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.policy_models import Policy, PremiumInvoice, Sale

PENDING_PREMIUM, ACTIVE = "PENDING_PREMIUM", "ACTIVE"
#: The longest policy period accepted (one insurance year, renewed by a new policy).
MAX_PERIOD_MONTHS = 12


@dataclass(frozen=True)
class PolicyDraft:
    insured: dict[str, Any]
    currency: str
    period_start: date
    period_end: date
    minimum_premium: Decimal
    premium_rates: tuple[PremiumRate, ...]
    coverage_percent: Decimal
    max_indemnity_multiple: Decimal
    minimum_unpaid_threshold: Decimal
    waiting_period_days: int
    max_extension_amount: Decimal
    test_clock_id: str | None = None


def terms_of(policy: Policy) -> PolicyTerms:
    return PolicyTerms(
        currency=policy.currency,
        period_start=policy.period_start,
        period_end=policy.period_end,
        minimum_premium=policy.minimum_premium,
        premium_rates=tuple(
            PremiumRate(int(r["max_term_days"]), Decimal(r["rate_percent"]))
            for r in policy.premium_rates
        ),
        coverage_percent=policy.coverage_percent,
        max_indemnity_multiple=policy.max_indemnity_multiple,
        minimum_unpaid_threshold=policy.minimum_unpaid_threshold,
        waiting_period_days=policy.waiting_period_days,
        max_extension_amount=policy.max_extension_amount,
    )


async def policy_now(policy: Policy, real_now: datetime) -> datetime:
    return await now_on_clock(policy.test_clock_id, real_now)  # type: ignore[attr-defined]


async def partner_policy(principal: Principal, policy_id: str) -> Policy:
    """The partner's own policy; another partner's id answers like a missing one."""
    if principal.partner_id is None:
        raise DomainError("FORBIDDEN", "This operation is for partner keys.")
    policy = await Policy.filter(id=policy_id, partner_id=principal.partner_id).first()
    if policy is None:
        raise not_found("policy", policy_id, ("input", "policyId"))
    return policy


async def staff_policy(principal: Principal, policy_id: str) -> Policy:
    if not principal.is_staff:
        raise DomainError("FORBIDDEN", "This operation is for insurer staff keys.")
    policy = await Policy.get_or_none(id=policy_id)
    if policy is None:
        raise not_found("policy", policy_id, ("input", "policyId"))
    return policy


async def visible_policy(principal: Principal, policy_id: str) -> Policy | None:
    """Staff see every policy, a partner its own."""
    query = Policy.filter(id=policy_id)
    if not principal.is_staff:
        query = query.filter(partner_id=principal.partner_id)
    return await query.first()


def actor_of(principal: Principal) -> str:
    if principal.is_staff:
        return cover_events.staff_actor(str(principal.staff_id))
    return cover_events.partner_actor(str(principal.partner_id))


def _check_draft(draft: PolicyDraft) -> None:
    problems: list[tuple[str, tuple[str, ...]]] = []

    def bad(message: str, *field: str) -> None:
        problems.append((message, ("input", *field)))

    if draft.period_end <= draft.period_start:
        bad("The period ends after it starts.", "periodEnd")
    elif draft.period_end > draft.period_start + relativedelta(months=MAX_PERIOD_MONTHS):
        bad(f"A policy period is at most {MAX_PERIOD_MONTHS} months.", "periodEnd")
    for name, value in (
        ("minimumPremium", draft.minimum_premium),
        ("maxIndemnityMultiple", draft.max_indemnity_multiple),
    ):
        if value <= 0:
            bad("Must be positive.", name)
    for name, value in (
        ("minimumUnpaidThreshold", draft.minimum_unpaid_threshold),
        ("maxExtensionAmount", draft.max_extension_amount),
    ):
        if value < 0:
            bad("Must not be negative.", name)
    if not Decimal(0) < draft.coverage_percent <= Decimal(100):
        bad("A percentage in (0, 100].", "coveragePercent")
    if draft.waiting_period_days < 0:
        bad("Must not be negative.", "waitingPeriodDays")
    if not draft.premium_rates:
        bad("At least one premium rate.", "premiumRates")
    for n, rate in enumerate(draft.premium_rates):
        if rate.max_term_days <= 0 or not Decimal(0) < rate.rate_percent < Decimal(100):
            bad("Term in days > 0 and a rate in (0, 100).", "premiumRates", str(n))
    if len({r.max_term_days for r in draft.premium_rates}) != len(draft.premium_rates):
        bad("One rate per payment term.", "premiumRates")
    if problems:
        raise InvalidInput(problems)


async def create_policy(principal: Principal, draft: PolicyDraft, real_now: datetime) -> Policy:
    """A policy waiting for its minimum premium (WT-P1): the MINIMUM premium invoice is
    issued with it, and one DECLARATION deadline per month of the period (WT-N1)."""
    if principal.partner_id is None:
        raise DomainError("FORBIDDEN", "Policies are created by partner keys.")
    _check_draft(draft)
    clock = await clock_for_request(principal, draft.test_clock_id, ("input", "testClockId"))
    now = clock.frozen_time if clock else real_now
    async with in_transaction():
        policy = await Policy.create(
            id=new_id("pol"),
            partner_id=principal.partner_id,
            insured=draft.insured,
            currency=draft.currency,
            period_start=draft.period_start,
            period_end=draft.period_end,
            minimum_premium=round_cents(draft.minimum_premium),
            premium_rates=[
                {"max_term_days": r.max_term_days, "rate_percent": str(r.rate_percent)}
                for r in sorted(draft.premium_rates, key=lambda r: r.max_term_days)
            ],
            coverage_percent=draft.coverage_percent,
            max_indemnity_multiple=draft.max_indemnity_multiple,
            minimum_unpaid_threshold=round_cents(draft.minimum_unpaid_threshold),
            waiting_period_days=draft.waiting_period_days,
            max_extension_amount=round_cents(draft.max_extension_amount),
            status=PENDING_PREMIUM,
            test_clock_id=clock.id if clock else None,
            created_at=now,
        )
        await PremiumInvoice.create(
            id=new_id("pin"),
            policy_id=policy.id,
            kind="MINIMUM",
            month=None,
            amount=policy.minimum_premium,
            issued_on=now.date(),
            created_at=now,
        )
        await _create_declaration_deadlines(policy, now)
        await policy_events.record(
            policy, "policy.created", actor=actor_of(principal), now=now, webhook=False
        )
    return policy


def months_of(policy: Policy) -> list[date]:
    """The first day of every month the period touches."""
    month = policy.period_start.replace(day=1)
    found = []
    while month <= policy.period_end:
        found.append(month)
        month = month + relativedelta(months=1)
    return found


async def _create_declaration_deadlines(policy: Policy, now: datetime) -> None:
    from domain.services import policy_sweep

    for month in months_of(policy):
        due = declaration_rules.declaration_due_on(month)
        for kind, rule in (("DECLARATION", "WT-N1"), ("PREMIUM_ADJUSTMENT", "WT-P1")):
            await policy_sweep.open_deadline(policy, kind, month.isoformat(), rule, due, now)


# Premium account (WT-P1, WT-P2)


async def premium_totals(policy_id: str) -> tuple[Decimal, Decimal]:
    """(invoiced, paid) over the policy's premium invoices."""
    invoices = await PremiumInvoice.filter(policy_id=policy_id)
    invoiced = sum((i.amount for i in invoices), Decimal("0.00"))
    paid = sum((i.paid_amount for i in invoices), Decimal("0.00"))
    return invoiced, paid


async def accrued_premium(policy_id: str) -> Decimal:
    premiums = await Sale.filter(policy_id=policy_id).values_list("premium", flat=True)
    return sum((Decimal(str(p)) for p in premiums), Decimal("0.00"))


async def issue_adjustment(policy: Policy, month: date, now: datetime, actor: str) -> Decimal:
    """WT-P1: once the accrued premium exceeds what was invoiced (the minimum premium
    first), the month's adjustment invoice. Idempotent: one per month. Call inside a
    transaction. Returns the amount invoiced (0 when nothing is due)."""
    if await PremiumInvoice.filter(policy_id=policy.id, kind="ADJUSTMENT", month=month).exists():
        return Decimal("0.00")
    accrued = await accrued_premium(policy.id)
    already = await PremiumInvoice.filter(
        policy_id=policy.id, kind__in=("MINIMUM", "ADJUSTMENT")
    ).values_list("amount", flat=True)
    invoiced = sum((Decimal(str(a)) for a in already), Decimal("0.00"))
    amount = premium_rules.adjustment_due(accrued, policy.minimum_premium, invoiced)
    if amount <= 0:
        return Decimal("0.00")
    invoice = await PremiumInvoice.create(
        id=new_id("pin"),
        policy_id=policy.id,
        kind="ADJUSTMENT",
        month=month,
        amount=amount,
        issued_on=now.date(),
        created_at=now,
    )
    await policy_events.record(
        policy,
        "premium.adjustment_issued",
        actor=actor,
        now=now,
        data={
            "invoiceId": invoice.id,
            "month": month.isoformat(),
            "amount": str(amount),
            "accruedPremium": str(accrued),
            "rule": "WT-P1",
        },
    )
    return amount


async def issue_premium_invoice(
    principal: Principal, policy_id: str, month: date, real_now: datetime
) -> PremiumInvoice | None:
    """Staff: issue the month's adjustment invoice now (WT-P1); None if nothing is due."""
    policy = await staff_policy(principal, policy_id)
    now = await policy_now(policy, real_now)
    first = month.replace(day=1)
    async with in_transaction():
        amount = await issue_adjustment(policy, first, now, actor_of(principal))
    if amount <= 0:
        existing = await PremiumInvoice.filter(
            policy_id=policy.id, kind="ADJUSTMENT", month=first
        ).first()
        return existing
    return await PremiumInvoice.get(policy_id=policy.id, kind="ADJUSTMENT", month=first)


async def record_premium_payment(
    principal: Principal, invoice_id: str, amount: Decimal, paid_on: date, real_now: datetime
) -> PremiumInvoice:
    """Staff record premium received. The policy starts when its minimum premium is paid
    in full (WT-P1): sales before that day are not covered."""
    if not principal.is_staff:
        raise DomainError("FORBIDDEN", "Premium payments are recorded by insurer staff keys.")
    invoice = await PremiumInvoice.get_or_none(id=invoice_id)
    if invoice is None:
        raise not_found("premium invoice", invoice_id, ("input", "invoiceId"))
    if amount <= 0 or invoice.paid_amount + amount > invoice.amount:
        raise DomainError(
            "INVALID_INPUT",
            f"Between 0.01 and the {invoice.amount - invoice.paid_amount} still due.",
            ("input", "amount"),
        )
    policy = await Policy.get(id=invoice.policy_id)  # type: ignore[attr-defined]
    now = await policy_now(policy, real_now)
    async with in_transaction():
        paid = round_cents(invoice.paid_amount + amount)
        changes = {"paid_amount": paid, "paid_on": paid_on if paid == invoice.amount else None}
        expected = {"paid_amount": invoice.paid_amount}
        if not await compare_and_set(PremiumInvoice, invoice.id, expected, changes):
            raise DomainError("INVALID_STATE", "The invoice changed meanwhile; retry.")
        await Policy.filter(id=policy.id).update(premium_paid=policy.premium_paid + amount)
        await invoice.refresh_from_db()
        actor = actor_of(principal)
        await policy_events.record(
            policy,
            "premium.paid",
            actor=actor,
            now=now,
            data={"invoiceId": invoice.id, "amount": str(amount)},
            webhook=False,
        )
        if invoice.kind == "MINIMUM" and invoice.paid_amount == invoice.amount:
            activated = await Policy.filter(id=policy.id, status=PENDING_PREMIUM).update(
                status=ACTIVE, activated_on=paid_on
            )
            if activated:
                await policy.refresh_from_db()
                await policy_events.record(
                    policy,
                    "policy.activated",
                    actor=actor,
                    now=now,
                    data={"activatedOn": paid_on.isoformat(), "rule": "WT-P1"},
                )
    return invoice


def covered_from(policy: Policy) -> date | None:
    """The first day sales are covered: the later of the period start and the day the
    minimum premium was paid (WT-P1). None while it is unpaid."""
    if policy.activated_on is None:
        return None
    return max(policy.period_start, policy.activated_on)
