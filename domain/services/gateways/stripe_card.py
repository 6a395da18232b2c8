"""Stripe as the card gateway (TR-P2), through its REST API with httpx.

A hold is a PaymentIntent confirmed with `capture_method=manual`; capture and cancel act
on that intent. Every POST carries the caller's idempotency key, so a retried call is
answered by Stripe as the first one was. Stripe states "already done" as an error
(`payment_intent_unexpected_state`): the intent's status in it tells a harmless repeat
from a real conflict.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from domain.services.gateways.card import (
    AUTHORIZATION_LIFETIME_DAYS,
    Authorization,
    AuthorizationExpired,
    CardDeclined,
    GatewayError,
)

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
#: A confirmed intent that holds nothing, and why (3-D Secure, or a soft decline).
UNHELD_STATUSES = {
    "requires_action": "authentication required",
    "requires_payment_method": "card declined",
}


def minor_units(amount: Decimal) -> int:
    """17.85 -> 1785, exactly; a fraction of a cent is a programming error."""
    cents = amount * 100
    if cents != cents.to_integral_value() or cents <= 0:
        raise ValueError(f"amount must be a positive whole number of cents: {amount}")
    return int(cents)


class StripeCardGateway:
    name = "stripe"

    def __init__(
        self,
        api_key: str,
        http: httpx.AsyncClient | None = None,
        base_url: str = "https://api.stripe.com",
    ) -> None:
        self._api_key = api_key
        self._http = http
        self._base_url = base_url.rstrip("/")

    async def authorize(
        self, *, token: str, amount: Decimal, currency: str, idempotency_key: str, now: datetime
    ) -> Authorization:
        status, body = await self._request(
            "POST",
            "/v1/payment_intents",
            {
                "amount": str(minor_units(amount)),
                "currency": currency.lower(),
                "payment_method": token,
                "payment_method_types[]": "card",
                "confirm": "true",
                "capture_method": "manual",
            },
            idempotency_key,
        )
        error = _error(body)
        if status == 402 or error.get("type") == "card_error":
            raise CardDeclined(str(error.get("decline_code") or error.get("message") or "declined"))
        if error.get("code") == "resource_missing" and error.get("param") == "payment_method":
            raise CardDeclined("unknown payment method token")
        intent = _ok(status, body)
        if intent.get("status") in UNHELD_STATUSES:
            # No hold exists, and a server-side bind cannot get the cardholder's action.
            raise CardDeclined(UNHELD_STATUSES[str(intent["status"])])
        if intent.get("status") != "requires_capture":
            raise GatewayError(f"payment intent {intent.get('id')} is {intent.get('status')}")
        return Authorization(
            reference=str(intent["id"]),
            amount=Decimal(int(intent["amount"])) / 100,
            currency=str(intent["currency"]).upper(),
            expires_at=now + timedelta(days=AUTHORIZATION_LIFETIME_DAYS),
        )

    async def capture(self, *, reference: str, idempotency_key: str, now: datetime) -> None:
        intent = await self._act(reference, "capture", idempotency_key)
        if intent.get("status") == "succeeded":
            return  # captured now, or already captured before: idempotent
        if intent.get("status") == "canceled" and intent.get("cancellation_reason") == "automatic":
            raise AuthorizationExpired(f"payment intent {reference} expired before capture")
        raise GatewayError(f"cannot capture payment intent {reference}: {intent.get('status')}")

    async def cancel(self, *, reference: str, idempotency_key: str, now: datetime) -> None:
        intent = await self._act(reference, "cancel", idempotency_key)
        if intent.get("status") == "canceled":
            return  # released now, or already released or lapsed: idempotent
        raise GatewayError(f"cannot cancel payment intent {reference}: {intent.get('status')}")

    async def _act(self, reference: str, action: str, idempotency_key: str) -> dict[str, Any]:
        """POST a capture or cancel and return the intent it left. Stripe answers a repeat
        with `payment_intent_unexpected_state`: the intent's current status then tells
        whether the action had already happened or cannot happen."""
        path = f"/v1/payment_intents/{reference}"
        status, body = await self._request("POST", f"{path}/{action}", {}, idempotency_key)
        if status == 400 and _error(body).get("code") == "payment_intent_unexpected_state":
            intent = _error(body).get("payment_intent")
            if isinstance(intent, dict):
                return intent
            status, body = await self._request("GET", path)
        return _ok(status, body)

    async def _request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self._api_key}"}
        if method == "POST":
            if not idempotency_key:
                raise ValueError("every POST to Stripe needs an idempotency key")
            headers["Idempotency-Key"] = idempotency_key
        url = self._base_url + path
        try:
            if self._http is not None:
                response = await self._http.request(method, url, data=form, headers=headers)
            else:
                async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                    response = await client.request(method, url, data=form, headers=headers)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise GatewayError(f"Stripe {method} {path}: {type(exc).__name__}: {exc}") from exc
        if not isinstance(body, dict):
            raise GatewayError(f"Stripe {method} {path}: unexpected answer {response.status_code}")
        return response.status_code, body


def _error(body: dict[str, Any]) -> dict[str, Any]:
    error = body.get("error")
    return error if isinstance(error, dict) else {}


def _ok(status: int, body: dict[str, Any]) -> dict[str, Any]:
    if status != 200:
        error = _error(body)
        raise GatewayError(f"Stripe answered HTTP {status}: {error.get('message', body)}")
    return body
