"""Names the deployment artefacts share with the code (issue 9, item 1).

Settings ignore unknown variables (`extra="ignore"`), so a misspelt TRADECOVER_ name in a
manifest would be silently dropped: every one must be a field of Settings. And every
command a manifest runs must be a registered `tradecover` command with valid options."""

from __future__ import annotations

import shlex

from tests.deploy.artefacts import (
    COMPOSE,
    DOCKERFILE,
    ENV_EXAMPLE,
    OTHER_ENV,
    SETTING_NAME,
    SYSTEMD_UNITS,
    as_argv,
    compose,
    dockerfile_stages,
    env_assignments,
    exec_form,
    image_entrypoint,
    is_setting,
    k8s_documents,
    k8s_files,
    manifests,
    resolve_command,
    setting_env_names,
)


def assert_known(names: set[str], where: str) -> None:
    unknown = {n for n in names if not is_setting(n) and n not in OTHER_ENV}
    assert not unknown, f"{where}: not settings of tradecover.settings.Settings: {unknown}"


def test_the_valid_names_come_from_the_settings_model() -> None:
    names = setting_env_names()
    assert {"TRADECOVER_DATABASE_URL", "TRADECOVER_REDIS_URL", "TRADECOVER_ENV"} <= names
    assert "TRADECOVER_DATABASE" not in names


def test_every_tradecover_name_mentioned_in_an_artefact_is_a_setting() -> None:
    files = [DOCKERFILE, COMPOSE, ENV_EXAMPLE, *SYSTEMD_UNITS, *k8s_files()]
    for path in files:
        mentioned = set(SETTING_NAME.findall(path.read_text()))
        assert_known(mentioned, str(path.name))


def test_env_example_sets_only_settings() -> None:
    keys = set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            assert "=" in line, line
            keys.add(line.split("=", 1)[0])
    assert_known(keys, ENV_EXAMPLE.name)


def test_systemd_units_set_only_settings_and_run_real_commands() -> None:
    assert SYSTEMD_UNITS
    for unit in SYSTEMD_UNITS:
        for line in unit.read_text().splitlines():
            key, _, value = line.partition("=")
            if key == "Environment":
                assert_known({a.split("=", 1)[0] for a in shlex.split(value)}, unit.name)
            elif key == "ExecStart":
                resolve_command(shlex.split(value))


def test_dockerfile_sets_only_settings() -> None:
    for stage in dockerfile_stages():
        for rest in stage.all("ENV"):
            assert_known(set(env_assignments(rest)), "Dockerfile ENV")


def test_compose_sets_only_settings_in_the_tradecover_services() -> None:
    for name, service in compose()["services"].items():
        if "build" not in service:
            continue  # postgres and redis have their own variables
        environment = service.get("environment") or {}
        keys = (
            set(environment)
            if isinstance(environment, dict)
            else {item.split("=", 1)[0] for item in environment}
        )
        assert_known(keys, f"compose service {name}")


def test_k8s_sets_only_settings() -> None:
    for configmap in manifests("ConfigMap"):
        assert_known(set(configmap["data"]), f"ConfigMap {configmap['metadata']['name']}")
    for _, doc in k8s_documents():
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        spec = doc["spec"]["template"]["spec"]
        for container in spec.get("initContainers", []) + spec["containers"]:
            names = {e["name"] for e in container.get("env", [])}
            assert_known(names, f"{doc['metadata']['name']}/{container['name']}")
            for entry in container.get("env", []):
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref["key"].startswith("TRADECOVER_"):
                    assert ref["key"] == entry["name"], "secret key named like its variable"


def test_every_command_the_artefacts_run_is_a_real_cli_command() -> None:
    final = dockerfile_stages()[-1]
    cmd = final.last("CMD")
    assert cmd is not None
    resolve_command(image_entrypoint() + exec_form(cmd))
    for service in compose()["services"].values():
        if "build" in service:
            resolve_command(image_entrypoint() + as_argv(service.get("command")))
    for doc in manifests("Deployment") + manifests("Job"):
        for container in doc["spec"]["template"]["spec"]["containers"]:
            command = as_argv(container.get("command")) or image_entrypoint()
            resolve_command(command + as_argv(container.get("args")))


def test_a_command_that_does_not_exist_is_caught() -> None:
    for argv in (
        ["tradecover", "wrker"],
        ["tradecover", "worker", "--procs", "2"],
        ["tradecover", "partners"],
        ["python", "-m", "tradecover"],
    ):
        try:
            resolve_command(argv)
        except AssertionError:
            continue
        raise AssertionError(f"{argv} was accepted")
