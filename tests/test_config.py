"""Configuration (issue 9): production refuses dev defaults unless allowed, and
`tradecover config show` prints the effective settings with every secret redacted."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tradecover.config_checks import (
    REDACTED,
    UnsafeConfiguration,
    effective,
    ensure_startable,
)
from tradecover.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SAFE = {
    "env": "production",
    "card_gateway": "stripe",
    "stripe_api_key": "sk_live_abc123",
    "database_url": "postgres://tc:s3cr3t-pw@db.internal:5432/tradecover",
    "redis_url": "redis://:r3dis-pw@redis.internal:6379/0",
}


def test_production_with_explicit_services_starts() -> None:
    ensure_startable(Settings(**SAFE))  # no exception is the point; the refusals follow


@pytest.mark.parametrize(
    ("unset", "named"),
    [
        ({"card_gateway": "sandbox"}, "TRADECOVER_CARD_GATEWAY is 'sandbox'"),
        ({"database_url": None}, "TRADECOVER_DATABASE_URL is unset"),
        ({"redis_url": None}, "TRADECOVER_REDIS_URL is unset"),
    ],
)
def test_production_refuses_each_dev_default(unset, named) -> None:
    with pytest.raises(UnsafeConfiguration) as refused:
        ensure_startable(Settings(**{**SAFE, **unset}))
    assert named in str(refused.value)
    assert "TRADECOVER_ALLOW_DEV_DEFAULTS=true" in str(refused.value)


def test_dev_defaults_start_when_explicitly_allowed_and_outside_production() -> None:
    ensure_startable(Settings(env="production", allow_dev_defaults=True))
    ensure_startable(Settings(env="dev"))
    ensure_startable(Settings(env="test"))


def test_stripe_without_its_key_is_refused_even_when_dev_defaults_are_allowed() -> None:
    settings = Settings(**{**SAFE, "stripe_api_key": None, "allow_dev_defaults": True})
    with pytest.raises(UnsafeConfiguration, match="TRADECOVER_STRIPE_API_KEY is unset"):
        ensure_startable(settings)


def test_the_api_app_refuses_to_build_with_production_dev_defaults() -> None:
    from tradecover.app import create_app

    with pytest.raises(UnsafeConfiguration):
        create_app(Settings(env="production"), manage_database=False)


def test_effective_settings_redact_keys_and_url_passwords() -> None:
    shown = effective(Settings(**SAFE))
    text = json.dumps(shown, default=str)
    for secret in ("sk_live_abc123", "s3cr3t-pw", "r3dis-pw"):
        assert secret not in text
    assert shown["stripe_api_key"] == REDACTED
    assert shown["database_url"] == f"postgres://tc:{REDACTED}@db.internal:5432/tradecover"
    assert shown["redis_url (resolved)"] == f"redis://:{REDACTED}@redis.internal:6379/0"
    assert shown["env"] == "production" and shown["port"] == 8000


def _config_show(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRADECOVER_")}
    return subprocess.run(
        [str(REPO / ".venv/bin/tradecover"), "config", "show", "--json"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_config_show_prints_redacted_settings_and_exits_0_when_startable() -> None:
    shown = _config_show({f"TRADECOVER_{k.upper()}": v for k, v in SAFE.items()})
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert body["problems"] == []
    assert body["settings"]["card_gateway"] == "stripe"
    assert "sk_live_abc123" not in shown.stdout and "s3cr3t-pw" not in shown.stdout


def test_config_show_lists_the_refusals_and_exits_1() -> None:
    shown = _config_show({"TRADECOVER_ENV": "production"})
    assert shown.returncode == 1
    assert len(json.loads(shown.stdout)["problems"]) == 3
