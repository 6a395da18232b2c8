"""A tradecover partner in one file: quote -> bind -> wait until ACTIVE -> advance a test
clock, with a webhook receiver that verifies every delivery's signature.

Start the sandbox (`make run` prints the key), then:

    .venv/bin/python examples/partner_client.py --key tc_test_...

Needs httpx and standardwebhooks (both installed with tradecover). Sandbox keys only:
test clocks and http://127.0.0.1 webhook URLs are sandbox features.
"""

from __future__ import annotations

import argparse
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

# --- the GraphQL operations (schema/schema.graphql) --------------------------------------

CREATE_CLOCK = """
mutation CreateClock($input: CreateTestClockInput!) {
  createTestClock(input: $input) { testClock { id frozenTime } userErrors { code message } }
}"""
REGISTER_WEBHOOK = """
mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } secret userErrors { code message } }
}"""
REQUEST_QUOTE = """
mutation Quote($input: QuoteInput!) {
  requestQuote(input: $input) {
    quote { id eligible premium { amount currency } violations { rule message } }
    userErrors { code message field }
  }
}"""
BIND = """
mutation Bind($input: BindCoverInput!) {
  bindCover(input: $input) { cover { id status } userErrors { code message field } }
}"""
CONFIRM_FINANCING = """
mutation ConfirmFinancing($input: ConfirmFinancingInput!) {
  confirmFinancing(input: $input) { cover { id status } userErrors { code message } }
}"""
COVER = """
query Cover($id: ID!) {
  cover(id: $id) {
    id status declineReason lapse { rule message }
    deadlines { kind rule dueOn met }
  }
}"""
ADVANCE_CLOCK = """
mutation Advance($input: AdvanceTestClockInput!) {
  advanceTestClock(input: $input) { testClock { id frozenTime status } userErrors { code message } }
}"""


class TradecoverError(Exception):
    pass


class Tradecover:
    """A thin GraphQL client: one POST per operation, errors raised."""

    def __init__(self, api_url: str, key: str) -> None:
        self.api_url = api_url
        self.http = httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=30.0)

    def execute(self, query: str, variables: dict[str, Any], *, mutation: bool = False) -> Any:
        # An Idempotency-Key makes a retried mutation safe: the same key and body replay
        # the first answer instead of binding twice.
        headers = {"Idempotency-Key": str(uuid.uuid4())} if mutation else {}
        for _ in range(5):
            response = self.http.post(
                self.api_url, json={"query": query, "variables": variables}, headers=headers
            )
            if response.status_code != 429:
                break
            time.sleep(float(response.headers.get("Retry-After", "1")))  # RATE_LIMITED
        body = response.json()
        if body.get("errors"):
            raise TradecoverError(body["errors"])
        return body["data"]

    def mutate(self, name: str, query: str, input: dict[str, Any]) -> dict[str, Any]:
        """Runs a mutation and returns its payload; a refusal (userErrors) raises."""
        payload: dict[str, Any] = self.execute(query, {"input": input}, mutation=True)[name]
        if payload["userErrors"]:
            raise TradecoverError(payload["userErrors"])
        return payload

    def cover(self, cover_id: str) -> dict[str, Any]:
        return dict(self.execute(COVER, {"id": cover_id})["cover"])


# --- the webhook receiver -----------------------------------------------------------------


