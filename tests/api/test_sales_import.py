"""`tradecover policies import-sales` (issue 9): a month's sales from a CSV file declared
as `declareSales` declares them (WT-N1), all or nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from domain.services import sales_import
from domain.services.errors import DomainError
from domain.store.policy_models import Sale
from tests.api.policy_helpers import active_policy, granted_limit

HEADER = "buyer_key,invoice_number,issue_date,due_date,amount,currency,firm_order\n"
NOW = datetime(2027, 1, 20, 9, tzinfo=UTC)


def write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "sales.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows))
    return path


def row(n: int, buyer: str = "ES:B00000001", currency: str = "EUR") -> str:
    return f"{buyer},F-{n},2027-01-{n:02d},2027-03-{n:02d},{1000 + n}.50,{currency},"


@pytest.fixture
async def policy(api, make_partner, make_staff) -> str:
    key = await make_partner(kind="financing_platform")
    staff = await make_staff()
    policy_id, _ = await active_policy(api, key, staff)
    await granted_limit(api, key, staff, policy_id, "1", "50000")
    return policy_id


async def test_wt_n1_a_csv_month_is_declared_in_batches_with_progress(policy, tmp_path):
    lines = sales_import.read_sales(write(tmp_path, [row(n) for n in range(1, 6)]))
    progress: list[int] = []
    outcome = await sales_import.import_sales(
        policy, date(2027, 1, 1), lines, NOW, batch=2, on_batch=progress.append
    )
    assert (outcome.lines, outcome.declarations, outcome.insured) == (5, 3, 5)
    assert progress == [2, 2, 1]
    sales = await Sale.filter(policy_id=policy).order_by("invoice_number")
    assert [s.invoice_number for s in sales] == [f"F-{n}" for n in range(1, 6)]
    assert sales[0].amount == Decimal("1001.50")


async def test_a_malformed_row_is_reported_by_line_and_nothing_is_read(tmp_path):
    path = write(tmp_path, [row(1), "ES:B00000001,F-2,2027-01-32,2027-03-01,10,EUR,"])
    with pytest.raises(sales_import.ImportFileError, match="line 3"):
        sales_import.read_sales(path)
    (tmp_path / "bad.csv").write_text("buyer_key,amount\nES:B1,10\n")
    with pytest.raises(sales_import.ImportFileError, match="missing columns"):
        sales_import.read_sales(tmp_path / "bad.csv")


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("ES:B00000001,F-2,2027-01-02,2027-03-01,10.005,EUR,", "more than 2 decimal places"),
        ("ES:B00000001," + "F" * 101 + ",2027-01-02,2027-03-01,10.00,EUR,", "invoice_number"),
        ("ES:" + "B" * 118 + ",F-2,2027-01-02,2027-03-01,10.00,EUR,", "buyer_key"),
    ],
)
async def test_an_import_row_goes_through_the_one_money_parser_and_the_column_lengths(
    tmp_path, line, why
):
    """10.005 is refused, never stored as 10.00; a value longer than its column too."""
    with pytest.raises(sales_import.ImportFileError, match=f"line 3: .*{why}"):
        sales_import.read_sales(write(tmp_path, [row(1), line]))


async def test_a_batch_refused_half_way_leaves_nothing_of_the_file(policy, tmp_path):
    # The third line is in USD with no exchange rate (WT-N3): its batch is refused.
    rows = [row(1), row(2), row(3, currency="USD"), row(4)]
    lines = sales_import.read_sales(write(tmp_path, rows))
    with pytest.raises(DomainError):
        await sales_import.import_sales(policy, date(2027, 1, 1), lines, NOW, batch=2)
    assert await Sale.filter(policy_id=policy).count() == 0
