"""A peer's fuzzer in the suite: schemathesis in GraphQL mode against a real
`tradecover serve` (uvicorn, the whole middleware stack: body limit, per-partner rate
limiter on real Redis, key authentication), as a partner integrating with us runs it.

The partner is a sandbox key that owns one object of every kind (`seed_tenant`, the same
seed as test_fuzz_schema and test_tenant_isolation_fuzz, made in-process on the database
the server then serves), and the generated `ID`s are mostly its own, so that resolvers run
on real rows. schemathesis loads the schema as a peer does, by introspection of the running
server with the partner's key (sandbox keys may introspect), and for each of its root
fields writes valid operations (GenerationMode.POSITIVE, plausible scalars) and
operations with one schema violation each (NEGATIVE, hostile scalars), each run bounded:
`TRADECOVER_SCHEMATHESIS_EXAMPLES` examples per field and mode (default 5) from the fixed
seed `SEED` (`TRADECOVER_SCHEMATHESIS_SEED` to explore others), so that a run is the same
run every time.

Pass (counted over every request, then asserted):
- 0 HTTP 5xx, and 0 server errors by schemathesis' own `not_a_server_error` check, where a
  GraphQL execution error that carries a stable `extensions.code` is the API's typed
  refusal (NOT_FOUND, INVALID_INPUT...), not a fault: a masked fault ("Unexpected error.",
  no code) or an error without a code is one;
- no "Traceback", `File "`, Python exception class name, file path or driver name in any
  response (test_fuzz_schema.UNMASKED);
- the server's own log holds no ERROR entry and no traceback: with no fault, the
  fuzzer's invalid operations and typed refusals are INFO (schema/error_log.py);
- the run really ran: at least `min_requests()` requests, and at least 95% of them served
  (not 429: the fuzz key's bucket is raised, and 429s are counted apart).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

from tests.api.test_fuzz_schema import OWN_ID, UNMASKED, fuzz_scalars
from tests.api.test_tenant_isolation_fuzz import seed_tenant
from tests.chaos.support import TRADECOVER, Processes, redis_db_url, stack_env, tail, wait_until
from tradecover.redis_server import free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

#: Examples per root field and generation mode; the run is bounded by this, not by time.
EXAMPLES = int(os.environ.get("TRADECOVER_SCHEMATHESIS_EXAMPLES", "5"))
#: Fixed, so that a run is the same run every time; another seed explores other cases.
SEED = int(os.environ.get("TRADECOVER_SCHEMATHESIS_SEED", "16202612"))
REDIS_DB = 11  # the server's own logical database (rate-limit buckets, its broker)
START_TIMEOUT = 60.0
#: Enough that no fuzz request waits for tokens; 429s are still counted apart.
BUCKET = {"TRADECOVER_RATE_LIMIT_BURST": "1000000", "TRADECOVER_RATE_LIMIT_PER_SECOND": "100000"}
LEAK = re.compile(r'Traceback|File \\?"')


@pytest.fixture
def app_settings(db: str, redis_url: str, tmp_path: Path) -> Any:
    """The in-process app that seeds the tenant: every backend (`db`), documents under
    the data directory the server is given, so that the server finds them."""
    from tradecover.settings import Settings

    return Settings(
        env="test",
        database_url=db,
        redis_url=redis_url,
        data_dir=tmp_path / "var",
        rate_limit_enabled=False,
    )


@pytest.fixture
def storage(api: Any, tmp_path: Path) -> None:
    from domain.services import document_storage
    from domain.services.document_storage import LocalFileStorage

    document_storage.configure(LocalFileStorage(tmp_path / "var" / "documents"))


@pytest.fixture
def scalars(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Sets schemathesis' custom scalar strategies (a module-level registry) for a mode,
    and puts the registry back as it was after the test."""
    from schemathesis.specs.graphql import scalars as registry

    def use(junk: bool) -> None:
        for name, strategy in fuzz_scalars(junk).items():
            monkeypatch.setitem(registry.CUSTOM_SCALARS, name, strategy)

    return use


@dataclass
class Tally:
    """What the run sent and what came back."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    typed_errors: Counter[str] = field(default_factory=Counter)
    user_errors: Counter[str] = field(default_factory=Counter)
    executed: int = 0
    faults: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "5xx": self.server_errors,
            "429": self.statuses[429],
            "executed": self.executed,
            "statuses": dict(sorted(self.statuses.items())),
            "typed_errors": dict(self.typed_errors.most_common()),
            "user_errors": dict(self.user_errors.most_common()),
            "faults": len(self.faults),
        }


def user_error_codes(value: Any) -> list[str]:
    """The codes of every userError in a mutation's data (refusals, as values)."""
    if isinstance(value, list):
        return [c for item in value for c in user_error_codes(item)]
    if not isinstance(value, dict):
        return []
    errors = [e for e in value.get("userErrors") or [] if isinstance(e, dict)]
    found = [str(e.get("code", "(code not selected)")) for e in errors]
    return found + [c for k, v in value.items() if k != "userErrors" for c in user_error_codes(v)]


