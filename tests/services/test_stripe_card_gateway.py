"""The Stripe card gateway against recorded Stripe answers (TR-P2), no network.

The mock transport serves the JSON bodies under fixtures/stripe by method and path and
keeps every request, so the tests assert both what the adapter sends (form fields,
Bearer key, an Idempotency-Key on every POST) and how it reads Stripe's answers.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from domain.services.gateways.card import (
    Authorization,
    AuthorizationExpired,
    CardDeclined,
    CardGateway,
    GatewayError,
)
from domain.services.gateways.stripe_card import StripeCardGateway, minor_units

FIXTURES = Path(__file__).parent / "fixtures" / "stripe"
API_KEY = "sk_test_tradecover_recorded"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PI = "pi_3QkR7tLq2Xb9Vn0a1c8Hd4Ef"
CREATE = ("POST", "/v1/payment_intents")
CAPTURE = ("POST", f"/v1/payment_intents/{PI}/capture")
CANCEL = ("POST", f"/v1/payment_intents/{PI}/cancel")
RETRIEVE = ("GET", f"/v1/payment_intents/{PI}")


class RecordedStripe:
    """Serves recorded answers, in order, per (method, path); the last one repeats."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[tuple[int, str]]] = {}
        self.requests: list[httpx.Request] = []

    def answer(self, route: tuple[str, str], *answers: tuple[int, str]) -> RecordedStripe:
        self.routes[route] = list(answers)
        return self

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answers = self.routes.get((request.method, request.url.path))
        if not answers:
            raise AssertionError(f"unexpected request {request.method} {request.url.path}")
        status, fixture = answers.pop(0) if len(answers) > 1 else answers[0]
        if fixture == "network-down":
            raise httpx.ConnectError("connection refused", request=request)
        body = json.loads((FIXTURES / fixture).read_text())
        return httpx.Response(status, json=body, headers={"Request-Id": "req_7Hc2Lq9XbVn0aK"})

    def form(self, index: int = -1) -> dict[str, str]:
        parsed = parse_qs(self.requests[index].content.decode(), keep_blank_values=True)
        return {name: values[0] for name, values in parsed.items()}


@pytest.fixture
def stripe() -> RecordedStripe:
    return RecordedStripe()


@pytest.fixture
async def gateway(stripe: RecordedStripe) -> AsyncIterator[StripeCardGateway]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(stripe.handle)) as http:
        yield StripeCardGateway(API_KEY, http=http, base_url="https://api.stripe.test")


async def authorize(
    gateway: StripeCardGateway, token: str = "pm_card_visa", key: str = "bind:quo_1:pm"
) -> Authorization:
    return await gateway.authorize(
        token=token, amount=Decimal("17.85"), currency="EUR", idempotency_key=key, now=NOW
    )


def assert_every_post_is_authenticated_and_idempotent(stripe: RecordedStripe) -> None:
    assert stripe.requests
    for request in stripe.requests:
        assert request.url.host == "api.stripe.test"
        assert request.headers["Authorization"] == f"Bearer {API_KEY}"
        if request.method == "POST":
            assert request.headers["Idempotency-Key"]
            if request.content:  # capture and cancel send no parameters
                assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_tr_p2_stripe_implements_the_card_gateway_protocol():
    implementation: CardGateway = StripeCardGateway(API_KEY)
    assert implementation.name == "stripe"


@pytest.mark.parametrize(
    ("amount", "cents"),
    [("17.85", 1785), ("17.850", 1785), ("0.50", 50), ("1000", 100000), ("20000.01", 2000001)],
)
def test_tr_p2_amounts_go_to_stripe_in_exact_minor_units(amount, cents):
    assert minor_units(Decimal(amount)) == cents


@pytest.mark.parametrize("amount", ["17.855", "0", "-1.00"])
def test_tr_p2_an_amount_that_is_not_whole_positive_cents_is_refused(amount):
    with pytest.raises(ValueError):
        minor_units(Decimal(amount))


