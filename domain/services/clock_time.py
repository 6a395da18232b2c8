"""Whose "now": a cover on a test clock lives in the clock's frozen time (LIFECYCLE 7)."""

from __future__ import annotations

from datetime import datetime

from domain.store.models import TestClock


async def now_on_clock(test_clock_id: str | None, real_now: datetime) -> datetime:
    if test_clock_id is None:
        return real_now
    clock = await TestClock.filter(id=test_clock_id).first()
    return clock.frozen_time if clock else real_now
