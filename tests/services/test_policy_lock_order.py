"""LIFECYCLE 5a on whole-turnover policies (SQLite, and PostgreSQL when
TRADECOVER_TEST_POSTGRES=1): every service transaction takes the policy row's lock first
(`event_sequence.policy_transaction`), so operations on one policy that write sales,
collections, invoices and deadlines and record policy events take turns instead of
deadlocking, and the policy's event numbers stay 1..n without gaps or duplicates."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from domain.rules.wt.terms import PremiumRate
from domain.services import credit_limits, policies, policy_declarations
from domain.services.errors import DomainError
from domain.services.principals import Principal, authenticate, create_partner, create_staff
from domain.store.policy_models import Policy, PolicyEvent, PremiumInvoice

D = Decimal
START = datetime(2026, 12, 15, 9, tzinfo=UTC)
#: January's sales are declared (in time) on 1 February.
NOW = datetime(2027, 2, 1, 9, tzinfo=UTC)
BUYER = "ES:B00000001"
ROUNDS = 15


async def active_policy() -> tuple[Principal, Principal, Policy]:
    """An active policy with a limit on BUYER and an unpaid 1,000.00 adjustment invoice."""
    _, key = await create_partner(
        name="Platform", kind="financing_platform", sandbox=True, premium_rate=None, now=START
    )
    _, staff_key = await create_staff(name="Underwriter", now=START)
    partner, staff = await authenticate(key), await authenticate(staff_key)
    draft = policies.PolicyDraft(
        insured={"country": "ES", "registration_number": "B12345678", "name": "Ins SL"},
        currency="EUR",
        period_start=date(2027, 1, 1),
        period_end=date(2027, 12, 31),
        minimum_premium=D("100.00"),
        premium_rates=(PremiumRate(60, D("0.20")), PremiumRate(120, D("0.40"))),
        coverage_percent=D("90"),
        max_indemnity_multiple=D("40"),
        minimum_unpaid_threshold=D("500.00"),
        waiting_period_days=60,
        max_extension_amount=D("50000.00"),
        partner_id=partner.partner_id,
    )
    policy = await policies.create_policy(staff, draft, START)
    minimum = await PremiumInvoice.get(policy_id=policy.id, kind="MINIMUM")
    jan = datetime(2027, 1, 1, 9, tzinfo=UTC)
    await policies.record_premium_payment(staff, minimum.id, minimum.amount, jan.date(), jan)
    row = await credit_limits.request_credit_limit(
        partner, policy.id, company("B00000001"), D("500000.00"), 90, jan
    )
    await credit_limits.decide_credit_limit(
        staff, row.id, credit_limits.LimitDecision("GRANT"), jan
    )
    policy = await Policy.get(id=policy.id)
    async with in_transaction():
        await policies.issue_invoice(policy, "ADJUSTMENT", date(2027, 1, 1), D("1000.00"), NOW)
    return partner, staff, policy


def company(registration_number: str) -> dict[str, str]:
    return {
        "country": "ES",
        "registration_number": registration_number,
        "name": f"Comprador {registration_number}",
        "legal_form": "COMPANY",
        "sector": "47.11",
    }


async def test_lifecycle_5a_concurrent_wt_operations_on_one_policy_never_deadlock(db, gateways):
    """Each round races, on one policy: a limit granted on a buyer (the event, then the
    buyer's credits decided again), that buyer's collection (its credits, then the event),
    another sale declared and a premium payment. Without the policy's lock first the
    grant and the collection deadlocked on PostgreSQL in the first rounds."""
    partner, staff, policy = await active_policy()
    invoice = await PremiumInvoice.get(policy_id=policy.id, kind="ADJUSTMENT")

    def sale(buyer: str, number: str) -> policy_declarations.SaleLine:
        return policy_declarations.SaleLine(
            buyer, number, date(2027, 1, 10), date(2027, 3, 10), D("1000.00"), "EUR"
        )

    async def declare(buyer: str, number: str) -> Any:
        return await policy_declarations.declare_sales(
            partner, policy.id, date(2027, 1, 1), [sale(buyer, number)], NOW
        )

    async def grant(limit_id: str) -> Any:
        decision = credit_limits.LimitDecision("GRANT")
        return await credit_limits.decide_credit_limit(staff, limit_id, decision, NOW)

    async def collect(buyer: str) -> Any:
        line = policy_declarations.CollectionLine(buyer, D("10.00"), "EUR", NOW.date())
        return await policy_declarations.declare_collections(
            partner, policy.id, NOW.date(), [line], NOW
        )

    async def pay() -> Any:
        return await policies.record_premium_payment(staff, invoice.id, D("1.00"), NOW.date(), NOW)

    refused: dict[str, list[str]] = {"grant": [], "collect": [], "declare": [], "pay": []}
    for n in range(ROUNDS):
        registration = f"B2{n:07d}"
        buyer = f"ES:{registration}"
        await declare(buyer, f"R{n}")
        row = await credit_limits.request_credit_limit(
            partner, policy.id, company(registration), D("5000.00"), 90, NOW
        )
        results = await asyncio.gather(
            grant(row.id), collect(buyer), declare(BUYER, f"S{n}"), pay(), return_exceptions=True
        )
        for name, result in zip(refused, results, strict=True):
            if isinstance(result, DomainError):
                refused[name].append(result.code)  # a clean refusal is an answer
            elif isinstance(result, BaseException):
                raise AssertionError(f"round {n}, {name}: {result!r}") from result
    assert all(set(codes) <= {"INVALID_STATE"} for codes in refused.values()), refused
    sequences = await PolicyEvent.filter(policy_id=policy.id).values_list("sequence", flat=True)
    assert sorted(sequences) == list(range(1, len(sequences) + 1))
    assert (await Policy.get(id=policy.id)).event_sequence == len(sequences)
    paid = (await PremiumInvoice.get(id=invoice.id)).paid_amount
    assert paid == D("1.00") * (ROUNDS - len(refused["pay"]))
