"""Whole-turnover policies (WT rules): creation, access, terms, and the premium account
(WT-P1 minimum premium first, cover from its payment, monthly adjustments; WT-P2).

Every "now" is the policy's test clock time when it has one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from tortoise.transactions import in_transaction

from domain.rules.money import round_cents
from domain.rules.wt import declarations as declaration_rules
from domain.rules.wt import premium as premium_rules
from domain.rules.wt.terms import PolicyTerms, PremiumRate
from domain.services import cover_events, event_sequence, policy_events
from domain.services.clock_time import now_on_clock
from domain.services.clocks import clock_for_request
from domain.services.compare_and_set import compare_and_set
from domain.services.errors import DomainError, InvalidInput, not_found
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.models import Partner, TestClock
from domain.store.policy_models import CreditLimit, Policy, PremiumInvoice, Sale

PENDING_PREMIUM, ACTIVE, TERMINATED = "PENDING_PREMIUM", "ACTIVE", "TERMINATED"
#: The longest policy period accepted (one insurance year, renewed by a new policy).
MAX_PERIOD_MONTHS = 12


@dataclass(frozen=True)
class PolicyDraft:
    """A request for a policy. The term fields are kept for compatibility: a partner
    that sets one is refused (policy_terms.TERMS_SET_BY_INSURER); staff creating a
    policy for a partner may set them."""

    insured: dict[str, Any]
    currency: str
    period_start: date
    period_end: date
    minimum_premium: Decimal | None = None
    premium_rates: tuple[PremiumRate, ...] | None = None
    coverage_percent: Decimal | None = None
    max_indemnity_multiple: Decimal | None = None
    minimum_unpaid_threshold: Decimal | None = None
    waiting_period_days: int | None = None
    max_extension_amount: Decimal | None = None
    test_clock_id: str | None = None
    #: Staff only: the partner the policy is for (a partner key creates its own).
    partner_id: str | None = None


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
    return await now_on_clock(policy.test_clock_id, real_now)


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
    if draft.period_end <= draft.period_start:
        problems.append(("The period ends after it starts.", ("input", "periodEnd")))
    elif draft.period_end > draft.period_start + relativedelta(months=MAX_PERIOD_MONTHS):
        problems.append(
            (f"A policy period is at most {MAX_PERIOD_MONTHS} months.", ("input", "periodEnd"))
        )
    if problems:
        raise InvalidInput(problems)


async def create_policy(principal: Principal, draft: PolicyDraft, real_now: datetime) -> Policy:
    """A policy waiting for its minimum premium (WT-P1), with the product's default
    terms until staff set its own (policy_terms): the MINIMUM premium invoice is issued
    with it, and one DECLARATION deadline per month of the period (WT-N1)."""
    from domain.services import policy_terms

    given = policy_terms.PolicyTermsChange(
        **{name: getattr(draft, name) for name in policy_terms.FIELD_OF}
    )
    if principal.is_staff:
        # Staff may create a policy for a partner, with its terms at once.
        partner_id = await _partner_for_staff(draft.partner_id)
        merged = replace(
            policy_terms.DEFAULT_TERMS,
            **{n: getattr(given, n) for n in policy_terms.given_terms(given)},
        )
        policy_terms.check_terms(merged)
        _check_draft(draft)
        terms = policy_terms.row_values(merged)
        clock = await _partner_clock(partner_id, draft.test_clock_id)
    else:
        if principal.partner_id is None:
            raise DomainError("FORBIDDEN", "Policies are created by partner keys.")
        if draft.partner_id is not None and draft.partner_id != principal.partner_id:
            raise DomainError(
                "FORBIDDEN", "Only staff create policies for a partner.", ("input", "partnerId")
            )
        policy_terms.refuse_partner_terms(given)
        _check_draft(draft)
        partner_id = principal.partner_id
        terms = policy_terms.row_values(policy_terms.DEFAULT_TERMS)
        clock = await clock_for_request(principal, draft.test_clock_id, ("input", "testClockId"))
    now = clock.frozen_time if clock else real_now
    async with in_transaction():
        policy = await Policy.create(
            id=new_id("pol"),
            partner_id=partner_id,
            insured=draft.insured,
            currency=draft.currency,
            period_start=draft.period_start,
            period_end=draft.period_end,
            **terms,
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
            due_on=premium_rules.invoice_due_on(now.date()),
            created_at=now,
        )
        await _create_declaration_deadlines(policy, now)
        await policy_events.record(
            policy, "policy.created", actor=actor_of(principal), now=now, webhook=False
        )
    return policy


async def _partner_for_staff(partner_id: str | None) -> str:
    if partner_id is None:
        raise DomainError(
            "INVALID_INPUT", "Staff name the partner the policy is for.", ("input", "partnerId")
        )
    if not await Partner.filter(id=partner_id).exists():
        raise not_found("partner", partner_id, ("input", "partnerId"))
    return partner_id


async def _partner_clock(partner_id: str, clock_id: str | None) -> TestClock | None:
    """A staff-created policy runs on one of that partner's test clocks, if given."""
    if clock_id is None:
        return None
    clock = await TestClock.filter(id=clock_id, partner_id=partner_id).first()
    if clock is None:
        raise not_found("test clock", clock_id, ("input", "testClockId"))
    return clock


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
    invoice = await issue_invoice(policy, "ADJUSTMENT", month, amount, now)
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


