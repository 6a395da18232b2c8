"""Measures the layout of the product code, for the before/after table of the restructure.

Run `.venv/bin/python docs/layout_report.py` (a markdown table) or with `--json`; `--root DIR`
measures another checkout. Everything is read from the source (ast, tokenize); nothing is
imported. What each figure counts, exactly:

- **Product code**: the `.py` files under `domain/`, `resolvers/`, `schema/`, `workers/` and
  `tradecover/`, except `domain/store/migrations/`. A file's module name is its path
  (`domain/services/claims.py` is `domain.services.claims`, a package's `__init__.py` is
  the package).
- **Files over 300 lines**: product files with more than 300 lines (newlines, plus one
  for an unterminated last line: what `wc -l` gives for a file that ends in one); also
  the largest, the count over 400 lines, the length of `schema/build.py` and the number of
  modules in `domain/services/` (the folder's own `.py` files, `__init__.py` excepted, and
  with its sub-packages).
- **Import graph**: an edge A -> B for each first-party import in module A of product
  module B. `import a.b.c` and `from a.b import c` point at the deepest product module they
  name (`a.b.c` when it is a module, otherwise the package `a.b`); relative imports are
  resolved. An import is *module level* unless it sits inside a function (`def`, `async
  def` or `lambda`, at any depth); imports in class bodies or under `if`/`try` at module
  level are module level. Parent packages (whose `__init__.py` import nothing) are not
  counted as imported. Two graphs: the module-level one (what runs at import time) and
  the full one (module level plus function level).
- **Import cycles**: the strongly connected components of a graph with more than one
  module (or a module importing itself); each is listed with its members.
- **Depth of the import graph**: the number of levels of the longest chain of imports, on
  the graph whose cycles are each collapsed into one node: a module that imports no
  product module is level 1, any other module is one more than the deepest module it
  imports, and the members of one cycle share a level. (A chain of N levels has N - 1
  import edges.) Given for the module-level graph and for the full graph, over all
  product code and over the imports between `domain/services` modules only. For
  `domain/services` also the *longest simple path*: the most modules on one chain of
  imports that visits no module twice, cycles not collapsed (so a chain can run through
  several members of one cycle).
- **Imports inside functions**: `import` / `from ... import` statements that sit inside a
  function at any depth, in product code; also how many of them import a product module.
- **`type: ignore`**: comments (tokenize, so not text inside strings) in product code that
  contain `type: ignore`, with or without error codes. *On FK `_id`* counts those whose
  codes include `attr-defined` and whose line holds an attribute access `x.<fk>_id`, where
  `<fk>` is the name of a `ForeignKeyField` / `OneToOneField` declared on a model of
  `domain/store` (Tortoise adds the `_id` attribute at run time, mypy does not see it);
  the JSON breaks those down by the folders of the ORM figure.
- **ORM queries outside `domain/store`**: the models are the classes of `domain/store/*.py`
  deriving (directly or through another model) from Tortoise's `Model`. A query is a call
  chain whose receiver starts at a model class imported from `domain.store` (`Cover`,
  an `as` alias of it, `rows.Cover` after `from domain.store import cover_models as rows`,
  or the dotted `domain.store.cover_models.Cover`) and which calls at least one of
  QUERY_METHODS. A chain counts once: `Cover.filter(...).order_by(...).first()` is one
  query. Not counted: calls on a row instance (`cover.save()`, `cover.delete()`,
  `fetch_related`), on a queryset kept in a variable and used later (its creating
  `Model.filter(...)` counted once), and models reached through `type(row)` or
  `self.model`. Counted per top-level folder: `domain/services`, `resolvers`,
  `tradecover/console`, and `others` (the rest of product code but `domain/store`).
  The JSON also gives the number of QUERY_METHODS calls themselves (`method_calls`) and
  the per-file counts.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import re
import sys
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("domain", "resolvers", "schema", "workers", "tradecover")
EXCLUDED = ("domain/store/migrations",)
STORE = "domain/store"
SERVICES = "domain.services"
LONG_FILE = 300
VERY_LONG_FILE = 400
QUERY_METHODS = frozenset(
    {
        "filter",
        "get",
        "get_or_none",
        "create",
        "all",
        "exclude",
        "select_for_update",
        "update",
        "delete",
        "annotate",
        "count",
        "exists",
        "values",
        "values_list",
        "bulk_create",
        "first",
    }
)
ORM_FOLDERS = ("domain/services", "resolvers", "tradecover/console")
FK_FIELDS = frozenset({"ForeignKeyField", "OneToOneField"})
TYPE_IGNORE = re.compile(r"type:\s*ignore(?:\[([^\]]*)\])?")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


@dataclass
class Module:
    name: str
    path: str  # relative to the root, with forward slashes
    source: str
    tree: ast.Module
    is_package: bool

    @property
    def lines(self) -> int:
        unterminated = bool(self.source) and not self.source.endswith("\n")
        return self.source.count("\n") + unterminated


@dataclass
class ImportSite:
    node: ast.Import | ast.ImportFrom
    in_function: bool


@dataclass
class Graph:
    edges: dict[str, set[str]] = field(default_factory=dict)

    def add(self, source: str, target: str) -> None:
        self.edges.setdefault(source, set()).add(target)


def product_files(root: Path) -> list[Path]:
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if not any(relative.startswith(prefix + "/") for prefix in EXCLUDED):
                found.append(path)
    return found


def load_modules(root: Path) -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for path in product_files(root):
        relative = path.relative_to(root)
        parts = list(relative.with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        source = path.read_text(encoding="utf-8")
        name = ".".join(parts)
        modules[name] = Module(
            name, relative.as_posix(), source, ast.parse(source, str(path)), is_package
        )
    return modules


def import_sites(tree: ast.AST) -> Iterator[ImportSite]:
    """Every import statement, and whether a function encloses it."""
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, in_function = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield ImportSite(node, in_function)
        inner = in_function or isinstance(node, _FUNCTIONS)
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.name.split(".")
    if not module.is_package:
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _deepest(name: str, modules: dict[str, Module]) -> str | None:
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def import_targets(
    module: Module, node: ast.Import | ast.ImportFrom, modules: dict[str, Module]
) -> set[str]:
    """The product modules one import statement points at."""
    targets: set[str | None] = set()
    if isinstance(node, ast.Import):
        targets.update(_deepest(alias.name, modules) for alias in node.names)
    else:
        base = _absolute(module, node)
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            targets.add(submodule if submodule in modules else _deepest(base, modules))
    return {target for target in targets if target is not None}


def build_graphs(modules: dict[str, Module]) -> tuple[Graph, Graph, dict[str, int]]:
    """The module-level graph, the full graph, and the import-in-function counts."""
    module_level, full = Graph(), Graph()
    in_functions = {"total": 0, "first_party": 0}
    for module in modules.values():
        module_level.edges.setdefault(module.name, set())
        full.edges.setdefault(module.name, set())
        for site in import_sites(module.tree):
            targets = import_targets(module, site.node, modules)
            if site.in_function:
                in_functions["total"] += 1
                in_functions["first_party"] += bool(targets)
            for target in targets:
                full.add(module.name, target)
                if not site.in_function:
                    module_level.add(module.name, target)
    return module_level, full, in_functions


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components come out sinks first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for start in sorted(graph.edges):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def cycles(graph: Graph, components: list[list[str]]) -> list[list[str]]:
    found = [c for c in components if len(c) > 1 or c[0] in graph.edges.get(c[0], set())]
    return sorted(found, key=lambda c: (-len(c), c))


def depth(graph: Graph, components: list[list[str]]) -> tuple[int, list[list[str]]]:
    """Levels of the longest chain on the condensed graph, and one such chain."""
    owner = {member: i for i, component in enumerate(components) for member in component}
    level: dict[int, int] = {}
    below: dict[int, int | None] = {}
    for i, component in enumerate(components):  # sinks first, so successors are done
        successors = {owner[t] for m in component for t in graph.edges.get(m, ())} - {i}
        deepest = max(successors, key=lambda s: (level[s], -s), default=None)
        level[i] = 1 + (level[deepest] if deepest is not None else 0)
        below[i] = deepest
    if not level:
        return 0, []
    top: int | None = max(level, key=lambda i: (level[i], -i))
    chain = []
    while top is not None:
        chain.append(components[top])
        top = below[top]
    return len(chain), chain


def within(graph: Graph, package: str) -> Graph:
    """The part of a graph between the modules of one package."""
    inside = {m for m in graph.edges if m.startswith(package + ".")}
    return Graph({m: graph.edges[m] & inside for m in inside})


def longest_simple_path(graph: Graph, budget: int = 1_000_000) -> tuple[int, bool]:
    """Modules on the longest import path that visits no module twice, cycles not
    collapsed; and whether the search finished within `budget` steps (if not, a lower
    bound). Exponential in the size of the cycles, so only used on one package."""
    best, steps = 0, 0
    for start in sorted(graph.edges):
        path, stack = {start}, [(start, iter(sorted(graph.edges[start])))]
        while stack:
            steps += 1
            if steps > budget:
                return best, False
            best = max(best, len(path))
            node, children = stack[-1]
            child = next((c for c in children if c not in path), None)
            if child is None:
                path.discard(node)
                stack.pop()
            else:
                path.add(child)
                stack.append((child, iter(sorted(graph.edges[child]))))
    return best, True


def model_classes(modules: dict[str, Module]) -> tuple[dict[str, set[str]], set[str]]:
    """The Tortoise models of each store module, and the names of their FK fields."""
    models: dict[str, set[str]] = {}
    fk_names: set[str] = set()
    for module in modules.values():
        if not (module.path.startswith(STORE + "/") and not module.is_package):
            continue
        names: set[str] = set()
        for node in module.tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {_last_name(base) for base in node.bases}
            if "Model" in bases or bases & names or any(bases & m for m in models.values()):
                names.add(node.name)
                fk_names.update(_fk_fields(node))
        models[module.name] = names
    return models, fk_names


def _last_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _fk_fields(model: ast.ClassDef) -> Iterator[str]:
    for statement in model.body:
        value = statement.value if isinstance(statement, ast.Assign | ast.AnnAssign) else None
        if not (isinstance(value, ast.Call) and _last_name(value.func) in FK_FIELDS):
            continue
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            yield statement.target.id
        elif isinstance(statement, ast.Assign):
            yield from (t.id for t in statement.targets if isinstance(t, ast.Name))


def type_ignores(modules: dict[str, Module], fk_names: set[str]) -> dict[str, Any]:
    fk_ids = {name + "_id" for name in fk_names}
    total = attr_defined = on_fk_id = 0
    fk_by_folder = {folder: 0 for folder in (*ORM_FOLDERS, "others")}
    for module in modules.values():
        folder = _folder(module.path)
        fk_lines: set[int] = set()
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Attribute) and node.attr in fk_ids:
                fk_lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        tokens = tokenize.generate_tokens(io.StringIO(module.source).readline)
        for token in tokens:
            if token.type != tokenize.COMMENT:
                continue
            match = TYPE_IGNORE.search(token.string)
            if not match:
                continue
            total += 1
            codes = {code.strip() for code in (match.group(1) or "").split(",")}
            if "attr-defined" in codes:
                attr_defined += 1
                if token.start[0] in fk_lines:
                    on_fk_id += 1
                    fk_by_folder[folder] += 1
    return {
        "total": total,
        "attr_defined": attr_defined,
        "on_fk_id": on_fk_id,
        "on_fk_id_by_folder": fk_by_folder,
    }


def _folder(path: str) -> str:
    """The folder a figure is broken down by: one of ORM_FOLDERS, or `others`."""
    return next((f for f in ORM_FOLDERS if path.startswith(f + "/")), "others")


def _model_bindings(
    module: Module, models: dict[str, set[str]]
) -> tuple[dict[str, str], dict[str, str]]:
    """Names bound to a model class, and names bound to a store module, in one file."""
    classes: dict[str, str] = {}
    store_modules: dict[str, str] = {}
    for site in import_sites(module.tree):
        node = site.node
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name in models:
                    store_modules[alias.asname] = alias.name
            continue
        base = _absolute(module, node)
        for alias in node.names:
            bound = alias.asname or alias.name
            if alias.name in models.get(base, ()):
                classes[bound] = alias.name
            elif f"{base}.{alias.name}" in models:
                store_modules[bound] = f"{base}.{alias.name}"
    return classes, store_modules


def _chain(call: ast.Call) -> tuple[list[ast.Call], list[str], ast.expr]:
    """The calls of a receiver chain (outermost first), their method names, and its root."""
    calls: list[ast.Call] = []
    methods: list[str] = []
    node: ast.expr = call
    while True:
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                calls.append(node)
                methods.append(node.func.attr)
                node = node.func.value
                continue
            return calls, methods, node
        if isinstance(node, ast.Subscript | ast.Await):
            node = node.value
            continue
        return calls, methods, node


def _is_model(
    root: ast.expr,
    classes: dict[str, str],
    store_modules: dict[str, str],
    models: dict[str, set[str]],
) -> bool:
    dotted: list[str] = []
    while isinstance(root, ast.Attribute):
        dotted.insert(0, root.attr)
        root = root.value
    if not isinstance(root, ast.Name):
        return False
    dotted.insert(0, root.id)
    if len(dotted) == 1:
        return dotted[0] in classes
    if len(dotted) == 2 and dotted[0] in store_modules:
        return dotted[1] in models[store_modules[dotted[0]]]
    prefix = ".".join(dotted[:-1])
    return prefix in models and dotted[-1] in models[prefix]


def orm_queries(modules: dict[str, Module], models: dict[str, set[str]]) -> dict[str, Any]:
    folders = {folder: 0 for folder in (*ORM_FOLDERS, "others")}
    per_file: dict[str, int] = {}
    method_calls = 0
    for module in modules.values():
        if module.path.startswith(STORE + "/"):
            continue
        classes, store_modules = _model_bindings(module, models)
        rooted: set[int] = set()
        inner: set[int] = set()
        calls_here = 0
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Call):
                continue
            calls, methods, root = _chain(node)
            if not _is_model(root, classes, store_modules, models):
                continue
            if methods and methods[0] in QUERY_METHODS:
                calls_here += 1
            if QUERY_METHODS.intersection(methods):
                rooted.add(id(node))
                inner.update(id(call) for call in calls[1:])
        queries = len(rooted - inner)
        method_calls += calls_here
        if queries:
            per_file[module.path] = queries
            folders[_folder(module.path)] += queries
    return {
        "total": sum(folders.values()),
        "by_folder": folders,
        "method_calls": method_calls,
        "per_file": dict(sorted(per_file.items())),
    }


def file_lengths(modules: dict[str, Module]) -> dict[str, Any]:
    lengths = {m.path: m.lines for m in modules.values()}
    long = {path: n for path, n in lengths.items() if n > LONG_FILE}
    largest = max(lengths.items(), key=lambda item: (item[1], item[0]), default=("", 0))
    services = [
        m for m in modules.values() if m.path.startswith("domain/services/") and not m.is_package
    ]
    return {
        "over_300": len(long),
        "over_400": sum(n > VERY_LONG_FILE for n in long.values()),
        "largest": {"path": largest[0], "lines": largest[1]},
        "schema_build_lines": lengths.get("schema/build.py", 0),
        "long_files": dict(sorted(long.items(), key=lambda item: (-item[1], item[0]))),
        "product_files": len(lengths),
        "services_modules_flat": sum(m.path.count("/") == 2 for m in services),
        "services_modules_all": len(services),
    }


def measure(root: Path) -> dict[str, Any]:
    modules = load_modules(root)
    module_level, full, in_functions = build_graphs(modules)
    figures: dict[str, Any] = {"files": file_lengths(modules)}
    for name, graph in (("module_level", module_level), ("full", full)):
        components = strongly_connected(graph)
        levels, chain = depth(graph, components)
        services = within(graph, SERVICES)
        services_levels, _ = depth(services, strongly_connected(services))
        services_path, exact = longest_simple_path(services)
        figures[name] = {
            "cycles": cycles(graph, components),
            "depth": levels,
            "longest_chain": chain,
            "services_depth": services_levels,
            "services_longest_path": services_path,
            "services_longest_path_exact": exact,
            "edges": sum(len(targets) for targets in graph.edges.values()),
        }
    models, fk_names = model_classes(modules)
    figures["imports_in_functions"] = in_functions
    figures["type_ignore"] = type_ignores(modules, fk_names)
    figures["orm_queries"] = orm_queries(modules, models)
    figures["models"] = sum(len(names) for names in models.values())
    return figures


def _cycle_text(found: list[list[str]]) -> str:
    listed = "; ".join(" / ".join(c) for c in found)
    return f"{len(found)}" + (f": {listed}" if listed else "")


def _path_text(graph: dict[str, Any]) -> str:
    exact = graph["services_longest_path_exact"]
    return f"{'' if exact else 'at least '}{graph['services_longest_path']}"


def rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    files, orm, ignores = figures["files"], figures["orm_queries"], figures["type_ignore"]
    folders = orm["by_folder"]
    return [
        (
            "Product files over 300 lines",
            f"{files['over_300']} (largest {files['largest']['path']}, "
            f"{files['largest']['lines']}; {files['over_400']} over 400)",
        ),
        ("schema/build.py lines", str(files["schema_build_lines"])),
        (
            "Modules in domain/services",
            f"{files['services_modules_flat']} in the folder, "
            f"{files['services_modules_all']} with gateways/",
        ),
        ("Import cycles, module level", _cycle_text(figures["module_level"]["cycles"])),
        ("Import cycles, with function-level imports", _cycle_text(figures["full"]["cycles"])),
        ("Import graph depth, module level (levels)", str(figures["module_level"]["depth"])),
        ("Import graph depth, with function-level imports", str(figures["full"]["depth"])),
        (
            "Import graph depth within domain/services (module level / with functions)",
            f"{figures['module_level']['services_depth']} / {figures['full']['services_depth']}",
        ),
        (
            "Longest import path within domain/services, cycles not collapsed "
            "(module level / with functions)",
            f"{_path_text(figures['module_level'])} / {_path_text(figures['full'])}",
        ),
        (
            "Imports inside functions",
            f"{figures['imports_in_functions']['total']} "
            f"({figures['imports_in_functions']['first_party']} of product modules)",
        ),
        (
            "`type: ignore`",
            f"{ignores['total']} ({ignores['attr_defined']} attr-defined, "
            f"{ignores['on_fk_id']} of them on FK `_id` attributes, "
            f"{ignores['on_fk_id_by_folder']['domain/services']} of those in domain/services)",
        ),
        (
            "ORM queries outside domain/store",
            f"{orm['total']}: domain/services {folders['domain/services']}, "
            f"resolvers {folders['resolvers']}, tradecover/console "
            f"{folders['tradecover/console']}, others {folders['others']}",
        ),
    ]


def markdown(figures: dict[str, Any]) -> str:
    lines = ["| Figure | Value |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in rows(figures)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--root", type=Path, default=REPO, help="the checkout to measure")
    args = parser.parse_args(argv)
    figures = measure(args.root)
    sys.stdout.write(json.dumps(figures, indent=2) + "\n" if args.json else markdown(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
