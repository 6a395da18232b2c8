"""Builds the card gateway a process is configured with (settings.card_gateway)."""

from __future__ import annotations

from domain.services.gateways.card import CardGateway
from domain.services.gateways.sandbox_card import SandboxCardGateway
from domain.services.gateways.stripe_card import StripeCardGateway


def card_gateway(name: str = "sandbox", stripe_api_key: str | None = None) -> CardGateway:
    if name == "sandbox":
        return SandboxCardGateway()
    if name == "stripe":
        if not stripe_api_key:
            raise ValueError("the stripe card gateway needs an API key (stripe_api_key)")
        return StripeCardGateway(stripe_api_key)
    raise ValueError(f"unknown card gateway {name!r}: use 'sandbox' or 'stripe'")