async def test_tr_p2_authorize_holds_the_premium_with_a_manual_capture_intent(stripe, gateway):
    stripe.answer(CREATE, (200, "payment_intent_requires_capture.json"))
    authorization = await authorize(gateway, key="bind:quo_1:pm_card_visa")
    assert authorization == Authorization(
        reference=PI,
        amount=Decimal("17.85"),
        currency="EUR",
        expires_at=NOW + timedelta(days=7),
    )
    [request] = stripe.requests
    assert (request.method, request.url.path) == CREATE
    assert stripe.form() == {
        "amount": "1785",
        "currency": "eur",
        "payment_method": "pm_card_visa",
        "payment_method_types[]": "card",
        "confirm": "true",
        "capture_method": "manual",
    }
    assert request.headers["Idempotency-Key"] == "bind:quo_1:pm_card_visa"
    assert_every_post_is_authenticated_and_idempotent(stripe)


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("error_card_declined.json", "generic_decline"),
        ("error_insufficient_funds.json", "insufficient_funds"),
    ],
)
async def test_tr_p2_a_declined_card_is_refused_with_stripes_decline_code(
    stripe, gateway, fixture, reason
):
    stripe.answer(CREATE, (402, fixture))
    with pytest.raises(CardDeclined) as refused:
        await authorize(gateway, token="pm_card_chargeDeclined")
    assert refused.value.reason == reason
    assert refused.value.field == ("input", "paymentMethodToken")
    assert stripe.form()["payment_method"] == "pm_card_chargeDeclined"


async def test_tr_p2_an_unknown_payment_method_is_refused_as_a_declined_card(stripe, gateway):
    stripe.answer(CREATE, (400, "error_no_such_payment_method.json"))
    with pytest.raises(CardDeclined) as refused:
        await authorize(gateway, token="tok_unknown")
    assert refused.value.reason == "unknown payment method token"


async def test_tr_p2_a_card_that_needs_3d_secure_holds_nothing_and_is_refused(stripe, gateway):
    stripe.answer(CREATE, (200, "payment_intent_requires_action.json"))
    with pytest.raises(CardDeclined) as refused:
        await authorize(gateway)
    assert refused.value.reason == "authentication required"


async def test_tr_p2_a_stripe_500_is_a_gateway_error_and_the_retry_reuses_the_key(stripe, gateway):
    stripe.answer(
        CREATE, (500, "error_api_500.json"), (200, "payment_intent_requires_capture.json")
    )
    with pytest.raises(GatewayError) as failed:
        await authorize(gateway, key="bind:quo_1:pm_card_visa")
    assert not isinstance(failed.value, CardDeclined)
    authorization = await authorize(gateway, key="bind:quo_1:pm_card_visa")
    assert authorization.reference == PI
    first, retry = stripe.requests
    assert first.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"]
    assert first.headers["Idempotency-Key"] == "bind:quo_1:pm_card_visa"
    assert first.content == retry.content
    assert_every_post_is_authenticated_and_idempotent(stripe)


async def test_tr_p2_a_network_failure_is_a_gateway_error(stripe, gateway):
    stripe.answer(CREATE, (0, "network-down"))
    with pytest.raises(GatewayError, match="ConnectError"):
        await authorize(gateway)


async def test_tr_p2_a_key_reused_with_other_parameters_is_a_gateway_error(stripe, gateway):
    stripe.answer(CREATE, (400, "error_idempotency_key_reused.json"))
    with pytest.raises(GatewayError, match="idempotent requests") as failed:
        await authorize(gateway)
    assert not isinstance(failed.value, CardDeclined)


async def test_tr_p2_capture_takes_the_hold(stripe, gateway):
    stripe.answer(CAPTURE, (200, "payment_intent_succeeded.json"))
    await gateway.capture(reference=PI, idempotency_key="capture:hold_1", now=NOW)
    [request] = stripe.requests
    assert (request.method, request.url.path) == CAPTURE
    assert request.headers["Idempotency-Key"] == "capture:hold_1"
    assert_every_post_is_authenticated_and_idempotent(stripe)


