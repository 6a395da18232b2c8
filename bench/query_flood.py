"""Big-document flood: while partner A sends query documents whose text differs every time
(a long comment, a long run of whitespace, a long string literal), does partner B's
`{ products { code } }` stay within 2x its quiet p50? Not a test: prints figures for
RELIABILITY.md (tradecover/http/request_size.py is what it measures).

    .venv/bin/python bench/query_flood.py [--seconds 20] [--b-rate 20] [--a-loops 4]
                                          [--a-bytes 4000000] [--a-nice 0] [--json]

Setup as bench/rate_limit_fairness.py: a real Redis, a migrated SQLite database with two
sandbox partners, the real app (`tradecover serve`, one uvicorn process,
TRADECOVER_ENV=production, the default limits: 50 tokens/s, burst 200).

Phases, each `--seconds` long, on one server:
1. quiet: B alone sends `{ products { code } }` open loop at `--b-rate` requests/s;
2. flood, over the cap: the same B load while A runs `--a-loops` loops back to back, each
   sending unique documents of `--a-bytes` (the outside probe's attack: 4 MB, 4 loops);
3. flood, under the cap: the same with unique documents just under the 32 KiB cap (the
   largest a partner can have parsed), served until A's bucket is empty.
Printed: B's p50/p99 per phase with the flood/quiet ratios, and A's answers by status.
`--json` prints one JSON line with the figures as well (the smoke test reads it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from quote_throughput import cpu_seconds  # noqa: E402
from rate_limit_fairness import Phase, create_partner, env_for, server, steady  # noqa: E402

from tradecover.http.request_size import MAX_QUERY_BYTES  # noqa: E402
from tradecover.redis_server import RedisServer  # noqa: E402

PRODUCTS = json.dumps({"query": "{ products { code } }"}).encode()
KINDS = ("comment", "whitespace", "string")


def unique_document(n: int, size: int) -> bytes:
    """A JSON body whose query is `size` bytes of UTF-8 and differs for every n."""
    head = f"{{ products {{ code }} }} # {n}\n"
    kind = KINDS[n % len(KINDS)]
    room = max(0, size - len(head) - 8)
    if kind == "comment":
        query = head + "#" + "x" * room
    elif kind == "whitespace":
        query = head + " " * room
    else:
        query = f'{{ products(x: "{n}{"a" * room}") {{ code }} }}'
    return json.dumps({"query": query[:size]}).encode()


async def flood(base: str, key: str, loops: int, size: int, seconds: float) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    statuses: Counter[int] = Counter()
    stop_at = time.perf_counter() + seconds
    print("flooding", flush=True)

    async def loop(index: int) -> None:
        n = index
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
            while time.perf_counter() < stop_at:
                try:
                    response = await client.post("/graphql", content=unique_document(n, size))
                    statuses[response.status_code] += 1
                except httpx.HTTPError:
                    statuses[0] += 1
                n += loops

    await asyncio.gather(*[loop(i) for i in range(loops)])
    return {"seconds": seconds, "statuses": dict(statuses)}


def measured(name: str, base: str, pid: int, key: str, args: Any) -> Phase:
    """B's open loop for one phase, with the server's CPU share over it."""
    phase = Phase(name)
    cpu, began = cpu_seconds(pid), time.perf_counter()
    asyncio.run(steady(base, key, args.b_rate, args.seconds, phase, PRODUCTS))
    phase.server_cpu = (cpu_seconds(pid) - cpu) / (time.perf_counter() - began)
    return phase


def flooded_phase(
    name: str, base: str, pid: int, b_key: str, a_key: str, size: int, args: Any
) -> Phase:
    flooder = subprocess.Popen(
        [str(BIN / "python"), __file__, "--flood", base, "--key", a_key]
        + ["--a-loops", str(args.a_loops), "--a-bytes", str(size)]
        + ["--seconds", str(args.warmup + args.seconds + 1)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=(lambda: os.nice(args.a_nice)) if args.a_nice else None,
    )
    try:
        assert flooder.stdout is not None
        assert flooder.stdout.readline().strip() == "flooding"
        time.sleep(args.warmup)
        phase = measured(name, base, pid, b_key, args)
        out = json.loads(flooder.communicate(timeout=120)[0].strip().splitlines()[-1])
    finally:
        if flooder.poll() is None:
            os.killpg(flooder.pid, signal.SIGKILL)
            flooder.wait()
    phase.flood = out
    return phase


def line(phase: Phase, quiet: Phase | None = None) -> str:
    text = (
        f"  B {phase.name:>11}: n={len(phase.latencies):4d}  p50 {phase.percentile(0.5):7.1f} ms"
        f"  p99 {phase.percentile(0.99):7.1f} ms"
    )
    if quiet is not None:
        text += f"  (x{ratio(phase, quiet, 0.5):.2f} p50, x{ratio(phase, quiet, 0.99):.2f} p99)"
    others = {s: n for s, n in phase.statuses.items() if s != 200}
    text += f"  non-200: {others or 0}  server cpu {phase.server_cpu:.0%}"
    if phase.flood is not None:
        counts = phase.flood["statuses"]
        total = sum(counts.values())
        text += f"\n    A: {total / phase.flood['seconds']:.0f} req/s, by status {counts}"
    return text


def ratio(phase: Phase, quiet: Phase, q: float) -> float:
    return phase.percentile(q) / max(quiet.percentile(q), 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--b-rate", type=float, default=20.0, help="B's queries/s")
    parser.add_argument("--a-loops", type=int, default=4)
    parser.add_argument("--a-bytes", type=int, default=4_000_000)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument(
        "--a-nice",
        type=int,
        default=0,
        help="nice level of A's process: on one shared machine A's client (building and "
        "sending 4 MB bodies) otherwise takes CPU from the server and B's driver",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--flood", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flood:
        counts = asyncio.run(flood(args.flood, args.key, args.a_loops, args.a_bytes, args.seconds))
        print(json.dumps(counts))
        return

    root = Path(tempfile.mkdtemp(prefix="tc-query-flood-"))
    redis = RedisServer(root / "redis", persist=False).start()
    try:
        run_dir = root / "run"
        env = env_for(run_dir / "var", redis.url)
        subprocess.run(
            [str(BIN / "tradecover"), "migrate"], env=env, cwd=root, check=True, capture_output=True
        )
        keys = {name: create_partner(env, root, f"Partner {name}") for name in ("A", "B")}
        print(
            f"seconds={args.seconds:g} b_rate={args.b_rate:g}/s a_loops={args.a_loops} "
            f"a_bytes={args.a_bytes} a_nice={args.a_nice} cap={MAX_QUERY_BYTES} "
            f"cpus={os.cpu_count()} "
            f"load={os.getloadavg()[0]:.2f}",
            flush=True,
        )
        with server(run_dir, redis.url) as (base, pid):
            quiet = measured("quiet", base, pid, keys["B"], args)
            print(line(quiet), flush=True)
            over = flooded_phase("over cap", base, pid, keys["B"], keys["A"], args.a_bytes, args)
            print(line(over, quiet), flush=True)
            under = flooded_phase(
                "under cap", base, pid, keys["B"], keys["A"], MAX_QUERY_BYTES - 64, args
            )
            print(line(under, quiet), flush=True)
        if args.json:
            figures = {
                "quiet_p50_ms": quiet.percentile(0.5),
                "over_cap_server_cpu": over.server_cpu,
                "over_cap_p50_ratio": ratio(over, quiet, 0.5),
                "under_cap_p50_ratio": ratio(under, quiet, 0.5),
                "over_cap_a_statuses": over.flood["statuses"] if over.flood else {},
                "under_cap_a_statuses": under.flood["statuses"] if under.flood else {},
                "b_non_200": sum(
                    n for p in (quiet, over, under) for s, n in p.statuses.items() if s != 200
                ),
            }
            print(json.dumps(figures), flush=True)
    finally:
        redis.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
