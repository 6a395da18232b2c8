"""Both claim journeys from quote to PAID over the real stack (LIFECYCLE 1-6).

One stack for the module, as separate processes: the API (`tradecover serve`, uvicorn),
one dramatiq worker (`tradecover worker`) and the scheduler (`tradecover scheduler`,
outbox relay and webhook re-sends), on the session's Redis (conftest.py; a logical
database of its own) and one SQLite file shared by the three. Keys come from the CLI.
Every step goes over HTTP; documents are GraphQL multipart uploads. The jobs (feasibility
confirmation, hold capture, indemnity calculation, webhook deliveries) only run in the
worker: the test polls the API until their state changes, within a deadline.

Each partner registers a webhook endpoint on a receiver run by the test on 127.0.0.1
(sandbox keys may use loopback URLs), which verifies every delivery with the
`standardwebhooks` library and the secret shown at registration.

Rules proven:
- TR: TR-P1/TR-P2 (premium held, captured by the worker once feasibility is confirmed),
  TR-S1 (the incident is published once the TR-D1 documents are in), TR-T7 (expected
  decision at claim opening + 5 months), TR-S2 (90% x (invoice excl. VAT - paid),
  capped at 90% of the guaranteed amount), C-3 (VAT is not indemnified).
- FI: FI-A1 (active once feasibility and financing are confirmed), FI-N1 (the
  notification opens the claim, in the same change), FI-D1 (documents due in 30 days),
  FI-C3 (90% x min(unpaid - recoveries, insured), recomputed after a payment),
  FI-C2 (payable by notification + 2 months + 10 days).
- C-6: every state change reaches the partner as a signed webhook, once, in order.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from dateutil.relativedelta import relativedelta
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.api.cover_helpers import BIND, CONFIRM_FINANCING
from tests.api.test_claim_journeys import CLAIM, CLAIM_FIELDS, DECIDE, DECLARE, OPEN, PAID
from tests.api.test_cover_life import INVOICE, PAYMENT, SHIPMENT
from tests.api.test_submit_document import SUBMIT
from tests.api.test_webhooks_end_to_end import REGISTER
from tests.builders import QUOTE_MUTATION, company, fi_input, tr_input
from tests.support.http_receiver import LocalHTTPServer
from tests.support.processes import Proc, descendants, kill_group, kill_procs, wait_gone
from tradecover.redis_server import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TRADECOVER = REPO / ".venv" / "bin" / "tradecover"
START_TIMEOUT = 60.0
#: How long a job (or a webhook) may take to show in the API: a deadline, not a measure.
DEADLINE = 60.0
STOP_TIMEOUT = 20.0
CLI_TIMEOUT = 60.0
#: The stack's own logical Redis database: other tests' messages never reach its worker.
REDIS_DB = 7
PDF = b"%PDF-1.4\n% tradecover journey document\n%%EOF\n"

COVER = (
    "query($id: ID!) { cover(id: $id) { id status "
    "paymentHold { status amount { amount currency } } "
    "events { edges { node { type actor } } } "
    "incidents { published } claim { " + CLAIM_FIELDS + " } } }"
)
DELIVERIES = (
    "{ webhookDeliveries(first: 50) { edges { node { eventType status attempts "
    "lastResponseCode } } } }"
)

T = TypeVar("T")


# --- the stack ---------------------------------------------------------------------------


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no output)"


@dataclass
class Stack:
    env: dict[str, str]
    cwd: Path
    base: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    staff_key: str = ""
    tree: list[Proc] = field(default_factory=list)

    def cli(self, *args: str) -> str:
        """Runs `tradecover ...` against the stack's database; returns its last line."""
        result = subprocess.run(
            [str(TRADECOVER), *args],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
        )
        assert result.returncode == 0, f"tradecover {args} failed:\n{result.stdout}{result.stderr}"
        return result.stdout.strip().splitlines()[-1]

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        self.logs[name] = self.cwd / f"{name}.log"
        with self.logs[name].open("wb") as log:
            self.processes[name] = subprocess.Popen(
                [str(TRADECOVER), *args],
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for the last-resort kill
            )
        return self.processes[name]

    def partner_key(self, name: str, kind: str) -> str:
        key = self.cli("partners", "create", "--name", name, "--kind", kind, "--sandbox")
        assert key.startswith("tc_test_"), key
        return key

    def diagnostics(self) -> str:
        return "\n".join(f"--- {name} log:\n{_tail(log)}" for name, log in self.logs.items())

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                pytest.fail(f"{name} exited {process.returncode}:\n{self.diagnostics()}")


