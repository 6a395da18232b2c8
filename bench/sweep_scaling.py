"""Deadline sweep time with 1% due, at growing numbers of covers (LIFECYCLE 4). Not a
test: prints figures for bench/RESULTS.md. The ratio to watch is time per due deadline,
which should stay flat as covers grow (the sweep reads the (state, next_check_on) index).

    .venv/bin/python bench/sweep_scaling.py [--covers 100000 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TODAY = date(2027, 3, 1)


async def fill(covers: int) -> None:
    from tortoise import connections

    conn = connections.get("default")
    now = datetime(2027, 1, 1, tzinfo=UTC).isoformat()
    await conn.execute_query(
        "INSERT INTO partner (id, name, kind, sandbox, premium_rate, created_at) "
        "VALUES ('ptn_b', 'Bench', 'freight_exchange', 1, NULL, ?)",
        [now],
    )
    batch = 50_000
    for start in range(0, covers, batch):
        ids = range(start, min(start + batch, covers))
        await conn.execute_many(
            "INSERT INTO quote (id, partner_id, product, eligible, violations, currency, premium,"
            " premium_rate, insured_amount, coverage_percent, request_date, valid_until, request,"
            " test_clock_id, created_at) VALUES (?, 'ptn_b', 'TRANSPORT_INVOICE', 1, '[]', 'EUR',"
            " '25.50', '0.017', '1500.00', '90', '2027-01-01', NULL, '{}', NULL, ?)",
            [[f"quo_{n:08d}", now] for n in ids],
        )
        await conn.execute_many(
            "INSERT INTO cover (id, partner_id, quote_id, product, status, feasibility, seller,"
            " buyer, buyer_key, seller_key, currency, insured_amount, premium, coverage_percent,"
            " paid_amount, bound_at, confirmation_due_at, created_at) VALUES (?, 'ptn_b', ?,"
            " 'TRANSPORT_INVOICE', 'ACTIVE', 'CONFIRMED', '{}', '{}', ?, 'S', 'EUR', '1500.00',"
            " '25.50', '90', '0', ?, ?, ?)",
            [[f"cov_{n:08d}", f"quo_{n:08d}", f"B{n}", now, now, now] for n in ids],
        )
        due, later = (TODAY - timedelta(days=1)).isoformat(), (TODAY + timedelta(days=30))
        await conn.execute_many(
            "INSERT INTO cover_deadline (id, cover_id, kind, rule, due_on, state, met_on,"
            " insurer_side, announced, next_check_on, flagged_to_staff) VALUES (?, ?,"
            " 'UNLOADING', 'TR-T1', ?, 'OPEN', NULL, 0, '[]', ?, 0)",
            [
                [
                    f"ddl_{n:08d}",
                    f"cov_{n:08d}",
                    due if n % 100 == 0 else later.isoformat(),
                    TODAY.isoformat() if n % 100 == 0 else (later - timedelta(days=7)).isoformat(),
                ]
                for n in ids
            ],
        )


async def measure(covers: int) -> tuple[int, float]:
    from domain.services import deadline_sweep, document_storage
    from domain.services.document_storage import LocalFileStorage
    from domain.store.database import close_db, init_db, migrate

    folder = Path(tempfile.mkdtemp(prefix="tc-sweep-"))
    url = f"sqlite://{folder / 'bench.sqlite3'}"
    await migrate(url)
    await init_db(url)
    document_storage.configure(LocalFileStorage(folder / "documents"))
    try:
        await fill(covers)
        started = time.perf_counter()
        looked = 0
        while True:  # the scheduler's limit per pass is 1,000 rows
            batch = await deadline_sweep.sweep(datetime(2027, 3, 1, 9, tzinfo=UTC))
            looked += batch
            if batch == 0:
                break
        return looked, time.perf_counter() - started
    finally:
        await close_db()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--covers", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    for covers in args.covers:
        looked, seconds = asyncio.run(measure(covers))
        print(
            f"covers={covers:>9} due={looked:>6} sweep={seconds:.2f}s "
            f"per_due={seconds / max(looked, 1) * 1000:.2f} ms"
        )


if __name__ == "__main__":
    main()
