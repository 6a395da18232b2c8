"""Exactly one outcome under racing jobs (LIFECYCLE 2, TR-P2): compare-and-set status
transitions on real storage (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from domain.rules.quote_request import ShipmentFacts
from domain.services import activation, covers, holds
from domain.services.errors import DomainError
from domain.services.principals import authenticate
from domain.services.quotes import QuoteDraft, request_quote
from domain.store.cover_models import Cover, CoverEvent, PaymentHold, SandboxCardAuthorization
from tests.services.test_quote_service import BUYER, SELLER, eur

NOW = datetime.now(UTC)


async def tr_cover(make_partner, amount: str = "1500.00") -> Cover:
    principal = await authenticate(await make_partner(kind="freight_exchange"))
    quote = await request_quote(
        principal,
        QuoteDraft(
            "TRANSPORT_INVOICE", SELLER, BUYER, shipment=ShipmentFacts(eur(amount), NOW.date())
        ),
        NOW,
    )
    return await covers.bind_cover(
        principal, quote.id, signature_reference=None, payment_method_token="tok_visa", now=NOW
    )


async def test_confirmation_job_run_concurrently_decides_once(db, gateways, make_partner):
    cover = await tr_cover(make_partner)
    outcomes = await asyncio.gather(
        *[activation.confirm_feasibility(cover.id, NOW) for _ in range(5)]
    )
    assert sorted(o for o in outcomes if o) == ["CONFIRMED"]
    assert await CoverEvent.filter(cover_id=cover.id, type="cover.activated").count() == 1


async def test_staff_approval_racing_window_expiry_ends_in_one_outcome(
    db, gateways, make_partner, make_staff
):
    cover = await tr_cover(make_partner, "30000.00")  # U-4: referred
    assert await activation.confirm_feasibility(cover.id, NOW) == "REFERRED"
    staff = await authenticate(await make_staff())
    after_window = NOW + timedelta(hours=48, seconds=1)

    async def approve():
        try:
            return await activation.decide_feasibility_by_staff(
                staff, cover.id, True, None, after_window
            )
        except DomainError as error:
            return error.code

    results = await asyncio.gather(approve(), activation.expire_confirmation_windows(after_window))
    final = await Cover.get(id=cover.id)
    assert final.status in ("ACTIVE", "DECLINED")
    activated = await CoverEvent.filter(cover_id=cover.id, type="cover.activated").count()
    declined = await CoverEvent.filter(cover_id=cover.id, type="cover.declined").count()
    assert activated + declined == 1, results


async def test_capture_and_release_racing_never_both_happen(db, gateways, make_partner):
    cover = await tr_cover(make_partner)
    results = await asyncio.gather(
        holds.capture_hold(cover.id, NOW), holds.release_hold(cover.id, NOW)
    )
    hold = await PaymentHold.get(cover_id=cover.id)
    ledger = await SandboxCardAuthorization.get(id=hold.gateway_reference)
    assert hold.status in ("CAPTURED", "RELEASED"), results
    assert ledger.capture_count + ledger.cancel_count == 1


async def test_capture_job_retried_after_a_crash_after_its_claim_captures_once(
    db, gateways, make_partner
):
    cover = await tr_cover(make_partner)
    await activation.confirm_feasibility(cover.id, NOW)
    hold = await PaymentHold.get(cover_id=cover.id)
    await PaymentHold.filter(id=hold.id).update(status="CAPTURING")  # crashed after the claim
    assert await holds.capture_hold(cover.id, NOW) == "CAPTURED"
    assert await holds.capture_hold(cover.id, NOW) == "CAPTURED"
    ledger = await SandboxCardAuthorization.get(id=hold.gateway_reference)
    assert ledger.capture_count == 1


async def test_u1_two_covers_of_one_buyer_confirmed_at_once_cannot_both_fit(
    db, gateways, make_partner
):
    """Each alone fits the 150,000 capacity, both together do not: exactly one is declined
    even when their confirmations run at the same time (buyer lock, U-1)."""
    first = await tr_cover(make_partner, "80000.00")
    second = await tr_cover(make_partner, "80000.00")
    # U-1 is checked before U-4: the one that fits is referred, the other declined.
    outcomes = await asyncio.gather(
        activation.confirm_feasibility(first.id, NOW),
        activation.confirm_feasibility(second.id, NOW),
    )
    assert sorted(outcomes) == ["DECLINED", "REFERRED"]
