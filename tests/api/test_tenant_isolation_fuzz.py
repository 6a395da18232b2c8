"""Tenant isolation under hostile ids (issue 8, item 6).

Partner A gets one object of every kind through the API (quotes, FI and TR covers, a
claim, incidents, a document, test clocks, a webhook endpoint and its deliveries, a
whole-turnover policy with a premium invoice, a limit, a declaration, an extension and a
claim, a top-up policy and its claim), partner B the same; each marks its strings with a
marker of its own. Then B sends A's ids everywhere an id is taken. The id-taking fields
are found by reading schema/schema.graphql with graphql-core (an `ID` anywhere in the
arguments, input objects walked), so a new field is covered without editing this file:

- every query and mutation field taking an id, with each of A's ids of the kinds its slot
  names (all of them for `id` and for slots `SLOT_KINDS` does not know), inputs made up
  from the schema so that validation passes and the service reaches its lookup;
- `node(id:)` (it is one of them) and the connection cursors (`covers(after:)`,
  `webhookDeliveries(after:, endpointId:)`, `Cover.events(after:)`) with A's cursors;
- hypothesis: any field with any id (A's of any kind, B's own, made-up ones), and
  operations of random shapes from hypothesis-graphql with A's ids as the only `ID`s.

Pass: B's answer for A's id is exactly B's answer for a missing id of the same kind
(null, [], or NOT_FOUND; FORBIDDEN only where the field is for staff whatever the id),
no answer to B holds any of A's ids (but the one B sent) or A's marker, and A's objects
read the same through A's key after B's attempts as before. Mutations with made-up
inputs are checked to reach the id lookup (a NOT_FOUND), so that the refusal is the
isolation's and not input validation's.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema, nodes

from tests.api.cover_helpers import CONFIRM_FINANCING, bind, create_clock, quote_id
from tests.api.policy_helpers import (
    CREATE_POLICY,
    DECLARE_EXTENSION,
    INSURED,
    NOTIFY,
    PAY_PREMIUM,
    advance,
    buyer,
    call,
    declare_sales,
    eur,
    granted_limit,
    policy_input,
    sale,
    set_policy_terms,
)
from tests.api.test_cover_life import invoice, shipment
from tests.builders import company, fi_input, tr_input

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"
SCHEMA = graphql.build_schema(SCHEMA_PATH.read_text())
ID_RE = re.compile(r"\b[a-z]{3}_[0-9a-f]{28}\b")
PDF = b"%PDF-1.4\n% tenant isolation\n"
EXAMPLES = int(os.environ.get("TRADECOVER_FUZZ_EXAMPLES", "150"))


# --- the schema, read ---------------------------------------------------------------


def id_paths(type_: graphql.GraphQLInputType, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Paths to every `ID` inside an argument's type (input objects walked)."""
    named = graphql.get_named_type(type_)
    if named.name == "ID":
        return [path]
    if isinstance(named, graphql.GraphQLInputObjectType):
        found: list[tuple[str, ...]] = []
        for name, input_field in named.fields.items():
            found += id_paths(input_field.type, (*path, name))
        return found
    return []


@dataclass(frozen=True, eq=False)  # one of each, hashed by identity (for `document`)
class IdOperation:
    """A root field taking an id: `kind` is query or mutation."""

    kind: str
    name: str
    field: graphql.GraphQLField
    slots: tuple[tuple[str, ...], ...]


def id_operations() -> list[IdOperation]:
    found = []
    for kind, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)):
        assert root is not None
        for name, root_field in root.fields.items():
            slots = [p for arg, a in root_field.args.items() for p in id_paths(a.type, (arg,))]
            if slots:
                found.append(IdOperation(kind, name, root_field, tuple(slots)))
    return found


ID_OPERATIONS = id_operations()


