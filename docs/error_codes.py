"""Finds every error code the API can answer, by reading the code (AST), for docs/errors.md.

- userErrors: the first argument of `DomainError(...)`, `InvalidInput(...)` (always
  INVALID_INPUT) and `Violation(...)` (a string, or a module constant such as
  `RULE = "TR-X2"`), and the `idempotency_refusal = ("CODE", "message")` tuples of the
  GraphQL view; with the messages written next to them.
- request-level errors: `{"code": "X"}` dictionaries given as GraphQL `extensions`, and
  `request_error(status, "X", message)` calls (tradecover/http/errors.py).
- rule ids: those codes when they look like a rule id, plus every other string in the
  code that is a rule id (lapses, rejections, exclusions, deadlines, webhook data).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: What answers partners: the domain, GraphQL and the HTTP edge (tradecover/*.py and
#: tradecover/http/). The staff console's own form refusals are not partner errors.
SCANNED = ("domain", "resolvers", "schema", "workers", "tradecover/http")
RULE_ID = re.compile(r"^(C|U|FI|TR|WT|TU)-[A-Z]*\d+$")
CODE = re.compile(r"^[A-Z][A-Z0-9_]+$")
#: Calls whose first argument is a userErrors code (or a rule id).
_ERROR_CALLS = {"DomainError", "Violation"}


@dataclass
class Found:
    """Codes with the messages seen for each (sorted, de-duplicated on render)."""

    user_errors: dict[str, set[str]] = field(default_factory=dict)
    request_errors: dict[str, set[str]] = field(default_factory=dict)
    rules: dict[str, set[str]] = field(default_factory=dict)

    def add(self, table: dict[str, set[str]], code: str, message: str | None) -> None:
        messages = table.setdefault(code, set())
        if message:
            messages.add(message)


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _placeholder(node: ast.expr) -> str:
    """`{due_on}` for `row.due_on.isoformat()`: the last name, without method calls."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    if isinstance(node, ast.Attribute):
        return "{" + node.attr + "}"
    if isinstance(node, ast.Name):
        return "{" + node.id + "}"
    return "{…}"


def message_text(node: ast.expr | None) -> str | None:
    """A message as written: a string, or an f-string with `{name}` placeholders."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                parts.append(_placeholder(value.value))
        return "".join(parts)
    return None


def _module_constants(tree: ast.Module) -> dict[str, str]:
    constants: dict[str, str] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            constants[node.targets[0].id] = node.value.value
    return constants


def _code_of(node: ast.expr, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _argument(call: ast.Call, index: int, name: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _files(root: Path) -> Iterator[Path]:
    yield from sorted((root / "tradecover").glob("*.py"))
    for top in SCANNED:
        for path in sorted((root / top).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _scan_call(call: ast.Call, constants: dict[str, str], found: Found) -> None:
    name = _call_name(call)
    if name == "InvalidInput":
        problems = _argument(call, 0, "problems")
        if isinstance(problems, ast.List | ast.Tuple):
            for item in problems.elts:
                text = None
                if isinstance(item, ast.Tuple) and item.elts:
                    text = message_text(item.elts[0])
                found.add(found.user_errors, "INVALID_INPUT", text)
        else:
            found.add(found.user_errors, "INVALID_INPUT", None)
        return
    if name == "request_error":  # tradecover/http/errors.py: (status, code, message)
        given = _argument(call, 1, "code")
        code = _code_of(given, constants) if given is not None else None
        if code is not None and CODE.match(code):
            found.add(found.request_errors, code, message_text(_argument(call, 2, "message")))
        return
    if name in _ERROR_CALLS:
        first = _argument(call, 0, "code" if name == "DomainError" else "rule")
        code = _code_of(first, constants) if first is not None else None
        if code is not None and CODE.match(code):
            found.add(found.user_errors, code, message_text(_argument(call, 1, "message")))
    # A rule id followed by its message, whatever the call: Violation(rule, message),
    # DomainError(rule, message), FeasibilityDecision(outcome, rule, reason)...
    for index, arg in enumerate(call.args):
        code = _code_of(arg, constants)
        if code and RULE_ID.match(code):
            following = call.args[index + 1] if index + 1 < len(call.args) else None
            found.add(found.rules, code, message_text(following))
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    rule = _code_of(keywords["rule"], constants) if "rule" in keywords else None
    if rule and RULE_ID.match(rule):
        text = keywords.get("message", keywords.get("reason"))
        found.add(found.rules, rule, message_text(text))
    if isinstance(keywords.get("extensions"), ast.Dict):
        _scan_extensions(keywords["extensions"], found)  # type: ignore[arg-type]


def _scan_extensions(node: ast.Dict, found: Found) -> None:
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and key.value == "code":
            code = _code_of(value, {})
            if code and CODE.match(code):
                found.add(found.request_errors, code, None)


def _scan_dict(node: ast.Dict, constants: dict[str, str], found: Found) -> None:
    message = None
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and key.value == "message":
            message = message_text(value)
    for key, value in zip(node.keys, node.values, strict=True):
        if not isinstance(key, ast.Constant):
            continue
        if key.value == "rule":
            code = _code_of(value, constants)
            if code and RULE_ID.match(code):
                found.add(found.rules, code, message)
        elif key.value == "extensions" and isinstance(value, ast.Dict):
            _scan_extensions(value, found)
            for inner_key, inner in zip(value.keys, value.values, strict=True):
                if isinstance(inner_key, ast.Constant) and inner_key.value == "code":
                    code = _code_of(inner, {})
                    if code and message:
                        found.add(found.request_errors, code, message)


def _scan_assign(node: ast.Assign, found: Found) -> None:
    """`context.idempotency_refusal = ("CODE", "message")`."""
    target = node.targets[0]
    if (
        isinstance(target, ast.Attribute)
        and target.attr.endswith("_refusal")
        and isinstance(node.value, ast.Tuple)
        and len(node.value.elts) == 2
    ):
        code = _code_of(node.value.elts[0], {})
        if code and CODE.match(code):
            found.add(found.user_errors, code, message_text(node.value.elts[1]))


def scan(root: Path) -> Found:
    found = Found()
    for path in _files(root):
        tree = ast.parse(path.read_text(), filename=str(path))
        constants = _module_constants(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                _scan_call(node, constants, found)
            elif isinstance(node, ast.Dict):
                _scan_dict(node, constants, found)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                _scan_assign(node, found)
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and RULE_ID.match(node.value)
            ):  # any other mention: deadlines, indemnity lines, webhook data
                found.add(found.rules, node.value, None)
    return found
