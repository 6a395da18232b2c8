"""The integration guide (docs/) stays true to the code:

- docs/errors.md and docs/webhooks.md are what docs/generate.py writes from the code now;
- every rule id of the catalogue (with its text) is in errors.md, every event type of
  EVENT_TYPES in webhooks.md;
- the documented payload of each event has the shape the API really sends: a journey
  through the in-process API (TR activation with its hold, an FI incident, an FI cover on
  a test clock whose FI-N1 deadline approaches and is missed) delivers signed webhooks
  whose bodies are compared with the documented examples; and every call site that emits
  a webhook passes the data fields an example documents (read from the code);
- every GraphQL operation in the docs (```graphql blocks, and the strings of ```python
  blocks) and in examples/partner_client.py validates against schema/schema.graphql;
- the product pages quote the catalogue's rule texts and name every rule id the code uses;
- relative links between the pages resolve.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from graphql import GraphQLSchema, build_schema, parse, validate
from standardwebhooks.webhooks import Webhook

from domain.rules.catalogue import PRODUCTS, RULE_TEXTS
from domain.services.webhook_endpoints import EVENT_TYPES

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
EXAMPLE = REPO / "examples" / "partner_client.py"
PRODUCT_PAGES = {
    "FI": DOCS / "products" / "financed-invoice.md",
    "TR": DOCS / "products" / "transport.md",
    "WT": DOCS / "products" / "whole-turnover.md",
    "TU": DOCS / "products" / "top-up.md",
}


def _load(name: str) -> ModuleType:
    """A module of docs/ (not a package): generate.py puts docs/ on sys.path itself."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, DOCS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


generate = _load("generate")
catalogue = _load("webhook_catalogue")
error_codes = _load("error_codes")


# --- generated references ----------------------------------------------------------------


def test_generated_references_are_up_to_date() -> None:
    stale = [str(path.relative_to(REPO)) for path in generate.stale()]
    assert stale == [], f"{stale} are stale: run .venv/bin/python docs/generate.py"


def test_every_catalogue_rule_is_in_the_error_reference_with_its_text() -> None:
    errors = (DOCS / "errors.md").read_text()
    for rule, text in RULE_TEXTS.items():
        assert f"| `{rule}` |" in errors, rule
        assert text in errors, f"{rule}: the catalogue's text is not in errors.md"


def test_the_error_reference_lists_the_non_rule_codes_the_code_raises() -> None:
    errors = (DOCS / "errors.md").read_text()
    found = error_codes.scan(REPO)
    for code in {"NOT_FOUND", "FORBIDDEN", "INVALID_INPUT", "INVALID_STATE"}:
        assert code in found.user_errors, f"the scan no longer finds {code}"
    assert {"IDEMPOTENCY_KEY_REUSED", "UNAUTHENTICATED"} <= {
        *found.user_errors,
        *found.request_errors,
    }
    for code in [*found.user_errors, *found.request_errors]:
        assert f"| `{code}` |" in errors, code


def test_every_event_type_is_in_the_webhook_reference() -> None:
    webhooks = (DOCS / "webhooks.md").read_text()
    for event_type in EVENT_TYPES:
        assert f"### `{event_type}`" in webhooks, event_type
        assert f'"type": "{event_type}"' in webhooks, f"{event_type} has no example payload"


# --- payload shapes ------------------------------------------------------------------------


def same_shape(actual: Any, documented: Any, path: str = "$") -> list[str]:
    """Differences in structure: keys, nesting and JSON types (null matches anything,
    an empty list any list)."""
    if actual is None or documented is None:
        return []
    if isinstance(documented, dict):
        if not isinstance(actual, dict):
            return [f"{path}: {type(actual).__name__}, documented an object"]
        if set(actual) != set(documented):
            return [f"{path}: keys {sorted(actual)}, documented {sorted(documented)}"]
        return [d for k in actual for d in same_shape(actual[k], documented[k], f"{path}.{k}")]
    if isinstance(documented, list):
        if not isinstance(actual, list):
            return [f"{path}: {type(actual).__name__}, documented a list"]
        if actual and documented:
            return same_shape(actual[0], documented[0], f"{path}[0]")
        return []
    if type(actual) is not type(documented):
        return [f"{path}: {type(actual).__name__}, documented {type(documented).__name__}"]
    return []


def shape_problems(body: dict[str, Any]) -> list[str]:
    """[] when some documented example of the event's type has the body's shape."""
    examples = [payload for _, payload in catalogue.payloads(body["type"])]
    tried = [same_shape(body, example) for example in examples]
    return [] if any(not problems for problems in tried) else [p for t in tried for p in t]


REGISTER = """
mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { secret userErrors { code message } }
}"""
DECLARE = """
mutation Declare($input: DeclareIncidentInput!) {
  declareIncident(input: $input) { cover { status } userErrors { code message } }
}"""
CONFIRM = """
mutation Confirm($input: ConfirmFinancingInput!) {
  confirmFinancing(input: $input) { cover { status } userErrors { code message } }
}"""
ADVANCE = """
mutation Advance($input: AdvanceTestClockInput!) {
  advanceTestClock(input: $input) { testClock { status } userErrors { code message } }
}"""


async def _active_fi_cover(api: Any, jobs: Any, key: str, request: dict[str, Any]) -> str:
    from tests.api.cover_helpers import bind, quote_id

    bound = await bind(api, key, quoteId=await quote_id(api, key, request), signatureReference="e")
    await jobs.run_all()
    body = await api.execute(
        CONFIRM, {"input": {"coverId": bound["cover"]["id"], "financed": True}}, key=key
    )
    assert body["data"]["confirmFinancing"]["cover"]["status"] == "ACTIVE", body
    return str(bound["cover"]["id"])


async def test_documented_payloads_have_the_shape_of_real_deliveries(api, jobs, make_partner):
    from domain.services import webhooks
    from tests.api.cover_helpers import bind, create_clock, quote_id
    from tests.builders import fi_input, tr_input

    key = await make_partner()
    registered = await api.execute(
        REGISTER, {"input": {"url": "http://127.0.0.1:9/hooks", "events": ["*"]}}, key=key
    )
    secret = registered["data"]["registerWebhookEndpoint"]["secret"]

    # TR: bound with a card hold, activated, hold captured.
    tr_quote = await quote_id(api, key, tr_input())
    await bind(api, key, quoteId=tr_quote, paymentMethodToken="tok_visa")
    await jobs.run_all()
    # FI on a test clock: its FI-N1 deadline (due date + 60 days) is announced and missed.
    clock_id = await create_clock(api, key, "2026-11-23T09:00:00+00:00")
    on_clock = fi_input(testClockId=clock_id)
    del on_clock["requestDate"]
    await _active_fi_cover(api, jobs, key, on_clock)
    # FI without a clock: a non-payment is declared, the claim opens with it (FI-N1).
    other = fi_input()
    other["invoice"]["number"] = "F-2026-002"  # not the same invoice (U-3)
    declared_cover = await _active_fi_cover(api, jobs, key, other)
    declared = await api.execute(
        DECLARE,
        {
            "input": {
                "coverId": declared_cover,
                "kind": "NON_PAYMENT",
                "occurredOn": "2027-01-22",
                "unpaidAmount": {"amount": "12100.00", "currency": "EUR"},
            }
        },
        key=key,
    )
    assert declared["data"]["declareIncident"]["userErrors"] == [], declared
    advanced = await api.execute(
        ADVANCE,
        {"input": {"testClockId": clock_id, "frozenTime": "2027-03-24T09:00:00+00:00"}},
        key=key,
    )
    assert advanced["data"]["advanceTestClock"]["userErrors"] == [], advanced
    await jobs.run_all()

    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
        for delivery_id in await webhooks.due_deliveries(datetime.now(UTC)):
            await webhooks.deliver(delivery_id, datetime.now(UTC), http, allow_private=True)

    bodies = [Webhook(secret).verify(r.content, dict(r.headers)) for r in received]
    seen = {body["type"] for body in bodies}
    expected = {
        "cover.pending_confirmation",
        "cover.activated",
        "payment_hold.captured",
        "incident.declared",
        "claim.opened",
        "deadline.approaching",
        "deadline.missed",
        "cover.lapsed",
    }
    assert expected <= seen, f"the journey sent {sorted(seen)}"
    problems = {body["type"]: shape_problems(body) for body in bodies}
    assert {t: p for t, p in problems.items() if p} == {}


def _emitting_calls(tree: ast.Module) -> list[tuple[ast.Call, str, dict[str, str]]]:
    """(call, subject, constants of its function) for every call that emits a webhook:
    cover_events.record, policy_events.record, top_up.emit / emit in top_up.py."""
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        local: dict[str, set[str]] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                        local.setdefault(target.id, set()).add(node.value.value)
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            func, subject = node.func, None
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                subject = {
                    ("cover_events", "record"): catalogue.COVER,
                    ("policy_events", "record"): catalogue.POLICY,
                    ("top_up", "emit"): catalogue.TOP_UP,
                }.get((func.value.id, func.attr))
            elif isinstance(func, ast.Name) and func.id == "emit" and function.name != "emit":
                subject = catalogue.TOP_UP
            if subject is not None:
                found.append((node, subject, local))  # type: ignore[arg-type]
    return found


def _event_types(node: ast.expr, local: dict[str, set[str]]) -> tuple[set[str], bool]:
    """The event types a call can emit, and whether all of them must match (a computed
    f-string type needs only one documented match)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}, True
    if isinstance(node, ast.Name) and node.id in local:
        return set(local[node.id]) & set(EVENT_TYPES), True
    if isinstance(node, ast.JoinedStr):
        pattern = "".join(
            re.escape(str(v.value)) if isinstance(v, ast.Constant) else "[a-z_]+"
            for v in node.values
        )
        return {t for t in EVENT_TYPES if re.fullmatch(pattern, t)}, False
    return set(), True


def _documented(event_type: str, subject: str, keys: set[str], spread: bool) -> bool:
    """An example of the type, for the subject, with exactly these data fields (at least
    these when the call site also spreads a dict it got from elsewhere). `sequence` is
    added by the recording function itself (LIFECYCLE 5a), not by the call site."""
    for example in catalogue.EVENTS[event_type].examples:
        fields = set(example.data) - {example.subject, "sequence"}
        if example.subject == subject and (fields >= keys if spread else fields == keys):
            return True
    return False


def test_every_emitting_call_site_passes_the_fields_of_a_documented_example() -> None:
    problems, checked = [], 0
    for path in sorted((REPO / "domain" / "services").glob("*.py")):
        tree = ast.parse(path.read_text())
        for call, subject, local in _emitting_calls(tree):
            if any(
                k.arg == "webhook" and isinstance(k.value, ast.Constant) and not k.value.value
                for k in call.keywords
            ):
                continue
            data: ast.expr | None = next((k.value for k in call.keywords if k.arg == "data"), None)
            if data is None and subject == catalogue.TOP_UP and len(call.args) > 3:
                data = call.args[3]
            if data is not None and not isinstance(data, ast.Dict):
                continue  # built elsewhere: the journey test covers what it can
            keys = [k.value for k in data.keys if isinstance(k, ast.Constant)] if data else []
            spread = data is not None and any(k is None for k in data.keys)
            types, all_must_match = _event_types(call.args[1], local)
            if not types:
                continue
            checked += 1
            matches = [_documented(t, subject, set(keys), spread) for t in sorted(types)]
            if not (all(matches) if all_must_match else any(matches)):
                where = f"{path.relative_to(REPO)}:{call.lineno}"
                problems.append(f"{where}: {sorted(types)} with {subject} and {sorted(keys)}")
    assert checked >= 30, f"only {checked} emitting call sites found: is the scan broken?"
    assert problems == [], "no documented example (docs/webhook_catalogue.py) for:\n" + "\n".join(
        problems
    )


# --- GraphQL in the docs -----------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema((REPO / "schema" / "schema.graphql").read_text())


def fenced(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)


def graphql_strings(source: str) -> list[str]:
    """String literals of Python code that are GraphQL operations."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.strip()
            if "{" in text and re.match(r"^(query|mutation)\b|^\{", text):
                found.append(text)
    return found


def _operations() -> list[tuple[str, str]]:
    operations = []
    for page in PAGES:
        text = page.read_text()
        name = str(page.relative_to(REPO))
        operations += [(name, block) for block in fenced(text, "graphql")]
        for block in fenced(text, "python"):
            operations += [(f"{name} (python)", op) for op in graphql_strings(block)]
    operations += [
        (str(EXAMPLE.relative_to(REPO)), op) for op in graphql_strings(EXAMPLE.read_text())
    ]
    return operations


def test_every_graphql_operation_in_the_docs_validates_against_the_schema(schema) -> None:
    operations = _operations()
    pages = {name.split(" ")[0] for name, _ in operations}
    assert len(operations) >= 30 and len(pages) >= 7, pages
    failures = []
    for name, operation in operations:
        errors = validate(schema, parse(operation))
        failures += [f"{name}: {error.message}\n{operation}" for error in errors]
    assert failures == [], "\n\n".join(failures)


def test_python_blocks_are_python() -> None:
    for page in PAGES:
        for block in fenced(page.read_text(), "python"):
            compile(block, str(page), "exec")


# --- product pages and links -------------------------------------------------------------


def test_product_pages_quote_the_catalogue_rules_and_name_every_rule_the_code_uses() -> None:
    pages = {prefix: path.read_text() for prefix, path in PRODUCT_PAGES.items()}
    for spec in PRODUCTS.values():
        prefix = spec.quote_rules[0].split("-")[0]
        for rule in spec.quote_rules:
            assert f"| {rule} | {RULE_TEXTS[rule]} |" in pages[prefix], (prefix, rule)
    used = set(error_codes.scan(REPO).rules) | set(RULE_TEXTS)
    for rule in sorted(used):
        prefix = rule.split("-")[0]
        # C-x on both single-invoice pages; U-x where feasibility is explained.
        where = [prefix] if prefix in pages else {"C": ["FI", "TR"], "U": ["FI"]}[prefix]
        for page in where:
            assert re.search(rf"\b{re.escape(rule)}\b", pages[page]), f"{rule} not on {page}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_relative_links_resolve() -> None:
    broken = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"^[a-z]+:", target):
                continue
            file_part, _, anchor = target.partition("#")
            linked = (page.parent / file_part).resolve() if file_part else page
            if not linked.exists():
                broken.append(f"{page.name}: {target}")
            elif anchor and linked.suffix == ".md":
                headings = re.findall(r"^#+ (.*)$", linked.read_text(), flags=re.M)
                if anchor not in {_slug(h) for h in headings}:
                    broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []
