"""Bulk import of a whole-turnover month's sales from a CSV file (WT-N1), for
`tradecover policies import-sales`: the operator loads a partner's bordereau.

Every row is checked before anything is written, and the batches share one transaction,
so a bad file stores nothing. The lines are declared through
`policy_declarations.declare_sales` in batches, exactly as the `declareSales` mutation
would (pricing WT-P1, cover decisions WT-L*, notice deadlines).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import InvalidOperation
from pathlib import Path

from domain.rules.money import parse_amount
from domain.services import event_sequence, policy_declarations
from domain.services.errors import DomainError
from domain.services.policy_declarations import SaleLine
from domain.services.principals import Principal
from domain.store.models import Partner
from domain.store.policy_models import Policy, Sale

COLUMNS = ("buyer_key", "invoice_number", "issue_date", "due_date", "amount", "currency")
OPTIONAL = ("firm_order", "firm_order_signed_on")


class ImportFileError(ValueError):
    """A row of the file is wrong; nothing was imported."""


@dataclass(frozen=True)
class ImportOutcome:
    lines: int
    declarations: int
    insured: int


def _row_line(number: int, row: dict[str, str]) -> SaleLine:
    try:
        amount = parse_amount(row["amount"])  # the one money parser: 10.005 is refused
        if amount <= 0:
            raise ValueError("amount must be a positive decimal")
        buyer_key, invoice_number = row["buyer_key"].strip(), row["invoice_number"].strip()
        for column, value in (("buyer_key", buyer_key), ("invoice_number", invoice_number)):
            limit = Sale._meta.fields_map[column].max_length  # type: ignore[attr-defined]
            if len(value) > limit:
                raise ValueError(f"{column} has at most {limit} characters")
        return SaleLine(
            buyer_key=buyer_key,
            invoice_number=invoice_number,
            issue_date=date.fromisoformat(row["issue_date"].strip()),
            due_date=date.fromisoformat(row["due_date"].strip()),
            amount=amount,
            currency=row["currency"].strip().upper(),
            firm_order=(row.get("firm_order") or "").strip().lower() in {"1", "true", "yes"},
            firm_order_signed_on=date.fromisoformat(signed)
            if (signed := (row.get("firm_order_signed_on") or "").strip())
            else None,
        )
    except (ValueError, InvalidOperation) as error:
        raise ImportFileError(f"line {number}: {error}") from None


def read_sales(path: Path) -> list[SaleLine]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ImportFileError(f"missing columns: {', '.join(missing)}")
        # Line 1 is the header.
        return [_row_line(n, row) for n, row in enumerate(reader, start=2)]


def batches(lines: list[SaleLine], size: int) -> Iterable[list[SaleLine]]:
    for start in range(0, len(lines), size):
        yield lines[start : start + size]


async def import_sales(
    policy_id: str,
    month: date,
    lines: list[SaleLine],
    now: datetime,
    *,
    batch: int = 5000,
    on_batch: Callable[[int], object] | None = None,
) -> ImportOutcome:
    """Declare `lines` for the policy's partner, `batch` lines per declaration."""
    policy = await Policy.get_or_none(id=policy_id)
    if policy is None:
        raise DomainError("NOT_FOUND", f"No policy {policy_id}.")
    partner = await Partner.get(id=policy.partner_id)
    principal = Principal(partner_id=partner.id, sandbox=partner.sandbox)
    declarations = insured = 0
    # One transaction for the file: a batch refused half-way (WT-N1 checks, a missing
    # exchange rate) leaves nothing of the earlier batches either.
    async with event_sequence.policy_transaction(policy_id):
        for chunk in batches(lines, batch):
            result = await policy_declarations.declare_sales(
                principal, policy_id, month, chunk, now
            )
            declarations += 1
            insured += sum(1 for sale in result.sales if sale.excluded_by is None)
            if on_batch is not None:
                on_batch(len(chunk))
    return ImportOutcome(lines=len(lines), declarations=declarations, insured=insured)