async def test_tr_p2_capturing_an_already_captured_hold_is_a_no_op(stripe, gateway):
    stripe.answer(
        CAPTURE,
        (200, "payment_intent_succeeded.json"),
        (400, "error_capture_already_succeeded.json"),
    )
    await gateway.capture(reference=PI, idempotency_key="capture:hold_1", now=NOW)
    await gateway.capture(reference=PI, idempotency_key="capture:hold_1:again", now=NOW)
    assert [r.url.path for r in stripe.requests] == [CAPTURE[1], CAPTURE[1]]
    assert_every_post_is_authenticated_and_idempotent(stripe)


async def test_tr_p2_an_unexpected_state_without_the_intent_reads_the_intent(stripe, gateway):
    stripe.answer(CAPTURE, (400, "error_capture_unexpected_state_without_intent.json"))
    stripe.answer(RETRIEVE, (200, "payment_intent_succeeded.json"))
    await gateway.capture(reference=PI, idempotency_key="capture:hold_1", now=NOW)
    assert [(r.method, r.url.path) for r in stripe.requests] == [CAPTURE, RETRIEVE]
    assert "Idempotency-Key" not in stripe.requests[1].headers
    assert_every_post_is_authenticated_and_idempotent(stripe)


async def test_tr_p2_capturing_a_lapsed_authorization_is_expired(stripe, gateway):
    stripe.answer(CAPTURE, (400, "error_capture_expired.json"))
    with pytest.raises(AuthorizationExpired):
        await gateway.capture(reference=PI, idempotency_key="capture:hold_1", now=NOW)


async def test_tr_p2_a_released_hold_is_never_captured(stripe, gateway):
    stripe.answer(CAPTURE, (400, "error_capture_canceled.json"))
    with pytest.raises(GatewayError, match="canceled") as refused:
        await gateway.capture(reference=PI, idempotency_key="capture:hold_1", now=NOW)
    assert not isinstance(refused.value, AuthorizationExpired)


async def test_tr_p2_a_capture_answered_500_is_a_gateway_error(stripe, gateway):
    stripe.answer(CAPTURE, (500, "error_api_500.json"))
    with pytest.raises(GatewayError, match="HTTP 500") as failed:
        await gateway.capture(reference=PI, idempotency_key="capture:hold_1", now=NOW)
    assert not isinstance(failed.value, AuthorizationExpired)


async def test_tr_p2_cancel_releases_the_hold(stripe, gateway):
    stripe.answer(CANCEL, (200, "payment_intent_canceled.json"))
    await gateway.cancel(reference=PI, idempotency_key="release:hold_1", now=NOW)
    [request] = stripe.requests
    assert (request.method, request.url.path) == CANCEL
    assert request.headers["Idempotency-Key"] == "release:hold_1"
    assert_every_post_is_authenticated_and_idempotent(stripe)


@pytest.mark.parametrize(
    "fixture", ["error_cancel_already_canceled.json", "error_cancel_expired.json"]
)
async def test_tr_p2_releasing_a_hold_that_is_gone_is_a_no_op(stripe, gateway, fixture):
    stripe.answer(CANCEL, (400, fixture))
    await gateway.cancel(reference=PI, idempotency_key="release:hold_1", now=NOW)
    assert_every_post_is_authenticated_and_idempotent(stripe)


async def test_tr_p2_a_captured_hold_is_never_released(stripe, gateway):
    stripe.answer(CANCEL, (400, "error_cancel_succeeded.json"))
    with pytest.raises(GatewayError, match="succeeded"):
        await gateway.cancel(reference=PI, idempotency_key="release:hold_1", now=NOW)


async def test_tr_p2_a_cancel_answered_500_is_a_gateway_error(stripe, gateway):
    stripe.answer(CANCEL, (500, "error_api_500.json"))
    with pytest.raises(GatewayError, match="HTTP 500"):
        await gateway.cancel(reference=PI, idempotency_key="release:hold_1", now=NOW)


async def test_tr_p2_without_an_injected_client_a_refused_connection_is_a_gateway_error():
    gateway = StripeCardGateway(API_KEY, base_url="http://127.0.0.1:1")  # nothing listens
    with pytest.raises(GatewayError, match="ConnectError"):
        await gateway.cancel(reference=PI, idempotency_key="release:hold_1", now=NOW)
