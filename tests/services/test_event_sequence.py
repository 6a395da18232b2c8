"""LIFECYCLE 5a: one increasing sequence number per cover, taken inside the transaction
that records the event, distinct under concurrent writers (SQLite, and PostgreSQL when
TRADECOVER_TEST_POSTGRES=1); webhook payloads carry it. Also the U-4 referral webhook
(`cover.referred`) and the CONFIRMATION deadline listed from the bind (LIFECYCLE 2, 4)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.services import activation, cover_events
from domain.store.claim_models import CoverDeadline
from domain.store.cover_models import Cover, CoverEvent
from domain.store.ids import new_id
from domain.store.webhook_models import WebhookEvent
from tests.services.test_activation_races import tr_cover

NOW = datetime.now(UTC)


async def test_lifecycle_5a_concurrent_events_of_one_cover_take_distinct_increasing_numbers(
    db, gateways, make_partner
):
    cover = await tr_cover(make_partner)
    before = await CoverEvent.filter(cover_id=cover.id).count()

    async def one(n: int) -> int:
        async with in_transaction():
            row = await Cover.get(id=cover.id)
            event = await cover_events.record(
                row, "deadline.approaching", actor="system", now=NOW, data={"n": n}
            )
            return event.sequence

    taken = await asyncio.gather(*[one(n) for n in range(12)])
    assert sorted(taken) == list(range(before + 1, before + 13))
    stored = await CoverEvent.filter(cover_id=cover.id).order_by("sequence")
    assert [e.sequence for e in stored] == list(range(1, before + 13))
    assert (await Cover.get(id=cover.id)).event_sequence == before + 12


async def test_lifecycle_5a_every_event_in_one_frozen_instant_still_has_its_order(
    db, gateways, make_partner
):
    cover = await tr_cover(make_partner)
    async with in_transaction():
        for kind in ("deadline.approaching", "deadline.missed", "cover.lapsed"):
            await cover_events.record(cover, kind, actor="system", now=NOW, webhook=False)
    events = await CoverEvent.filter(cover_id=cover.id).order_by("sequence")
    assert {e.occurred_at for e in events[-3:]} == {NOW}
    assert [e.type for e in events[-3:]] == [
        "deadline.approaching",
        "deadline.missed",
        "cover.lapsed",
    ]


async def test_lifecycle_5a_a_sequence_number_is_never_given_twice(db, gateways, make_partner):
    cover = await tr_cover(make_partner)
    taken = (await CoverEvent.filter(cover_id=cover.id).first()).sequence  # type: ignore[union-attr]
    with pytest.raises(IntegrityError):
        await CoverEvent.create(
            id=new_id("evt"),
            cover_id=cover.id,
            sequence=taken,
            type="x",
            occurred_at=NOW,
            actor="system",
            data={},
        )


async def test_lifecycle_5a_webhook_payload_carries_the_event_sequence(db, gateways, make_partner):
    cover = await tr_cover(make_partner)
    event = await CoverEvent.get(cover_id=cover.id, type="cover.pending_confirmation")
    webhook = await WebhookEvent.get(partner_id=cover.partner_id, type="cover.pending_confirmation")  # type: ignore[attr-defined]
    assert webhook.payload["data"]["sequence"] == event.sequence == 1


async def test_u4_referral_sets_feasibility_referred_and_sends_cover_referred(
    db, gateways, make_partner
):
    cover = await tr_cover(make_partner, "30000.00")  # above the 20,000.00 threshold
    assert await activation.confirm_feasibility(cover.id, NOW) == "REFERRED"
    assert (await Cover.get(id=cover.id)).feasibility == "REFERRED"
    (webhook,) = await WebhookEvent.filter(partner_id=cover.partner_id, type="cover.referred")  # type: ignore[attr-defined]
    assert webhook.payload["data"]["rule"] == "U-4"
    assert webhook.payload["data"]["cover"]["status"] == "PENDING_CONFIRMATION"


async def test_u4_no_referral_webhook_when_confirmed_directly(db, gateways, make_partner):
    cover = await tr_cover(make_partner)
    assert await activation.confirm_feasibility(cover.id, NOW) == "CONFIRMED"
    assert not await WebhookEvent.filter(type="cover.referred").exists()


async def test_confirmation_deadline_is_listed_from_the_bind(db, gateways, make_partner):
    cover = await tr_cover(make_partner)
    (row,) = await CoverDeadline.filter(cover_id=cover.id)
    assert (row.kind, row.rule, row.state) == ("CONFIRMATION", "TR-P2", "OPEN")
    assert row.due_on == (cover.bound_at + timedelta(hours=48)).date()
    assert await activation.confirm_feasibility(cover.id, NOW) == "CONFIRMED"
    confirmed = await CoverDeadline.get(cover_id=cover.id, kind="CONFIRMATION")
    assert confirmed.state == "MET"


async def test_confirmation_deadline_of_a_declined_cover_is_not_met(db, gateways, make_partner):
    cover = await tr_cover(make_partner, "30000.00")
    await activation.confirm_feasibility(cover.id, NOW)
    await activation.expire_confirmation_windows(NOW + timedelta(hours=48, seconds=1))
    declined = await Cover.get(id=cover.id)
    assert (declined.status, declined.feasibility) == ("DECLINED", "DECLINED")  # U-4
    row = await CoverDeadline.get(cover_id=cover.id, kind="CONFIRMATION")
    assert row.state == "MISSED"
