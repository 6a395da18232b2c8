"""Rate-limit fairness (issue 8, item 8): does one partner flooding the API leave another
partner's latency within 2x its baseline? Not a test: prints figures for bench/RESULTS.md.

    .venv/bin/python bench/rate_limit_fairness.py [--seconds 20] [--b-rate 8]
                                                  [--a-connections 64] [--control 1]

Setup: a real Redis (tradecover.redis_server, our own subprocess), a migrated SQLite
database (WAL) with two sandbox partners A and B, and the real app (`tradecover serve`:
uvicorn, one process, TRADECOVER_ENV=production, the default limits: 50 tokens/s, burst
200, a quote costing 5).

Phases, each `--seconds` long, on one server:
1. baseline: B alone sends `requestQuote` (tests/builders.py) open loop at `--b-rate`
   requests/s (fixed schedule, each request timed from its own send: a slow answer does
   not delay the next send, so queueing shows in the figures);
2. flood: the same B load while A floods the same mutation from `--a-connections`
   keep-alive connections, back to back, from another process (so that A's client work
   does not delay B's timing loop);
3. baseline again, to see drift.
A's request rate is printed with each flood: B's latency is only comparable between runs
at similar flood rates (on a shared 2-core machine the flooder's own CPU is part of the
harm; `--a-nice 10` shows the server-side effect alone).
`--control 1` repeats 1-2 on a fresh server with TRADECOVER_RATE_LIMIT_ENABLED=false: what
the same flood does without the limiter.

Printed: B's p50/p99 per phase and the flood/baseline ratios, B's non-200 answers, A's
answers by status, and the server's CPU share. Ctrl-C stops every process it started.
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
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"
sys.path.insert(0, str(REPO))

from quote_throughput import cpu_seconds, running  # noqa: E402

from tests.builders import QUOTE_MUTATION, fi_input  # noqa: E402
from tradecover.redis_server import RedisServer, free_port  # noqa: E402

BODY = json.dumps({"query": QUOTE_MUTATION, "variables": {"input": fi_input()}}).encode()


def env_for(data_dir: Path, redis_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADECOVER_")}
    env.update(
        TRADECOVER_DATA_DIR=str(data_dir),
        TRADECOVER_ENV="production",
        TRADECOVER_REDIS_URL=redis_url,
        # Production limits and views, on SQLite and the sandbox card gateway.
        TRADECOVER_ALLOW_DEV_DEFAULTS="true",
        **extra,
    )
    return env


def create_partner(env: dict[str, str], cwd: Path, name: str) -> str:
    created = subprocess.run(
        [str(BIN / "tradecover"), "partners", "create", "--name", name]
        + ["--kind", "financing_platform", "--sandbox"],
        env=env,
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("tc_test_"), created.stdout
    return key


@contextmanager
def server(run_dir: Path, redis_url: str, **extra: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = env_for(run_dir / "var", redis_url, TRADECOVER_HOST="127.0.0.1")
    env.update(TRADECOVER_PORT=str(port), **extra)
    command = [str(BIN / "python"), "-m", "tradecover.cli", "serve"]
    with running(command, env, run_dir, run_dir / "server.log", port) as answer:
        yield answer


# --------------------------------------------------------------------------- partner B


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    #: (seconds into the phase when sent, latency) of every served request
    timeline: list[tuple[float, float]] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    server_cpu: float = 0.0
    flood: dict[str, Any] | None = None

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


async def steady(
    base: str, key: str, rate: float, seconds: float, phase: Phase, body: bytes = BODY
) -> None:
    """Open loop: request i is sent at start + i / rate, whatever the earlier ones do
    (`body`: the request, a quote by default; bench/query_flood.py sends a small query)."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as c:
        for _ in range(3):  # warm the connection and the server's caches
            await c.post("/graphql", content=body)

        async def one() -> None:
            sent = time.perf_counter()
            try:
                response = await c.post("/graphql", content=body)
                status = response.status_code
                if status == 200 and response.json().get("errors"):
                    status = 599  # a GraphQL error: not a served quote
            except httpx.HTTPError:
                status = 0
            phase.statuses[status] += 1
            if status == 200:
                phase.latencies.append(time.perf_counter() - sent)
                phase.timeline.append((sent - start, phase.latencies[-1]))

        start = time.perf_counter()
        tasks = []
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)


def run_phase(name: str, base: str, pid: int, key: str, args: argparse.Namespace) -> Phase:
    phase = Phase(name)
    cpu = cpu_seconds(pid)
    began = time.perf_counter()
    asyncio.run(steady(base, key, args.b_rate, args.seconds, phase))
    phase.server_cpu = (cpu_seconds(pid) - cpu) / (time.perf_counter() - began)
    return phase


def run_flooded(base: str, pid: int, b_key: str, a_key: str, args: argparse.Namespace) -> Phase:
    """B measured from `--warmup` s after A's flood is under way (A's burst, 40 quotes
    at once, is served by then) until A stops."""
    flooders = [
        subprocess.Popen(
            [str(BIN / "python"), __file__, "--flood", base, "--key", a_key]
            + ["--a-connections", str(args.a_connections)]
            + ["--seconds", str(args.warmup + args.seconds + 1)],
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=(lambda: os.nice(args.a_nice)) if args.a_nice else None,
        )
        for _ in range(args.a_processes)
    ]
    try:
        for flooder in flooders:
            assert flooder.stdout is not None
            assert flooder.stdout.readline().strip() == "flooding"
        time.sleep(args.warmup)
        phase = run_phase("flood", base, pid, b_key, args)
        outs = [
            json.loads(f.communicate(timeout=120)[0].strip().splitlines()[-1]) for f in flooders
        ]
    finally:
        for flooder in flooders:
            if flooder.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(flooder.pid, signal.SIGKILL)
                flooder.wait()
    statuses: Counter[str] = Counter()
    for out in outs:
        statuses.update(out["statuses"])
    phase.flood = {
        "seconds": outs[0]["seconds"],
        "statuses": dict(statuses),
        "cpu": sum(out["cpu"] for out in outs),
    }
    return phase


