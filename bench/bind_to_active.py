"""bind -> ACTIVE latency for TR covers through the real stack (API, worker, scheduler,
Redis, SQLite), as `make run` starts it. Not a test: prints figures for bench/RESULTS.md.

    .venv/bin/python bench/bind_to_active.py [--covers 500] [--concurrency 16]

Each cover: requestQuote, then bindCover (the clock starts when the bind is sent), then
`cover(id)` polled every 10 ms until ACTIVE. Buyers differ so U-1 never declines.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"
sys.path.insert(0, str(REPO))

from tradecover.redis_server import free_port  # noqa: E402

QUOTE = """mutation($input: QuoteInput!) { requestQuote(input: $input) { quote { id } } }"""
BIND = """mutation($id: ID!) { bindCover(input: {quoteId: $id, paymentMethodToken: "tok_visa"})
  { cover { id status } userErrors { code message } } }"""
STATUS = """query($id: ID!) { cover(id: $id) { status paymentHold { status } } }"""


def quote_input(n: int) -> dict:
    today = date.today().isoformat()
    company = {"country": "ES", "name": "Buyer", "legalForm": "COMPANY", "sector": "46.90"}
    return {
        "product": "TRANSPORT_INVOICE",
        "seller": {**company, "registrationNumber": "CARRIER-1", "name": "Carrier"},
        "buyer": {**company, "registrationNumber": f"BUYER-{n}"},
        "shipment": {
            "guaranteedAmount": {"amount": "1500.00", "currency": "EUR"},
            "loadingDate": today,
        },
    }


async def one_cover(client: httpx.AsyncClient, n: int, latencies: list[float]) -> None:
    quoted = (
        await client.post("/graphql", json={"query": QUOTE, "variables": {"input": quote_input(n)}})
    ).json()
    quote_id = quoted["data"]["requestQuote"]["quote"]["id"]
    started = time.perf_counter()
    bound = (
        await client.post("/graphql", json={"query": BIND, "variables": {"id": quote_id}})
    ).json()
    cover_id = bound["data"]["bindCover"]["cover"]["id"]
    while True:
        status = (
            await client.post("/graphql", json={"query": STATUS, "variables": {"id": cover_id}})
        ).json()
        if status["data"]["cover"]["status"] == "ACTIVE":
            latencies.append(time.perf_counter() - started)
            return
        if time.perf_counter() - started > 60:
            raise RuntimeError(f"cover {cover_id} not active after 60 s: {status}")
        await asyncio.sleep(0.01)


async def drive(base: str, key: str, covers: int, concurrency: int) -> list[float]:
    latencies: list[float] = []
    limit = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:

        async def guarded(n: int) -> None:
            async with limit:
                await one_cover(client, n, latencies)

        await asyncio.gather(*[guarded(n) for n in range(covers)])
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--covers", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="tc-bench-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADECOVER_")}
    env.update(TRADECOVER_DATA_DIR=str(data_dir / "var"), TRADECOVER_PORT=str(port))
    log = (data_dir / "stack.log").open("wb")
    stack = subprocess.Popen(
        [str(BIN / "tradecover"), "dev"],
        cwd=data_dir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        key = (data_dir / "var" / "sandbox_partner_key.txt").read_text().strip()
        wall = time.perf_counter()
        latencies = asyncio.run(drive(base, key, args.covers, args.concurrency))
        wall = time.perf_counter() - wall
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(f"covers={len(latencies)} concurrency={args.concurrency} wall={wall:.1f}s")
        print(
            f"bind->ACTIVE p50={statistics.median(ordered) * 1000:.0f} ms "
            f"p99={p99 * 1000:.0f} ms max={ordered[-1] * 1000:.0f} ms"
        )
    finally:
        os.killpg(stack.pid, signal.SIGINT)
        stack.wait(timeout=60)


if __name__ == "__main__":
    main()
