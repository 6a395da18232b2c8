"""What the browser tests find in the console, made by three sandbox partners over GraphQL
with the worker running the jobs:

- Finplat (financing platform): two covers referred under U-4 (25,000.00 and
  21,500.00 EUR, buyer Alfa), and two FI claims (FI-N1): Beta's with its FI-D1
  documents in and its indemnity calculated by the worker (FI-C3), Gamma's with none.
- Freightx (freight exchange): a TR cover of Alfa on a test clock, moved 12 days on
  without an unloading, so the sweep misses TR-T1 and lapses it.
- Hookplat: a webhook endpoint that answers 410 Gone (the delivery FAILED, the endpoint
  disabled), and a small FI cover of Alfa still waiting for financing (FI-A1), whose
  confirmation window falls due within the week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.console.browser_stack import Receiver, Stack
from tests.console.support import (
    ADVANCE_CLOCK,
    BIND,
    CLAIM,
    CONFIRM_FINANCING,
    COVER,
    CREATE_CLOCK,
    DECLARE,
    QUOTE,
    REGISTER,
    SUBMIT,
    fi_request,
    tr_request,
)

PDF = b"%PDF-1.4\n% tradecover console test invoice\n%%EOF\n"
STATEMENT = b"Account statement of Beta Logistica SL\nInvoice C-200: 9,500.00 EUR unpaid.\n"
ALFA, BETA, GAMMA = "B10000001", "B20000002", "B30000003"
DELIVERIES = "{ webhookDeliveries(first: 20) { edges { node { id eventType status attempts } } } }"


@dataclass(frozen=True)
class Seeded:
    staff_key: str
    finplat: str
    hookplat: str
    referral_approve: str
    referral_decline: str
    claim_review: str
    claim_pending: str
    lapsed_cover: str
    hook_cover: str


def _events(cover: dict[str, Any]) -> list[str]:
    return [edge["node"]["type"] for edge in cover["events"]["edges"]]


def _cover(stack: Stack, key: str, cover_id: str) -> dict[str, Any]:
    return dict(stack.graphql(COVER, {"id": cover_id}, key)["cover"])


def _bind(stack: Stack, key: str, request: dict[str, Any], **bind: str) -> str:
    quote = stack.mutate("requestQuote", QUOTE, {"input": request}, key)["quote"]
    assert quote["eligible"], quote["violations"]
    bound = stack.mutate("bindCover", BIND, {"input": {"quoteId": quote["id"], **bind}}, key)
    return str(bound["cover"]["id"])


def _feasibility(stack: Stack, key: str, cover_id: str, outcome: str) -> None:
    stack.poll(
        f"feasibility {outcome} of {cover_id}",
        lambda: _events(_cover(stack, key, cover_id)),
        lambda events: f"cover.feasibility_{outcome}" in events,
    )


def _finance(stack: Stack, key: str, cover_id: str) -> None:
    stack.mutate(
        "confirmFinancing",
        CONFIRM_FINANCING,
        {"input": {"coverId": cover_id, "financed": True}},
        key,
    )


def _claim(
    stack: Stack, key: str, reg: str, name: str, invoice: str, financed: str
) -> tuple[str, str]:
    cover_id = _bind(
        stack, key, fi_request(reg, name, financed, invoice), signatureReference="e-sig"
    )
    _feasibility(stack, key, cover_id, "confirmed")
    _finance(stack, key, cover_id)
    declared = stack.mutate(
        "declareIncident",
        DECLARE,
        {
            "input": {
                "coverId": cover_id,
                "kind": "NON_PAYMENT",
                "occurredOn": datetime.now(UTC).date().isoformat(),
                "unpaidAmount": {"amount": "9500.00", "currency": "EUR"},
            }
        },
        key,
    )
    return cover_id, str(declared["cover"]["claim"]["id"])


def seed(stack: Stack, receiver: Receiver, staff_key: str) -> Seeded:
    finplat = stack.cli(
        "partners", "create", "--name", "Finplat", "--kind", "financing_platform", "--sandbox"
    )
    freightx = stack.cli(
        "partners", "create", "--name", "Freightx", "--kind", "freight_exchange", "--sandbox"
    )
    hookplat = stack.cli(
        "partners", "create", "--name", "Hookplat", "--kind", "financing_platform", "--sandbox"
    )

    # Webhooks first, so that the bind below has a delivery to fail.
    stack.mutate(
        "registerWebhookEndpoint",
        REGISTER,
        {"input": {"url": receiver.url, "events": ["*"]}},
        hookplat,
    )
    hook_cover = _bind(
        stack,
        hookplat,
        fi_request(ALFA, "Alfa Distribuciones SL", "5000.00", "H-1"),
        signatureReference="e-sig",
    )

    approve = _bind(
        stack,
        finplat,
        fi_request(ALFA, "Alfa Distribuciones SL", "25000.00", "R-100"),
        signatureReference="e-sig",
    )
    decline = _bind(
        stack,
        finplat,
        fi_request(ALFA, "Alfa Distribuciones SL", "21500.00", "R-101"),
        signatureReference="e-sig",
    )
    for cover_id in (approve, decline):
        _feasibility(stack, finplat, cover_id, "referred")
    _finance(stack, finplat, approve)  # FI-A1: the platform's half; the insurer's is staff's

    review_cover, review_claim = _claim(
        stack, finplat, BETA, "Beta Logistica SL", "C-200", "9000.00"
    )
    stack.upload(
        SUBMIT, finplat, review_cover, "INVOICE", ("invoice-C-200.pdf", PDF, "application/pdf")
    )
    stack.upload(
        SUBMIT,
        finplat,
        review_cover,
        "ACCOUNT_STATEMENT",
        ("statement.txt", STATEMENT, "text/plain"),
    )
    _, pending_claim = _claim(stack, finplat, GAMMA, "Gamma Foods SL", "C-300", "6000.00")

    frozen = datetime.now(UTC).replace(second=0, microsecond=0)
    clock = stack.mutate("createTestClock", CREATE_CLOCK, {"t": frozen.isoformat()}, freightx)[
        "testClock"
    ]["id"]
    lapsed = _bind(
        stack,
        freightx,
        tr_request(ALFA, "Alfa Distribuciones SL", "3000.00", clock),
        paymentMethodToken="tok_visa",
    )
    stack.poll(
        "the TR cover active, its premium captured (TR-P2)",
        lambda: _cover(stack, freightx, lapsed),
        lambda c: c["status"] == "ACTIVE" and (c["paymentHold"] or {}).get("status") == "CAPTURED",
    )
    stack.mutate(
        "advanceTestClock",
        ADVANCE_CLOCK,
        {"id": clock, "t": (frozen + timedelta(days=12)).isoformat()},
        freightx,
    )
    assert _cover(stack, freightx, lapsed)["lapse"] == {"rule": "TR-T1"}

    stack.poll(
        "the indemnity of the reviewed claim (FI-C3, calculated by the worker)",
        lambda: stack.graphql(CLAIM, {"id": review_claim}, finplat)["claim"],
        lambda c: c["status"] == "UNDER_REVIEW" and c["indemnity"] is not None,
    )
    stack.poll(
        "the webhook delivery refused with 410 Gone",
        lambda: [
            e["node"] for e in stack.graphql(DELIVERIES, {}, hookplat)["webhookDeliveries"]["edges"]
        ],
        lambda nodes: any(n["status"] == "FAILED" for n in nodes),
    )
    return Seeded(
        staff_key=staff_key,
        finplat=finplat,
        hookplat=hookplat,
        referral_approve=approve,
        referral_decline=decline,
        claim_review=review_claim,
        claim_pending=pending_claim,
        lapsed_cover=lapsed,
        hook_cover=hook_cover,
    )