def selection(type_: graphql.GraphQLOutputType, depth: int) -> str:
    """Every leaf field without required arguments, `depth` object levels down."""
    named = graphql.get_named_type(type_)
    if isinstance(named, graphql.GraphQLScalarType | graphql.GraphQLEnumType):
        return ""
    if isinstance(named, graphql.GraphQLInterfaceType | graphql.GraphQLUnionType):
        return "{ __typename " + ("id " if "id" in getattr(named, "fields", {}) else "") + "}"
    assert isinstance(named, graphql.GraphQLObjectType)
    parts = ["__typename"]
    for name, out in named.fields.items():
        if any(graphql.is_required_argument(a) for a in out.args.values()):
            continue
        inner = graphql.get_named_type(out.type)
        if isinstance(inner, graphql.GraphQLScalarType | graphql.GraphQLEnumType):
            parts.append(name)
        elif depth > 0:
            parts.append(f"{name} {selection(out.type, depth - 1)}")
        elif "id" in getattr(inner, "fields", {}):
            parts.append(f"{name} {{ id }}")
    return "{ " + " ".join(parts) + " }"


@cache
def document(op: IdOperation, depth: int = 2) -> str:
    """The operation with its arguments as variables, under the token limit."""
    definitions = ", ".join(f"${a}: {t.type}" for a, t in op.field.args.items())
    arguments = ", ".join(f"{a}: ${a}" for a in op.field.args)
    while True:
        text = (
            f"{op.kind}({definitions}) {{ {op.name}({arguments}) "
            f"{selection(op.field.type, depth)} }}"
        )
        try:
            graphql.parse(text, max_tokens=1500)
            return text
        except graphql.GraphQLError:
            depth -= 1


VALUE_BY_NAME = {
    "currency": "EUR",
    "country": "ES",
    "registrationNumber": "B00000001",
    "url": "http://127.0.0.1:9/b-hook",
}
VALUE_BY_TYPE = {
    "String": "FUZZ-1",
    "Decimal": "100.00",
    "Date": "2027-02-01",
    "DateTime": "2027-02-01T09:00:00+00:00",
    "Int": 30,
    "Float": 1.0,
    "Boolean": True,
    "JSON": "{}",
    "Upload": None,
}


def plausible(type_: graphql.GraphQLInputType, name: str, id_value: str) -> Any:
    """A value that passes input validation, so that the service reaches its lookup."""
    nullable = graphql.get_nullable_type(type_)
    if isinstance(nullable, graphql.GraphQLList):
        return [plausible(nullable.of_type, name, id_value)]
    named = graphql.get_named_type(type_)
    if named.name == "ID":
        return id_value
    if isinstance(named, graphql.GraphQLEnumType):
        return next(iter(named.values))
    if isinstance(named, graphql.GraphQLInputObjectType):
        value = dict(KNOWN_GOOD[named.name]()) if named.name in KNOWN_GOOD else {}
        for n, f in named.fields.items():
            takes_id = bool(id_paths(f.type, ()))
            if takes_id or (graphql.is_required_input_field(f) and n not in value):
                value[n] = plausible(f.type, n, id_value)
        return value
    if name in VALUE_BY_NAME:
        return VALUE_BY_NAME[name]
    return VALUE_BY_TYPE[named.name]


#: Inputs whose made-up values would be refused before the id is looked up.
KNOWN_GOOD: dict[str, Callable[[], dict[str, Any]]] = {
    "CreatePolicyInput": lambda: policy_input(),
    "CreateTopUpPolicyInput": lambda: top_up_input(INSURED, ""),
}

#: Which kinds of id a slot names (by the ids' prefixes); any other slot gets every kind.
SLOT_KINDS = {
    "quoteId": ("quo",),
    "coverId": ("cov",),
    "claimId": ("clm", "pcl", "tuc"),
    "policyId": ("pol", "tup"),
    "testClockId": ("clk",),
    "invoiceId": ("pin",),
    "limitId": ("lim",),
    "extensionId": ("ext",),
    "incidentId": ("inc",),
    "endpointId": ("whe",),
}