def _poll(
    stack: Stack, what: str, fetch: Callable[[], T], ready: Callable[[T], bool], timeout: float
) -> T:
    """Fetches until `ready`; fails with the last value and the logs at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        stack.check_alive()
        value = fetch()
        if ready(value):
            return value
        if time.monotonic() >= deadline:
            pytest.fail(
                f"timed out after {timeout} s waiting for {what}; last: {value}\n"
                f"{stack.diagnostics()}"
            )
        time.sleep(0.05)


def _serve(stack: Stack) -> None:
    """Starts `tradecover serve` on a free port."""
    port = free_port()
    stack.env["TRADECOVER_PORT"] = str(port)
    stack.base = f"http://127.0.0.1:{port}"
    stack.start("api", "serve")


def _api_bound(stack: Stack) -> None:
    """Waits for uvicorn to listen. free_port() only finds a port: another process may
    bind it first, and then the API is started again on another."""
    for _ in range(3):
        api, deadline = stack.processes["api"], time.monotonic() + START_TIMEOUT
        while api.poll() is None and time.monotonic() < deadline:
            if "Uvicorn running on" in _tail(stack.logs["api"]):
                return
            time.sleep(0.05)
        if api.poll() is None or "address already in use" not in _tail(stack.logs["api"]):
            return  # not a port race: _healthy reports it with the logs
        _serve(stack)


def _healthy(stack: Stack) -> None:
    def health() -> dict[str, Any]:
        try:
            response = httpx.get(f"{stack.base}/healthz", timeout=2.0, trust_env=False)
            return dict(response.json()) if response.status_code == 200 else {}
        except (httpx.HTTPError, ValueError):
            return {}

    _poll(
        stack,
        "the API, the database, Redis and a worker answering the scheduler's heartbeat",
        health,
        lambda body: (
            body.get("database") == "ok"
            and body.get("redis") == "ok"
            and body.get("worker_last_seen_seconds_ago") is not None
        ),
        START_TIMEOUT,
    )


def _stop(stack: Stack) -> None:
    """SIGTERM to each process we started, then SIGKILL what is left of their groups.
    Only the dramatiq supervisor gets the signal: it forwards it to its worker process,
    for which a second SIGTERM means "kill" (its threads would then hang the exit)."""
    for process in stack.processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in stack.processes.values():
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            kill_group(process)
    kill_procs(wait_gone(stack.tree, timeout=5))


@pytest.fixture(scope="module")
def stack(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("journeys")
    env = {
        **os.environ,
        "TRADECOVER_ENV": "test",
        "TRADECOVER_HOST": "127.0.0.1",
        "TRADECOVER_DATA_DIR": str(tmp / "var"),  # documents under var/documents
        "TRADECOVER_DATABASE_URL": f"sqlite://{tmp / 'tradecover.sqlite3'}",
        "TRADECOVER_REDIS_URL": f"{redis_url.rsplit('/', 1)[0]}/{REDIS_DB}",
        # The relay and webhook re-sends run every 0.2 s (jobs queued in a document's
        # transaction, and every webhook's first delivery, go through the relay).
        "TRADECOVER_SCHEDULER_INTERVAL_SECONDS": "0.2",
        # Heartbeat and deadline sweep once, at start: a sweep mid-journey would add
        # deadline.approaching webhooks for deadlines due today (e.g. TR-D1 documents).
        "TRADECOVER_HEARTBEAT_INTERVAL_SECONDS": "3600",
        "dramatiq_worker_timeout": "100",
    }
    (tmp / "var").mkdir()
    stack = Stack(env, tmp)
    stack.cli("migrate")
    try:
        stack.start("worker", "worker", "--threads", "4")
        stack.start("scheduler", "scheduler")
        _serve(stack)
        stack.staff_key = stack.cli("staff", "create", "--name", "Underwriter")
        assert stack.staff_key.startswith("tc_staff_"), stack.staff_key
        _api_bound(stack)
        _healthy(stack)
        stack.tree = [p for process in stack.processes.values() for p in descendants(process.pid)]
        yield stack
    finally:
        _stop(stack)


# --- the partner's webhook receiver ------------------------------------------------------


@dataclass
class Received:
    webhook_id: str
    payload: dict[str, Any]


class Receiver:
    """A partner's endpoint on 127.0.0.1: each path has its own secret; a delivery is
    kept only if its signature verifies (Standard Webhooks), else refused with 400."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.received: dict[str, list[Received]] = {}
        self.refused: list[str] = []
        self.lock = threading.Lock()
        self.http = LocalHTTPServer(self.receive)
        self.base = self.http.base

    def receive(self, path: str, headers: dict[str, str], body: bytes) -> int:
        secret = self.secrets.get(path)
        if secret is None:
            with self.lock:
                self.refused.append(f"{path}: no endpoint registered here")
            return 404
        try:
            payload = Webhook(secret).verify(body, headers)
        except WebhookVerificationError as error:
            with self.lock:
                self.refused.append(f"{path}: {error} ({headers.get('webhook-id')})")
            return 400
        with self.lock:
            self.received.setdefault(path, []).append(Received(headers["webhook-id"], payload))
        return 204

    def events(self, path: str) -> list[Received]:
        with self.lock:
            return list(self.received.get(path, []))

    def types(self, path: str) -> list[str]:
        return sorted(r.payload["type"] for r in self.events(path))

    def close(self) -> None:
        self.http.close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


