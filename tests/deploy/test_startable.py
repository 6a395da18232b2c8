"""Every deployment configuration starts: production refuses dev defaults
(tradecover/config_checks.py), so each artefact's settings, with its secrets filled in,
must pass the same check every process runs at start."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.deploy.artefacts import compose, env_mapping, manifests
from tradecover.config_checks import ensure_startable
from tradecover.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PLACEHOLDER_SECRETS = {
    "TRADECOVER_DATABASE_URL": "postgres://tc:pw@db:5432/tradecover",
    "TRADECOVER_REDIS_URL": "redis://redis:6379/0",
    "TRADECOVER_STRIPE_API_KEY": "sk_live_placeholder",
}


def settings_from(env: dict[str, str | None]) -> Settings:
    values = {
        name.removeprefix("TRADECOVER_").lower(): value
        for name, value in env.items()
        if name.startswith("TRADECOVER_") and value not in (None, "")
    }
    return Settings(**values)


def _expand_compose(value: str | None) -> str | None:
    """${NAME:-default} -> default (nothing set in the shell running compose)."""
    if value is None:
        return None
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))


def test_the_env_example_is_a_startable_production_configuration() -> None:
    env = dict(
        line.split("=", 1)
        for line in (DEPLOY / "tradecover.env.example").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    settings = settings_from(env)
    assert settings.env == "production" and settings.card_gateway == "stripe"
    ensure_startable(settings)


def test_kubernetes_configmap_with_its_secrets_is_startable() -> None:
    (configmap,) = manifests("ConfigMap")
    settings = settings_from({**configmap["data"], **PLACEHOLDER_SECRETS})
    assert settings.env == "production" and not settings.allow_dev_defaults
    ensure_startable(settings)


@pytest.mark.parametrize("service", ["api", "worker", "scheduler", "migrate"])
def test_compose_services_are_startable_as_a_sandbox_trial(service: str) -> None:
    env = env_mapping(compose()["services"][service].get("environment"))
    settings = settings_from({k: _expand_compose(v) for k, v in env.items()})
    assert settings.env == "production"
    ensure_startable(settings)
