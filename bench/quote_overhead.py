"""The GraphQL layer's own cost per quote, without HTTP or a load generator: both apps of
bench/quote_throughput.py called in one process through ASGI, one request at a time.
Not a test: prints CPU ms per request for each side and their ratio.

    .venv/bin/python bench/quote_overhead.py [--requests 2000] [--runs 5] [--profile]

Less noisy than the socket benchmark (no driver competing for the cores), so it is the
one to iterate on; quote_throughput.py remains the figure of record.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from quote_throughput import bare_app, base_env, prepare_template, request_for  # noqa: E402


async def call(app: Any, path: str, body: bytes, key: str) -> tuple[int, bytes]:
    """One HTTP request as uvicorn would hand it to the app."""
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"authorization", f"Bearer {key}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    await app(scope, receive, send)
    return status, b"".join(chunks)


async def measure(side: str, app: Any, key: str, requests: int, ok: Any) -> float:
    path, body, _ = request_for(side)
    for _ in range(50):  # warm caches (parser, validation, auth)
        status, answer = await call(app, path, body, key)
        assert status == 200 and ok(json.loads(answer)), answer[:500]
    started = time.process_time()
    for _ in range(requests):
        await call(app, path, body, key)
    return (time.process_time() - started) / requests * 1000


async def main(args: argparse.Namespace) -> None:
    from domain.store.database import close_db, init_db
    from tradecover.app import create_app
    from tradecover.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    graphql = create_app(settings, manage_database=False)
    bare = bare_app()
    await init_db(settings.resolved_database_url)
    try:
        results: dict[str, list[float]] = {"graphql": [], "bare": []}
        for _ in range(args.runs):
            for side, app in (("graphql", graphql), ("bare", bare)):
                _, _, ok = request_for(side)
                results[side].append(await measure(side, app, args.key, args.requests, ok))
        for side, values in results.items():
            runs = " / ".join(f"{v:.2f}" for v in values)
            print(f"{side:>7}: {statistics.median(values):.2f} ms CPU per quote ({runs})")
        ratio = statistics.median(results["bare"]) / statistics.median(results["graphql"])
        print(f"  ratio bare/graphql CPU (= graphql/bare throughput if CPU-bound): {ratio:.2f}")
        if args.profile:
            path, body, _ = request_for("graphql")
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                await call(graphql, path, body, args.key)
            profiler.disable()
            profiler.dump_stats(args.profile_out)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    finally:
        await close_db()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-out", default="/tmp/quote_overhead.prof")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="tc-quote-overhead-"))
    try:
        data_dir, args.key = prepare_template(root)
        for name, value in base_env(data_dir).items():
            os.environ[name] = value
        os.chdir(root)
        asyncio.run(main(args))
    finally:
        shutil.rmtree(root, ignore_errors=True)
