"""domain/rules stays pure (STYLE.md "Pure core, explicit time"; FI-E2, TR-T0 and every
dated rule take their dates as parameters): imports only the stdlib, dateutil and
domain.rules; never reads the clock; no async code.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

RULES_DIR = Path(__file__).resolve().parents[2] / "domain" / "rules"
RULE_FILES = sorted(RULES_DIR.rglob("*.py"))

ALLOWED_THIRD_PARTY = {"dateutil"}
OWN_PACKAGE = ("domain", "rules")

#: (receiver name, method) pairs that read the clock.
CLOCK_CALLS = {
    ("date", "today"),
    ("datetime", "today"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "perf_counter"),
}
#: Names that read the clock when imported bare (`from time import time`).
CLOCK_IMPORTS = {("time", "time"), ("time", "time_ns"), ("time", "monotonic")}


def _import_allowed(module: str) -> bool:
    parts = tuple(module.split("."))
    return (
        parts[0] in sys.stdlib_module_names
        or parts[0] in ALLOWED_THIRD_PARTY
        or parts[: len(OWN_PACKAGE)] == OWN_PACKAGE
    )


def _receiver_name(node: ast.expr) -> str | None:
    """`date` for `date.today`, `datetime` for `datetime.datetime.now`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def impurities(source: str, depth: int = 0) -> list[str]:
    """Every impure construct of a rule module's source, as readable findings.

    `depth` is how many packages below domain/rules the module sits: a relative import
    may climb at most to domain.rules itself.
    """
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if not _import_allowed(a.name)]
        elif isinstance(node, ast.ImportFrom):
            if node.level > depth + 1:
                found.append(f"relative import {'.' * node.level}{node.module or ''} leaves rules")
            if node.level == 0 and not _import_allowed(node.module or ""):
                found.append(f"from {node.module} import ...")
            if node.level == 0:
                found += [
                    f"from {node.module} import {a.name}"
                    for a in node.names
                    if (node.module, a.name) in CLOCK_IMPORTS
                ]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if (_receiver_name(node.func.value), node.func.attr) in CLOCK_CALLS:
                found.append(f"clock read {ast.unparse(node.func)}() on line {node.lineno}")
        elif isinstance(node, ast.Await):
            found.append(f"await on line {node.lineno}")
        elif isinstance(node, ast.AsyncFunctionDef):
            found.append(f"async def {node.name} on line {node.lineno}")
        elif isinstance(node, (ast.AsyncFor, ast.AsyncWith)):
            found.append(f"async for/with on line {node.lineno}")
    return found


def test_rule_modules_exist():
    names = {p.name for p in RULE_FILES}
    assert {"eligibility.py", "pricing.py", "input_checks.py", "money.py"} <= names


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: str(p.relative_to(RULES_DIR)))
def test_rule_module_is_pure(path: Path):
    depth = len(path.relative_to(RULES_DIR).parts) - 1
    assert impurities(path.read_text(encoding="utf-8"), depth) == []


# The checker itself must catch what it is meant to catch.


@pytest.mark.parametrize(
    "source",
    [
        "import tortoise",
        "from domain.store.models import Cover",
        "from domain.services import quotes",
        "import schema.types",
        "from datetime import date\nx = date.today()",
        "import datetime\nx = datetime.datetime.now()",
        "from datetime import datetime\nx = datetime.utcnow()",
        "import time\nx = time.time()",
        "from time import time",
        "from .. import services",
        "from ..store import models",
        "async def f():\n    pass",
        "async def f(g):\n    await g()",
    ],
)
def test_purity_checker_flags_impure_source(source: str):
    assert impurities(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "from __future__ import annotations",
        "from datetime import date, timedelta\nx = date(2025, 1, 1) + timedelta(days=1)",
        "from dateutil.relativedelta import relativedelta",
        "from decimal import ROUND_HALF_UP, Decimal",
        "from domain.rules.money import Money",
        "from . import money",
        "def f(today):\n    return today.replace(day=1)",
    ],
)
def test_purity_checker_accepts_pure_source(source: str):
    assert impurities(source) == []
