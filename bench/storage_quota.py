"""What the per-partner document storage quota costs: the SUM behind each upload's
decision (`document_quota.used_bytes`, run twice per upload: the early check and the
one in the transaction), the grouped sums behind /metrics and the console
(`usage_by_partner`), and a whole `submit_document` of a 1 MiB PDF, for a partner that
already has N document rows. Not a test: prints figures for bench/RESULTS.md.

    .venv/bin/python bench/storage_quota.py [--documents 10000] [--runs 30]

SQLite in a temporary directory, one process. Document rows are cloned from one real
upload with raw INSERTs (spread over 100 covers of the partner).
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


async def clone(table: str, template: dict, rows: list[dict]) -> None:
    from tortoise import connections

    columns = list(template)
    sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" for _ in columns)})'
    await connections.get("default").execute_many(
        sql, [[{**template, **row}[c] for c in columns] for row in rows]
    )


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.2f} ms"


async def timed(runs: int, make) -> list[float]:
    samples = []
    for n in range(runs):
        started = time.perf_counter()
        await make(n)
        samples.append(time.perf_counter() - started)
    return samples


async def main(rows: int, runs: int) -> None:
    from datetime import UTC, datetime

    from tortoise import connections

    from domain.services import document_quota, document_storage, documents
    from domain.services.document_storage import LocalFileStorage
    from domain.services.gateways import registry
    from domain.services.gateways.factory import card_gateway
    from domain.services.principals import authenticate, create_partner
    from domain.store.database import close_db, init_db, migrate
    from tests.support.documents import pdf, store_document

    folder = Path(tempfile.mkdtemp(prefix="tc-quota-"))
    url = f"sqlite://{folder / 'bench.sqlite3'}"
    await migrate(url)
    await init_db(url)
    try:
        registry.configure([card_gateway("sandbox")], live="sandbox")
        document_storage.configure(LocalFileStorage(folder / "documents"))
        document_quota.configure(document_quota.Quotas(live=1 << 40, sandbox=1 << 40))
        now = datetime.now(UTC)
        partner, key = await create_partner(
            name="Bench", kind="freight_exchange", sandbox=True, premium_rate=None, now=now
        )
        for n in range(10):  # other partners' rows, which the partner's sum must skip
            _, other = await create_partner(
                name=f"Other {n}", kind="freight_exchange", sandbox=True, premium_rate=None, now=now
            )
            await store_document(other, pdf(10_000 + n, 4096))
        for n in range(100):
            await store_document(key, pdf(n, 4096))
        conn = connections.get("default")
        template = (await conn.execute_query_dict('SELECT * FROM "document" LIMIT 1'))[0]
        covers = [
            r["id"]
            for r in await conn.execute_query_dict(
                'SELECT id FROM "cover" WHERE partner_id = ?', [partner.id]
            )
        ]
        await clone(
            "document",
            template,
            [{"id": f"doc_b{n:07d}", "cover_id": covers[n % len(covers)]} for n in range(rows)],
        )

        used = await timed(runs, lambda n: document_quota.used_bytes(partner.id))
        grouped = await timed(runs, lambda n: document_quota.usage_by_partner())
        principal = await authenticate(key)
        cover_id = covers[0]

        async def submit(n: int) -> None:
            content = pdf(200_000 + n, 1 << 20)
            await documents.submit_document(
                principal, cover_id, "CMR", "cmr.pdf", "application/pdf", content, now
            )

        one_mib = await timed(runs, submit)
        total = await document_quota.used_bytes(partner.id)
        print(f"partner rows: {rows + 100 + runs}, used bytes: {total}")
        print(f"used_bytes (one partner's SUM): median {median_ms(used)}")
        print(
            f"usage_by_partner (every partner, /metrics and console): median {median_ms(grouped)}"
        )
        print(f"submit_document of 1 MiB (incl. two quota SUMs): median {median_ms(one_mib)}")
    finally:
        await close_db()  # an open aiosqlite thread would hang the exit


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    options = parser.parse_args()
    asyncio.run(main(options.documents, options.runs))