def ids_for(op: IdOperation, ids: dict[str, str]) -> list[tuple[str, str]]:
    """The (label, id) pairs worth sending to `op`: the kinds its slots name, or all."""
    kinds = {k for slot in op.slots for k in SLOT_KINDS.get(slot[-1], ())}
    if not kinds or any(slot[-1] not in SLOT_KINDS for slot in op.slots):
        return sorted(ids.items())
    return sorted((label, i) for label, i in ids.items() if i[:3] in kinds)


def variables_for(op: IdOperation, id_value: str) -> dict[str, Any]:
    return {
        a: plausible(arg.type, a, id_value)
        for a, arg in op.field.args.items()
        if graphql.is_required_argument(arg) or id_paths(arg.type, (a,))
    }


def upload_paths(value: Any, path: str) -> Iterator[str]:
    """Dotted paths (multipart `map`) of the Upload slots, left as None by `plausible`."""
    if isinstance(value, dict):
        for k, v in value.items():
            if v is None and k == "file":
                yield f"{path}.{k}"
            else:
                yield from upload_paths(v, f"{path}.{k}")


# --- partner A's objects, made through the API ---------------------------------------


@dataclass
class Tenant:
    key: str
    marker: str
    ids: dict[str, str] = field(default_factory=dict)
    cursors: dict[str, str] = field(default_factory=dict)

    def all_ids(self) -> set[str]:
        return set(self.ids.values()) | set(self.cursors.values())


REGISTER = (
    "mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) "
    "{ endpoint { id } userErrors { code } } }"
)
DECLARE_INCIDENT = (
    "mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { "
    "incident { id } cover { claim { id } } userErrors { code message } } }"
)
SERVICE_DISPUTE = (
    "mutation($input: RecordServiceDisputeInput!) { recordServiceDispute(input: $input) { "
    "incident { id } userErrors { code message } } }"
)
SUBMIT_DOCUMENT = (
    "mutation($input: SubmitDocumentInput!) { submitDocument(input: $input) { "
    "document { id } userErrors { code message } } }"
)
TU_CREATE = (
    "mutation($input: CreateTopUpPolicyInput!) { createTopUpPolicy(input: $input) { "
    "policy { id } userErrors { code message } } }"
)
TU_PREMIUM = (
    "mutation($input: RecordTopUpPremiumInput!) { recordTopUpPremium(input: $input) { "
    "userErrors { code message } } }"
)
TU_DECISION = (
    "mutation($input: RecordFirstLayerDecisionInput!) { recordFirstLayerDecision(input: $input) "
    "{ limit { topUpLimit { amount } } userErrors { code message } } }"
)
TU_NOTIFY = (
    "mutation($input: NotifyInsolvencyInput!) { notifyInsolvency(input: $input) { "
    "claim { id } userErrors { code message } } }"
)
LISTINGS = (
    "{ covers(first: 100) { edges { cursor node { id events { edges { cursor } } } } } "
    "webhookDeliveries(first: 100) { edges { cursor } } policies { id premiumInvoices { id } } }"
)


def marked_company(marker: str, role: str, **changes: Any) -> dict[str, Any]:
    return company(name=f"{marker} {role} SL", **changes)


