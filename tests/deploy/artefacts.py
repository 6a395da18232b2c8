"""Reading deploy/ for the tests: YAML documents, the Dockerfile's instructions, and the
two things every artefact must agree with, the settings and the CLI."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import typer.main
import yaml

from tradecover.cli import app
from tradecover.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "tradecover.env.example"
SYSTEMD_UNITS = sorted((DEPLOY / "systemd").glob("*.service"))

#: Variables the artefacts may set that are not settings: the interpreter's, pip's, and
#: dramatiq's own lower-case one (STACK_NOTES.md).
OTHER_ENV = {
    "PATH",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "PIP_NO_CACHE_DIR",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "dramatiq_worker_timeout",
}
SETTING_NAME = re.compile(r"\bTRADECOVER_[A-Z0-9_]+\b")


@cache
def setting_env_names() -> frozenset[str]:
    """Every variable Settings reads: env_prefix + field name (case-insensitive)."""
    prefix = Settings.model_config.get("env_prefix") or ""
    return frozenset((prefix + name).upper() for name in Settings.model_fields)


def is_setting(name: str) -> bool:
    return name.upper() in setting_env_names()


@cache
def cli_root() -> Any:
    """The click command typer builds from tradecover.cli.app (the one the script runs)."""
    return typer.main.get_command(app)


def resolve_command(argv: list[str]) -> Any:
    """The registered tradecover command that `argv` runs, its options parsed as the CLI
    would (an unknown command, option or value fails the test). Typer's command objects
    (click's, vendored by recent typer) are duck-typed: a group has `commands`."""
    assert argv, "empty command"
    assert Path(argv[0]).name == "tradecover", f"{argv}: does not run the tradecover CLI"
    command: Any = cli_root()
    args = list(argv[1:])
    path = ["tradecover"]
    while hasattr(command, "commands"):
        assert args, f"{argv}: {' '.join(path)} needs a subcommand"
        name = args.pop(0)
        sub = command.commands.get(name)
        assert sub is not None, f"{argv}: {name!r} is not a command of {' '.join(path)}"
        command, path = sub, [*path, name]
    try:
        command.make_context(" ".join(path), args)
    except Exception as error:  # the CLI's usage errors
        message = error.format_message() if hasattr(error, "format_message") else error
        raise AssertionError(f"{argv}: {message}") from None
    return command


def role(argv: list[str]) -> str:
    """serve, worker, scheduler, migrate, ...: the top-level command `argv` runs."""
    resolve_command(argv)
    return argv[1]


# --- YAML -------------------------------------------------------------------------------


def k8s_files() -> list[Path]:
    return sorted(K8S.glob("*.yaml")) + sorted(K8S.glob("*.yml"))


@cache
def k8s_documents() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(file name, manifest) for every YAML document under deploy/k8s."""
    found = []
    for path in k8s_files():
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                found.append((path.name, doc))
    return tuple(found)


def manifests(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in k8s_documents() if doc.get("kind") == kind]


@cache
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def dig(node: Any, dotted: str) -> Any:
    """node["a"]["b"] for "a.b"; KeyError naming the missing key."""
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            raise KeyError(dotted)
        node = node[key]
    return node


def as_argv(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]


def env_mapping(environment: dict[str, Any] | list[str] | None) -> dict[str, Any]:
    """A compose `environment` in either form, as a dict."""
    if environment is None:
        return {}
    if isinstance(environment, dict):
        return dict(environment)
    return {
        item.split("=", 1)[0]: item.split("=", 1)[1] if "=" in item else None
        for item in environment
    }


# --- Dockerfile (line based) ------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    rest: str


@dataclass(frozen=True)
class Stage:
    base: str
    name: str | None
    instructions: tuple[Instruction, ...]

    def all(self, keyword: str) -> list[str]:
        return [i.rest for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> str | None:
        found = self.all(keyword)
        return found[-1] if found else None


def _logical_lines(text: str) -> list[str]:
    """Comment lines dropped, backslash continuations joined."""
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    if current:
        lines.append(current)
    return lines


@cache
def dockerfile_stages() -> tuple[Stage, ...]:
    stages: list[Stage] = []
    base: str | None = None
    name: str | None = None
    body: list[Instruction] = []
    for line in _logical_lines(DOCKERFILE.read_text()):
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            if base is not None:
                stages.append(Stage(base, name, tuple(body)))
            parts = rest.split()
            base = parts[0]
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            body = []
        elif base is not None:
            body.append(Instruction(keyword, rest.strip()))
    if base is not None:
        stages.append(Stage(base, name, tuple(body)))
    return tuple(stages)


def exec_form(rest: str) -> list[str]:
    """ENTRYPOINT/CMD must use the JSON exec form (signals reach the process)."""
    try:
        value = json.loads(rest)
    except json.JSONDecodeError:
        raise AssertionError(f"not in exec (JSON) form: {rest}") from None
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), rest
    return value


def env_assignments(rest: str) -> dict[str, str]:
    """`ENV A=1 B=2` (the key=value form only)."""
    pairs = {}
    for token in shlex.split(rest):
        assert "=" in token, f"ENV without '=' (legacy form): {rest}"
        key, value = token.split("=", 1)
        pairs[key] = value
    return pairs


def image_entrypoint() -> list[str]:
    final = dockerfile_stages()[-1]
    entrypoint = final.last("ENTRYPOINT")
    return exec_form(entrypoint) if entrypoint else []
