"""Monthly declarations under a policy (WT-N1 to WT-N3): sales, with each credit's cover
decided when it is declared (WT-P1, WT-L1, WT-L4 firm orders, WT-L6, WT-L7, WT-N1), and
collections applied to the credits (WT-N2). Staff keep the exchange rates (WT-N3).

A declaration is all or nothing: one bad line refuses it and writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from tortoise.transactions import in_transaction

from domain.rules.wt import declarations as declaration_rules
from domain.rules.wt import limits as limit_rules
from domain.rules.wt import premium as premium_rules
from domain.rules.wt.terms import Credit
from domain.services import (
    buyer_credits,
    credit_limits,
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
    CreditLimit,
    Declaration,
    ExchangeRate,
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


async def set_exchange_rate(
    principal: Principal,
    from_currency: str,
    to_currency: str,
    on: date,
    rate: Decimal,
    now: datetime,
) -> ExchangeRate:
    """Staff: the rate of a day (WT-N3, WT-C7); setting it again replaces it."""
    if not principal.is_staff:
        raise DomainError("FORBIDDEN", "Exchange rates are kept by insurer staff keys.")
    if rate <= 0:
        raise DomainError("INVALID_INPUT", "A rate is positive.", ("input", "rate"))
    source, target = from_currency.upper(), to_currency.upper()
    async with in_transaction():
        row = await ExchangeRate.filter(from_currency=source, to_currency=target, on=on).first()
        if row is None:
            return await ExchangeRate.create(
                id=new_id("fx"),
                from_currency=source,
                to_currency=target,
                on=on,
                rate=rate,
                created_at=now,
            )
        await ExchangeRate.filter(id=row.id).update(rate=rate)
        await row.refresh_from_db()
        return row


async def rate_on(
    from_currency: str, to_currency: str, on: date, field: tuple[str, ...]
) -> Decimal:
    if from_currency == to_currency:
        return Decimal(1)
    row = await ExchangeRate.filter(
        from_currency=from_currency, to_currency=to_currency, on=on
    ).first()
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


def _exclusion(
    policy: Policy,
    line: SaleLine,
    versions: list[CreditLimit],
    earlier: list[Credit],
    firm_used: dict[str, Decimal],
    policy_amount: Decimal,
) -> tuple[str | None, str | None, bool]:
    """(rule, reason, firm_order) for one sale: the first rule that keeps it out of cover."""
    covered_from = policies.covered_from(policy)
    if covered_from is None or line.issue_date < covered_from:
        return "WT-P1", "Sold before the minimum premium was paid.", False
    if line.issue_date > policy.period_end:
        return "WT-P1", "Sold after the policy period.", False
    in_force = buyer_credits.version_on(versions, line.issue_date)
    firm = False
    if in_force is None:
        window = next(
            (v for v in versions if credit_limits.firm_order_window(v, line.issue_date)), None
        )
        if line.firm_order and window is not None and window.firm_orders_cap is not None:
            used = firm_used.get(window.id, Decimal("0.00"))
            if used + policy_amount > window.firm_orders_cap:
                return "WT-L4", "Above 50% of the unused limit balance for firm orders.", False
            firm_used[window.id] = used + policy_amount
            in_force, firm = window, True
        else:
            return "WT-L1", "No credit limit in force for the buyer on the sale date.", False
    term = limit_rules.check_payment_term(
        line.issue_date, line.due_date, in_force.payment_term_days
    )
    if term is not None:
        return term.rule, term.message, firm
    aggravated = limit_rules.aggravated_risk(line.issue_date, earlier)
    if aggravated is not None:
        return aggravated.rule, aggravated.message, firm
    return None, None, firm


def _firm_orders_used(
    earlier: list[tuple[Credit, bool]], versions: list[CreditLimit]
) -> dict[str, Decimal]:
    """WT-L4: what firm orders declared earlier already took of each ended version's cap
    (50% of the unused balance for all the firm orders of its 30 days, not per
    declaration), by limit version id."""
    used: dict[str, Decimal] = {}
    for credit, firm_order in earlier:
        if not firm_order:
            continue
        window = next(
            (v for v in versions if credit_limits.firm_order_window(v, credit.issue_date)), None
        )
        if window is not None:
            used[window.id] = used.get(window.id, Decimal("0.00")) + credit.amount
    return used


async def _limit_versions_of(policy_id: str, buyers: list[str]) -> dict[str, list[CreditLimit]]:
    found: dict[str, list[CreditLimit]] = defaultdict(list)
    rows = await CreditLimit.filter(
        policy_id=policy_id, buyer_key__in=buyers, status__in=buyer_credits.GRANTED_VERSIONS
    ).order_by("effective_from", "created_at")
    for row in rows:
        found[row.buyer_key].append(row)
    return found


async def _credits_of(policy_id: str, buyers: list[str]) -> dict[str, list[tuple[Credit, bool]]]:
    """The buyers' declared credits (with their firm-order flag and invoice number as the
    credit id's companion), read as plain values: no model objects for 100,000 rows."""
    found: dict[str, list[tuple[Credit, bool]]] = defaultdict(list)
    rows = (
        await Sale.filter(policy_id=policy_id, buyer_key__in=buyers)
        .order_by("due_date", "issue_date", "id")
        .values(*_CREDIT_COLUMNS)
    )
    for row in rows:
        credit = Credit(
            id=row["invoice_number"],
            issue_date=row["issue_date"],
            due_date=row["due_date"],
            amount=row["policy_amount"],
            collected=row["collected"],
            paid_in_full_on=row["paid_in_full_on"],
            extended_due_date=row["extended_due_date"],
            excluded_by=row["excluded_by"],
        )
        found[row["buyer_key"]].append((credit, row["firm_order"]))
    return found


