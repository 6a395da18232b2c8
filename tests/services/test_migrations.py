"""Migrations (issue 9, item 4): Tortoise's native migrations build every model's table
from an empty database, upgrade the previous release keeping its rows, and agree with the
models (no change left for `makemigrations` to write). SQLite, and PostgreSQL when
TRADECOVER_TEST_POSTGRES=1."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from domain.store.config import tortoise_config
from domain.store.database import close_db, init_db, migrate
from tests.conftest import _create_pg_database

MIGRATIONS = sorted(
    p.stem for p in (Path(__file__).resolve().parents[2] / "domain/store/migrations").glob("0*.py")
)
#: The last release that landed: an installed database at that point upgrades in place.
LANDED_RELEASE = "0007_tu_top_up_policies"
PREVIOUS_RELEASE = f"models.{LANDED_RELEASE}"


@pytest.fixture
async def empty_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "postgres":
        return await _create_pg_database(request.getfixturevalue("postgres_cluster"))
    return f"sqlite://{tmp_path / 'empty.sqlite3'}"


def _models() -> list[type]:
    return list(Tortoise.apps["models"].values())


async def test_an_empty_database_migrates_to_every_models_table_and_columns(empty_database):
    applied: list[str] = []
    planned: list[int] = []
    await migrate(
        empty_database,
        on_plan=planned.append,
        progress=lambda event, app, name: applied.append(name) if event == "apply_done" else 0,
    )
    assert planned == [len(MIGRATIONS)]
    assert applied == MIGRATIONS
    await init_db(empty_database)
    try:
        models = _models()
        assert len(models) > 30
        for model in models:
            # Selecting every field's column fails on a missing table or column.
            assert await model.all().limit(1).values() == [], model.__name__
    finally:
        await close_db()


async def test_migrating_twice_applies_nothing_the_second_time(empty_database):
    await migrate(empty_database)
    planned: list[int] = []
    await migrate(empty_database, on_plan=planned.append)
    assert planned == [0]


async def test_the_previous_release_upgrades_keeping_its_rows(empty_database):
    from domain.services.principals import authenticate, create_partner
    from domain.store.rule_fact_models import RuleFact

    await migrate(empty_database, target=PREVIOUS_RELEASE)
    await init_db(empty_database)
    try:
        partner, key = await create_partner(
            name="Before Upgrade",
            kind="freight_exchange",
            sandbox=True,
            premium_rate=None,
            now=datetime(2026, 1, 5, tzinfo=UTC),
        )
        tables_before = await _table_names(empty_database)
        event_columns_before = await _column_names(empty_database, "cover_event")
    finally:
        await close_db()
    assert "top_up_policy" in tables_before  # the landed release's last table
    assert "rule_fact" not in tables_before  # a table this release adds
    assert "sequence" not in event_columns_before  # a column this release adds

    applied: list[str] = []
    await migrate(
        empty_database,
        progress=lambda event, app, name: applied.append(name) if event == "apply_done" else 0,
    )
    assert applied == MIGRATIONS[MIGRATIONS.index(LANDED_RELEASE) + 1 :]
    await init_db(empty_database)
    try:
        principal = await authenticate(key)
        assert principal is not None and principal.partner_id == partner.id
        assert await RuleFact.all().count() == 0
    finally:
        await close_db()


async def test_the_models_and_the_migrations_agree(sqlite_db):
    """What `tortoise makemigrations` would write: nothing."""
    config = tortoise_config(sqlite_db)
    apps = {label: dict(app) for label, app in config["apps"].items()}
    detector = MigrationAutodetector(Tortoise.apps, apps)
    changes = await detector.changes()
    assert [w.name for w in changes] == []


async def _table_names(url: str) -> set[str]:
    connection = Tortoise.get_connection("default")
    if url.startswith("sqlite"):
        _, rows = await connection.execute_query(
            "SELECT name FROM sqlite_master WHERE type='table'"
        )
    else:
        _, rows = await connection.execute_query(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
        )
    return {row["name"] for row in rows}


async def _column_names(url: str, table: str) -> set[str]:
    connection = Tortoise.get_connection("default")
    if url.startswith("sqlite"):
        _, rows = await connection.execute_query(f"PRAGMA table_info({table})")
        return {row["name"] for row in rows}
    _, rows = await connection.execute_query(
        "SELECT column_name AS name FROM information_schema.columns WHERE table_name = $1",
        [table],
    )
    return {row["name"] for row in rows}


def _insert_minimal(db: Any, table: str, values: dict[str, object]) -> None:
    """A row with `values` and a placeholder in every other required column."""
    row = dict(values)
    for _, name, kind, notnull, default, _pk in db.execute(f"PRAGMA table_info({table})"):
        if name in row or not notnull or default is not None:
            continue
        kind = kind.upper()
        row[name] = 0 if ("INT" in kind or "DECIMAL" in kind or "BOOL" in kind) else "x"
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))


async def test_lifecycle_5a_backfill_numbers_existing_events_by_time_then_id(tmp_path: Path):
    """0008: events already recorded get 1, 2, 3... per cover and per policy, by
    occurred_at then id, and each owner's counter continues after its last event."""
    import sqlite3

    url = f"sqlite://{tmp_path / 'backfill.sqlite3'}"
    await migrate(url, target="models.0007_tu_top_up_policies")
    db = sqlite3.connect(tmp_path / "backfill.sqlite3")
    _insert_minimal(db, "partner", {"id": "par_a"})
    for owner in ("cov_a", "cov_b"):
        _insert_minimal(db, "quote", {"id": f"quo_{owner}", "partner_id": "par_a"})
        _insert_minimal(
            db, "cover", {"id": owner, "quote_id": f"quo_{owner}", "partner_id": "par_a"}
        )
    _insert_minimal(db, "policy", {"id": "pol_a", "partner_id": "par_a"})
    same = "2026-01-05 10:00:00+00:00"
    for event_id, owner, at in (
        ("evt_3", "cov_a", "2026-01-06 09:00:00+00:00"),
        ("evt_2", "cov_a", same),
        ("evt_1", "cov_a", same),
        ("evt_9", "cov_b", same),
    ):
        _insert_minimal(db, "cover_event", {"id": event_id, "cover_id": owner, "occurred_at": at})
    for event_id, at in (("pev_2", "2026-02-01 00:00:00+00:00"), ("pev_1", same)):
        _insert_minimal(
            db, "policy_event", {"id": event_id, "policy_id": "pol_a", "occurred_at": at}
        )
    db.commit()
    db.close()

    await migrate(url)

    db = sqlite3.connect(tmp_path / "backfill.sqlite3")
    try:
        events = dict(db.execute("SELECT id, sequence FROM cover_event"))
        assert events == {"evt_1": 1, "evt_2": 2, "evt_3": 3, "evt_9": 1}
        assert dict(db.execute("SELECT id, event_sequence FROM cover")) == {
            "cov_a": 3,
            "cov_b": 1,
        }
        assert dict(db.execute("SELECT id, sequence FROM policy_event")) == {
            "pev_1": 1,
            "pev_2": 2,
        }
        assert dict(db.execute("SELECT id, event_sequence FROM policy")) == {"pol_a": 2}
        with pytest.raises(sqlite3.IntegrityError):
            _insert_minimal(db, "cover_event", {"id": "evt_x", "cover_id": "cov_a", "sequence": 3})
    finally:
        db.close()