@dataclass
class WebhookReceiver:
    """Receives webhooks on 127.0.0.1 and keeps those whose signature verifies."""

    secret: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0
    server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                self.send_response(receiver.receive(body, dict(self.headers.items())))
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_address[1]}/webhooks"

    def receive(self, body: bytes, headers: dict[str, str]) -> int:
        headers = {name.lower(): value for name, value in headers.items()}
        try:
            # Checks webhook-signature (HMAC of id.timestamp.body) and webhook-timestamp.
            event = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            self.rejected += 1
            return 400
        webhook_id = headers["webhook-id"]
        if all(e["webhook_id"] != webhook_id for e in self.events):  # delivered at least once
            self.events.append({"webhook_id": webhook_id, **event})
        return 204  # any 2xx acknowledges; anything else is retried with backoff

    def wait_for(self, event_type: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events:
                if event["type"] == event_type:
                    return event
            time.sleep(0.2)
        raise TimeoutError(f"no {event_type} webhook within {timeout} s")

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


# --- the flow -----------------------------------------------------------------------------


def company(name: str, registration: str, sector: str) -> dict[str, str]:
    return {
        "country": "ES",
        "registrationNumber": registration,
        "name": name,
        "legalForm": "COMPANY",
        "sector": sector,
    }


def poll_cover(client: Tradecover, cover_id: str, status: str, timeout: float = 60.0) -> Any:
    """The worker confirms feasibility in the background: poll until the status shows."""
    deadline = time.monotonic() + timeout
    while True:
        cover = client.cover(cover_id)
        if cover["status"] == status or time.monotonic() > deadline:
            return cover
        time.sleep(0.5)


def run(api_url: str, key: str, receiver: WebhookReceiver) -> dict[str, Any]:
    """quote -> bind -> ACTIVE -> advance the test clock to 7 days before the FI-N1
    deadline. Returns the cover as it is at the end."""
    client = Tradecover(api_url, key)
    url = receiver.start()
    endpoint = client.mutate(
        "registerWebhookEndpoint", REGISTER_WEBHOOK, {"url": url, "events": ["*"]}
    )
    receiver.secret = endpoint["secret"]  # shown once: store it like a password

    # A test clock: the cover lives in its frozen time, which only moves when we say so.
    start = datetime.fromisoformat("2026-12-01T09:00:00+00:00")
    clock = client.mutate("createTestClock", CREATE_CLOCK, {"frozenTime": start.isoformat()})
    clock_id = clock["testClock"]["id"]

    # 1. Quote a financed invoice. Fresh buyer and invoice numbers, so that reruns against
    # the same database are not declined as a duplicate (U-3) or over capacity (U-1).
    issue, due = start.date(), start.date() + timedelta(days=45)
    quote = client.mutate(
        "requestQuote",
        REQUEST_QUOTE,
        {
            "product": "FINANCED_INVOICE",
            "testClockId": clock_id,
            "seller": company("Seller SA", "A87654321", "25.11"),
            "buyer": company("Buyer SL", f"B{secrets.randbelow(10**8):08d}", "46.90"),
            "invoice": {
                "number": f"F-{uuid.uuid4().hex[:8]}",
                "issueDate": issue.isoformat(),
                "dueDate": due.isoformat(),
                "amount": {"amount": "10000.00", "currency": "EUR"},
                "vatAmount": {"amount": "2100.00", "currency": "EUR"},
            },
            "financing": {
                "reference": "FIN-1",
                "financedAmount": {"amount": "9000.00", "currency": "EUR"},
            },
        },
    )["quote"]
    if not quote["eligible"]:
        raise TradecoverError(quote["violations"])  # C-5: every broken rule, with its id
    print(f"quote {quote['id']}: premium {quote['premium']['amount']} EUR")

    # 2. Bind it once the assignor has signed (FI-A1), and confirm we finance it.
    cover_id = client.mutate(
        "bindCover", BIND, {"quoteId": quote["id"], "signatureReference": "envelope-123"}
    )["cover"]["id"]
    client.mutate("confirmFinancing", CONFIRM_FINANCING, {"coverId": cover_id, "financed": True})

    # 3. The insurer's feasibility check runs in the worker: wait for ACTIVE.
    cover = poll_cover(client, cover_id, "ACTIVE")
    print(f"cover {cover_id}: {cover['status']}")
    if cover["status"] != "ACTIVE":
        raise TradecoverError(f"cover is {cover['status']}: {cover['declineReason']}")
    receiver.wait_for("cover.activated")

    # 4. Move the clock to 7 days before the non-payment notification deadline (FI-N1):
    # the sweep runs day by day and announces it (deadline.approaching).
    notify_by = next(d for d in cover["deadlines"] if d["kind"] == "INCIDENT_DECLARATION")
    to = datetime.combine(date.fromisoformat(notify_by["dueOn"]), start.timetz())
    to -= timedelta(days=7)
    client.mutate(
        "advanceTestClock", ADVANCE_CLOCK, {"testClockId": clock_id, "frozenTime": to.isoformat()}
    )
    approaching = receiver.wait_for("deadline.approaching")
    print(f"webhook deadline.approaching: {approaching['data']['deadline']}")
    return client.cover(cover_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--key", required=True, help="a sandbox key (tc_test_...)")
    args = parser.parse_args()
    receiver = WebhookReceiver()
    try:
        cover = run(args.api, args.key, receiver)
    finally:
        receiver.stop()
    print(f"final status {cover['status']}; verified webhooks:")
    for event in receiver.events:
        print(f"  {event['timestamp']}  {event['type']}")


if __name__ == "__main__":
    main()
