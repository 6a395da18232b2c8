"""Schema fuzzing (issue 8, item 5): hypothesis-graphql writes queries and mutations
from the exported SDL (schema/schema.graphql), valid ones (Mode.POSITIVE) and ones with
one schema violation each (Mode.NEGATIVE), and a sandbox partner POSTs them through the
in-process app. The partner owns one object of every kind (seeded as in
test_tenant_isolation_fuzz), and the generated `ID`s are mostly its own ids, so that the
resolvers run on real objects rather than answering "not found".

Pass: never a 5xx; every error message readable and free of server internals (no
traceback, Python exception class, file path or driver name); and no server fault at all,
not even a masked one ("Unexpected error."): valid GraphQL must get data or userErrors.

`TRADECOVER_FUZZ_EXAMPLES` sets the number of examples per mode (default 250: about a
minute in all on a developer machine).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

from schema.operation_guard import INVALID_VALUE
from tests.api.test_tenant_isolation_fuzz import (
    ID_OPERATIONS,
    SCHEMA,
    ids_for,
    run,
    seed_tenant,
    variables_for,
)

EXAMPLES = int(os.environ.get("TRADECOVER_FUZZ_EXAMPLES", "200"))
OWN_ID = "@@own{}@@"
SCHEMA_TYPES = {t for t in SCHEMA.type_map if not t.startswith("__")}

#: Server internals that must never reach a caller.
UNMASKED = re.compile(
    r"Traceback|File \"|\.py\b|site-packages|"
    r"\b(?!(?:{})\b)[A-Z]\w*(?:Error|Exception|Warning)\b|"
    r"object has no attribute|NoneType|not subscriptable|unsupported operand|"
    r"tortoise|sqlite|asyncpg|aiosqlite|IntegrityError|OperationalError|"
    r"\bdecimal\.|InvalidOperation|DoesNotExist|MultipleObjectsReturned".format(
        "|".join(sorted(n for n in SCHEMA_TYPES if re.search(r"(Error|Exception)$", n)))
    )
)


PLAUSIBLE_TEXT = ["ES", "EUR", "USD", "B12345678", "46.90", "*", "cover.activated", "tok_visa"]


def text_values(junk: bool) -> st.SearchStrategy[str]:
    plausible = st.one_of(
        st.sampled_from(PLAUSIBLE_TEXT), st.text(alphabet="abcXYZ019 -_.", max_size=20)
    )
    if not junk:
        return plausible
    return st.one_of(
        plausible,
        st.text(),
        st.sampled_from(["", "http://127.0.0.1:9/x", "https://example.com/h", "file:///etc/x"]),
        st.text(min_size=300, max_size=3000),
    )


def fuzz_scalars(junk: bool) -> dict[str, st.SearchStrategy[Any]]:
    """Custom scalars: well-formed values (so that the resolvers run), and with `junk`
    also malformed, extreme and hostile ones (so that coercion and refusals are hit)."""
    own = st.integers(0, 63).map(OWN_ID.format)
    ids = st.one_of(
        own,
        st.sampled_from(
            ["quo_", "cov_", "clm_", "pol_", "pcl_", "tup_", "tuc_", "clk_", "whe_"]
        ).map(lambda p: p + secrets.token_hex(14)),
    )
    dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
    datetimes = st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    )
    decimals = st.decimals(0, 10**7, places=2).map(str)
    scalars = {
        "ID": ids,
        "Date": dates.map(lambda d: d.isoformat()),
        "DateTime": datetimes.map(lambda d: d.isoformat()),
        "Decimal": decimals,
        "JSON": text_values(junk),
        "Upload": st.just("not a file"),
        "String": text_values(junk),
    }
    if junk:
        scalars["ID"] = st.one_of(scalars["ID"], st.text(max_size=40), st.text(min_size=41))
        scalars["Date"] = st.one_of(
            st.dates().map(lambda d: d.isoformat()),
            st.sampled_from(["2027-02-30", "0000-01-01", "9999-12-31", "2027-1-1", "today", ""]),
            st.text(max_size=12),
        )
        scalars["DateTime"] = st.one_of(
            st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
            st.datetimes().map(lambda d: d.isoformat()),
            st.sampled_from(
                ["9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-23:59", "2027-01-01T25:00Z"]
            ),
            st.text(max_size=30),
        )
        scalars["Decimal"] = st.one_of(
            st.decimals(-(10**15), 10**15, places=2).map(str),
            st.decimals(allow_nan=False, allow_infinity=False).map(str),
            st.sampled_from(["1e400", "NaN", "-0", "0.0000000001", "999999999999999.9999999999"]),
            st.text(max_size=20),
        )
    values = {name: strategy.map(nodes.String) for name, strategy in scalars.items()}
    if junk:
        values["Decimal"] = st.one_of(
            values["Decimal"],
            st.integers().map(nodes.Int),
            st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
        )
        values["Upload"] = st.one_of(values["Upload"], st.just(nodes.Null))
    return values


MODES = {
    "valid": (Mode.POSITIVE, False),
    "valid-junk-values": (Mode.POSITIVE, True),
    "invalid": (Mode.NEGATIVE, True),
}


@pytest.fixture
def app_settings(db: str, redis_url: str, tmp_path: Path) -> Any:
    """Every backend (`db`: PostgreSQL too with TRADECOVER_TEST_POSTGRES=1, where NUL
    characters were faults), and no rate limit: hundreds of requests from one key."""
    from tradecover.settings import Settings

    return Settings(
        env="test",
        database_url=db,
        redis_url=redis_url,
        data_dir=tmp_path / "var",
        rate_limit_enabled=False,
    )


@pytest.fixture
def storage(api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from domain.services import document_storage
    from domain.services.document_storage import LocalFileStorage

    monkeypatch.setattr(document_storage, "_storage", LocalFileStorage(tmp_path / "documents"))


def judge(query: str, status: int, text: str) -> bool:
    """Fails on a 5xx or a leaked internal; True when the operation executed."""
    assert status < 500, (query, status, text)
    body = json.loads(text)
    for error in body.get("errors") or []:
        message = error["message"]
        assert message != "Unexpected error.", ("server fault", query, text)
        assert not UNMASKED.search(message), ("unmasked", query, message)
    assert "Traceback" not in text, (query, text)
    return body.get("data") is not None


@pytest.mark.chaos
@pytest.mark.postgres
@pytest.mark.parametrize("mode", sorted(MODES))
async def test_generated_operations_never_fault_nor_leak_internals(
    api, jobs, storage, make_partner, make_staff, mode
):
    key = await make_partner(kind="freight_exchange")
    tenant = await seed_tenant(api, jobs, key, await make_staff(), "FUZZ" + secrets.token_hex(3))
    own = sorted(tenant.all_ids())
    loop = asyncio.get_running_loop()
    executed: list[bool] = []
    schema_mode, junk = MODES[mode]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(from_schema(SCHEMA, custom_scalars=fuzz_scalars(junk), mode=schema_mode))
    def check(query: str) -> None:
        for n in range(64):
            query = query.replace(OWN_ID.format(n), own[n % len(own)])
        response = asyncio.run_coroutine_threadsafe(
            api.http.post(
                "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {key}"}
            ),
            loop,
        ).result()
        executed.append(judge(query, response.status_code, response.text))

    await asyncio.to_thread(check)
    print(f"{mode}: {len(executed)} operations, {sum(executed)} executed")
    if mode == "valid":
        assert sum(executed) > len(executed) // 2  # mostly into the resolvers


def string_leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in string_leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in string_leaves(v, (*path, i))]
    return [path] if isinstance(value, str) else []


def replaced(value: Any, path: tuple[Any, ...], new: str) -> Any:
    copied = json.loads(json.dumps(value))
    target = copied
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return copied


@pytest.mark.postgres
async def test_overlong_ids_cursors_and_strings_are_invalid_input_never_a_fault(
    api, jobs, storage, make_partner, make_staff
):
    """Found by the fuzzer: an id over 40 characters (the id columns) was a server fault
    on every field taking one, and so were over-long strings the services let through
    (buyer references, invoice numbers, currencies, first-layer insurer...): tortoise
    refuses them when filtering or storing. Now they answer INVALID_INPUT: a userError
    from mutations (resolvers/errors.py), a GraphQL error from queries
    (schema/operation_guard.py)."""
    from domain.store.topup_models import TopUpPolicy

    key = await make_partner(kind="freight_exchange")
    tenant = await seed_tenant(api, jobs, key, await make_staff(), "LONG" + secrets.token_hex(3))
    refused = 0
    for op in ID_OPERATIONS:
        own = ids_for(op, tenant.ids)[0][1]
        base = variables_for(op, own)
        cases = [variables_for(op, "x" * 41), variables_for(op, own[:4] + "0" * 3000)]
        cases += [replaced(base, p, "x" * 3000) for p in string_leaves(base) if p[-1] != own]
        for variables in cases:
            policies = await TopUpPolicy.all().count()
            answer = await run(api, key, op, variables)
            text = json.dumps(answer)
            judge(op.name, 200, text)
            # queries: the store's refusal; mutations: schema/input_bounds.py, on the path
            if INVALID_VALUE in text or '"code": "INVALID_INPUT"' in text:
                refused += 1
                assert await TopUpPolicy.all().count() == policies  # nothing half-stored
    assert refused > 100, refused

    after = "x" * 3000  # cursors are ids too
    for query in [
        "query($after: String) { covers(after: $after) { totalCount } }",
        "query($after: String) { webhookDeliveries(after: $after) { edges { cursor } } }",
        "query($after: String, $id: ID!) { cover(id: $id) { events(after: $after) { "
        "edges { cursor } } } }",
    ]:
        variables = {"after": after, "id": tenant.ids["tr_cover"]}
        response = await api.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {key}"},
        )
        judge(query, response.status_code, response.text)
        for error in response.json().get("errors") or []:
            assert (error["message"], error["extensions"]["code"]) == (
                INVALID_VALUE,
                "INVALID_INPUT",
            )
