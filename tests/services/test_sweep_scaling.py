"""The deadline sweep touches only what is due (LIFECYCLE 4): over 100,000 covers with
1,000 deadlines due, it looks at exactly those 1,000 rows, through the (state,
next_check_on) index, and a second run changes nothing more."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from tortoise import connections

from domain.services import deadline_sweep
from domain.store.claim_models import CoverDeadline
from domain.store.cover_models import CoverEvent
from tests.services.test_activation_races import tr_cover

TODAY = date(2027, 3, 1)
COVERS = 100_000
DUE = 1_000


async def _clone_rows(table: str, template: dict, ids: list[str], changes) -> None:
    columns = list(template)
    placeholders = ", ".join("?" for _ in columns)
    sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({placeholders})'
    rows = []
    for n, new_id in enumerate(ids):
        row = {**template, "id": new_id, **changes(n)}
        rows.append([row[c] for c in columns])
    await connections.get("default").execute_many(sql, rows)


@pytest.mark.slow
async def test_sweep_over_100000_covers_touches_only_the_1000_due(
    backend, db, gateways, make_partner
):
    if backend != "sqlite":
        pytest.skip("scale check on SQLite; the index and query are the same on PostgreSQL")
    conn = connections.get("default")
    seed = await tr_cover(make_partner)
    # The seed's own CONFIRMATION deadline (listed from the bind) is not part of the check.
    await CoverDeadline.filter(cover_id=seed.id).delete()
    [cover_row] = await conn.execute_query_dict('SELECT * FROM "cover"')
    # One quote per cover is unique: bulk covers point at clones of the seed quote.
    [quote_row] = await conn.execute_query_dict('SELECT * FROM "quote"')
    await _clone_rows("quote", quote_row, [f"quo_bulk{n:07d}" for n in range(COVERS)], lambda n: {})
    await _clone_rows(
        "cover",
        cover_row,
        [f"cov_bulk{n:07d}" for n in range(COVERS)],
        lambda n: {"quote_id": f"quo_bulk{n:07d}", "status": "ACTIVE"},
    )
    template = {
        "id": "",
        "cover_id": "",
        "kind": "UNLOADING",
        "rule": "TR-T1",
        "due_on": (TODAY + timedelta(days=30)).isoformat(),
        "state": "OPEN",
        "met_on": None,
        "insurer_side": 0,
        "announced": "[]",
        "flagged_to_staff": 0,
        "next_check_on": (TODAY + timedelta(days=23)).isoformat(),
    }
    due_on = (TODAY - timedelta(days=1)).isoformat()
    await _clone_rows(
        "cover_deadline",
        template,
        [f"ddl_bulk{n:07d}" for n in range(COVERS)],
        lambda n: (
            {"cover_id": f"cov_bulk{n:07d}"}
            | ({"due_on": due_on, "next_check_on": TODAY.isoformat()} if n % 100 == 0 else {})
        ),
    )
    assert await CoverDeadline.all().count() == COVERS

    plan = await conn.execute_query_dict(
        "EXPLAIN QUERY PLAN SELECT id FROM cover_deadline WHERE state='OPEN' "
        f"AND next_check_on <= '{TODAY.isoformat()}' ORDER BY next_check_on"
    )
    assert any("USING INDEX" in row["detail"] for row in plan), plan
    assert not any(row["detail"].startswith("SCAN cover_deadline") for row in plan), plan

    now = datetime(2027, 3, 1, 9, tzinfo=UTC)
    assert await deadline_sweep.sweep(now, limit=5_000) == DUE
    assert await CoverDeadline.filter(state="MISSED").count() == DUE
    assert await CoverEvent.filter(type="deadline.missed").count() == DUE
    # Run again: nothing is due any more, nothing changes.
    assert await deadline_sweep.sweep(now, limit=5_000) == 0
    assert await CoverEvent.filter(type="deadline.missed").count() == DUE
    assert seed.id
