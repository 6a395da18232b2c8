"""Migrations (issue 9, item 4): Tortoise's native migrations build every model's table
from an empty database, upgrade the previous release keeping its rows, and agree with the
models (no change left for `makemigrations` to write). SQLite, and PostgreSQL when
TRADECOVER_TEST_POSTGRES=1."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from domain.store.config import tortoise_config
from domain.store.database import close_db, init_db, migrate
from tests.conftest import _create_pg_database

MIGRATIONS = sorted(
    p.stem for p in (Path(__file__).resolve().parents[2] / "domain/store/migrations").glob("0*.py")
)
PREVIOUS_RELEASE = f"models.{MIGRATIONS[-2]}"


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
    from domain.store.topup_models import TopUpPolicy

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
    finally:
        await close_db()
    # Whichever migration is last (slices add their own), the previous release has the
    # partner's table and its row survives the upgrade below.
    assert "partner" in tables_before

    applied: list[str] = []
    await migrate(
        empty_database,
        progress=lambda event, app, name: applied.append(name) if event == "apply_done" else 0,
    )
    assert applied == [MIGRATIONS[-1]]
    await init_db(empty_database)
    try:
        principal = await authenticate(key)
        assert principal is not None and principal.partner_id == partner.id
        assert await TopUpPolicy.all().count() == 0
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
