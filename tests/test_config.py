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
    "metrics_token": "m3trics-t0ken",
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


def test_production_refuses_to_start_the_api_with_metrics_open_to_anyone() -> None:
    """GET /metrics shows business figures: production wants a token for it (or says, with
    TRADECOVER_METRICS_PUBLIC, that the network keeps it private)."""
    from tradecover.app import create_app

    without = {**SAFE, "metrics_token": None}
    with pytest.raises(UnsafeConfiguration) as refused:
        create_app(Settings(**without), manage_database=False)
    assert "TRADECOVER_METRICS_TOKEN is unset" in str(refused.value)
    assert "TRADECOVER_METRICS_PUBLIC=true" in str(refused.value)
    with pytest.raises(UnsafeConfiguration):
        ensure_startable(Settings(**without), serves_metrics=True)
    ensure_startable(Settings(**without, metrics_public=True), serves_metrics=True)
    ensure_startable(Settings(**SAFE), serves_metrics=True)


def test_workers_and_the_scheduler_start_without_the_metrics_token() -> None:
    ensure_startable(Settings(**{**SAFE, "metrics_token": None}))  # serves no /metrics


def test_an_open_metrics_endpoint_is_a_dev_default_outside_production_or_when_allowed() -> None:
    ensure_startable(Settings(env="test"), serves_metrics=True)
    ensure_startable(Settings(env="dev"), serves_metrics=True)
    ensure_startable(Settings(env="production", allow_dev_defaults=True), serves_metrics=True)


def test_effective_settings_redact_keys_and_url_passwords() -> None:
    shown = effective(Settings(**SAFE))
    text = json.dumps(shown, default=str)
    for secret in ("sk_live_abc123", "s3cr3t-pw", "r3dis-pw", "m3trics-t0ken"):
        assert secret not in text
    assert shown["stripe_api_key"] == REDACTED and shown["metrics_token"] == REDACTED
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
    problems = json.loads(shown.stdout)["problems"]
    assert len(problems) == 4, problems  # 3 dev defaults, and the API's open /metrics
    assert problems[-1].startswith("(api) TRADECOVER_METRICS_TOKEN is unset")
