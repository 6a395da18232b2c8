"""LIFECYCLE 4: the deadline sweep run by several workers at once changes nothing more
than one run: each deadline is announced once per announcement day, missed once, and
each cover lapsed once (compare-and-set on the deadline row and on the cover status).
Runs on SQLite and, with TRADECOVER_TEST_POSTGRES=1, on PostgreSQL's connection pool."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

from tortoise.transactions import in_transaction

from domain.services import cover_life, deadline_sweep
from domain.store.claim_models import CoverDeadline
from domain.store.cover_models import Cover, CoverEvent
from tests.services.test_activation_races import NOW, tr_cover

COVERS = 12
SWEEPERS = 4


async def active_covers(make_partner) -> list[Cover]:
    found = []
    for _ in range(COVERS):
        cover = await tr_cover(make_partner)
        await Cover.filter(id=cover.id).update(status="ACTIVE")
        await cover.refresh_from_db()
        async with in_transaction():
            await cover_life.sync_deadlines(cover)
        found.append(cover)
    return found


def on_day(days_after_bind: int) -> datetime:
    return datetime.combine(NOW.date() + timedelta(days=days_after_bind), time(9), UTC)


async def sweep_at_once(now: datetime) -> None:
    await asyncio.gather(*(deadline_sweep.sweep(now) for _ in range(SWEEPERS)))


async def test_sweeps_racing_announce_and_lapse_each_deadline_once(db, gateways, make_partner):
    covers = await active_covers(make_partner)
    # TR-T1: unloading due on day 10 -> announced on day 3 (7 before) and day 9 (1 before).
    await sweep_at_once(on_day(3))
    await sweep_at_once(on_day(3))
    assert await CoverEvent.filter(type="deadline.approaching").count() == COVERS
    await sweep_at_once(on_day(9))
    assert await CoverEvent.filter(type="deadline.approaching").count() == 2 * COVERS

    await sweep_at_once(on_day(11))
    await sweep_at_once(on_day(11))
    assert await CoverEvent.filter(type="deadline.missed").count() == COVERS
    assert await CoverEvent.filter(type="cover.lapsed").count() == COVERS
    assert await Cover.filter(status="LAPSED").count() == COVERS
    lapses = {cover.lapse["rule"] for cover in await Cover.filter(id__in=[c.id for c in covers])}
    assert lapses == {"TR-T1"}
    assert await CoverDeadline.filter(kind="UNLOADING", state="MISSED").count() == COVERS
