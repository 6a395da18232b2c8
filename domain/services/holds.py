"""Capturing and releasing card holds (TR-P2): at most one capture, never both captured
and released, whatever retries, crashes or concurrent jobs happen.

The hold first moves HELD -> CAPTURING (or RELEASING) by compare-and-set: that claim
makes capture and release mutually exclusive. Then the gateway call, with an
idempotency key per hold and action, so a retried job repeats it harmlessly, and
finally CAPTURING -> CAPTURED. A job that finds its own claim in place (a crash after
the claim) simply carries it on.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from domain.services import cover_events, event_sequence, faults
from domain.services.clock_time import now_on_clock
from domain.services.gateways import registry
from domain.services.gateways.card import AuthorizationExpired
from domain.store.cover_models import Cover, PaymentHold

HELD, CAPTURING, CAPTURED = "HELD", "CAPTURING", "CAPTURED"
RELEASING, RELEASED, FAILED = "RELEASING", "RELEASED", "FAILED"


async def _claim(hold: PaymentHold, intent: str) -> bool:
    if hold.status == intent:
        return True  # our own claim survived a crash: carry on
    moved = await PaymentHold.filter(id=hold.id, status=HELD).update(status=intent)
    if moved == 1:
        hold.status = intent
    return moved == 1


async def capture_hold(cover_id: str, real_now: datetime) -> str | None:
    """The `payment_hold.capture` job, for an ACTIVE cover. Returns the hold's status."""
    cover = await Cover.get_or_none(id=cover_id)
    hold = await PaymentHold.get_or_none(cover_id=cover_id)
    if cover is None or hold is None or cover.status == "DECLINED":
        return None
    if not await _claim(hold, CAPTURING):
        return hold.status
    await faults.checkpoint("hold.capture.after_claim")
    now = await now_on_clock(cover.test_clock_id, real_now)
    gateway = registry.by_name(hold.gateway)
    try:
        await gateway.capture(
            reference=hold.gateway_reference, idempotency_key=f"capture:{hold.id}", now=now
        )
    except AuthorizationExpired:
        await PaymentHold.filter(id=hold.id, status=CAPTURING).update(
            status=FAILED, failure_reason="authorization expired before capture"
        )
        return FAILED
    async with in_transaction():
        await event_sequence.lock_owner(Cover, cover.id)  # LIFECYCLE 5a: the cover first
        moved = await PaymentHold.filter(id=hold.id, status=CAPTURING).update(
            status=CAPTURED, captured_at=now
        )
        if moved == 1:
            await cover_events.record(
                cover,
                "payment_hold.captured",
                actor=cover_events.SYSTEM,
                now=now,
                data={"hold": {"amount": str(hold.amount), "currency": hold.currency}},
            )
    return CAPTURED


async def release_hold(
    cover_id: str, real_now: datetime, *, cause: str = "cover declined"
) -> str | None:
    """The `payment_hold.release` job, for a DECLINED cover: the hold is released in full."""
    cover = await Cover.get_or_none(id=cover_id)
    hold = await PaymentHold.get_or_none(cover_id=cover_id)
    if cover is None or hold is None or cover.status == "ACTIVE":
        return None
    if not await _claim(hold, RELEASING):
        return hold.status
    now = await now_on_clock(cover.test_clock_id, real_now)
    await registry.by_name(hold.gateway).cancel(
        reference=hold.gateway_reference, idempotency_key=f"release:{hold.id}", now=now
    )
    async with in_transaction():
        await event_sequence.lock_owner(Cover, cover.id)  # LIFECYCLE 5a: the cover first
        moved = await PaymentHold.filter(id=hold.id, status=RELEASING).update(
            status=RELEASED, released_at=now
        )
        if moved == 1:
            await cover_events.record(
                cover,
                "payment_hold.released",
                actor=cover_events.SYSTEM,
                now=now,
                data={
                    "cause": cause,
                    "hold": {"amount": str(hold.amount), "currency": hold.currency},
                },
            )
    return RELEASED


async def expire_holds(now: datetime, *, test_clock_id: str | None = None) -> int:
    """Authorisations lapse after 7 days like real ones: a hold still HELD then is
    released by the card network, and recorded as such."""
    query = PaymentHold.filter(status=HELD, expires_at__lte=now)
    if test_clock_id is None:
        query = query.filter(cover__test_clock_id__isnull=True)
    else:
        query = query.filter(cover__test_clock_id=test_clock_id)
    count = 0
    for hold in await query.order_by("expires_at"):
        cover = await Cover.get(id=hold.cover_id)
        async with in_transaction():
            await event_sequence.lock_owner(Cover, cover.id)  # LIFECYCLE 5a: the cover first
            moved = await PaymentHold.filter(id=hold.id, status=HELD).update(
                status=RELEASED,
                released_at=hold.expires_at,
                failure_reason="authorization expired",
            )
            if moved == 1:
                count += 1
                await cover_events.record(
                    cover,
                    "payment_hold.released",
                    actor=cover_events.SYSTEM,
                    now=hold.expires_at,
                    data={"cause": "authorization expired"},
                )
    return count
