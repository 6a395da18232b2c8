"""deploy/Dockerfile and .dockerignore (issue 9, item 1), checked line by line: one image
for every role, built in a builder stage, run as a non-root user."""

from __future__ import annotations

import tomllib

from tests.deploy.artefacts import (
    ROOT,
    dockerfile_stages,
    env_assignments,
    exec_form,
    image_entrypoint,
    resolve_command,
)


def test_multi_stage_build_copies_only_the_virtualenv_into_a_slim_python_311() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    builder, final = stages[0], stages[-1]
    assert builder.name, "the builder stage is named"
    assert any(f"--from={builder.name}" in rest for rest in final.all("COPY"))
    args = {
        line.split("=", 1)[0]: line.split("=", 1)[1] for line in _preamble_args() if "=" in line
    }
    base = final.base
    for name, value in args.items():
        base = base.replace("${" + name + "}", value)
    assert base.startswith("python:3.11-slim"), base
    for rest in final.all("RUN"):
        assert "build-essential" not in rest and "gcc" not in rest, "compiler in the runtime"


def _preamble_args() -> list[str]:
    """ARG lines before the first FROM (they parameterise FROM)."""
    lines = []
    for line in (ROOT / "deploy" / "Dockerfile").read_text().splitlines():
        if line.upper().startswith("FROM"):
            break
        if line.upper().startswith("ARG "):
            lines.append(line[4:].strip())
    return lines


def test_the_project_is_installed_without_dev_extras_and_with_every_package() -> None:
    installs = [r for s in dockerfile_stages() for r in s.all("RUN") if "pip install" in r]
    assert installs
    assert not any("[dev]" in r or "-e " in r for r in installs), installs
    copied = {rest.split()[0] for rest in dockerfile_stages()[0].all("COPY")}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert package in copied, f"package {package} is not copied into the build"
    ignored = _dockerignore()
    for source in copied:
        assert (ROOT / source).exists(), source
        assert source not in ignored, f"{source} is excluded from the build context"


def test_runs_as_a_non_root_user() -> None:
    final = dockerfile_stages()[-1]
    user = final.last("USER")
    assert user is not None, "no USER in the runtime stage"
    name = user.split(":")[0]
    assert name not in {"root", "0"}
    keywords = [i.keyword for i in final.instructions]
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")


def test_default_command_is_the_api_listening_beyond_localhost_and_health_checked() -> None:
    final = dockerfile_stages()[-1]
    entrypoint = image_entrypoint()
    cmd = exec_form(final.last("CMD") or "[]")
    resolve_command(entrypoint + cmd)
    assert cmd[0] == "serve"
    env: dict[str, str] = {}
    for rest in final.all("ENV"):
        env.update(env_assignments(rest))
    assert env.get("TRADECOVER_HOST") == "0.0.0.0", "127.0.0.1 is unreachable from outside"
    assert env.get("TRADECOVER_PORT") in {e.split("/")[0] for e in final.all("EXPOSE")}
    healthcheck = final.last("HEALTHCHECK")
    assert healthcheck is not None and "/healthz" in healthcheck


def _dockerignore() -> set[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return {line.strip().rstrip("/") for line in lines if line.strip() and line[0] != "#"}


def test_dockerignore_keeps_local_state_out_of_the_build_context() -> None:
    ignored = _dockerignore()
    for entry in (".git", ".venv", "var", ".pytest_cache", ".mypy_cache", ".ruff_cache"):
        assert entry in ignored, entry
    assert "**/__pycache__" in ignored
