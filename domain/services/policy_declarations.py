"""Monthly declarations under a policy (WT-N1 to WT-N3): sales, with each credit's cover
decided when it is declared (WT-P1, WT-L1, WT-L4 firm orders, WT-L6, WT-L7, WT-N1), and
collections applied to the credits (WT-N2), converted at the exchange rates of
WT-N3 (domain/services/exchange_rates.py).

A declaration is all or nothing: one bad line refuses it and writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.rules.wt import cover as cover_rules
from domain.rules.wt import declarations as declaration_rules
from domain.rules.wt import premium as premium_rules
from domain.services import (
    buyer_credits,
    cover_decisions,
    event_sequence,
    exchange_rates,
    policies,
    policy_claims,
    policy_events,
    policy_sweep,
)
from domain.services.errors import DomainError, InvalidInput
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.policy_models import (
    Collection,
    Declaration,
    Policy,
    Sale,
)

#: The most lines one declaration call takes (bigger months are declared in parts).
MAX_LINES = 10_000
#: Rows per INSERT statement of a bulk insert.
BULK_BATCH = 1_000


@dataclass(frozen=True)
class SaleLine:
    buyer_key: str
    invoice_number: str
    issue_date: date
    due_date: date
    amount: Decimal
    currency: str
    #: WT-L4: made under a contract signed before a cancellation
    firm_order: bool = False
    #: WT-L4: the day that contract was signed, when the insured gives it
    firm_order_signed_on: date | None = None


@dataclass(frozen=True)
class CollectionLine:
    buyer_key: str
    amount: Decimal
    currency: str
    received_on: date
    invoice_number: str | None = None


@dataclass(frozen=True)
class DeclarationResult:
    declaration: Declaration
    sales: list[Sale]
    collections: list[Collection]


async def rate_on(
    policy: Policy, from_currency: str, to_currency: str, on: date, field: tuple[str, ...]
) -> Decimal:
    """WT-N3: the day-of-sale rate, from the rates the policy's mode uses (exchange_rates)."""
    if from_currency == to_currency:
        return Decimal(1)
    row = await exchange_rates.rate_of_day(
        policy.partner_id,
        from_currency,
        to_currency,
        on,
    )
    if row is None:
        raise DomainError(
            "WT-N3",
            f"No {from_currency}/{to_currency} rate for {on}: the insurer sets it first.",
            field,
        )
    return row.rate


def _month_of(month: date) -> date:
    return month.replace(day=1)


async def _declaration(
    policy: Policy, kind: str, month: date, today: date, now: datetime
) -> Declaration:
    due = declaration_rules.declaration_due_on(month)
    return await Declaration.create(
        id=new_id("dcl"),
        policy_id=policy.id,
        kind=kind,
        month=month,
        declared_on=today,
        due_on=due,
        late=today > due,
        created_at=now,
    )


def _check_sale_lines(policy: Policy, month: date, lines: list[SaleLine]) -> None:
    problems: list[tuple[str, tuple[str, ...]]] = []
    seen: set[tuple[str, str]] = set()
    if len(lines) > MAX_LINES:
        raise DomainError(
            "INVALID_INPUT", f"At most {MAX_LINES} sales per call.", ("input", "sales")
        )
    missing = [
        (n, name)
        for n, line in enumerate(lines)
        for name in declaration_rules.missing_mandatory_data(
            {
                "buyer": line.buyer_key.strip(":"),
                "invoiceNumber": line.invoice_number,
                "issueDate": line.issue_date,
                "amount": line.amount,
                "dueDate": line.due_date,
            }
        )
    ]
    if missing:
        # WT-N5: a declaration lacking mandatory data is not priced and covers nothing.
        n, name = missing[0]
        raise DomainError(
            "WT-N5",
            f"Sale {n} has no {name}: a declaration lacking mandatory data is not priced "
            "and its credits are not covered.",
            ("input", "sales", str(n), name),
        )
    for n, line in enumerate(lines):
        at = ("input", "sales", str(n))
        if _month_of(line.issue_date) != month:
            problems.append(
                (f"Issued on {line.issue_date}, not in {month:%Y-%m}.", (*at, "issueDate"))
            )
        if line.due_date < line.issue_date:
            problems.append(("The due date is before the issue date.", (*at, "dueDate")))
        if line.amount <= 0:
            problems.append(("The amount is positive.", (*at, "amount")))
        if (line.buyer_key, line.invoice_number) in seen:
            problems.append(("The invoice is twice in the declaration.", (*at, "invoiceNumber")))
        seen.add((line.buyer_key, line.invoice_number))
    if problems:
        raise InvalidInput(problems)


async def _rows_of(policy_id: str, buyers: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The buyers' declared credits as plain rows (`cover_decisions.ROW_COLUMNS`), in one
    query: no model objects for 100,000 rows."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rows = (
        await Sale.filter(policy_id=policy_id, buyer_key__in=buyers)
        .order_by("issue_date", "id")
        .values("buyer_key", *cover_decisions.ROW_COLUMNS)
    )
    for row in rows:
        found[row["buyer_key"]].append(row)
    return found


