"""Test clocks (LIFECYCLE 7): sandbox-only frozen time for a partner's quotes and covers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.services.compare_and_set import compare_and_set
from domain.services.errors import DomainError, not_found
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.models import TestClock


def _require_sandbox_partner(principal: Principal) -> str:
    if principal.partner_id is None or not principal.sandbox:
        raise DomainError("FORBIDDEN", "Test clocks are for sandbox (tc_test_) keys only.")
    return principal.partner_id


async def create_test_clock(
    principal: Principal, frozen_time: datetime, now: datetime
) -> TestClock:
    partner_id = _require_sandbox_partner(principal)
    return await TestClock.create(
        id=new_id("clk"),
        partner_id=partner_id,
        frozen_time=frozen_time.astimezone(UTC),  # as it reads back (compare_and_set)
        created_at=now,
    )


async def get_test_clock(principal: Principal, clock_id: str) -> TestClock | None:
    if principal.partner_id is None:
        return None
    return await TestClock.filter(id=clock_id, partner_id=principal.partner_id).first()


async def clock_for_request(
    principal: Principal, clock_id: str | None, field: tuple[str, ...]
) -> TestClock | None:
    """The test clock a request runs on, refusing live keys and other partners' clocks."""
    if clock_id is None:
        return None
    _require_sandbox_partner(principal)
    clock = await get_test_clock(principal, clock_id)
    if clock is None:
        raise not_found("test clock", clock_id, field)
    return clock


#: How long an advance holds its clock. An advance whose process died (a crash, a killed
#: request) left the clock ADVANCING for good, and every later advance answered "retry"
#: forever; after the lease the next advance takes the clock over and runs the sweeps
#: again (they are idempotent: running one twice changes nothing).
ADVANCE_LEASE = timedelta(minutes=10)


async def advance_test_clock(
    principal: Principal, clock_id: str, to: datetime, *, real_now: datetime | None = None
) -> TestClock:
    """Moves a clock forward only, then runs, in time order, every job that fell due for
    its covers: confirmation windows (declined, hold released) and hold expiries.
    `real_now` (the request's time) lets an advance take over a clock whose own advance
    died more than ADVANCE_LEASE ago; to the same frozen time, it finishes that one."""
    from domain.services import (  # the clock sits below cover services
        activation,
        deadline_sweep,
        holds,
        policy_sweep,
        top_up,
    )

    clock = await clock_for_request(principal, clock_id, ("input", "testClockId"))
    assert clock is not None
    since = clock.advancing_since
    abandoned = (
        clock.status == "ADVANCING"
        and real_now is not None
        and (since is None or since <= real_now - ADVANCE_LEASE)
    )
    if clock.status == "ADVANCING" and not abandoned:
        until = f" (until {(since + ADVANCE_LEASE).isoformat()} at the latest)" if since else ""
        raise DomainError(
            "INVALID_STATE", f"The test clock is advancing{until}; retry.", ("input",)
        )
    if to < clock.frozen_time or (to == clock.frozen_time and not abandoned):
        raise DomainError(
            "INVALID_INPUT",
            f"A test clock only moves forward: {to.isoformat()} is not after "
            f"{clock.frozen_time.isoformat()}.",
            ("input", "frozenTime"),
        )
    to = to.astimezone(UTC)  # stored in UTC, as it reads back (compare_and_set)
    expected = {"frozen_time": clock.frozen_time, "status": clock.status, "advancing_since": since}
    # The lease is real time, not the clock's: without the request's time, the wall clock.
    taken = (real_now or datetime.now(UTC)).astimezone(UTC)
    changes = {"frozen_time": to, "status": "ADVANCING", "advancing_since": taken}
    if not await compare_and_set(TestClock, clock.id, expected, changes):
        raise DomainError("INVALID_STATE", "The test clock is advancing; retry.", ("input",))
    try:
        await activation.expire_confirmation_windows(to, test_clock_id=clock.id)
        for cover_id in await activation.declined_covers_with_held_holds(clock.id):
            await holds.release_hold(cover_id, to, cause="confirmation window expired")
        await holds.expire_holds(to, test_clock_id=clock.id)
        # Day by day, so each deadline is announced and missed on its own day.
        day = clock.frozen_time
        while day.date() < to.date():
            day = day + timedelta(days=1)
            await deadline_sweep.sweep(min(day, to), test_clock_id=clock.id)
            await policy_sweep.sweep(min(day, to), test_clock_id=clock.id)
            await top_up.recompute_due_limits(min(day, to), test_clock_id=clock.id)
        await deadline_sweep.sweep(to, test_clock_id=clock.id)
        await policy_sweep.sweep(to, test_clock_id=clock.id)
        await top_up.recompute_due_limits(to, test_clock_id=clock.id)
    finally:
        await TestClock.filter(id=clock.id, advancing_since=taken).update(
            status="READY", advancing_since=None
        )
    await clock.refresh_from_db()
    return clock
