"""The sandbox card network on real storage (SQLite, and PostgreSQL when enabled):
TR-P2 — a hold is captured at most once, never both captured and released, and lapses
after AUTHORIZATION_LIFETIME_DAYS like a real authorisation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.services.gateways.card import (
    AUTHORIZATION_LIFETIME_DAYS,
    Authorization,
    AuthorizationExpired,
    CardDeclined,
    CardGateway,
    GatewayError,
)
from domain.services.gateways.factory import card_gateway
from domain.services.gateways.sandbox_card import SandboxCardGateway, ledger
from domain.services.gateways.stripe_card import StripeCardGateway
from domain.store.cover_models import SandboxCardAuthorization

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PREMIUM = Decimal("17.85")


@pytest.fixture
def gateway() -> SandboxCardGateway:
    return SandboxCardGateway()


async def hold(gateway: SandboxCardGateway, key: str = "bind:quo_1:tok_visa") -> Authorization:
    return await gateway.authorize(
        token="tok_visa", amount=PREMIUM, currency="EUR", idempotency_key=key, now=NOW
    )


def test_tr_p2_the_sandbox_implements_the_card_gateway_protocol():
    implementation: CardGateway = SandboxCardGateway()
    assert implementation.name == "sandbox"


async def test_tr_p2_an_accepted_card_holds_the_premium_for_seven_days(db, gateway):
    authorization = await hold(gateway)
    assert authorization.reference.startswith("auth_")
    assert (authorization.amount, authorization.currency) == (PREMIUM, "EUR")
    assert authorization.expires_at == NOW + timedelta(days=AUTHORIZATION_LIFETIME_DAYS)
    row = await ledger(authorization.reference)
    assert (row.status, row.capture_count, row.cancel_count) == ("AUTHORIZED", 0, 0)
    assert (row.token, row.amount, row.currency) == ("tok_visa", PREMIUM, "EUR")
    assert row.idempotency_key == "bind:quo_1:tok_visa"
    assert row.expires_at == NOW + timedelta(days=7)
    assert (await gateway.ledger(authorization.reference)).id == row.id


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("tok_chargeDeclined", "card declined"),
        ("tok_insufficientFunds", "insufficient funds"),
        ("tok_unknown", "unknown payment method token"),
        ("", "unknown payment method token"),
    ],
)
async def test_tr_p2_a_refused_card_holds_nothing(db, gateway, token, reason):
    with pytest.raises(CardDeclined) as refused:
        await gateway.authorize(
            token=token, amount=PREMIUM, currency="EUR", idempotency_key="k", now=NOW
        )
    assert refused.value.reason == reason
    assert refused.value.code == "CARD_DECLINED"
    assert refused.value.field == ("input", "paymentMethodToken")
    assert await SandboxCardAuthorization.all().count() == 0


async def test_tr_p2_a_refused_key_can_be_retried_with_an_accepted_card(db, gateway):
    with pytest.raises(CardDeclined):
        await gateway.authorize(
            token="tok_chargeDeclined",
            amount=PREMIUM,
            currency="EUR",
            idempotency_key="k",
            now=NOW,
        )
    authorization = await gateway.authorize(
        token="tok_visa", amount=PREMIUM, currency="EUR", idempotency_key="k", now=NOW
    )
    assert (await ledger(authorization.reference)).status == "AUTHORIZED"


async def test_tr_p2_the_same_idempotency_key_answers_the_same_authorization(db, gateway):
    first = await hold(gateway)
    again = await gateway.authorize(
        token="tok_visa",
        amount=Decimal("17.850"),
        currency="EUR",
        idempotency_key="bind:quo_1:tok_visa",
        now=NOW + timedelta(hours=1),
    )
    assert again == first
    assert await SandboxCardAuthorization.all().count() == 1


async def test_tr_p2_eight_concurrent_authorizations_with_one_key_hold_once(db, gateway):
    results = await asyncio.gather(*[hold(gateway) for _ in range(8)])
    assert len({r.reference for r in results}) == 1
    assert all(r == results[0] for r in results)
    assert await SandboxCardAuthorization.all().count() == 1


async def test_tr_p2_other_keys_are_other_holds(db, gateway):
    first = await hold(gateway, "bind:quo_1:tok_visa")
    second = await hold(gateway, "bind:quo_2:tok_visa")
    assert first.reference != second.reference
    assert await SandboxCardAuthorization.all().count() == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": Decimal("17.86")},
        {"token": "tok_chargeDeclined"},
        {"currency": "USD"},
    ],
)
async def test_tr_p2_an_idempotency_key_reused_with_other_parameters_is_refused(
    db, gateway, changes
):
    await hold(gateway)
    call = {"token": "tok_visa", "amount": PREMIUM, "currency": "EUR"} | changes
    with pytest.raises(GatewayError, match="already used with other parameters"):
        await gateway.authorize(**call, idempotency_key="bind:quo_1:tok_visa", now=NOW)
    assert await SandboxCardAuthorization.all().count() == 1


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1.00"), Decimal("17.855")])
async def test_tr_p2_an_amount_that_is_not_whole_positive_cents_is_a_programming_error(
    db, gateway, amount
):
    with pytest.raises(ValueError):
        await gateway.authorize(
            token="tok_visa", amount=amount, currency="EUR", idempotency_key="k", now=NOW
        )


async def test_tr_p2_capture_takes_the_hold(db, gateway):
    authorization = await hold(gateway)
    await gateway.capture(reference=authorization.reference, idempotency_key="c", now=NOW)
    row = await ledger(authorization.reference)
    assert (row.status, row.capture_count, row.cancel_count) == ("CAPTURED", 1, 0)


async def test_tr_p2_a_hold_is_never_captured_twice(db, gateway):
    authorization = await hold(gateway)
    await gateway.capture(reference=authorization.reference, idempotency_key="c", now=NOW)
    await gateway.capture(reference=authorization.reference, idempotency_key="c", now=NOW)
    await gateway.capture(reference=authorization.reference, idempotency_key="c2", now=NOW)
    row = await ledger(authorization.reference)
    assert (row.status, row.capture_count) == ("CAPTURED", 1)


async def test_tr_p2_concurrent_captures_capture_once(db, gateway):
    authorization = await hold(gateway)
    await asyncio.gather(
        *[
            gateway.capture(reference=authorization.reference, idempotency_key="c", now=NOW)
            for _ in range(8)
        ]
    )
    row = await ledger(authorization.reference)
    assert (row.status, row.capture_count) == ("CAPTURED", 1)


async def test_tr_p2_cancel_releases_the_hold_in_full(db, gateway):
    authorization = await hold(gateway)
    await gateway.cancel(reference=authorization.reference, idempotency_key="r", now=NOW)
    row = await ledger(authorization.reference)
    assert (row.status, row.capture_count, row.cancel_count) == ("CANCELED", 0, 1)


async def test_tr_p2_cancel_is_idempotent(db, gateway):
    authorization = await hold(gateway)
    await gateway.cancel(reference=authorization.reference, idempotency_key="r", now=NOW)
    await gateway.cancel(reference=authorization.reference, idempotency_key="r", now=NOW)
    await gateway.cancel(reference=authorization.reference, idempotency_key="r2", now=NOW)
    row = await ledger(authorization.reference)
    assert (row.status, row.cancel_count) == ("CANCELED", 1)


async def test_tr_p2_a_captured_hold_is_never_released(db, gateway):
    authorization = await hold(gateway)
    await gateway.capture(reference=authorization.reference, idempotency_key="c", now=NOW)
    with pytest.raises(GatewayError, match="captured"):
        await gateway.cancel(reference=authorization.reference, idempotency_key="r", now=NOW)
    row = await ledger(authorization.reference)
    assert (row.status, row.capture_count, row.cancel_count) == ("CAPTURED", 1, 0)


async def test_tr_p2_a_released_hold_is_never_captured(db, gateway):
    authorization = await hold(gateway)
    await gateway.cancel(reference=authorization.reference, idempotency_key="r", now=NOW)
    with pytest.raises(GatewayError, match="canceled") as refused:
        await gateway.capture(reference=authorization.reference, idempotency_key="c", now=NOW)
    assert not isinstance(refused.value, AuthorizationExpired)
    row = await ledger(authorization.reference)
    assert (row.status, row.capture_count, row.cancel_count) == ("CANCELED", 0, 1)


async def test_tr_p2_concurrent_capture_and_cancel_never_do_both(db, gateway):
    for i in range(10):
        authorization = await hold(gateway, f"bind:quo_{i}:tok_visa")
        ref = authorization.reference
        results = await asyncio.gather(
            gateway.capture(reference=ref, idempotency_key="c", now=NOW),
            gateway.cancel(reference=ref, idempotency_key="r", now=NOW),
            return_exceptions=True,
        )
        assert sum(1 for r in results if isinstance(r, GatewayError)) == 1
        row = await ledger(ref)
        assert row.capture_count + row.cancel_count == 1
        assert row.status == ("CAPTURED" if row.capture_count else "CANCELED")


async def test_tr_p2_capture_just_before_seven_days_still_takes_the_hold(db, gateway):
    authorization = await hold(gateway)
    late = authorization.expires_at - timedelta(seconds=1)
    await gateway.capture(reference=authorization.reference, idempotency_key="c", now=late)
    assert (await ledger(authorization.reference)).status == "CAPTURED"


async def test_tr_p2_capture_after_seven_days_finds_the_authorization_expired(db, gateway):
    authorization = await hold(gateway)
    lapsed = NOW + timedelta(days=AUTHORIZATION_LIFETIME_DAYS)
    with pytest.raises(AuthorizationExpired):
        await gateway.capture(reference=authorization.reference, idempotency_key="c", now=lapsed)
    row = await ledger(authorization.reference)
    assert (row.status, row.capture_count, row.cancel_count) == ("EXPIRED", 0, 0)
    # Retrying the capture, even with an earlier clock, cannot revive it.
    with pytest.raises(AuthorizationExpired):
        await gateway.capture(reference=authorization.reference, idempotency_key="c", now=NOW)
    assert (await ledger(authorization.reference)).capture_count == 0


async def test_tr_p2_releasing_an_expired_authorization_is_a_no_op(db, gateway):
    authorization = await hold(gateway)
    lapsed = NOW + timedelta(days=8)
    with pytest.raises(AuthorizationExpired):
        await gateway.capture(reference=authorization.reference, idempotency_key="c", now=lapsed)
    await gateway.cancel(reference=authorization.reference, idempotency_key="r", now=lapsed)
    row = await ledger(authorization.reference)
    assert (row.status, row.cancel_count) == ("EXPIRED", 0)


async def test_tr_p2_a_hold_released_after_it_lapsed_is_recorded_as_expired(db, gateway):
    authorization = await hold(gateway)
    lapsed = NOW + timedelta(days=8)
    await gateway.cancel(reference=authorization.reference, idempotency_key="r", now=lapsed)
    row = await ledger(authorization.reference)
    assert (row.status, row.capture_count, row.cancel_count) == ("EXPIRED", 0, 0)


async def test_tr_p2_an_unknown_reference_is_a_gateway_error(db, gateway):
    with pytest.raises(GatewayError, match="no such authorization"):
        await gateway.capture(reference="auth_missing", idempotency_key="c", now=NOW)
    with pytest.raises(GatewayError, match="no such authorization"):
        await gateway.cancel(reference="auth_missing", idempotency_key="r", now=NOW)


def test_tr_p2_the_factory_builds_the_configured_gateway():
    assert isinstance(card_gateway("sandbox"), SandboxCardGateway)
    stripe = card_gateway("stripe", "sk_test_123")
    assert isinstance(stripe, StripeCardGateway)
    assert stripe.name == "stripe"
    with pytest.raises(ValueError, match="API key"):
        card_gateway("stripe")
    with pytest.raises(ValueError, match="unknown card gateway"):
        card_gateway("adyen")