async def seed_tenant(api: Any, jobs: Any, key: str, staff: str, marker: str, n: int = 1) -> Tenant:
    """One object of every kind the API names by id, marked with `marker`; `n` keeps
    each tenant's buyers apart (an incident on a buyer declines new covers on it, U-2)."""
    tenant = Tenant(key=key, marker=marker)
    ids = tenant.ids
    registered = await call(
        api,
        REGISTER,
        {"input": {"url": f"http://127.0.0.1:9/{marker}", "events": ["*"]}},
        key,
    )
    ids["webhook_endpoint"] = registered["endpoint"]["id"]
    ids["test_clock"] = await create_clock(api, key)

    # FI: quote, cover (signed, financed), incident and claim.
    fi = fi_input(
        seller=marked_company(marker, "Seller", registrationNumber="A87654321"),
        buyer=marked_company(marker, "Buyer", registrationNumber=f"B{n:02d}100000"),
    )
    fi["invoice"]["number"] = f"{marker}-INV"
    fi["financing"]["reference"] = f"{marker}-FIN"
    ids["fi_quote"] = await quote_id(api, key, fi)
    bound = await bind(api, key, quoteId=ids["fi_quote"], signatureReference=f"{marker}-env")
    ids["fi_cover"] = bound["cover"]["id"]
    await jobs.run_all()
    await api.execute(
        CONFIRM_FINANCING, {"input": {"coverId": ids["fi_cover"], "financed": True}}, key=key
    )
    declared = await call(
        api,
        DECLARE_INCIDENT,
        {
            "input": {
                "coverId": ids["fi_cover"],
                "kind": "NON_PAYMENT",
                "occurredOn": "2027-01-22",
                "unpaidAmount": eur("12100.00"),
            }
        },
        key,
    )
    assert declared["userErrors"] == [], declared
    ids["fi_incident"] = declared["incident"]["id"]
    ids["fi_claim"] = declared["cover"]["claim"]["id"]

    # TR: quote, active cover, a document, a non-payment incident and a service dispute.
    consignee = marked_company(marker, "Consignee", registrationNumber=f"B{n:02d}200000")
    tr = tr_input(buyer=consignee)
    tr["shipment"]["origin"] = f"{marker}-origin"
    ids["tr_quote"] = await quote_id(api, key, tr)
    bound = await bind(api, key, quoteId=ids["tr_quote"], paymentMethodToken="tok_visa")
    ids["tr_cover"] = bound["cover"]["id"]
    await jobs.run_all()
    uploaded = await upload(api, key, SUBMIT_DOCUMENT, ids["tr_cover"], "coverId", "CMR")
    assert uploaded["data"]["submitDocument"]["document"], uploaded
    ids["document"] = uploaded["data"]["submitDocument"]["document"]["id"]
    today = datetime.now(UTC).date()
    await shipment(api, key, ids["tr_cover"], "LOADED", today)
    await shipment(api, key, ids["tr_cover"], "UNLOADED", today)
    await invoice(api, key, ids["tr_cover"], today, today)
    unpaid = {
        "coverId": ids["tr_cover"],
        "kind": "NON_PAYMENT",
        "occurredOn": today.isoformat(),
        "unpaidAmount": eur("1500.00"),
    }
    declared = await call(api, DECLARE_INCIDENT, {"input": unpaid}, key)
    assert declared["userErrors"] == [], declared
    ids["tr_incident"] = declared["incident"]["id"]
    dispute = {"coverId": ids["tr_cover"], "raisedOn": today.isoformat(), "reason": marker}
    disputed = await call(api, SERVICE_DISPUTE, {"input": dispute}, key)
    assert disputed["userErrors"] == [], disputed

    # Whole-turnover policy: premium invoice, limit, declaration, extension, claim.
    clock = await create_clock(api, key, "2026-12-15T09:00:00+00:00")
    ids["policy_clock"] = clock
    insured = marked_company(marker, "Insured")
    created = await call(
        api, CREATE_POLICY, {"input": policy_input(testClockId=clock, insured=insured)}, key
    )
    assert created["userErrors"] == [], created
    ids["policy"] = created["policy"]["id"]
    # The terms are the insurer's: staff set them before the premium is paid.
    with_terms = await set_policy_terms(api, staff, ids["policy"])
    minimum = next(i for i in with_terms["premiumInvoices"] if i["kind"] == "MINIMUM")
    ids["premium_invoice"] = minimum["id"]
    await advance(api, key, clock, datetime(2027, 1, 5, tzinfo=UTC).date())
    paid = await call(
        api,
        PAY_PREMIUM,
        {"input": {"invoiceId": minimum["id"], "amount": eur("100.00"), "paidOn": "2027-01-01"}},
        staff,
    )
    assert paid["userErrors"] == [], paid
    limit = await granted_limit(api, key, staff, ids["policy"], "7", "10000.00")
    ids["credit_limit"] = limit["id"]
    await advance(api, key, clock, datetime(2027, 2, 1, tzinfo=UTC).date())
    sales = await declare_sales(
        api,
        key,
        ids["policy"],
        "2027-01-01",
        [
            sale("7", f"{marker}-S1", "2027-01-10", "2027-02-09", "800.00"),
            sale("7", f"{marker}-S2", "2027-01-12", "2027-02-20", "900.00"),
        ],
    )
    assert sales["userErrors"] == [], sales
    ids["declaration"] = sales["declaration"]["id"]
    await advance(api, key, clock, datetime(2027, 3, 1, tzinfo=UTC).date())
    extended = await call(
        api,
        DECLARE_EXTENSION,
        {
            "input": {
                "policyId": ids["policy"],
                "buyer": buyer("7"),
                "invoiceNumber": f"{marker}-S2",
                "newDueDate": "2027-03-20",
            }
        },
        key,
    )
    if extended["extension"]:
        ids["extension"] = extended["extension"]["id"]
    notified = await call(
        api,
        NOTIFY,
        {"input": {"policyId": ids["policy"], "buyer": buyer("7"), "cause": "NON_PAYMENT"}},
        key,
    )
    assert notified["userErrors"] == [], notified
    ids["policy_claim"] = notified["claim"]["id"]

    # Top-up policy: limit and claim.
    tu_clock = await create_clock(api, key, "2027-01-02T09:00:00+00:00")
    ids["top_up_clock"] = tu_clock
    tu = await call(api, TU_CREATE, {"input": top_up_input(insured, tu_clock)}, key)
    assert tu["userErrors"] == [], tu
    ids["top_up_policy"] = tu["policy"]["id"]
    premium = {"input": {"policyId": ids["top_up_policy"], "paidOn": "2027-01-10"}}
    assert (await call(api, TU_PREMIUM, premium, staff))["userErrors"] == []
    decision = {
        "policyId": ids["top_up_policy"],
        "buyer": marked_company(marker, "Debtor", registrationNumber="B00000003"),
        "requested": eur("40000.00"),
        "granted": eur("20000.00"),
        "decidedOn": "2027-01-05",
    }
    decided = await call(api, TU_DECISION, {"input": decision}, key)
    assert decided["userErrors"] == [], decided
    insolvency = {
        "policyId": ids["top_up_policy"],
        "buyer": buyer("3"),
        "learnedOn": "2027-06-01",
        "coveredLoss": eur("30000.00"),
        "firstUnpaidInvoiceDate": "2027-03-10",
    }
    claimed = await call(api, TU_NOTIFY, {"input": insolvency}, key)
    assert claimed["userErrors"] == [], claimed
    ids["top_up_claim"] = claimed["claim"]["id"]

    await jobs.run_all()
    listed = (await api.execute(LISTINGS, key=key))["data"]
    cover_edges = listed["covers"]["edges"]
    tenant.cursors["cover"] = cover_edges[-1]["cursor"]
    events = [e["cursor"] for c in cover_edges for e in c["node"]["events"]["edges"]]
    tenant.cursors["cover_event"] = events[0]
    deliveries = [e["cursor"] for e in listed["webhookDeliveries"]["edges"]]
    assert deliveries, "A's endpoint has deliveries, so its cursor is a real one"
    tenant.cursors["webhook_delivery"] = deliveries[0]
    assert all(ID_RE.fullmatch(i) for i in tenant.all_ids()), tenant
    return tenant


def top_up_input(insured: dict[str, Any], clock_id: str) -> dict[str, Any]:
    return {
        "insured": insured,
        "firstLayerInsurer": "Primera Capa Seguros SA",
        "firstLayerPolicy": "PC-2027-001",
        "currency": "EUR",
        "periodStart": "2027-01-01",
        "periodEnd": "2027-12-31",
        # The insurer's terms are not the partner's to send (the product's defaults).
        "firstLayerCoveragePercent": "90",
        "testClockId": clock_id,
    }


async def upload(
    api: Any, key: str, query: str, target: str, slot: str, kind: str
) -> dict[str, Any]:
    operations = {"query": query, "variables": {"input": {slot: target, "kind": kind}}}
    return await post_multipart(api, key, operations, ["variables.input.file"])


async def post_multipart(
    api: Any, key: str, operations: dict[str, Any], paths: list[str]
) -> dict[str, Any]:
    for path in paths:  # the spec: each file slot is null in `operations`
        target = operations
        *parents, last = path.split(".")
        for part in parents:
            target = target[part]
        target[last] = None
    response = await api.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": paths})},
        files={"0": ("doc.pdf", PDF, "application/pdf")},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def app_settings(app_settings: Any) -> Any:
    """Thousands of requests from two keys: the per-partner rate limit is not the subject."""
    return app_settings.model_copy(update={"rate_limit_enabled": False})


@pytest.fixture
def storage(api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from domain.services import document_storage
    from domain.services.document_storage import LocalFileStorage

    monkeypatch.setattr(document_storage, "_storage", LocalFileStorage(tmp_path / "documents"))


@dataclass
class Tenants:
    a: Tenant
    b: Tenant
    staff: str


@pytest.fixture
async def tenants(
    api: Any, jobs: Any, storage: None, make_partner: Any, make_staff: Any
) -> Tenants:
    staff = await make_staff()
    a_key = await make_partner(name="Alpha", kind="freight_exchange")
    b_key = await make_partner(name="Bravo", kind="freight_exchange")
    a = await seed_tenant(api, jobs, a_key, staff, "ALPHA" + secrets.token_hex(4), n=1)
    b = await seed_tenant(api, jobs, b_key, staff, "BRAVO" + secrets.token_hex(4), n=2)
    return Tenants(a, b, staff)


# --- running operations and judging B's answers --------------------------------------


async def run(api: Any, key: str, op: IdOperation, variables: dict[str, Any]) -> dict[str, Any]:
    paths = list(upload_paths(variables, "variables"))
    if paths:
        return await post_multipart(
            api, key, {"query": document(op), "variables": variables}, paths
        )
    return dict(await api.execute(document(op), variables, key=key))


def missing_like(object_id: str) -> str:
    """An id of the same kind and shape that names nothing."""
    return f"{object_id[:3]}_{secrets.token_hex(14)}"


def leaks(answer: Any, owner: Tenant, sent: str) -> list[str]:
    """The owner's ids (but the one the caller sent) and marker found in an answer."""
    text = json.dumps(answer)
    found = [i for i in ID_RE.findall(text) if i in owner.all_ids() and i not in sent]
    if owner.marker in text:
        found.append(owner.marker)
    return found


def error_codes(answer: dict[str, Any]) -> set[str]:
    codes = {e.get("extensions", {}).get("code", "?") for e in answer.get("errors") or []}
    for value in (answer.get("data") or {}).values():
        if isinstance(value, dict):
            codes |= {e["code"] for e in value.get("userErrors") or []}
    return codes


async def snapshot(api: Any, tenant: Tenant) -> dict[tuple[str, str], Any]:
    """Every non-empty answer of a query field to the tenant's own ids, by the tenant."""
    seen = {}
    for op in ID_OPERATIONS:
        if op.kind != "query":
            continue
        for label, object_id in sorted(tenant.ids.items()):
            answer = await run(api, tenant.key, op, variables_for(op, object_id))
            assert "errors" not in answer, (op.name, answer)
            if answer["data"][op.name] not in (None, []):
                seen[(op.name, label)] = answer["data"]
    return seen


# --- the tests -----------------------------------------------------------------------


def test_every_id_taking_field_is_found_in_the_schema():
    names = {op.name for op in ID_OPERATIONS}
    assert {"node", "cover", "policy", "topUpClaim", "webhookDeliveries"} <= names
    assert {"bindCover", "submitDocument", "advanceTestClock", "deleteWebhookEndpoint"} <= names
    for op in ID_OPERATIONS:  # each one parses and fits the token limit
        graphql.parse(document(op), max_tokens=2000)


async def test_another_partners_ids_answer_as_missing_everywhere(api, tenants):
    a, b = tenants.a, tenants.b
    before = await snapshot(api, a)
    # Control: A reads each of its objects through at least one root field.
    visible = {label for _, label in before}
    assert visible >= set(a.ids) - {
        "document",
        "fi_incident",
        "tr_incident",
        "premium_invoice",
        "credit_limit",
        "declaration",
        "extension",
    }, visible

    missing_answers: dict[tuple[str, str], dict[str, Any]] = {}
    reached_lookup: dict[str, bool] = {}
    tried = 0
    for op in ID_OPERATIONS:
        for label, object_id in ids_for(op, a.ids):
            theirs = await run(api, b.key, op, variables_for(op, object_id))
            tried += 1
            prefix = object_id[:3]
            if (op.name, prefix) not in missing_answers:
                ghost = missing_like(object_id)
                answer = await run(api, b.key, op, variables_for(op, ghost))
                missing_answers[op.name, prefix] = json.loads(
                    json.dumps(answer).replace(ghost, "<id>")
                )
            assert not leaks(theirs, a, object_id), (op.name, label, theirs)
            normalised = json.loads(json.dumps(theirs).replace(object_id, "<id>"))
            assert normalised == missing_answers[op.name, prefix], (op.name, label, theirs)
            codes = error_codes(theirs)
            reached_lookup[op.name] = reached_lookup.get(op.name, False) or "NOT_FOUND" in codes
    print(f"{tried} (field, id) pairs over {len(ID_OPERATIONS)} fields, {len(a.ids)} ids")

    # The made-up inputs got past validation to the lookup for every partner mutation.
    staff_only = {
        op for op, answer in missing_answers.items() if "FORBIDDEN" in error_codes(answer)
    }
    partner_mutations = {op.name for op in ID_OPERATIONS if op.kind == "mutation"} - {
        name for name, _ in staff_only
    }
    not_reached = sorted(n for n in partner_mutations if not reached_lookup[n])
    assert not_reached == [], not_reached

    assert await snapshot(api, a) == before


async def test_cursors_from_another_partners_listings_page_only_ones_own(api, tenants):
    a, b = tenants.a, tenants.b
    own_covers = {b.ids["fi_cover"], b.ids["tr_cover"]}
    listing = (
        "query($after: String, $endpoint: ID, $cover: ID!, $event: String) { "
        "covers(after: $after) { totalCount edges { cursor node { id seller { name } } } } "
        "webhookDeliveries(after: $after, endpointId: $endpoint) { edges { cursor node { "
        "id eventType } } } "
        "cover(id: $cover) { events(after: $event) { edges { cursor node { type data } } } } }"
    )
    # A's cursors are ids: "after" one of them pages through B's own objects only.
    for after in [*a.cursors.values(), *a.ids.values()]:
        for endpoint in (None, a.ids["webhook_endpoint"]):
            variables = {"after": after, "endpoint": endpoint, "cover": b.ids["fi_cover"]}
            variables["event"] = a.cursors["cover_event"]
            body = await api.execute(listing, variables, key=b.key)
            assert "errors" not in body, body
            data = body["data"]
            assert data["covers"]["totalCount"] == len(own_covers)
            assert {e["node"]["id"] for e in data["covers"]["edges"]} <= own_covers
            if endpoint is not None:
                assert data["webhookDeliveries"]["edges"] == []
            assert not leaks(body, a, sent=json.dumps(variables)), body
    # And the other way round: B's own listings, unfiltered, hold nothing of A's.
    body = await api.execute(LISTINGS, key=b.key)
    assert not leaks(body, a, sent=""), body
    assert b.marker not in json.dumps(await api.execute(LISTINGS, key=a.key))


def id_slot_values(ids: dict[str, str]) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(ids.values()))


