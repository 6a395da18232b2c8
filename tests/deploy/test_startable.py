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
    "TRADECOVER_METRICS_TOKEN": "metrics-token-placeholder",
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
    ensure_startable(settings, serves_metrics=True)  # the API reads the same file


@pytest.mark.parametrize("name", ["tradecover-api", "tradecover-worker", "tradecover-scheduler"])
def test_kubernetes_configmap_with_each_pods_secrets_is_startable(name: str) -> None:
    """Each Deployment with the ConfigMap and the secrets its container references: the
    api pod must get the /metrics token, or production refuses to start it."""
    (configmap,) = manifests("ConfigMap")
    (deployment,) = [d for d in manifests("Deployment") if d["metadata"]["name"] == name]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    referenced = {
        e["name"]: PLACEHOLDER_SECRETS[e["name"]]
        for e in container.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    settings = settings_from({**configmap["data"], **referenced})
    assert settings.env == "production" and not settings.allow_dev_defaults
    ensure_startable(settings, serves_metrics=name == "tradecover-api")


@pytest.mark.parametrize("service", ["api", "worker", "scheduler", "migrate"])
def test_compose_services_are_startable_as_a_sandbox_trial(service: str) -> None:
    env = env_mapping(compose()["services"][service].get("environment"))
    settings = settings_from({k: _expand_compose(v) for k, v in env.items()})
    assert settings.env == "production"
    ensure_startable(settings, serves_metrics=service == "api")
