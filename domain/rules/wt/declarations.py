"""Monthly sales and collection declarations (WT-N1, WT-N2, WT-N5, seed 003 art. 4.4.b)
and their currency (WT-N3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from domain.rules.money import round_cents
from domain.rules.wt.limits import overdue_unpaid
from domain.rules.wt.terms import Credit

ZERO = Decimal("0.00")

#: WT-N1, WT-N2: a month's sales and collections are declared "antes del día 30" of the
#: next month, that is by this day (its last day when the month is shorter: February).
DECLARATION_DAY = 29
#: WT-N5: the data every declared sale must carry (seed 003 art. 4.4.b).
MANDATORY_SALE_DATA = ("buyer", "invoiceNumber", "issueDate", "amount", "dueDate")
#: WT-N1: ...of the month this many months after the sales month.
DECLARATION_MONTHS_AFTER = 1


def declaration_due_on(sales_month: date) -> date:
    """WT-N1, WT-N2: the last day to declare the sales (or collections) of `sales_month`
    (any day of that month): before the 30th of the following month, so the 29th, or
    its last day when it is shorter (February: the 28th, the 29th in a leap year)."""
    following = sales_month.replace(day=1) + relativedelta(months=DECLARATION_MONTHS_AFTER)
    return following + relativedelta(day=DECLARATION_DAY)


def declaration_is_late(sales_month: date, declared_on: date) -> bool:
    """WT-N1: declared after `declaration_due_on(sales_month)` (the due day itself is in time)."""
    return declared_on > declaration_due_on(sales_month)


def missing_mandatory_data(values: Mapping[str, object]) -> list[str]:
    """WT-N5: the mandatory data (`MANDATORY_SALE_DATA`) a declared sale lacks: absent,
    None or a blank string. A declaration with any of them is not priced and its credits
    are not covered (seed 003 art. 4.4.b: "La falta de tarificación ... tendrá como efecto
    la no inclusión en la cobertura de los CRÉDITOS incluidos en dicha notificación")."""
    missing = []
    for name in MANDATORY_SALE_DATA:
        value = values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(name)
    return missing


def late_declaration_exclusions(buyer_credits: Sequence[Credit], declared_on: date) -> set[str]:
    """WT-N1: the ids of the buyer's credits a late declaration made on `declared_on`
    removes from cover (seed 003 art. 4.4.b: "los CRÉDITOS que estén vencidos e impagados
    en la fecha de notificación, así como ... los CRÉDITOS posteriores a aquéllos,
    pendientes de vencimiento con el mismo DEUDOR").

    Decision: when no credit of the buyer is overdue and unpaid at `declared_on`
    (effective due date before it and something outstanding), nothing is excluded: the
    later credits are excluded only as followers of an overdue one. Otherwise the
    excluded credits are the overdue unpaid ones plus every credit not yet due at
    `declared_on` (effective due date on or after it, hence later than any overdue one),
    whatever its outstanding. Only credits issued on or before `declared_on` are
    considered: the exclusion is assessed at the declaration date and does not reach
    sales made after it. Overdue credits already paid in full stay untouched.
    """
    existing = [c for c in buyer_credits if c.issue_date <= declared_on]
    overdue = {c.id for c in overdue_unpaid(existing, declared_on)}
    if not overdue:
        return set()
    pending = {c.id for c in existing if c.effective_due_date >= declared_on}
    return overdue | pending


def convert(amount: Decimal, rate: Decimal) -> Decimal:
    """WT-N3: an amount in another currency converted to the policy currency at the
    day-of-sale `rate` (policy-currency units per unit of the other currency), half-up
    to the cent."""
    if rate <= ZERO:
        raise ValueError("an exchange rate must be positive")
    return round_cents(amount * rate)