_CREDIT_COLUMNS = (
    "buyer_key",
    "invoice_number",
    "issue_date",
    "due_date",
    "policy_amount",
    "collected",
    "paid_in_full_on",
    "extended_due_date",
    "excluded_by",
    "firm_order",
)


def _refuse_duplicates(
    by_buyer: dict[str, list[tuple[SaleLine, Decimal, Decimal]]],
    earlier_of: dict[str, list[tuple[Credit, bool]]],
) -> None:
    taken: list[str] = []
    for buyer_key, items in by_buyer.items():
        numbers = {credit.id for credit, _ in earlier_of.get(buyer_key, [])}
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
                line.currency, policy.currency, line.issue_date, ("input", "sales", str(n))
            )
        rate = rates[key]
        converted.append((line, rate, declaration_rules.convert(line.amount, rate)))
    terms = policies.terms_of(policy)
    by_buyer: dict[str, list[tuple[SaleLine, Decimal, Decimal]]] = defaultdict(list)
    for item in converted:
        by_buyer[item[0].buyer_key].append(item)
    actor = policies.actor_of(principal)
    async with in_transaction():
        declaration = await _declaration(policy, "SALES", month, today, now)
        # A month can hold 100,000 invoices: every read below is one query for all the
        # buyers of the call, and the rows go in with one bulk INSERT.
        buyers = list(by_buyer)
        versions_of = await _limit_versions_of(policy.id, buyers)
        earlier_of = await _credits_of(policy.id, buyers)
        _refuse_duplicates(by_buyer, earlier_of)
        fresh: list[Sale] = []
        for buyer_key, items in by_buyer.items():
            versions = versions_of.get(buyer_key, [])
            # WT-L7 only ever cites the buyer's worst credit: keep that one, not them all.
            worst = limit_rules.aggravating_credit([c for c, _ in earlier_of.get(buyer_key, [])])
            firm_used = _firm_orders_used(earlier_of.get(buyer_key, []), versions)
            for line, rate, amount in sorted(
                items, key=lambda i: (i[0].issue_date, i[0].invoice_number)
            ):
                rule, reason, firm = _exclusion(
                    policy, line, versions, [worst] if worst else [], firm_used, amount
                )
                term_days = (line.due_date - line.issue_date).days
                sale = Sale(
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
                    excluded_by=rule,
                    exclusion_reason=reason,
                    firm_order=firm,
                    disputed=False,
                    created_at=now,
                )
                fresh.append(sale)
                credit = replace(buyer_credits.credit_of(sale), id=line.invoice_number)
                worst = limit_rules.aggravating_credit([c for c in (worst, credit) if c])
        await Sale.bulk_create(fresh, batch_size=BULK_BATCH)
        await policy_sweep.open_notification_deadlines(policy, fresh, now)
        # WT-N2: unassigned collections may now reach an older new credit.
        collecting = await _buyers_with_collections(policy.id, buyers)
        for buyer_key in collecting:
            await buyer_credits.apply_collections(policy.id, buyer_key)
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
    if declaration.late or collecting:
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
        await Sale.filter(id__in=list(lost), excluded_by__isnull=True).update(
            excluded_by="WT-N1",
            exclusion_reason=f"Sales declared late on {declared_on}.",
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
            line.currency, policy.currency, line.received_on, ("input", "collections", str(n))
        )
        converted.append((line, declaration_rules.convert(line.amount, rate)))
    created: list[Collection] = []
    async with in_transaction():
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
