"""deploy/k8s and deploy/compose.yaml (issue 9, item 1): every YAML parses, and each
manifest has what its kind needs and what this application needs from it. Small
hand-written schema checks, no cluster and no container engine."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.deploy.artefacts import (
    COMPOSE,
    DEPLOY,
    as_argv,
    compose,
    dig,
    image_entrypoint,
    k8s_documents,
    k8s_files,
    manifests,
    resolve_command,
    role,
)

#: What each kind must carry, and its API version. A kind not listed here fails: add its
#: checks with it.
REQUIRED = {
    "Deployment": (
        "apps/v1",
        [
            "spec.replicas",
            "spec.selector.matchLabels",
            "spec.template.metadata.labels",
            "spec.template.spec.containers",
        ],
    ),
    "Job": (
        "batch/v1",
        ["spec.backoffLimit", "spec.template.spec.containers", "spec.template.spec.restartPolicy"],
    ),
    "Service": ("v1", ["spec.selector", "spec.ports"]),
    "PodDisruptionBudget": ("policy/v1", ["spec.selector.matchLabels"]),
    "ConfigMap": ("v1", ["data"]),
    "PersistentVolumeClaim": ("v1", ["spec.accessModes", "spec.resources.requests.storage"]),
}
DNS_1123 = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
#: Settings that are secrets: only ever from a Secret, never a literal.
SECRET_SETTINGS = {"TRADECOVER_DATABASE_URL", "TRADECOVER_REDIS_URL", "TRADECOVER_STRIPE_API_KEY"}


def pod_specs() -> list[tuple[str, dict[str, Any]]]:
    """(kind/name, pod spec) of every Deployment and Job."""
    return [
        (f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"])
        for doc in manifests("Deployment") + manifests("Job")
    ]


def container_argv(container: dict[str, Any]) -> list[str]:
    command = as_argv(container.get("command")) or image_entrypoint()
    return command + as_argv(container.get("args"))


def by_role(kind: str = "Deployment") -> dict[str, dict[str, Any]]:
    """Workloads by the tradecover command their (single) container runs."""
    found = {}
    for doc in manifests(kind):
        (container,) = doc["spec"]["template"]["spec"]["containers"]
        found[role(container_argv(container))] = doc
    return found


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


# --- Kubernetes -------------------------------------------------------------------------


def test_every_k8s_file_parses_into_known_namespace_agnostic_kinds() -> None:
    assert k8s_files(), "deploy/k8s has no manifests"
    for file, doc in k8s_documents():
        kind = doc.get("kind")
        assert kind in REQUIRED, f"{file}: unchecked kind {kind!r}"
        api_version, required = REQUIRED[kind]
        assert doc.get("apiVersion") == api_version, f"{file}: {kind} apiVersion"
        name = dig(doc, "metadata.name")
        assert DNS_1123.fullmatch(name), f"{file}: bad name {name!r}"
        assert "namespace" not in doc["metadata"], f"{file}: {name} pins a namespace"
        for key in required:
            try:
                dig(doc, key)
            except KeyError:
                pytest.fail(f"{file}: {kind}/{name} lacks {key}")
    names = [(doc["kind"], doc["metadata"]["name"]) for _, doc in k8s_documents()]
    assert len(names) == len(set(names)), "two manifests with one kind and name"


def test_deployments_select_their_own_pods() -> None:
    for doc in manifests("Deployment"):
        selector = doc["spec"]["selector"]["matchLabels"]
        assert selects(selector, doc["spec"]["template"]["metadata"]["labels"]), doc["metadata"]
        others = [d for d in manifests("Deployment") if d is not doc]
        assert not any(
            selects(selector, d["spec"]["template"]["metadata"]["labels"]) for d in others
        ), f"{doc['metadata']['name']}: its selector also matches another Deployment's pods"


def test_every_container_has_an_image_resources_and_runs_as_non_root() -> None:
    images = set()
    for name, spec in pod_specs():
        pod_non_root = spec.get("securityContext", {}).get("runAsNonRoot") is True
        # Service links put <SERVICE>_PORT=tcp://... variables in the pods: with a Service
        # named tradecover-..., names in the settings' own TRADECOVER_ prefix.
        assert spec.get("enableServiceLinks") is False, f"{name}: enableServiceLinks"
        volumes = {v["name"] for v in spec.get("volumes", [])}
        for container in spec.get("initContainers", []) + spec["containers"]:
            where = f"{name} container {container.get('name')}"
            assert container.get("image"), f"{where}: image"
            images.add(container["image"])
            for bound in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    assert container.get("resources", {}).get(bound, {}).get(resource), (
                        f"{where}: resources.{bound}.{resource}"
                    )
            security = container.get("securityContext", {})
            assert pod_non_root or security.get("runAsNonRoot") is True, f"{where}: non-root"
            assert security.get("allowPrivilegeEscalation") is False, where
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in volumes, f"{where}: mounts undeclared {mount['name']}"
    assert len(images) == 1, f"one image for every role, found {sorted(images)}"


def test_the_roles_are_the_real_cli_commands() -> None:
    for _, spec in pod_specs():
        for container in spec["containers"]:
            resolve_command(container_argv(container))
    assert set(by_role()) == {"serve", "worker", "scheduler"}
    assert set(by_role("Job")) == {"migrate"}


def test_api_is_probed_ready_on_readyz_and_alive_on_healthz() -> None:
    (container,) = by_role()["serve"]["spec"]["template"]["spec"]["containers"]
    ports = container.get("ports", [])
    port_refs = {p.get("name") for p in ports} | {p["containerPort"] for p in ports}
    expected = {"readinessProbe": "/readyz", "livenessProbe": "/healthz"}
    for probe, path in expected.items():
        http = dig(container, f"{probe}.httpGet")
        assert http["path"] == path, probe
        assert http["port"] in port_refs, f"{probe} port {http['port']} is not a container port"
    if "startupProbe" in container:
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"


def test_scheduler_is_exactly_one_and_never_two_during_a_rollout() -> None:
    scheduler = by_role()["scheduler"]
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"]["type"] == "Recreate"


def test_migration_job_runs_once_and_is_not_restarted_forever() -> None:
    job = by_role("Job")["migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in {"Never", "OnFailure"}
    assert isinstance(job["spec"]["backoffLimit"], int)


def test_api_service_targets_the_api_pods_port() -> None:
    api = by_role()["serve"]
    (service,) = manifests("Service")
    labels = api["spec"]["template"]["metadata"]["labels"]
    assert selects(service["spec"]["selector"], labels)
    for other in ("worker", "scheduler"):
        assert not selects(
            service["spec"]["selector"], by_role()[other]["spec"]["template"]["metadata"]["labels"]
        )
    (container,) = api["spec"]["template"]["spec"]["containers"]
    ports = {p.get("name") for p in container["ports"]} | {
        p["containerPort"] for p in container["ports"]
    }
    for port in service["spec"]["ports"]:
        assert port.get("targetPort", port["port"]) in ports


def test_disruption_budgets_cover_api_and_worker_and_allow_a_drain() -> None:
    covered = set()
    for pdb in manifests("PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]["matchLabels"]
        matching = [
            (r, d)
            for r, d in by_role().items()
            if selects(selector, d["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(matching) == 1, f"PDB {pdb['metadata']['name']} matches {len(matching)}"
        workload_role, deployment = matching[0]
        covered.add(workload_role)
        spec = pdb["spec"]
        assert ("minAvailable" in spec) != ("maxUnavailable" in spec)
        if isinstance(spec.get("minAvailable"), int):
            assert spec["minAvailable"] < deployment["spec"]["replicas"], "blocks every drain"
    assert {"serve", "worker"} <= covered


def test_settings_come_from_the_configmap_and_secrets_from_a_secret_reference() -> None:
    (configmap,) = manifests("ConfigMap")
    assert not manifests("Secret"), "no Secret values in the repository"
    assert not SECRET_SETTINGS & set(configmap["data"]), "a secret in the ConfigMap"
    assert configmap["data"].get("TRADECOVER_ENV") == "production"
    claims = {c["metadata"]["name"] for c in manifests("PersistentVolumeClaim")}
    for name, spec in pod_specs():
        for volume in spec.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, name
        for container in spec["containers"]:
            refs = {
                r["configMapRef"]["name"]
                for r in container.get("envFrom", [])
                if "configMapRef" in r
            }
            assert refs == {configmap["metadata"]["name"]}, name
            env = {e["name"]: e for e in container.get("env", [])}
            needed = {"TRADECOVER_DATABASE_URL"}
            if role(container_argv(container)) != "migrate":
                needed = SECRET_SETTINGS
            assert needed <= set(env), f"{name}: missing {needed - set(env)}"
            for var in SECRET_SETTINGS & set(env):
                assert "value" not in env[var], f"{name}: {var} given as a literal"
                ref = dig(env[var], "valueFrom.secretKeyRef")
                assert ref["name"] and ref["key"], f"{name}: {var}"


def test_the_api_pods_get_the_metrics_token_from_the_secret_and_nothing_else_does() -> None:
    """GET /metrics wants TRADECOVER_METRICS_TOKEN in production: a secret, so only from
    a Secret reference (required), and only where /metrics is served."""
    (configmap,) = manifests("ConfigMap")
    assert "TRADECOVER_METRICS_TOKEN" not in configmap["data"]
    assert configmap["data"].get("TRADECOVER_METRICS_PUBLIC", "false") == "false"
    for workload_role, deployment in by_role().items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container.get("env", [])}
        if workload_role != "serve":
            assert "TRADECOVER_METRICS_TOKEN" not in env, workload_role
            continue
        ref = dig(env["TRADECOVER_METRICS_TOKEN"], "valueFrom.secretKeyRef")
        assert ref == {"name": "tradecover-secrets", "key": "TRADECOVER_METRICS_TOKEN"}


# --- compose ----------------------------------------------------------------------------

APP_ROLES = {"serve", "worker", "scheduler", "migrate"}


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def app_services() -> dict[str, dict[str, Any]]:
    """tradecover services by role: the ones built from deploy/Dockerfile."""
    found = {}
    for service in services().values():
        if "build" in service:
            found[role(image_entrypoint() + as_argv(service.get("command")))] = service
    return found


def service_running(image_prefix: str) -> dict[str, Any]:
    (service,) = [
        s for s in services().values() if str(s.get("image", "")).startswith(image_prefix)
    ]
    return service


def test_every_service_has_an_image_or_a_build_of_the_real_dockerfile() -> None:
    for name, service in services().items():
        assert "image" in service or "build" in service, name
        if "build" in service:
            build = service["build"]
            context = (COMPOSE.parent / build["context"]).resolve()
            assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name
    assert set(app_services()) == APP_ROLES


def test_depends_on_names_real_services_with_conditions_they_can_meet() -> None:
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, service in services().items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        for dependency, spec in depends.items():
            assert dependency in services(), f"{name} -> {dependency}"
            assert spec.get("condition") in conditions, f"{name} -> {dependency}"
            if spec["condition"] == "service_healthy":
                check = services()[dependency].get("healthcheck")
                assert check and not check.get("disable"), f"{dependency} has no healthcheck"


def test_migrate_is_one_shot_and_everything_else_waits_for_it() -> None:
    apps = app_services()
    migrate = apps["migrate"]
    assert migrate.get("restart", "no") == "no", "a one-shot service is not restarted"
    assert migrate.get("deploy", {}).get("replicas", 1) == 1
    migrate_name = next(n for n, s in services().items() if s is migrate)
    for workload in ("serve", "worker", "scheduler"):
        depends = apps[workload].get("depends_on", {})
        assert depends.get(migrate_name, {}).get("condition") == (
            "service_completed_successfully"
        ), workload


def test_api_publishes_its_port_and_is_health_checked() -> None:
    api = app_services()["serve"]
    assert api.get("ports")
    check = api.get("healthcheck", {})
    assert not check.get("disable") and "/healthz" in " ".join(as_argv(check.get("test")))


def test_workers_scale_and_the_scheduler_is_alone() -> None:
    apps = app_services()
    worker, scheduler = apps["worker"], apps["scheduler"]
    assert "container_name" not in worker, "a fixed name prevents --scale"
    assert not any(":" in str(p) for p in worker.get("ports", [])), "a host port prevents --scale"
    assert worker.get("deploy", {}).get("replicas", 0) >= 1
    assert scheduler.get("deploy", {}).get("replicas", 1) == 1


def test_redis_keeps_queued_jobs_on_disk() -> None:
    redis = service_running("redis")
    argv = as_argv(redis.get("command"))
    assert "--appendonly" in argv and argv[argv.index("--appendonly") + 1] == "yes"
    assert any(str(v).endswith(":/data") for v in redis.get("volumes", []))


def test_postgres_keeps_its_data_in_a_volume_and_reports_health() -> None:
    postgres = service_running("postgres")
    assert any(str(v).endswith(":/var/lib/postgresql/data") for v in postgres.get("volumes", []))
    assert "pg_isready" in " ".join(as_argv(postgres["healthcheck"]["test"]))


def test_named_volumes_are_declared() -> None:
    declared = set(compose().get("volumes") or {})
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":", 1)[0]
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"{name}: volume {source} not declared"


def test_deploy_readme_documents_compose_and_k8s() -> None:
    readme = (DEPLOY / "README.md").read_text()
    for needle in ("compose.yaml", "/readyz", "/healthz", "migrate-job.yaml", "--scale"):
        assert needle in readme, needle