def _sale_row(line: SaleLine, policy_amount: Decimal) -> dict[str, Any]:
    """A declared line as the row `cover_decisions.decide` reads."""
    return {
        "invoice_number": line.invoice_number,
        "issue_date": line.issue_date,
        "due_date": line.due_date,
        "policy_amount": policy_amount,
        "collected": Decimal("0.00"),
        "paid_in_full_on": None,
        "extended_due_date": None,
        "excluded_by": None,
        "firm_order_declared": line.firm_order,
        "firm_order_signed_on": line.firm_order_signed_on,
    }


def _refuse_duplicates(
    by_buyer: dict[str, list[tuple[SaleLine, Decimal, Decimal]]],
    earlier_of: dict[str, list[dict[str, Any]]],
) -> None:
    taken: list[str] = []
    for buyer_key, items in by_buyer.items():
        numbers = {row["invoice_number"] for row in earlier_of.get(buyer_key, [])}
        taken += [
            f"{buyer_key} {line.invoice_number}"
            for line, _, _ in items
            if line.invoice_number in numbers
        ]
    taken.sort()
    if taken:
        raise DomainError(
            "DUPLICATE_INVOICE",
            f"Already declared: {', '.join(taken[:20])}.",
            ("input", "sales"),
        )


async def _buyers_with_collections(policy_id: str, buyers: list[str]) -> list[str]:
    keys = (
        await Collection.filter(policy_id=policy_id, buyer_key__in=buyers)
        .distinct()
        .values_list("buyer_key", flat=True)
    )
    return sorted(str(key) for key in keys)


async def declare_sales(
    principal: Principal, policy_id: str, month: date, lines: list[SaleLine], real_now: datetime
) -> DeclarationResult:
    """A month's sales (WT-N1). Each credit is priced (WT-P1) and its cover decided on
    declaration; a late declaration removes cover as WT-N1 says, buyer by buyer."""
    policy = await policies.partner_policy(principal, policy_id)
    month = _month_of(month)
    _check_sale_lines(policy, month, lines)
    now = await policies.policy_now(policy, real_now)
    today = now.date()
    rates: dict[str, Decimal] = {}
    converted: list[tuple[SaleLine, Decimal, Decimal]] = []
    for n, line in enumerate(lines):
        key = f"{line.currency}:{line.issue_date}"
        if key not in rates:
            rates[key] = await rate_on(
                policy, line.currency, policy.currency, line.issue_date, ("input", "sales", str(n))
            )
        rate = rates[key]
        converted.append((line, rate, declaration_rules.convert(line.amount, rate)))
    terms = policies.terms_of(policy)
    by_buyer: dict[str, list[tuple[SaleLine, Decimal, Decimal]]] = defaultdict(list)
    for item in converted:
        by_buyer[item[0].buyer_key].append(item)
    actor = policies.actor_of(principal)
    async with event_sequence.policy_transaction(policy.id):
        declaration = await _declaration(policy, "SALES", month, today, now)
        # A month can hold 100,000 invoices: every read below is one query for all the
        # buyers of the call, and the rows go in with one bulk INSERT.
        buyers = list(by_buyer)
        versions_of = await cover_decisions.versions_for(policy.id, buyers)
        earlier_of = await _rows_of(policy.id, buyers)
        _refuse_duplicates(by_buyer, earlier_of)
        fresh: list[Sale] = []
        changed = False
        for buyer_key, items in by_buyer.items():
            versions = versions_of.get(buyer_key, [])
            items = sorted(items, key=lambda i: (i[0].issue_date, i[0].invoice_number))
            rows = [_sale_row(line, amount) for line, _, amount in items]
            # The cover of each credit from the buyer's whole state (cover.decide_cover).
            earlier = earlier_of.get(buyer_key, [])
            credits = cover_rules.buyer_history(
                [cover_decisions.credit_of_row(r) for r in (*earlier, *rows)]
            )
            # The buyer's earlier credits, decided again with the new ones (WT-L7, WT-L4).
            redecided = await cover_decisions.apply_decisions(
                policy, buyer_key, earlier, versions, credits, now
            )
            changed = changed or bool(redecided)
            for (line, rate, amount), row in zip(items, rows, strict=True):
                decision = cover_decisions.decide(policy, row, versions, credits)
                term_days = (line.due_date - line.issue_date).days
                fresh.append(
                    Sale(
                        id=new_id("sal"),
                        policy_id=policy.id,
                        declaration_id=declaration.id,
                        buyer_key=buyer_key,
                        invoice_number=line.invoice_number,
                        issue_date=line.issue_date,
                        due_date=line.due_date,
                        amount=line.amount,
                        currency=line.currency,
                        rate=rate,
                        policy_amount=amount,
                        premium=premium_rules.sale_premium(amount, term_days, terms.premium_rates),
                        collected=Decimal("0.00"),
                        excluded_by=decision.rule,
                        exclusion_reason=decision.reason,
                        firm_order=decision.firm_order,
                        firm_order_declared=line.firm_order,
                        firm_order_signed_on=line.firm_order_signed_on,
                        disputed=False,
                        created_at=now,
                    )
                )
        await Sale.bulk_create(fresh, batch_size=BULK_BATCH)
        await policy_sweep.open_notification_deadlines(policy, fresh, now)
        # WT-N2: unassigned collections may now reach an older new credit.
        collecting = await _buyers_with_collections(policy.id, buyers)
        for buyer_key in collecting:
            await buyer_credits.apply_collections(policy.id, buyer_key)
        for buyer_key in collecting:  # payment dates changed (WT-L7, WT-L4)
            changed = bool(await cover_decisions.redecide_buyer(policy, buyer_key, now)) or changed
        if declaration.late:
            for buyer_key in buyers:
                await _late_declaration(policy, buyer_key, today)
        in_time = await policy_sweep.meet(policy.id, "DECLARATION", month.isoformat(), today)
        if declaration.late:
            excluded = await Sale.filter(
                policy_id=policy.id, buyer_key__in=list(by_buyer), excluded_by="WT-N1"
            ).values_list("invoice_number", flat=True)
            await policy_events.record(
                policy,
                "declaration.late",
                actor=actor,
                now=now,
                data={
                    "declarationId": declaration.id,
                    "month": month.isoformat(),
                    "dueOn": declaration.due_on.isoformat(),
                    "rule": "WT-N1",
                    "uncoveredInvoices": sorted(str(n) for n in excluded),
                    "deadlineMet": in_time,
                },
            )
    if declaration.late or collecting or changed:
        # Collections and WT-N1 changed rows after their insert: read them back.
        fresh = await Sale.filter(declaration_id=declaration.id).order_by(
            "buyer_key", "issue_date", "id"
        )
    return DeclarationResult(declaration, fresh, [])