async def test_random_fields_get_random_ids_of_another_partner(api, tenants):
    """Hypothesis picks the field and the id (A's of any kind, B's own, or made up)."""
    a, b = tenants.a, tenants.b
    loop = asyncio.get_running_loop()
    before = await snapshot(api, a)
    choices = sorted(a.ids.values()) + sorted(b.ids.values())
    tried: list[tuple[str, str]] = []

    def await_(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.sampled_from(ID_OPERATIONS), st.sampled_from(choices), st.booleans())
    def check(op: IdOperation, object_id: str, ghost: bool) -> None:
        if ghost:
            object_id = missing_like(object_id)
        tried.append((op.name, object_id))
        answer = await_(run(api, b.key, op, variables_for(op, object_id)))
        assert not leaks(answer, a, sent=object_id), (op.name, object_id, answer)
        if object_id in a.all_ids():
            other = missing_like(object_id)
            missing = await_(run(api, b.key, op, variables_for(op, other)))
            mine = json.loads(json.dumps(answer).replace(object_id, "<id>"))
            assert mine == json.loads(json.dumps(missing).replace(other, "<id>")), (op.name, answer)

    await asyncio.to_thread(check)
    print(f"{len(tried)} examples, {len({n for n, _ in tried})} fields, {len(set(tried))} pairs")
    assert await snapshot(api, a) == before


