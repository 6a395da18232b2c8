"""What `tradecover config show` prints, and what production refuses to start with.

Production (`TRADECOVER_ENV=production`) refuses the defaults that only make sense on a
developer's machine: the sandbox card gateway for live keys, no explicit database, no
explicit Redis; and the API refuses a /metrics that anyone reaching it may read (no
`TRADECOVER_METRICS_TOKEN`) unless `TRADECOVER_METRICS_PUBLIC=true` says so.
`TRADECOVER_ALLOW_DEV_DEFAULTS=true` lets it start anyway (a staging box, the benchmarks,
the compose trial); what cannot work at all (Stripe without its key) is refused regardless.
GraphiQL and introspection for live keys are dev-only by construction (Settings.is_dev).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tradecover.settings import Settings

REDACTED = "********"
_SECRET_NAME = re.compile(r"(key|secret|password|token)", re.IGNORECASE)


class UnsafeConfiguration(SystemExit):
    """Raised at process start; SystemExit so the process stops with the message."""


def dev_default_problems(settings: Settings) -> list[str]:
    if settings.env != "production":
        return []
    problems = []
    if settings.card_gateway == "sandbox":
        problems.append(
            "TRADECOVER_CARD_GATEWAY is 'sandbox': live keys would hold cards on a fake network"
        )
    if not settings.database_url:
        problems.append("TRADECOVER_DATABASE_URL is unset (a SQLite file in the data dir)")
    if not settings.redis_url:
        problems.append("TRADECOVER_REDIS_URL is unset (redis://127.0.0.1:6379/0)")
    return problems


def metrics_problems(settings: Settings) -> list[str]:
    """The API's /metrics shows business figures (covers by status, queue lag): in
    production it needs a bearer token, or an explicit statement that it is public."""
    if settings.env != "production" or settings.metrics_token or settings.metrics_public:
        return []
    return [
        "TRADECOVER_METRICS_TOKEN is unset: anyone reaching the API could read /metrics "
        "(or set TRADECOVER_METRICS_PUBLIC=true when the network keeps it private)"
    ]


def fatal_problems(settings: Settings) -> list[str]:
    if settings.card_gateway == "stripe" and not settings.stripe_api_key:
        return ["TRADECOVER_CARD_GATEWAY is 'stripe' but TRADECOVER_STRIPE_API_KEY is unset"]
    return []


def ensure_startable(settings: Settings, *, serves_metrics: bool = False) -> None:
    """`serves_metrics`: the API process, which serves /metrics (workers and the
    scheduler do not need its token)."""
    problems = fatal_problems(settings)
    if not settings.allow_dev_defaults:
        problems += dev_default_problems(settings)
        if serves_metrics:
            problems += metrics_problems(settings)
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        hint = (
            ""
            if fatal_problems(settings)
            else "\nSet them, or TRADECOVER_ALLOW_DEV_DEFAULTS=true to start anyway."
        )
        raise UnsafeConfiguration(f"tradecover refuses to start ({settings.env}):\n{lines}{hint}")


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:{REDACTED}@{host}"))


def effective(settings: Settings) -> dict[str, Any]:
    """Every setting as the process sees it, secrets redacted, resolved URLs included."""
    shown: dict[str, Any] = {}
    values = settings.model_dump()
    values["database_url (resolved)"] = settings.resolved_database_url
    values["redis_url (resolved)"] = settings.resolved_redis_url
    for name, value in values.items():
        if value is not None and _SECRET_NAME.search(name):
            shown[name] = REDACTED
        elif isinstance(value, str) and "://" in value:
            shown[name] = _redact_url(value)
        else:
            shown[name] = value
    return shown
