"""Quote throughput: `requestQuote` over GraphQL vs a bare Starlette JSON route doing the
same work. Not a test: prints figures for bench/RESULTS.md.

    .venv/bin/python bench/quote_throughput.py [--seconds 10] [--connections 32] [--runs 3]
                                               [--warmup 2] [--profile 0]

Both sides serve the same FI quote (input checks, eligibility rules, premium, one INSERT):

- graphql: the real app, `tradecover serve` (uvicorn, one process, the app factory
  `tradecover.app:asgi`), POST /graphql with `requestQuote` (tests/builders.py's
  QUOTE_MUTATION and fi_input()).
- bare: `bare_app()` below on the same uvicorn defaults (`python -m uvicorn --factory
  --workers 1`): POST /quote, the same bearer-key `authenticate`, the same QuoteDraft the
  resolver builds (resolvers/mappers.py on schema/inputs.py's input objects, parsed with
  the contract's Decimal/Date scalars), the same `domain.services.quotes.request_quote`,
  and the quote's fields as JSON (the fields QUOTE_MUTATION selects).

Each run starts its server on a fresh copy of one migrated SQLite database (WAL) holding
the sandbox partner, so both sides see the same database size. The load generator is this
process: asyncio + httpx, `--connections` keep-alive connections each sending requests
back to back; `--warmup` s unmeasured, then `--seconds` s in which every completed
request's latency is recorded. The sides alternate, `--runs` times each. `--profile N`
adds one cProfile run per side (N s measured after the warm-up; the server's event-loop
thread only, switched on and off by signals) and prints where the server's time goes.
Ctrl-C stops every process this script started.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"
sys.path.insert(0, str(REPO))

from tests.builders import QUOTE_MUTATION, fi_input  # noqa: E402

SIDES = ("graphql", "bare")


# --------------------------------------------------------------------------- bare app


def _parse_money(value: dict[str, Any]) -> Any:
    from schema.inputs import MoneyInput
    from schema.scalars import _parse_decimal

    return MoneyInput(amount=_parse_decimal(value["amount"]), currency=value["currency"])


def _parse_company(value: dict[str, Any]) -> Any:
    from schema.inputs import CompanyInput
    from schema.types import LegalForm

    return CompanyInput(
        country=value["country"],
        registration_number=value["registrationNumber"],
        name=value["name"],
        legal_form=LegalForm(value["legalForm"]),
        sector=value["sector"],
        group=value.get("group"),
    )


def parse_quote_input(value: dict[str, Any]) -> Any:
    """JSON (GraphQL variable shape) -> schema.inputs.QuoteInput, as strawberry would."""
    from schema import inputs
    from schema.scalars import _parse_date
    from schema.types import ProductCode

    invoice = value.get("invoice")
    financing = value.get("financing")
    shipment = value.get("shipment")
    return inputs.QuoteInput(
        product=ProductCode(value["product"]),
        seller=_parse_company(value["seller"]),
        buyer=_parse_company(value["buyer"]),
        invoice=inputs.InvoiceInput(
            number=invoice["number"],
            issue_date=_parse_date(invoice["issueDate"]),
            due_date=_parse_date(invoice["dueDate"]),
            amount=_parse_money(invoice["amount"]),
            vat_amount=_parse_money(invoice["vatAmount"]) if invoice.get("vatAmount") else None,
        )
        if invoice
        else None,
        financing=inputs.FinancingInput(
            reference=financing["reference"],
            financed_amount=_parse_money(financing["financedAmount"]),
        )
        if financing
        else None,
        shipment=inputs.ShipmentInput(
            guaranteed_amount=_parse_money(shipment["guaranteedAmount"]),
            loading_date=_parse_date(shipment["loadingDate"]),
            origin=shipment.get("origin"),
            destination=shipment.get("destination"),
        )
        if shipment
        else None,
        request_date=_parse_date(value["requestDate"]) if value.get("requestDate") else None,
        test_clock_id=value.get("testClockId"),
    )


def bare_app() -> Any:
    """uvicorn factory (`quote_throughput:bare_app`): one JSON route, no GraphQL."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from domain.services import quotes as quote_service
    from domain.services.errors import DomainError, InvalidInput
    from domain.services.principals import authenticate
    from domain.store.database import close_db, init_db
    from resolvers.quotes import quote_draft
    from tradecover.settings import get_settings

    settings = get_settings()

    def money(amount: Any, currency: str) -> dict[str, str] | None:
        return None if amount is None else {"amount": format(amount, "f"), "currency": currency}

    async def quote_endpoint(request: Request) -> JSONResponse:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return JSONResponse({"error": "UNAUTHENTICATED"}, status_code=401)
        principal = await authenticate(token.strip())
        if principal is None:
            return JSONResponse({"error": "UNAUTHENTICATED"}, status_code=401)
        try:
            input = parse_quote_input((await request.json())["input"])
        except Exception as error:  # malformed JSON, missing field, bad scalar
            return JSONResponse({"error": "BAD_REQUEST", "message": str(error)}, status_code=400)
        draft = quote_draft(input)  # as resolvers/quotes.py builds it
        try:
            row = await quote_service.request_quote(principal, draft, datetime.now(UTC))
        except DomainError as error:
            problems = (
                error.problems if isinstance(error, InvalidInput) else [(error.message, None)]
            )
            return JSONResponse(
                {"userErrors": [{"code": error.code, "message": m} for m, _ in problems]},
                status_code=422,
            )
        return JSONResponse(
            {
                "quote": {
                    "id": row.id,
                    "product": row.product,
                    "eligible": row.eligible,
                    "requestDate": row.request_date.isoformat(),
                    "validUntil": row.valid_until.isoformat() if row.valid_until else None,
                    "createdAt": row.created_at.isoformat(),
                    "coveragePercent": format(row.coverage_percent, "f"),
                    "premium": money(row.premium, row.currency),
                    "insuredAmount": money(row.insured_amount, row.currency),
                    "violations": row.violations,
                }
            }
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await init_db(settings.resolved_database_url)
        try:
            yield
        finally:
            await close_db()

    return Starlette(routes=[Route("/quote", quote_endpoint, methods=["POST"])], lifespan=lifespan)


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def base_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADECOVER_")}
    env.update(
        TRADECOVER_DATA_DIR=str(data_dir),
        TRADECOVER_ENV="production",  # as deploy/tradecover.env.example
        # ... but on the sandbox card gateway and a SQLite file, which production refuses
        # unless allowed (tradecover/config_checks.py), and without the per-partner rate
        # limit: this measures the GraphQL layer, not the limiter's budget.
        TRADECOVER_ALLOW_DEV_DEFAULTS="true",
        TRADECOVER_RATE_LIMIT_ENABLED="false",
        # A quote sends nothing to Redis; point at a closed port so any use would show.
        TRADECOVER_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
    )
    return env


def prepare_template(root: Path) -> tuple[Path, str]:
    """Migrated database with one sandbox partner; returns (data dir, API key)."""
    data_dir = root / "template"
    env = base_env(data_dir)
    subprocess.run(
        [str(BIN / "tradecover"), "migrate"], env=env, cwd=root, check=True, capture_output=True
    )
    created = subprocess.run(
        [
            str(BIN / "tradecover"),
            "partners",
            "create",
            "--name",
            "Bench Platform",
            "--kind",
            "financing_platform",
            "--sandbox",
        ],
        env=env,
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("tc_test_"), created.stdout
    return data_dir, key


def server_command(side: str, port: int, profile_to: Path | None) -> list[str]:
    python = str(BIN / "python")
    if profile_to is not None:
        # The same uvicorn.run as below, with a profiler switched on and off by signals.
        return [python, __file__, "--serve", side, "--profile-out", str(profile_to)]
    if side == "graphql":
        # `tradecover serve`: uvicorn.run("tradecover.app:asgi", factory=True, workers=1)
        return [python, "-m", "tradecover.cli", "serve"]
    return [
        python,
        "-m",
        "uvicorn",
        "--factory",
        "--app-dir",
        str(REPO / "bench"),
        "quote_throughput:bare_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]


def serve_profiled(side: str, out: Path) -> None:
    """Server process for --profile: SIGUSR1 starts cProfile (event-loop thread only),
    SIGUSR2 stops it and writes `out`."""
    import cProfile

    import uvicorn

    from tradecover.settings import get_settings

    profiler = cProfile.Profile()

    def start(signum: int, frame: Any) -> None:
        profiler.enable()

    def stop(signum: int, frame: Any) -> None:
        profiler.disable()
        profiler.dump_stats(str(out) + ".tmp")
        os.replace(str(out) + ".tmp", out)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    settings = get_settings()
    app: Any = "tradecover.app:asgi" if side == "graphql" else bare_app
    uvicorn.run(app, factory=True, host=settings.host, port=settings.port, workers=1)


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def running(command: list[str], env: dict[str, str], cwd: Path, log_path: Path, port: int) -> Any:
    """A server process in its own session, yielded as (base URL, pid) once it answers on
    127.0.0.1:port; stopped with SIGINT (then SIGKILL) afterwards. Also used by
    bench/rate_limit_fairness.py."""
    log = log_path.open("wb")
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.flush()
                raise RuntimeError(f"server exited:\n{log_path.read_text()[-3000:]}")
            try:
                httpx.get(f"{base}/", timeout=1)  # any answer: lifespan done, listening
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server not up after 60 s, see {log_path}") from None
                time.sleep(0.1)
        yield base, process.pid
    finally:
        if process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


@contextmanager
def server(side: str, run_dir: Path, profile_to: Path | None = None) -> Any:
    port = free_port()
    env = base_env(run_dir / "var")
    env.update(TRADECOVER_PORT=str(port), TRADECOVER_HOST="127.0.0.1")
    command = server_command(side, port, profile_to)
    with running(command, env, run_dir, run_dir / f"{side}.log", port) as answer:
        yield answer


# --------------------------------------------------------------------------- driver


@dataclass
class Run:
    side: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    server_cpu: float
    driver_cpu: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float:
        """Server CPU (all its threads) per completed request."""
        return self.server_cpu * self.seconds / max(1, self.requests) * 1000

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000

    def line(self) -> str:
        return (
            f"{self.side:>7}: {self.rps:7.1f} req/s  p50 {self.percentile(0.5):6.1f} ms  "
            f"p99 {self.percentile(0.99):6.1f} ms  n={self.requests} errors={self.errors}  "
            f"server cpu {self.server_cpu:.0%} ({self.cpu_ms:.1f} ms/req)  "
            f"driver cpu {self.driver_cpu:.0%}"
        )


def graphql_ok(answer: dict[str, Any]) -> bool:
    quote = ((answer.get("data") or {}).get("requestQuote") or {}).get("quote") or {}
    return not answer.get("errors") and bool(quote.get("id")) and quote.get("premium") is not None


def bare_ok(answer: dict[str, Any]) -> bool:
    quote = answer.get("quote") or {}
    return bool(quote.get("id")) and quote.get("premium") is not None


def request_for(side: str) -> tuple[str, bytes, Callable[[dict[str, Any]], bool]]:
    if side == "graphql":
        body = {"query": QUOTE_MUTATION, "variables": {"input": fi_input()}}
        return "/graphql", json.dumps(body).encode(), graphql_ok
    return "/quote", json.dumps({"input": fi_input()}).encode(), bare_ok


async def drive(
    side: str,
    base: str,
    key: str,
    server_pid: int,
    connections: int,
    warmup: float,
    seconds: float,
    profile: bool = False,
) -> Run:
    path, body, ok = request_for(side)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    # One client (one pool) per connection: httpcore's pool scans every connection on each
    # request, which with 32 connections in one pool cost the driver more CPU than the
    # bare server spent (see bench/RESULTS.md).
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    tls = ssl.create_default_context()  # unused (http), but built once, not per client
    clients = [
        httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60, verify=tls)
        for _ in range(connections)
    ]
    latencies: list[float] = []
    errors = 0
    try:
        first = await clients[0].post(path, content=body)
        if first.status_code != 200 or not ok(first.json()):
            raise RuntimeError(f"{side}: unexpected answer {first.status_code} {first.text[:500]}")
        start = time.perf_counter()
        measure_from = start + warmup
        stop_at = measure_from + seconds
        marks: dict[str, float] = {}

        async def mark_window() -> None:
            await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
            if profile:
                os.kill(server_pid, signal.SIGUSR1)
            marks["server"] = cpu_seconds(server_pid)
            marks["driver"] = time.process_time()
            await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
            marks["server"] = cpu_seconds(server_pid) - marks["server"]
            marks["driver"] = time.process_time() - marks["driver"]
            if profile:
                os.kill(server_pid, signal.SIGUSR2)

        async def connection(client: httpx.AsyncClient) -> None:
            nonlocal errors
            while time.perf_counter() < stop_at:
                sent = time.perf_counter()
                try:
                    response = await client.post(path, content=body)
                    good = response.status_code == 200 and ok(response.json())
                except httpx.HTTPError:
                    good = False
                done = time.perf_counter()
                if measure_from <= done <= stop_at:
                    if good:
                        latencies.append(done - sent)
                    else:
                        errors += 1

        await asyncio.gather(mark_window(), *[connection(client) for client in clients])
    finally:
        for client in clients:
            await client.aclose()
    return Run(
        side=side,
        requests=len(latencies),
        errors=errors,
        seconds=seconds,
        latencies=latencies,
        server_cpu=marks["server"] / seconds,
        driver_cpu=marks["driver"] / seconds,
    )


# --------------------------------------------------------------------------- profile


def package_of(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if filename.startswith(str(REPO)):
        return filename[len(str(REPO)) + 1 :].split("/", 1)[0] + "/ (project)"
    return "stdlib " + Path(filename).stem


def print_profile(side: str, profile: Path, requests: int, top: int = 15) -> None:
    """Own time by package (a C builtin's time goes to its callers' packages; the event
    loop's idle epoll wait is left out), then the top functions by own and by cumulative
    time."""
    import pstats

    raw: dict[Any, Any] = pstats.Stats(str(profile)).stats  # type: ignore[attr-defined]
    poll = "<method 'poll' of 'select.epoll' objects>"
    idle = sum(v[2] for k, v in raw.items() if k[2] == poll)
    by_package: dict[str, float] = {}
    for (filename, _, _), (_, _, own, _, _) in raw.items():
        if filename != "~":
            by_package[package_of(filename)] = by_package.get(package_of(filename), 0) + own
    for (filename, _, name), (_, _, _, _, callers) in raw.items():
        if filename == "~" and name != poll:
            for (caller_file, _, _), edge in callers.items():
                package = package_of(caller_file) if caller_file != "~" else "C builtins"
                by_package[package] = by_package.get(package, 0) + edge[2]
    busy = sum(by_package.values())
    print(f"\n{side}: cProfile of the server's event-loop thread over {requests} requests")
    print(
        f"  busy {busy:.2f} s ({busy / requests * 1000:.2f} ms/request under the profiler), "
        f"idle in epoll {idle:.2f} s"
    )
    print("  own time by package (C builtins counted in their callers' package)")
    for name, spent in sorted(by_package.items(), key=lambda kv: -kv[1])[:12]:
        print(f"    {spent / busy:6.1%}  {name}")

    def where(key: Any) -> str:
        filename, line, name = key
        short = filename.split("site-packages/", 1)[-1].replace(str(REPO) + "/", "")
        return name if filename == "~" else f"{name}  ({short}:{line})"

    print(f"  top {top} functions by own time")
    ranked = sorted(
        (kv for kv in raw.items() if kv[0][2] != poll),
        key=lambda kv: -kv[1][2],
    )
    for key, entry in ranked[:top]:
        print(f"    {entry[2] / busy:6.1%}  {entry[1]:>8} calls  {where(key)}")
    print(f"  top {2 * top} project/strawberry/graphql/tortoise functions by cumulative time")
    libraries = ("strawberry/", "graphql/", "tortoise/")
    ranked = sorted(
        (
            kv
            for kv in raw.items()
            if kv[0][0].startswith(str(REPO)) or any(lib in kv[0][0] for lib in libraries)
        ),
        key=lambda kv: -kv[1][3],
    )
    for key, entry in ranked[: 2 * top]:
        per_request = entry[3] / requests * 1000
        print(f"    {entry[3] / busy:6.1%}  {per_request:6.2f} ms/req  {where(key)}")


# --------------------------------------------------------------------------- main


def one_run(
    side: str, root: Path, template: Path, key: str, args: argparse.Namespace, label: str
) -> Run:
    run_dir = root / label
    run_dir.mkdir()
    shutil.copytree(template, run_dir / "var")
    with server(side, run_dir) as (base, pid):
        return asyncio.run(drive(side, base, key, pid, args.connections, args.warmup, args.seconds))


def profile_run(side: str, root: Path, template: Path, key: str, args: argparse.Namespace) -> None:
    run_dir = root / f"profile-{side}"
    run_dir.mkdir()
    shutil.copytree(template, run_dir / "var")
    profile = run_dir / "server.prof"
    with server(side, run_dir, profile_to=profile) as (base, pid):
        run = asyncio.run(
            drive(side, base, key, pid, args.connections, args.warmup, args.profile, True)
        )
        deadline = time.monotonic() + 30
        while not profile.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    print(f"\n(under cProfile) {run.line()}")
    print_profile(side, profile, run.requests)


def print_medians(runs: dict[str, list[Run]]) -> None:
    print("\nmedians")
    med: dict[str, tuple[float, float, float, float]] = {}
    for side in SIDES:
        rps = statistics.median(r.rps for r in runs[side])
        p50 = statistics.median(r.percentile(0.5) for r in runs[side])
        p99 = statistics.median(r.percentile(0.99) for r in runs[side])
        cpu = statistics.median(r.cpu_ms for r in runs[side])
        med[side] = (rps, p50, p99, cpu)
        each = " / ".join(f"{r.rps:.0f}" for r in runs[side])
        print(
            f"{side:>7}: {rps:7.1f} req/s ({each})  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
            f"server cpu {cpu:.2f} ms/req"
        )
    pairs = " / ".join(
        f"{g.rps / b.rps:.2f}" for g, b in zip(runs["graphql"], runs["bare"], strict=True)
    )
    ratio = med["graphql"][0] / med["bare"][0]
    print(f"  ratio graphql/bare (rps): {ratio:.2f} (per run: {pairs})")
    cpu_ratio = med["bare"][3] / med["graphql"][3]
    print(f"  ratio bare/graphql server cpu per request: {cpu_ratio:.2f}")


def main() -> None:
    if importlib.util.find_spec("sniffio") is None:
        # httpcore tries `import sniffio` on every request; without sniffio installed each
        # try searches sys.path again. None in sys.modules makes the failure immediate.
        sys.modules["sniffio"] = None  # type: ignore[assignment]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--profile", type=float, default=0.0, help="seconds per side, 0: none")
    parser.add_argument("--serve", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_profiled(args.serve, args.profile_out)
        return

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started with `&`
    root = Path(tempfile.mkdtemp(prefix="tc-quote-bench-"))
    try:
        template, key = prepare_template(root)
        print(
            f"connections={args.connections} warmup={args.warmup:g}s seconds={args.seconds:g}s "
            f"runs={args.runs} cpus={os.cpu_count()} load={os.getloadavg()[0]:.2f}"
        )
        runs: dict[str, list[Run]] = {side: [] for side in SIDES}
        for n in range(args.runs):
            for side in SIDES if n % 2 == 0 else SIDES[::-1]:
                run = one_run(side, root, template, key, args, f"run{n + 1}-{side}")
                runs[side].append(run)
                print(f"run {n + 1} {run.line()}", flush=True)
        if args.runs > 0:
            print_medians(runs)
        if args.profile > 0:
            for side in SIDES:
                profile_run(side, root, template, key, args)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted: servers stopped, temporary directory removed", file=sys.stderr)
        sys.exit(130)