def judge(case: Any, response: Any, tally: Tally) -> None:
    """Records one answer: its status, schemathesis' verdict and any leaked internal."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.failures import Failure, FailureGroup

    tally.requests += 1
    tally.statuses[response.status_code] += 1
    text = response.content.decode(errors="replace")
    if LEAK.search(text):
        tally.faults.append(("leak", case.body, text))
    with contextlib.suppress(ValueError):
        body = json.loads(text)
        for error in body.get("errors") or [] if isinstance(body, dict) else []:
            if UNMASKED.search(str(error.get("message"))):
                tally.faults.append(("unmasked", case.body, str(error)))
        if isinstance(body, dict) and body.get("data") is not None:
            tally.executed += 1
            tally.user_errors.update(user_error_codes(body["data"]))
    try:
        case.validate_response(response, checks=[not_a_server_error])
    except (Failure, FailureGroup) as raised:
        failures = raised.exceptions if isinstance(raised, FailureGroup) else [raised]
        for failure in failures:
            codes = [
                (e.get("extensions") or {}).get("code") for e in getattr(failure, "errors", [])
            ]
            if codes and all(isinstance(c, str) and c for c in codes):
                tally.typed_errors.update(codes)  # a typed refusal, not a fault
            elif response.status_code != 429:
                tally.faults.append((type(failure).__name__, case.body, text))


def fuzz(base: str, key: str, own: list[str], use_scalars: Any) -> tuple[Tally, int]:
    """schemathesis' cases for every root field in both modes, sent to the server;
    returns the tally and the number of (field, mode) runs."""
    import schemathesis
    from schemathesis import GenerationMode

    headers = {"Authorization": f"Bearer {key}"}
    # As a peer runs it: the schema from the server's introspection, with the partner key.
    schema = schemathesis.graphql.from_url(f"{base}/graphql", headers=headers, timeout=60)
    operations = [result.ok() for result in schema.get_all_operations()]
    tally = Tally()
    runs = 0
    for mode, junk in ((GenerationMode.POSITIVE, False), (GenerationMode.NEGATIVE, True)):
        use_scalars(junk)
        for operation in operations:
            runs += 1

            @seed(SEED)
            @settings(
                max_examples=EXAMPLES,
                database=None,
                deadline=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def send(case: Any) -> None:
                for n in range(64):
                    case.body = case.body.replace(OWN_ID.format(n), own[n % len(own)])
                response = case.call(base_url=f"{base}/graphql", headers=headers, timeout=60)
                judge(case, response, tally)

            send()
    return tally, runs


async def _serve(processes: Processes, env: dict[str, str]) -> str:
    """`tradecover serve` on a free port; its base URL once it answers /healthz."""
    for _ in range(3):
        port = free_port()
        process = processes.start(
            "api", [str(TRADECOVER), "serve"], {**env, "TRADECOVER_PORT": str(port)}
        )
        base = f"http://127.0.0.1:{port}"

        async def listening(process: Any = process, base: str = base) -> bool:
            if process.poll() is not None:
                return True
            with contextlib.suppress(httpx.HTTPError):
                async with httpx.AsyncClient(trust_env=False, timeout=2.0) as client:
                    return (await client.get(f"{base}/healthz")).status_code == 200
            return False

        await wait_until(listening, START_TIMEOUT, "the API to listen", processes.diagnostics)
        if process.poll() is None:
            return base
        if "address already in use" not in tail(processes.logs["api"]):
            raise AssertionError(f"the API exited:\n{processes.diagnostics()}")
        processes.running.pop("api")
    raise AssertionError("no free port for the API")


def min_requests(runs: int) -> int:
    """The floor a run must reach: 90% of EXAMPLES per (field, mode) run (hypothesis stops
    early on a field with fewer distinct operations: no arguments and few leaves)."""
    return runs * EXAMPLES * 9 // 10


async def test_schemathesis_run_with_a_partner_key_gets_no_server_error_nor_traceback(
    db, api, jobs, storage, scalars, make_partner, make_staff, redis_url, tmp_path
):
    key = await make_partner(kind="freight_exchange")
    tenant = await seed_tenant(api, jobs, key, await make_staff(), "ST" + secrets.token_hex(3))
    own = sorted(tenant.all_ids())
    env = stack_env(
        db,
        redis_db_url(redis_url, REDIS_DB),
        tmp_path / "var",
        TRADECOVER_HOST="127.0.0.1",
        **BUCKET,
    )
    processes = Processes(tmp_path)
    try:
        base = await _serve(processes, env)
        tally, runs = await asyncio.to_thread(fuzz, base, key, own, scalars)
        log = tail(processes.logs["api"], 100_000)
    finally:
        processes.stop_all()

    errors_logged = log.count('"level": "error"')
    figures = {
        **tally.summary(),
        "runs": runs,
        "examples": EXAMPLES,
        "seed": SEED,
        "server_log_errors": errors_logged,
        "server_log_tracebacks": log.count("Traceback"),
    }
    print(f"\n[schemathesis] {json.dumps(figures, sort_keys=True)}")
    assert tally.server_errors == 0, figures
    assert tally.faults == [], tally.faults[:5]
    assert tally.requests >= min_requests(runs), figures
    served = tally.requests - tally.statuses[429]
    assert served >= tally.requests * 95 // 100, figures
    assert tally.executed > tally.requests // 4, figures  # mostly past validation
    # No fault, so nothing for the error log: the fuzzer's invalid operations and typed
    # refusals are the client's (schema/error_log.py), not ERROR entries with tracebacks.
    assert (errors_logged, figures["server_log_tracebacks"]) == (0, 0), figures