async def issue_invoice(
    policy: Policy, kind: str, month: date | None, amount: Decimal, now: datetime
) -> PremiumInvoice:
    """An ADJUSTMENT or EXTENSION invoice, due PREMIUM_PAYMENT_DAYS after issue, with its
    PREMIUM_PAYMENT deadline (WT-P4). Call inside a transaction."""
    from domain.services import policy_sweep

    invoice = await PremiumInvoice.create(
        id=new_id("pin"),
        policy_id=policy.id,
        kind=kind,
        month=month,
        amount=amount,
        issued_on=now.date(),
        due_on=premium_rules.invoice_due_on(now.date()),
        created_at=now,
    )
    assert invoice.due_on is not None
    await policy_sweep.open_deadline(
        policy, "PREMIUM_PAYMENT", invoice.id, "WT-P4", invoice.due_on, now
    )
    return invoice


async def terminate(policy: Policy, due_on: date, invoice_id: str, now: datetime) -> bool:
    """WT-P4: the policy ends automatically on the day after the unpaid invoice's due
    date. Compare-and-set on a policy not yet terminated; call inside a transaction."""
    ends_on = due_on + timedelta(days=1)
    ended = await Policy.filter(id=policy.id, terminated_on__isnull=True).update(
        status=TERMINATED, terminated_on=ends_on
    )
    if ended:
        await policy.refresh_from_db()
        await policy_events.record(
            policy,
            "policy.terminated",
            actor=cover_events.SYSTEM,
            now=now,
            data={"terminatedOn": ends_on.isoformat(), "invoiceId": invoice_id, "rule": "WT-P4"},
        )
    return bool(ended)


async def issue_premium_invoice(
    principal: Principal, policy_id: str, month: date, real_now: datetime
) -> PremiumInvoice | None:
    """Staff: issue the month's adjustment invoice now (WT-P1); None if nothing is due."""
    policy = await staff_policy(principal, policy_id)
    now = await policy_now(policy, real_now)
    first = month.replace(day=1)
    async with event_sequence.policy_transaction(policy.id):
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
    policy = await Policy.get(id=invoice.policy_id)
    now = await policy_now(policy, real_now)
    async with event_sequence.policy_transaction(policy.id):
        paid = round_cents(invoice.paid_amount + amount)
        changes = {"paid_amount": paid, "paid_on": paid_on if paid == invoice.amount else None}
        expected = {"paid_amount": invoice.paid_amount}
        if not await compare_and_set(PremiumInvoice, invoice.id, expected, changes):
            raise DomainError("INVALID_STATE", "The invoice changed meanwhile; retry.")
        # Read again under the policy's lock: a payment on another invoice of the same
        # policy may have committed since `policy` was read (no lost addition).
        policy = await Policy.get(id=policy.id)
        await Policy.filter(id=policy.id).update(
            premium_paid=round_cents(policy.premium_paid + amount)
        )
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
        if invoice.paid_amount == invoice.amount and invoice.kind != "MINIMUM":
            from domain.services import policy_sweep

            await policy_sweep.meet(policy.id, "PREMIUM_PAYMENT", invoice.id, paid_on)
            # WT-P4: paid in full after its due date, the policy ended all the same.
            if invoice.due_on is not None and paid_on > invoice.due_on:
                await terminate(policy, invoice.due_on, invoice.id, now)
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
                await _limits_from_effective_date(policy, now)
    return invoice


async def _limits_from_effective_date(policy: Policy, now: datetime) -> None:
    """WT-L2: no limit takes effect before the policy's effective date (WT-P1), which is
    then its effective date; the buyers' credits are decided again. Call inside the
    activating transaction."""
    from domain.services import cover_decisions

    effective = covered_from(policy)
    if effective is None:
        return
    early = CreditLimit.filter(policy_id=policy.id, effective_from__lt=effective)
    await early.filter(ends_on__isnull=True).update(effective_from=effective)
    await early.filter(ends_on__gte=effective).update(effective_from=effective)
    buyers = await Sale.filter(policy_id=policy.id).distinct().values_list("buyer_key", flat=True)
    for buyer_key in sorted(str(b) for b in buyers):
        await cover_decisions.redecide_buyer(policy, buyer_key, now)


def covered_from(policy: Policy) -> date | None:
    """The policy's effective date (WT-P1, WT-L2 "policy start"): the first day sales are
    covered, the later of the period start and the day the provisional (minimum) premium
    was paid in full. None while it is unpaid."""
    if policy.activated_on is None:
        return None
    return max(policy.period_start, policy.activated_on)
