"""Every way of running tradecover restarts a crashed long-running process, and
deploy/README.md says with which policy (the `make run` one: tests/test_supervisor.py)."""

from __future__ import annotations

import configparser

import pytest

from tests.deploy.artefacts import DEPLOY, compose, manifests

LONG_RUNNING = ("serve", "worker", "scheduler")
#: systemd's defaults: a unit started more than 5 times in 10 s is not started again.
START_LIMIT_BURST, START_LIMIT_INTERVAL = 5, 10.0


def _unit(role: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "systemd" / f"tradecover-{role}.service").read_text())
    return parser["Service"]


@pytest.mark.parametrize("role", LONG_RUNNING)
def test_systemd_restarts_each_process_always_and_never_hits_the_start_limit(role: str) -> None:
    service = _unit(role)
    assert service["Restart"] == "always"
    assert "StartLimitBurst" not in service and "StartLimitIntervalSec" not in service
    restart_sec = float(service["RestartSec"])
    assert START_LIMIT_BURST * restart_sec >= START_LIMIT_INTERVAL, restart_sec


@pytest.mark.parametrize("service", ["api", "worker", "scheduler"])
def test_compose_restarts_each_long_running_service(service: str) -> None:
    assert compose()["services"][service]["restart"] == "unless-stopped"


def test_kubernetes_deployments_restart_their_containers() -> None:
    deployments = manifests("Deployment")
    assert len(deployments) == 3
    for doc in deployments:
        assert doc["spec"]["template"]["spec"].get("restartPolicy", "Always") == "Always"


def test_the_deploy_readme_gives_the_restart_policy_of_each_runner() -> None:
    readme = (DEPLOY / "README.md").read_text()
    section = readme.split("## Restarts", 1)[1].split("\n## ", 1)[0]
    for needle in (
        "`tradecover dev`",
        "0.5 s",
        "30 s",
        "`Restart=always`",
        "`RestartSec=2`",
        "`restart: unless-stopped`",
        "`restartPolicy: Always`",
        "`restartPolicy: Never`",
        "`backoffLimit: 2`",
    ):
        assert needle in section, needle