async def test_0014_keeps_the_staff_exchange_rates_as_staff_rates(empty_database):
    """0014 (sandbox exchange rates): rates set before it stay, as staff rates (partner
    NULL), and are still one per pair and day. On SQLite the table is rebuilt to drop its
    inline UNIQUE (from, to, on), so rows must survive the rebuild."""
    from decimal import Decimal

    from tortoise.exceptions import IntegrityError

    from domain.store.policy_models import ExchangeRate

    await migrate(empty_database, target="models.0013_rule_facts")
    connection_url = empty_database
    await init_db(connection_url)
    try:
        connection = Tortoise.get_connection("default")
        sql = (
            'INSERT INTO exchange_rate (id, from_currency, to_currency, "on", rate, '
            "created_at) VALUES ('fx_old', 'USD', 'EUR', '2027-01-12', 0.9, "
            "'2026-12-01 00:00:00+00:00')"
        )
        await connection.execute_script(sql)
    finally:
        await close_db()
    await migrate(empty_database)
    await init_db(empty_database)
    try:
        [row] = await ExchangeRate.all()
        assert (row.id, row.partner_id, row.rate) == ("fx_old", None, Decimal("0.9"))  # type: ignore[attr-defined]
        with pytest.raises(IntegrityError):
            await ExchangeRate.create(
                id="fx_new",
                from_currency="USD",
                to_currency="EUR",
                on=row.on,
                rate=Decimal("1"),
                created_at=row.created_at,
            )
    finally:
        await close_db()
