"""What the console tests share: GraphQL documents a partner uses to make the data staff
work on, quote requests dated today, and a console client that keeps its CSRF token."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tests.builders import QUOTE_MUTATION, company

QUOTE = QUOTE_MUTATION
BIND = (
    "mutation($input: BindCoverInput!) { bindCover(input: $input) { cover { id status } "
    "userErrors { code message field } } }"
)
CONFIRM_FINANCING = (
    "mutation($input: ConfirmFinancingInput!) { confirmFinancing(input: $input) { "
    "cover { id status } userErrors { code message field } } }"
)
DECLARE = (
    "mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { "
    "cover { id status claim { id status } } userErrors { code message field } } }"
)
REGISTER = (
    "mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) "
    "{ endpoint { id enabled } secret userErrors { code message field } } }"
)
SUBMIT = (
    "mutation($input: SubmitDocumentInput!) { submitDocument(input: $input) { "
    "document { id kind } cover { id status } userErrors { code message field } } }"
)
CREATE_CLOCK = (
    "mutation($t: DateTime!) { createTestClock(input: {frozenTime: $t}) { testClock { id } "
    "userErrors { code message } } }"
)
ADVANCE_CLOCK = (
    "mutation($id: ID!, $t: DateTime!) { advanceTestClock(input: {testClockId: $id, "
    "frozenTime: $t}) { testClock { status frozenTime } userErrors { code message } } }"
)
COVER = (
    "query($id: ID!) { cover(id: $id) { id status declineReason lapse { rule } "
    "paymentHold { status } events { edges { node { type } } } "
    "claim { id status indemnity { amount { amount currency } } } } }"
)
CLAIM = (
    "query($id: ID!) { claim(id: $id) { id status payableBy paidOn "
    "indemnity { amount { amount currency } } rejection { rule message } cover { status } } }"
)


def today() -> date:
    return datetime.now(UTC).date()


def buyer(registration: str, name: str) -> dict[str, Any]:
    return company(registrationNumber=registration, name=name)


def fi_request(
    registration: str,
    name: str,
    financed: str,
    invoice: str,
    *,
    amount: str | None = None,
) -> dict[str, Any]:
    """An eligible financed-invoice quote request dated today (FI-E1..E4)."""
    issued = today()
    return {
        "product": "FINANCED_INVOICE",
        "seller": company(registrationNumber="A87654321", name="Seller SA", sector="25.11"),
        "buyer": buyer(registration, name),
        "invoice": {
            "number": invoice,
            "issueDate": issued.isoformat(),
            "dueDate": (issued + timedelta(days=60)).isoformat(),
            "amount": {"amount": amount or financed, "currency": "EUR"},
            "vatAmount": {"amount": "1000.00", "currency": "EUR"},
        },
        "financing": {
            "reference": f"FIN-{invoice}",
            "financedAmount": {"amount": financed, "currency": "EUR"},
        },
    }


def tr_request(registration: str, name: str, guaranteed: str, clock_id: str) -> dict[str, Any]:
    """A transport guarantee bought on a test clock's day, loading that day (TR-T0)."""
    return {
        "product": "TRANSPORT_INVOICE",
        "seller": company(
            registrationNumber="BG200300400", name="Carrier EOOD", country="BG", sector="49.41"
        ),
        "buyer": buyer(registration, name),
        "shipment": {
            "guaranteedAmount": {"amount": guaranteed, "currency": "EUR"},
            "loadingDate": today().isoformat(),
            "origin": "Sofia",
            "destination": "Madrid",
        },
        "testClockId": clock_id,
    }


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


class Console:
    """A browser-less console user: a cookie jar and the session's CSRF token."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.csrf = ""

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(f"/console{path}", **kwargs)

    async def sign_in(self, key: str) -> httpx.Response:
        form = await self.get("/sign-in")
        response = await self.http.post(
            "/console/sign-in",
            data={"csrf_token": csrf_of(form.text), "api_key": key, "next": ""},
        )
        if response.status_code == 303:
            page = await self.get("/referrals")
            self.csrf = csrf_of(page.text)
        return response

    async def post(
        self, path: str, data: dict[str, str], *, htmx: bool = True, token: str | None = None
    ) -> httpx.Response:
        headers = {"HX-Request": "true"} if htmx else {}
        sent = self.csrf if token is None else token
        if sent:
            headers["X-CSRF-Token"] = sent
        return await self.http.post(f"/console{path}", data=data, headers=headers)
