"""Start, migrate and stop the database, once per process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.migrations.api.migrate import migrate as migrate_api

from domain.store.config import tortoise_config


def _ensure_sqlite_dir(database_url: str) -> None:
    if urlparse(database_url).scheme == "sqlite":
        path = database_url[len("sqlite://") :]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


async def init_db(database_url: str) -> None:
    """Open the connections for this process. The global fallback makes the same
    connections visible to every task (requests, actors), see STACK_NOTES.md."""
    _ensure_sqlite_dir(database_url)
    # Tortoise caches compiled INSERT/DELETE statements per connection *name*, not per
    # dialect: a process that reopens "default" on another backend (the test suite does,
    # SQLite then PostgreSQL) would reuse SQLite's "?" placeholders on PostgreSQL.
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


#: progress(event, app_label, migration name); event is "apply_start", "apply_done", ...
Progress = Callable[[str, str, str], object]
#: on_plan(number of migrations about to be applied)
OnPlan = Callable[[int], object]


async def migrate(
    database_url: str,
    *,
    target: str | None = None,
    on_plan: OnPlan | None = None,
    progress: Progress | None = None,
) -> None:
    """Apply the migrations under domain/store/migrations (Tortoise native migrations),
    every one, or up to `target` ("models.0006_wt_collection_costs": the previous release,
    for upgrade tests)."""
    _ensure_sqlite_dir(database_url)
    EXECUTOR_CACHE.clear()

    def reporter(connection: str, plan: list[Any], fake: bool, dry_run: bool) -> None:
        if on_plan is not None:
            on_plan(len(plan))

    try:
        await migrate_api(
            config=tortoise_config(database_url),
            app_labels=None,
            target=target,
            reporter=reporter,
            progress=progress,
        )
    finally:
        await Tortoise.close_connections()
