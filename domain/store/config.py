"""Tortoise configuration from a database URL (sqlite://... or postgres://...)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

MODELS_MODULES = [
    "domain.store.models",
    "domain.store.cover_models",
    "domain.store.webhook_models",
    "domain.store.claim_models",
    "domain.store.policy_models",
    "domain.store.topup_models",
    "domain.store.rule_fact_models",
    "domain.store.console_models",
]
MIGRATIONS_MODULE = "domain.store.migrations"

#: How long a SQLite writer waits for another process's write lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 15_000


def tortoise_config(database_url: str) -> dict[str, Any]:
    parsed = urlparse(database_url)
    if parsed.scheme == "sqlite":
        path = database_url[len("sqlite://") :]
        connection: dict[str, Any] = {
            "engine": "domain.store.sqlite_immediate",
            "credentials": {
                "file_path": path,
                "journal_mode": "WAL",
                "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
                "synchronous": "NORMAL",
                "foreign_keys": "ON",
            },
        }
    elif parsed.scheme in ("postgres", "postgresql", "asyncpg"):
        connection = {
            "engine": "tortoise.backends.asyncpg",
            "credentials": {
                "host": parsed.hostname or "127.0.0.1",
                "port": parsed.port or 5432,
                "user": parsed.username or "postgres",
                "password": parsed.password or "",
                "database": parsed.path.lstrip("/") or "tradecover",
                "minsize": 1,
                "maxsize": 10,
            },
        }
    else:
        raise ValueError(f"unsupported database URL scheme: {parsed.scheme!r}")
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": MODELS_MODULES,
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }
