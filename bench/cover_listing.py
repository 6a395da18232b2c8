"""`covers(first: 100)` with quote, card hold, deadlines, incidents and claim selected, for
a partner with 10,000 covers: SQL statements per request and requests per second. Not a
test: prints figures for bench/RESULTS.md.

    .venv/bin/python bench/cover_listing.py [--covers 10000] [--requests 50]

The app runs in-process behind httpx's ASGI transport (no network, one event loop), on
SQLite in a temporary directory. Covers are cloned from one real bound cover with raw
INSERTs; one in ten has an incident and a claim, every one has two deadlines.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

LISTING = """
query($first: Int, $after: String) { covers(first: $first, after: $after) { edges { cursor
  node { id status quote { id premium { amount } } paymentHold { status }
    deadlines { kind rule dueOn met } incidents { kind published }
    claim { id status missingDocuments indemnity { amount { amount } } } } } } }
"""


async def clone(table: str, template: dict, rows: list[dict]) -> None:
    from tortoise import connections

    columns = list(template)
    sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" for _ in columns)})'
    await connections.get("default").execute_many(
        sql, [[{**template, **row}[c] for c in columns] for row in rows]
    )


async def fill(covers: int) -> str:
    """A sandbox partner with `covers` covers; returns its API key."""
    from datetime import UTC, datetime

    from tortoise import connections

    from domain.rules.quote_request import ShipmentFacts
    from domain.services import covers as cover_service
    from domain.services.gateways import registry
    from domain.services.gateways.factory import card_gateway
    from domain.services.principals import authenticate, create_partner
    from domain.services.quotes import QuoteDraft, request_quote
    from tests.services.test_quote_service import BUYER, SELLER, eur

    now = datetime.now(UTC)
    _, key = await create_partner(
        name="Bench", kind="freight_exchange", sandbox=True, premium_rate=None, now=now
    )
    principal = await authenticate(key)
    registry.configure([card_gateway("sandbox")], live="sandbox")
    quote = await request_quote(
        principal,
        QuoteDraft(
            "TRANSPORT_INVOICE", SELLER, BUYER, shipment=ShipmentFacts(eur("1500.00"), now.date())
        ),
        now,
    )
    await cover_service.bind_cover(
        principal, quote.id, signature_reference=None, payment_method_token="tok_visa", now=now
    )
    conn = connections.get("default")
    [quote_row] = await conn.execute_query_dict('SELECT * FROM "quote"')
    [cover_row] = await conn.execute_query_dict('SELECT * FROM "cover"')
    [hold_row] = await conn.execute_query_dict('SELECT * FROM "payment_hold"')
    n_ids = range(covers)
    await clone("quote", quote_row, [{"id": f"quo_b{n:07d}"} for n in n_ids])
    await clone(
        "cover",
        cover_row,
        [{"id": f"cov_b{n:07d}", "quote_id": f"quo_b{n:07d}", "status": "ACTIVE"} for n in n_ids],
    )
    await clone(
        "payment_hold",
        hold_row,
        [
            {"id": f"hld_b{n:07d}", "cover_id": f"cov_b{n:07d}", "gateway_reference": f"r{n}"}
            for n in n_ids
        ],
    )
    day = now.date().isoformat()
    template = {
        "id": "",
        "cover_id": "",
        "kind": "",
        "rule": "TR-T1",
        "due_on": day,
        "state": "OPEN",
        "met_on": None,
        "insurer_side": 0,
        "announced": "[]",
        "flagged_to_staff": 0,
        "next_check_on": day,
    }
    for kind in ("UNLOADING", "CONFIRMATION"):
        await clone(
            "cover_deadline",
            template,
            [
                {"id": f"ddl_{kind[:2]}{n:07d}", "cover_id": f"cov_b{n:07d}", "kind": kind}
                for n in n_ids
            ],
        )
    created = now.isoformat()
    await conn.execute_many(
        'INSERT INTO "incident" (id, cover_id, kind, unpaid_amount, currency, occurred_on, '
        "declared_on, published, disputed, created_at) VALUES (?, ?, 'NON_PAYMENT', '1500.00', "
        "'EUR', ?, ?, 0, 0, ?)",
        [
            [
                f"inc_b{n:07d}",
                f"cov_b{n:07d}",
                now.date().isoformat(),
                now.date().isoformat(),
                created,
            ]
            for n in n_ids
            if n % 10 == 0
        ],
    )
    await conn.execute_many(
        'INSERT INTO "claim" (id, cover_id, status, opened_on, created_at) '
        "VALUES (?, ?, 'DOCUMENTS_PENDING', ?, ?)",
        [
            [f"clm_b{n:07d}", f"cov_b{n:07d}", now.date().isoformat(), created]
            for n in n_ids
            if n % 10 == 0
        ],
    )
    return key


async def run(covers: int, requests: int, first: int) -> None:
    import httpx

    from domain.store.database import close_db, init_db, migrate
    from domain.store.sqlite_immediate import ImmediateSqliteClient
    from tradecover.app import create_app
    from tradecover.settings import Settings

    folder = Path(tempfile.mkdtemp(prefix="tc-listing-"))
    url = f"sqlite://{folder / 'bench.sqlite3'}"
    await migrate(url)
    await init_db(url)
    try:
        key = await fill(covers)
        settings = Settings(
            env="test", database_url=url, redis_url="redis://127.0.0.1:1/0", data_dir=folder / "var"
        )
        app = create_app(settings, manage_database=False)
        statements: list[str] = []
        original = ImmediateSqliteClient.execute_query

        async def counting(self, query, *args, **kwargs):  # type: ignore[no-untyped-def]
            statements.append(query)
            return await original(self, query, *args, **kwargs)

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {"Authorization": f"Bearer {key}"}

            async def one(after: str | None) -> str | None:
                response = await client.post(
                    "/graphql",
                    json={"query": LISTING, "variables": {"first": first, "after": after}},
                    headers=headers,
                )
                body = response.json()
                assert not body.get("errors"), body
                edges = body["data"]["covers"]["edges"]
                assert len(edges) == first
                return edges[-1]["cursor"]

            await one(None)  # warm-up
            ImmediateSqliteClient.execute_query = counting  # type: ignore[method-assign]
            await one(None)
            ImmediateSqliteClient.execute_query = original  # type: ignore[method-assign]
            per_request = len(statements)
            latencies = []
            cursor = None
            started = time.perf_counter()
            for _ in range(requests):
                begun = time.perf_counter()
                cursor = await one(cursor)
                latencies.append(time.perf_counter() - begun)
            elapsed = time.perf_counter() - started
        print(
            f"covers={covers} first={first}: {per_request} SELECT statements per request, "
            f"{requests / elapsed:.1f} requests/s, p50 {statistics.median(latencies) * 1000:.0f} ms"
        )
    finally:
        await close_db()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--covers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--first", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(run(args.covers, args.requests, args.first))


if __name__ == "__main__":
    main()
