"""docs/layout_report.py measures what its docstring says it measures:

- on a small made-up checkout, every figure is the one its definition gives (cycles at
  module level and through function-level imports, depth in levels with a cycle as one
  level, a query chain counted once, FK `_id` ignores told apart from other ignores);
- on this repository, the figures are plausible and agree with each other and with a
  direct count (files over 300 lines, the per-folder ORM counts adding up, the known
  claims / service_disputes cycle found while it exists), and the script runs as a
  program in both output modes. Today's numbers are not asserted: they are meant to change.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "docs" / "layout_report.py"
PRODUCT = ("domain", "resolvers", "schema", "workers", "tradecover")


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("layout_report", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["layout_report"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


report = _load()

MADE_UP = {
    "domain/__init__.py": "",
    "domain/store/__init__.py": "",
    "domain/store/models.py": (
        "from tortoise import fields\n"
        "from tortoise.models import Model\n\n\n"
        "class Partner(Model):\n"
        "    id = fields.CharField(pk=True, max_length=40)\n\n\n"
        "class Cover(Model):\n"
        "    partner: fields.ForeignKeyRelation[Partner] = fields.ForeignKeyField(\n"
        '        "models.Partner"\n'
        "    )\n\n\n"
        "class SpecialCover(Cover):\n"
        "    pass\n"
    ),
    "domain/store/migrations/__init__.py": "import domain.services.a\n" + "x = 1\n" * 400,
    "domain/services/__init__.py": "",
    "domain/services/a.py": (
        "from domain.services import b\n"
        "from domain.store.models import Cover as CoverRow\n\n\n"
        "async def first(cover_id):\n"
        "    row = await CoverRow.filter(id=cover_id).order_by('id').first()\n"
        "    return row.partner_id  # type: ignore[attr-defined]\n"
    ),
    "domain/services/b.py": (
        "from domain.services import a\n"
        "from domain.store import models as rows\n\n\n"
        "async def count():\n"
        "    from domain.services import c\n"
        "    import json\n"
        "    text = '# type: ignore in a string is no comment'\n"
        "    return await rows.Cover.all().count() + await rows.Partner.exists(), c, json, text\n"
    ),
    "domain/services/c.py": (
        "from domain.services.d import thing\n"
        "x: int = 'no'  # type: ignore[assignment]\n"
        "y = thing.other_id  # type: ignore[attr-defined]\n"
    ),
    "domain/services/d.py": ("from domain.services import b\n\nthing = b\n" + "# line\n" * 300),
    "resolvers/__init__.py": "",
    "resolvers/covers.py": (
        "import domain.store.models\n"
        "from domain.store.models import SpecialCover\n\n\n"
        "async def get(cover, special_id):\n"
        "    await cover.delete()\n"
        "    await SpecialCover.get(id=special_id)\n"
        "    return await domain.store.models.Cover.get_or_none(id=cover.id)\n"
    ),
    "tradecover/__init__.py": "",
    "tradecover/console/__init__.py": "",
    "tradecover/console/read.py": (
        "from domain.store.models import Cover\n\n"
        "QUERY = Cover.filter(sandbox=True)\n\n\n"
        "async def total():\n"
        "    return await QUERY.count()\n"
    ),
    "workers/__init__.py": "",
    "workers/jobs.py": "from resolvers import covers\n\nfrom . import jobs\n",
}


@pytest.fixture
def made_up(tmp_path: Path) -> Path:
    for relative, text in MADE_UP.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_each_figure_follows_its_definition_on_a_made_up_checkout(made_up: Path) -> None:
    figures = report.measure(made_up)

    # a <-> b at module level; c joins them only through b's function-level import
    # (c -> d -> b); workers.jobs imports itself; the migrations are not product code.
    assert figures["module_level"]["cycles"] == [
        ["domain.services.a", "domain.services.b"],
        ["workers.jobs"],
    ]
    assert figures["full"]["cycles"] == [
        ["domain.services.a", "domain.services.b", "domain.services.c", "domain.services.d"],
        ["workers.jobs"],
    ]
    # Module level: c -> d -> {a, b} -> domain.store.models. With functions, c and d join
    # the cycle, one level above the models, and workers.jobs -> resolvers.covers ->
    # domain.store.models is the longest chain: collapsing a cycle can make it shorter.
    assert figures["module_level"]["depth"] == 4
    assert figures["full"]["depth"] == 3
    assert figures["module_level"]["services_depth"] == 3  # c -> d -> {a, b}
    assert figures["full"]["services_depth"] == 1
    # Not collapsing the cycles: c -> d -> b -> a at module level; with functions
    # a -> b -> c -> d, each module once.
    assert figures["module_level"]["services_longest_path"] == 4
    assert figures["full"]["services_longest_path"] == 4
    assert figures["full"]["services_longest_path_exact"] is True
    assert figures["imports_in_functions"] == {"total": 2, "first_party": 1}

    assert figures["type_ignore"] == {
        "total": 3,
        "attr_defined": 2,
        "on_fk_id": 1,
        "on_fk_id_by_folder": {
            "domain/services": 1,
            "resolvers": 0,
            "tradecover/console": 0,
            "others": 0,
        },
    }
    assert figures["models"] == 3  # SpecialCover is a model through Cover

    orm = figures["orm_queries"]
    # a: one chain; b: rows.Cover.all().count() and rows.Partner.exists(); resolvers: the
    # subclass and the dotted path, not the row's delete(); console: the module-level
    # Cover.filter, not the later QUERY.count().
    assert orm["by_folder"] == {
        "domain/services": 3,
        "resolvers": 2,
        "tradecover/console": 1,
        "others": 0,
    }
    assert orm["total"] == 6
    assert orm["method_calls"] == 8

    files = figures["files"]
    assert files["over_300"] == 1 and files["largest"]["path"] == "domain/services/d.py"
    assert files["largest"]["lines"] == 303
    assert files["services_modules_flat"] == 4


def _direct_line_counts() -> dict[str, int]:
    counts = {}
    for package in PRODUCT:
        for path in (REPO / package).rglob("*.py"):
            relative = path.relative_to(REPO).as_posix()
            if not relative.startswith("domain/store/migrations/"):
                counts[relative] = path.read_bytes().count(b"\n")
    return counts


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    # A bound against a hang, not a measurement: the script takes about a second.
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_files_over_300_lines_are_what_a_direct_line_count_gives(figures: dict[str, Any]) -> None:
    counts = _direct_line_counts()
    long = {path: n for path, n in counts.items() if n > 300}
    assert figures["files"]["long_files"] == long
    assert figures["files"]["over_300"] == len(long)
    assert figures["files"]["over_400"] == sum(n > 400 for n in long.values())
    assert figures["files"]["largest"]["lines"] == max(counts.values())
    assert figures["files"]["product_files"] == len(counts)
    assert figures["files"]["schema_build_lines"] == counts.get("schema/build.py", 0)


def test_repository_cycles_and_depth_agree_with_each_other(figures: dict[str, Any]) -> None:
    module_level, full = figures["module_level"], figures["full"]
    known = ["domain.services.claims", "domain.services.service_disputes"]
    disputes = (REPO / "domain/services/service_disputes.py").read_text(encoding="utf-8")
    claims = (REPO / "domain/services/claims.py").read_text(encoding="utf-8")
    if "from domain.services import claims" in disputes and "    service_disputes,\n" in claims:
        assert any(set(known) <= set(cycle) for cycle in module_level["cycles"])
    else:  # the two no longer import each other: the report must not find that cycle
        assert not any(set(known) <= set(cycle) for cycle in module_level["cycles"])
    # Adding function-level imports only merges cycles: each module-level cycle lies
    # inside one cycle of the full graph, and the chains can only get longer.
    for cycle in module_level["cycles"]:
        assert any(set(cycle) <= set(bigger) for bigger in full["cycles"])
    assert full["edges"] >= module_level["edges"]
    for graph in (module_level, full):
        assert 1 <= graph["depth"] <= figures["files"]["product_files"]
        assert 1 <= graph["services_depth"] <= graph["services_longest_path"]
        assert graph["services_longest_path"] <= figures["files"]["services_modules_all"]
    for graph in (module_level, full):
        assert len(graph["longest_chain"]) == graph["depth"]
        members = [m for level in graph["longest_chain"] for m in level]
        assert all(m.split(".")[0] in PRODUCT for m in members)
    function_imports = figures["imports_in_functions"]
    assert 0 <= function_imports["first_party"] <= function_imports["total"]
    # Function-level edges exist only where there are imports inside functions.
    assert (full["edges"] > module_level["edges"]) <= (function_imports["first_party"] > 0)


def test_repository_ignores_and_orm_counts_add_up(figures: dict[str, Any]) -> None:
    ignores = figures["type_ignore"]
    assert 0 <= ignores["on_fk_id"] <= ignores["attr_defined"] <= ignores["total"]
    assert sum(ignores["on_fk_id_by_folder"].values()) == ignores["on_fk_id"]
    orm = figures["orm_queries"]
    assert sum(orm["by_folder"].values()) == orm["total"] == sum(orm["per_file"].values())
    assert not any(path.startswith("domain/store/") for path in orm["per_file"])
    assert orm["method_calls"] >= orm["total"] > 0
    assert figures["models"] > 0


def test_markdown_table_has_one_row_per_figure(figures: dict[str, Any]) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=True, timeout=60
    )
    lines = done.stdout.splitlines()
    assert lines[:2] == ["| Figure | Value |", "| --- | --- |"]
    assert len(lines) == 2 + len(report.rows(figures))
    assert all(line.startswith("| ") and line.endswith(" |") for line in lines)
    assert f"| schema/build.py lines | {figures['files']['schema_build_lines']} |" in lines