async def _late_declaration(policy: Policy, buyer_key: str, declared_on: date) -> None:
    """WT-N1: the buyer's credits overdue and unpaid at the declaration date, and the
    later ones still pending, lose cover."""
    credits = await buyer_credits.credits_of(policy.id, buyer_key)
    lost = declaration_rules.late_declaration_exclusions(credits, declared_on)
    if lost:
        # WT-N1 takes precedence over the limit-decided exclusions, so a limit granted
        # or changed later does not bring these credits back (order-independent).
        reason = f"Sales declared late on {declared_on}."
        await Sale.filter(id__in=list(lost), excluded_by__isnull=True).update(
            excluded_by="WT-N1", exclusion_reason=reason
        )
        await Sale.filter(id__in=list(lost), excluded_by__in=cover_rules.DECIDED_HERE).update(
            excluded_by="WT-N1", exclusion_reason=reason, firm_order=False
        )


async def declare_collections(
    principal: Principal,
    policy_id: str,
    month: date,
    lines: list[CollectionLine],
    real_now: datetime,
) -> DeclarationResult:
    """WT-N2: collections, assigned to an invoice or applied oldest due date first. A
    claim still open for the buyer is recalculated (collections up to payment, WT-C6)."""
    policy = await policies.partner_policy(principal, policy_id)
    month = _month_of(month)
    if len(lines) > MAX_LINES:
        raise DomainError(
            "INVALID_INPUT", f"At most {MAX_LINES} collections per call.", ("input", "collections")
        )
    problems = [
        ("The amount is positive.", ("input", "collections", str(n), "amount"))
        for n, line in enumerate(lines)
        if line.amount <= 0
    ]
    if problems:
        raise InvalidInput(problems)
    now = await policies.policy_now(policy, real_now)
    converted = []
    for n, line in enumerate(lines):
        rate = await rate_on(
            policy,
            line.currency,
            policy.currency,
            line.received_on,
            ("input", "collections", str(n)),
        )
        converted.append((line, declaration_rules.convert(line.amount, rate)))
    created: list[Collection] = []
    async with event_sequence.policy_transaction(policy.id):
        declaration = await _declaration(policy, "COLLECTIONS", month, now.date(), now)
        buyers = set()
        for line, amount in converted:
            created.append(
                await Collection.create(
                    id=new_id("col"),
                    policy_id=policy.id,
                    declaration_id=declaration.id,
                    buyer_key=line.buyer_key,
                    amount=amount,
                    received_on=line.received_on,
                    invoice_number=line.invoice_number,
                    created_at=now,
                )
            )
            buyers.add(line.buyer_key)
        messages = []
        for buyer_key in sorted(buyers):
            await buyer_credits.apply_collections(policy.id, buyer_key)
            # WT-L7, WT-L4: a payment date can change the cover of later sales.
            await cover_decisions.redecide_buyer(policy, buyer_key, now)
            messages += await policy_claims.recalculate_open_claims(policy, buyer_key, now)
        await policy_events.record(
            policy,
            "collections.declared",
            actor=policies.actor_of(principal),
            now=now,
            data={"declarationId": declaration.id, "count": len(created)},
            webhook=False,
        )
    await policy_claims.publish(messages, now)
    return DeclarationResult(declaration, [], created)