# --- the partner's side of the API -------------------------------------------------------


class Api:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.http = httpx.Client(base_url=stack.base, timeout=20.0, trust_env=False)

    def data(self, query: str, variables: dict[str, Any] | None = None, *, key: str) -> Any:
        response = self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    def mutate(self, name: str, query: str, variables: dict[str, Any], *, key: str) -> Any:
        payload = self.data(query, variables, key=key)[name]
        assert payload["userErrors"] == [], payload
        return payload

    def upload(self, key: str, cover_id: str, kind: str) -> dict[str, Any]:
        """submitDocument per the GraphQL multipart request spec."""
        operations = {
            "query": SUBMIT,
            "variables": {"input": {"coverId": cover_id, "kind": kind, "file": None}},
        }
        response = self.http.post(
            "/graphql",
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({"0": ["variables.input.file"]}),
            },
            files={"0": (f"{kind.lower()}.pdf", PDF, "application/pdf")},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        payload = body["data"]["submitDocument"]
        assert payload["userErrors"] == [], payload
        return dict(payload)

    def cover(self, key: str, cover_id: str) -> dict[str, Any]:
        return dict(self.data(COVER, {"id": cover_id}, key=key)["cover"])

    def claim(self, key: str, claim_id: str) -> dict[str, Any]:
        return dict(self.data(CLAIM, {"id": claim_id}, key=key)["claim"])

    def wait_cover(
        self, key: str, cover_id: str, what: str, ready: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        return _poll(self.stack, what, lambda: self.cover(key, cover_id), ready, DEADLINE)

    def wait_claim(
        self, key: str, claim_id: str, what: str, ready: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        return _poll(self.stack, what, lambda: self.claim(key, claim_id), ready, DEADLINE)


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[Api]:
    client = Api(stack)
    yield client
    client.http.close()


def register_webhooks(api: Api, receiver: Receiver, key: str, path: str) -> None:
    payload = api.mutate(
        "registerWebhookEndpoint",
        REGISTER,
        {"input": {"url": receiver.base + path, "events": ["*"]}},
        key=key,
    )
    assert payload["endpoint"]["enabled"] is True
    assert payload["secret"].startswith("whsec_")
    receiver.secrets[path] = payload["secret"]


def wait_webhooks(stack: Stack, receiver: Receiver, path: str, *types: str) -> None:
    """Until the receiver holds at least these event types (with repeats)."""

    def has_all(got: list[str]) -> bool:
        return all(got.count(t) >= types.count(t) for t in types)

    _poll(stack, f"webhooks {types} at {path}", lambda: receiver.types(path), has_all, DEADLINE)


def journey(received: list[Received]) -> list[tuple[str, ...]]:
    """Event types per change, oldest change first: the events of one transaction share
    its timestamp (their order within it is not observable)."""
    changes: dict[datetime, list[str]] = {}
    for got in received:
        stamp = datetime.fromisoformat(got.payload["timestamp"])
        changes.setdefault(stamp, []).append(got.payload["type"])
    return [tuple(sorted(changes[stamp])) for stamp in sorted(changes)]


def all_deliveries_succeeded(stack: Stack, api: Api, key: str, count: int) -> None:
    """The API's own record: each delivery SUCCEEDED at its first attempt, with our 204."""

    def nodes() -> list[dict[str, Any]]:
        edges = api.data(DELIVERIES, key=key)["webhookDeliveries"]["edges"]
        return [edge["node"] for edge in edges]

    rows = _poll(
        stack,
        "every delivery recorded as SUCCEEDED",
        nodes,
        lambda rows: len(rows) == count and all(r["status"] == "SUCCEEDED" for r in rows),
        DEADLINE,
    )
    assert {(r["attempts"], r["lastResponseCode"]) for r in rows} == {(1, 204)}


def assert_webhook_journey(
    stack: Stack,
    api: Api,
    receiver: Receiver,
    key: str,
    path: str,
    cover_id: str,
    expected: list[tuple[str, ...]],
) -> list[dict[str, Any]]:
    """C-6: the receiver got each event of `expected` once, with a valid signature, in
    the order of the changes, and the API recorded every delivery as SUCCEEDED. Returns
    the verified payloads, oldest first."""
    types = [event_type for change in expected for event_type in change]
    wait_webhooks(stack, receiver, path, *types)
    all_deliveries_succeeded(stack, api, key, len(types))
    received = receiver.events(path)
    assert receiver.refused == []
    assert journey(received) == expected
    assert len({r.webhook_id for r in received}) == len(received) == len(types)
    assert {r.payload["data"]["cover"]["id"] for r in received} == {cover_id}
    return [
        r.payload
        for r in sorted(received, key=lambda r: datetime.fromisoformat(r.payload["timestamp"]))
    ]


def event_actors(cover: dict[str, Any]) -> dict[str, str]:
    return {e["node"]["type"]: e["node"]["actor"] for e in cover["events"]["edges"]}


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


# --- the journeys ------------------------------------------------------------------------


def test_tr_journey_from_quote_to_paid(stack: Stack, api: Api, receiver: Receiver) -> None:
    key = stack.partner_key("Haulage", "freight_exchange")
    staff = stack.staff_key
    hooks = "/hooks/tr"
    register_webhooks(api, receiver, key, hooks)
    today = datetime.now(UTC).date()

    request = tr_input(
        requestDate=today.isoformat(),
        buyer=company(registrationNumber="B10000001", name="TR Buyer SL"),
    )
    request["shipment"]["loadingDate"] = today.isoformat()
    quote = api.mutate("requestQuote", QUOTE_MUTATION, {"input": request}, key=key)["quote"]
    assert quote["eligible"] is True, quote
    assert quote["premium"] == eur("25.50")  # TR-P1: 1.70% x 1,500.00
    bound = api.mutate(
        "bindCover",
        BIND,
        {"input": {"quoteId": quote["id"], "paymentMethodToken": "tok_visa"}},
        key=key,
    )["cover"]
    cover_id = bound["id"]
    assert bound["status"] == "PENDING_CONFIRMATION"
    assert bound["paymentHold"]["status"] == "HELD"  # TR-P2: held, not captured

    # The worker confirms feasibility, activates the cover, then captures the hold.
    active = api.wait_cover(
        key,
        cover_id,
        "the worker to confirm feasibility and capture the hold",
        lambda c: c["status"] == "ACTIVE" and c["paymentHold"]["status"] == "CAPTURED",
    )
    assert active["paymentHold"]["amount"] == eur("25.50")
    actors = event_actors(active)
    assert actors["cover.feasibility_confirmed"] == "system"
    assert actors["payment_hold.captured"] == "system"
    wait_webhooks(
        stack,
        receiver,
        hooks,
        "cover.pending_confirmation",
        "cover.activated",
        "payment_hold.captured",
    )

    # LIFECYCLE 3: the transport happens, is invoiced (VAT on top) and partly paid.
    for kind in ("LOADED", "UNLOADED"):
        moved = api.mutate(
            "recordShipmentEvent",
            SHIPMENT,
            {"input": {"coverId": cover_id, "kind": kind, "on": today.isoformat()}},
            key=key,
        )
        assert moved["cover"]["status"] == "ACTIVE"
    invoice = {
        "number": "T-RS-1",
        "issueDate": today.isoformat(),
        "dueDate": today.isoformat(),
        "amount": eur("1400.00"),
        "vatAmount": eur("294.00"),
    }
    invoiced = api.mutate(
        "recordInvoice", INVOICE, {"input": {"coverId": cover_id, "invoice": invoice}}, key=key
    )
    assert invoiced["cover"]["status"] == "ACTIVE" and invoiced["cover"]["lapse"] is None
    paid_part = api.mutate(
        "recordPayment",
        PAYMENT,
        {"input": {"coverId": cover_id, "receivedOn": today.isoformat(), "amount": eur("200.00")}},
        key=key,
    )
    assert paid_part["cover"] == {"status": "ACTIVE", "paidAmount": {"amount": "200.00"}}

    # Stage 1 (TR-S1): the payment incident, published once the TR-D1 documents are in.
    declared = api.mutate(
        "declareIncident",
        DECLARE,
        {
            "input": {
                "coverId": cover_id,
                "kind": "NON_PAYMENT",
                "occurredOn": today.isoformat(),
                "unpaidAmount": eur("1494.00"),
            }
        },
        key=key,
    )
    assert declared["incident"]["published"] is False
    assert declared["cover"]["status"] == "DEFAULTED" and declared["cover"]["claim"] is None
    wait_webhooks(stack, receiver, hooks, "incident.declared")
    for kind in ("COLLECTION_ATTEMPT_PROOF", "TRANSPORT_ORDER", "CMR", "TRANSPORT_INVOICE"):
        api.upload(key, cover_id, kind)
    assert api.cover(key, cover_id)["incidents"] == [{"published": True}]

    # Stage 2: the claim (TR-T7), complete with the TR-D2 documents.
    claim = api.mutate("openClaim", OPEN, {"id": cover_id}, key=key)["claim"]
    claim_id = claim["id"]
    assert claim["status"] == "DOCUMENTS_PENDING"
    assert claim["missingDocuments"] == [
        "UBO_FORM",
        "UBO_IDENTITY",
        "BANK_ACCOUNT",
        "DEBTOR_LEDGER",
    ]
    assert claim["expectedDecisionOn"] == (today + relativedelta(months=5)).isoformat()
    wait_webhooks(stack, receiver, hooks, "claim.opened")
    for kind in ("UBO_FORM", "UBO_IDENTITY", "BANK_ACCOUNT", "DEBTOR_LEDGER"):
        last = api.upload(key, cover_id, kind)
    assert last["cover"]["status"] == "IN_CLAIM"

    # The relay sends the indemnity job queued with the last document; the worker runs it.
    reviewed = api.wait_claim(
        key,
        claim_id,
        "the worker to calculate the indemnity",
        lambda c: c["indemnity"] is not None,
    )
    assert reviewed["status"] == "UNDER_REVIEW" and reviewed["missingDocuments"] == []
    # TR-S2: 90% x (1,400.00 - 200.00) = 1,080.00, under the cap of 90% x 1,500.00;
    # the 294.00 VAT is not indemnified (C-3).
    assert reviewed["indemnity"]["amount"] == eur("1080.00")
    assert [
        (line["amount"]["amount"], line["rule"]) for line in reviewed["indemnity"]["lines"]
    ] == [
        ("1400.00", "C-3"),
        ("-200.00", "TR-S2"),
        ("1200.00", "TR-S2"),
        ("1080.00", "TR-S2"),
        ("1080.00", "TR-S2"),
        ("1080.00", "TR-S2"),
    ]
    assert "(1500.00)" in reviewed["indemnity"]["lines"][4]["label"]

    approved = api.mutate(
        "decideClaim", DECIDE, {"input": {"claimId": claim_id, "decision": "APPROVE"}}, key=staff
    )["claim"]
    assert approved["status"] == "APPROVED"
    paid = api.mutate(
        "markIndemnityPaid",
        PAID,
        {"input": {"claimId": claim_id, "paidOn": today.isoformat()}},
        key=staff,
    )["claim"]
    assert paid == {
        "status": "PAID",
        "paidOn": today.isoformat(),
        "cover": {"status": "INDEMNIFIED"},
    }
    final = api.claim(key, claim_id)
    assert (final["status"], final["indemnity"]["amount"]) == ("PAID", eur("1080.00"))

    # C-6: every change reached the partner, signed, once, in order.
    expected = [
        ("cover.pending_confirmation",),
        ("cover.activated",),
        ("payment_hold.captured",),
        ("incident.declared",),
        ("claim.opened",),
        ("claim.under_review",),
        ("claim.indemnity_calculated",),
        ("claim.approved",),
        ("claim.paid",),
    ]
    payloads = assert_webhook_journey(stack, api, receiver, key, hooks, cover_id, expected)
    data = {payload["type"]: payload["data"] for payload in payloads}
    assert data["incident.declared"]["unpaid"] == "1494.00"
    assert data["claim.indemnity_calculated"]["claimId"] == claim_id
    assert data["claim.indemnity_calculated"]["amount"] == "1080.00"
    assert data["claim.paid"]["paidOn"] == today.isoformat()
    assert data["claim.paid"]["cover"]["status"] == "INDEMNIFIED"


def test_fi_journey_from_quote_to_paid(stack: Stack, api: Api, receiver: Receiver) -> None:
    key = stack.partner_key("Factoring", "financing_platform")
    staff = stack.staff_key
    hooks = "/hooks/fi"
    register_webhooks(api, receiver, key, hooks)
    today = datetime.now(UTC).date()
    requested, due = today - timedelta(days=90), today - timedelta(days=30)

    # A sandbox key may quote a past request date: the invoice is now 30 days overdue.
    request = fi_input(
        requestDate=requested.isoformat(),
        buyer=company(registrationNumber="B20000002", name="FI Buyer SL"),
    )
    request["invoice"].update(
        number="F-RS-1", issueDate=requested.isoformat(), dueDate=due.isoformat()
    )
    quote = api.mutate("requestQuote", QUOTE_MUTATION, {"input": request}, key=key)["quote"]
    assert quote["eligible"] is True, quote
    assert quote["insuredAmount"] == eur("9000.00")  # FI-C1: the financed amount
    bound = api.mutate(
        "bindCover",
        BIND,
        {"input": {"quoteId": quote["id"], "signatureReference": "sig-1"}},
        key=key,
    )["cover"]
    cover_id = bound["id"]
    assert bound["status"] == "PENDING_CONFIRMATION"

    # FI-A1: ACTIVE once the platform confirms financing and the worker feasibility.
    financed = api.mutate(
        "confirmFinancing",
        CONFIRM_FINANCING,
        {"input": {"coverId": cover_id, "financed": True}},
        key=key,
    )["cover"]
    assert financed["financingConfirmed"] is True
    active = api.wait_cover(
        key,
        cover_id,
        "the worker to confirm feasibility",
        lambda c: c["status"] == "ACTIVE" and "cover.feasibility_confirmed" in event_actors(c),
    )
    assert event_actors(active)["cover.feasibility_confirmed"] == "system"
    wait_webhooks(stack, receiver, hooks, "cover.pending_confirmation", "cover.activated")

    # FI-N1: the non-payment notification is the claim.
    declared = api.mutate(
        "declareIncident",
        DECLARE,
        {
            "input": {
                "coverId": cover_id,
                "kind": "NON_PAYMENT",
                "occurredOn": due.isoformat(),
                "unpaidAmount": eur("12100.00"),
            }
        },
        key=key,
    )
    assert declared["cover"]["status"] == "IN_CLAIM"
    claim = declared["cover"]["claim"]
    claim_id = claim["id"]
    assert claim["status"] == "DOCUMENTS_PENDING"
    assert claim["openedOn"] == today.isoformat()
    assert claim["missingDocuments"] == ["INVOICE", "ACCOUNT_STATEMENT"]
    assert claim["documentsDueOn"] == (today + timedelta(days=30)).isoformat()  # FI-D1
    wait_webhooks(stack, receiver, hooks, "incident.declared", "claim.opened")

    for kind in ("INVOICE", "ACCOUNT_STATEMENT"):
        api.upload(key, cover_id, kind)
    capped = api.wait_claim(
        key,
        claim_id,
        "the worker to calculate the indemnity",
        lambda c: c["indemnity"] is not None,
    )
    assert capped["status"] == "UNDER_REVIEW"
    # FI-C3: 90% x min(12,100.00 - 0.00, 9,000.00) = 8,100.00 (the insured amount caps).
    assert capped["indemnity"]["amount"] == eur("8100.00")
    wait_webhooks(stack, receiver, hooks, "claim.under_review", "claim.indemnity_calculated")

    # A recovery before the indemnity is paid: the worker recalculates.
    recovered = api.mutate(
        "recordPayment",
        PAYMENT,
        {"input": {"coverId": cover_id, "receivedOn": today.isoformat(), "amount": eur("5000.00")}},
        key=key,
    )
    assert recovered["cover"] == {"status": "IN_CLAIM", "paidAmount": {"amount": "5000.00"}}
    reviewed = api.wait_claim(
        key,
        claim_id,
        "the worker to recalculate the indemnity",
        lambda c: c["indemnity"]["amount"] != eur("8100.00"),
    )
    # FI-C3: 12,100.00 - 5,000.00 = 7,100.00, net of its VAT share (C-3) 7,100.00 x
    # 10,000.00 / 12,100.00 = 5,867.77; 90% x min(5,867.77, 9,000.00) = 5,280.99
    assert reviewed["indemnity"]["amount"] == eur("5280.99")
    assert [
        (line["amount"]["amount"], line["rule"]) for line in reviewed["indemnity"]["lines"]
    ] == [
        ("12100.00", "FI-C3"),
        ("-5000.00", "FI-C3"),
        ("7100.00", "FI-C3"),
        ("-1232.23", "C-3"),
        ("5867.77", "FI-C3"),
        ("5867.77", "FI-C1"),
        ("5280.99", "FI-C1"),
        ("5280.99", "FI-C3"),
    ]
    wait_webhooks(stack, receiver, hooks, *["claim.indemnity_calculated"] * 2)

    approved = api.mutate(
        "decideClaim", DECIDE, {"input": {"claimId": claim_id, "decision": "APPROVE"}}, key=staff
    )["claim"]
    assert approved["status"] == "APPROVED"
    # FI-C2: notification + 2 months + 10 days.
    assert (
        approved["payableBy"] == (today + relativedelta(months=2) + timedelta(days=10)).isoformat()
    )
    paid = api.mutate(
        "markIndemnityPaid",
        PAID,
        {"input": {"claimId": claim_id, "paidOn": today.isoformat()}},
        key=staff,
    )["claim"]
    assert paid == {
        "status": "PAID",
        "paidOn": today.isoformat(),
        "cover": {"status": "INDEMNIFIED"},
    }
    final = api.claim(key, claim_id)
    assert (final["status"], final["indemnity"]["amount"]) == ("PAID", eur("5280.99"))

    # C-6: signed, once each, in order; FI-N1's incident and claim are one change.
    expected = [
        ("cover.pending_confirmation",),
        ("cover.activated",),
        ("claim.opened", "incident.declared"),
        ("claim.under_review",),
        ("claim.indemnity_calculated",),
        ("claim.indemnity_calculated",),
        ("claim.approved",),
        ("claim.paid",),
    ]
    payloads = assert_webhook_journey(stack, api, receiver, key, hooks, cover_id, expected)
    calculated = [p["data"] for p in payloads if p["type"] == "claim.indemnity_calculated"]
    assert [d["amount"] for d in calculated] == ["8100.00", "5280.99"]
    claim_events = [p["data"] for p in payloads if p["type"].startswith("claim.")]
    assert {d["claimId"] for d in claim_events} == {claim_id}
    assert payloads[-1]["data"]["cover"]["status"] == "INDEMNIFIED"