ID_PLACEHOLDER = "@@id{}@@"


def operation_shapes() -> st.SearchStrategy[str]:
    """hypothesis-graphql operations on the id-taking fields and the listings; every `ID`
    is a placeholder, replaced at run time by one of A's ids."""
    fields = [op.name for op in ID_OPERATIONS] + ["covers", "policies", "webhookEndpoints"]
    strings = st.text(alphabet="abcdefgh0123456789-_ ", max_size=12)
    scalars = {
        "ID": st.integers(0, 63).map(ID_PLACEHOLDER.format).map(nodes.String),
        "Date": st.dates().map(lambda d: d.isoformat()).map(nodes.String),
        "DateTime": st.datetimes(timezones=st.just(UTC))
        .map(lambda d: d.isoformat())
        .map(nodes.String),
        "Decimal": st.decimals(0, 10**6, places=2).map(str).map(nodes.String),
        "Upload": st.just(nodes.String("not a file")),
        "String": st.one_of(strings, st.sampled_from(["ES", "EUR", "B00000001"])).map(nodes.String),
    }
    return from_schema(SCHEMA, fields=fields, custom_scalars=scalars, allow_null=False)


@pytest.mark.chaos
async def test_random_operation_shapes_over_another_partners_ids_leak_nothing(api, tenants):
    a, b = tenants.a, tenants.b
    loop = asyncio.get_running_loop()
    before = await snapshot(api, a)
    ids = sorted(a.ids.values())
    served = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation_shapes())
    def check(query: str) -> None:
        for n in range(64):
            query = query.replace(ID_PLACEHOLDER.format(n), ids[n % len(ids)])
        answer = asyncio.run_coroutine_threadsafe(api.execute(query, key=b.key), loop).result()
        assert not leaks(answer, a, sent=query), (query, answer)
        served.append(answer.get("data") is not None)

    await asyncio.to_thread(check)
    print(f"{len(served)} operations, {sum(served)} executed")
    assert sum(served) > len(served) // 2  # mostly past validation, into the resolvers
    assert await snapshot(api, a) == before