# --------------------------------------------------------------------------- partner A


async def flood(base: str, key: str, connections: int, seconds: float) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [
        httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60)
        for _ in range(connections)
    ]
    statuses: Counter[int] = Counter()
    stop_at = time.perf_counter() + seconds
    await clients[0].post("/graphql", content=BODY)
    print("flooding", flush=True)
    cpu = time.process_time()

    async def connection(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < stop_at:
            try:
                statuses[(await client.post("/graphql", content=BODY)).status_code] += 1
            except httpx.HTTPError:
                statuses[0] += 1

    try:
        await asyncio.gather(*[connection(c) for c in clients])
    finally:
        for client in clients:
            await client.aclose()
    cpu = (time.process_time() - cpu) / seconds
    return {"seconds": seconds, "statuses": dict(statuses), "cpu": cpu}


# --------------------------------------------------------------------------- main


def line(phase: Phase, baseline: Phase | None = None) -> str:
    text = (
        f"  B {phase.name:>9}: n={len(phase.latencies):4d}  p50 {phase.percentile(0.5):7.1f} ms  "
        f"p99 {phase.percentile(0.99):7.1f} ms"
    )
    if baseline is not None:
        text += (
            f"  (x{phase.percentile(0.5) / baseline.percentile(0.5):.2f} p50, "
            f"x{phase.percentile(0.99) / baseline.percentile(0.99):.2f} p99)"
        )
    worst = sorted(phase.timeline, key=lambda sample: -sample[1])[:3]
    text += "  worst: " + ", ".join(f"{lat * 1000:.0f} ms at {at:.1f} s" for at, lat in worst)
    others = {s: n for s, n in phase.statuses.items() if s != 200}
    text += f"  non-200: {others or 0}  server cpu {phase.server_cpu:.0%}"
    if phase.flood is not None:
        counts = {int(k): v for k, v in phase.flood["statuses"].items()}
        total = sum(counts.values())
        text += (
            f"\n  A flood: {total / phase.flood['seconds']:.0f} req/s; 200: {counts.get(200, 0)} "
            f"({counts.get(200, 0) / phase.flood['seconds']:.1f}/s), 429: {counts.get(429, 0)}, "
            f"other: {total - counts.get(200, 0) - counts.get(429, 0)}; "
            f"flooder cpu {phase.flood['cpu']:.0%}"
        )
    return text


def scenario(
    label: str, root: Path, template: Path, redis_url: str, keys: dict[str, str], args: Any
) -> None:
    run_dir = root / label
    run_dir.mkdir()
    shutil.copytree(template, run_dir / "var")
    extra = {} if label == "limited" else {"TRADECOVER_RATE_LIMIT_ENABLED": "false"}
    print(f"{label}:", flush=True)
    with server(run_dir, redis_url, **extra) as (base, pid):
        baseline = run_phase("baseline", base, pid, keys["B"], args)
        print(line(baseline), flush=True)
        flooded = run_flooded(base, pid, keys["B"], keys["A"], args)
        print(line(flooded, baseline), flush=True)
        if label == "limited":
            after = run_phase("after", base, pid, keys["B"], args)
            print(line(after, baseline), flush=True)
    log = (run_dir / "server.log").read_text()
    print(f"  server log: {log.count('Redis unreachable')} fail-open warnings", flush=True)
    for warning in [ln for ln in log.splitlines() if "Redis unreachable" in ln][:3]:
        print(f"    {warning[:300]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--b-rate", type=float, default=8.0, help="B's quotes/s (5 tokens each)")
    parser.add_argument("--a-connections", type=int, default=64, help="per flooder process")
    parser.add_argument("--a-processes", type=int, default=1, help="flooder processes")
    parser.add_argument(
        "--a-nice",
        type=int,
        default=0,
        help="nice level of the flooders: on one shared machine, A's client otherwise takes "
        "CPU from the server and B's driver, which A's clients on A's machines would not",
    )
    parser.add_argument("--warmup", type=float, default=3.0, help="s of flood before measuring")
    parser.add_argument("--control", type=int, default=1, help="1: also run without the limiter")
    parser.add_argument("--flood", help=argparse.SUPPRESS)  # flooder process: base URL
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flood:
        counts = asyncio.run(flood(args.flood, args.key, args.a_connections, args.seconds))
        print(json.dumps(counts))
        return

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    root = Path(tempfile.mkdtemp(prefix="tc-ratelimit-bench-"))
    redis = RedisServer(root / "redis", persist=False).start()
    try:
        template = root / "template"
        env = env_for(template, redis.url)
        subprocess.run(
            [str(BIN / "tradecover"), "migrate"], env=env, cwd=root, check=True, capture_output=True
        )
        keys = {name: create_partner(env, root, f"Partner {name}") for name in ("A", "B")}
        print(
            f"seconds={args.seconds:g} b_rate={args.b_rate:g}/s a_connections={args.a_connections}"
            f" x{args.a_processes} a_nice={args.a_nice}"
            f" cpus={os.cpu_count()} load={os.getloadavg()[0]:.2f}",
            flush=True,
        )
        scenario("limited", root, template, redis.url, keys, args)
        if args.control:
            redis_flush(redis.url)
            scenario("unlimited", root, template, redis.url, keys, args)
    finally:
        redis.stop()
        shutil.rmtree(root, ignore_errors=True)


def redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted: servers stopped, temporary directory removed", file=sys.stderr)
        sys.exit(130)
