"""No compare-and-set can miss forever: a valid call either succeeds or is refused with a
reason a retry fixes (STYLE: compare-and-set transitions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.store.models import TestClock
from tests.api.cover_helpers import create_clock

ADVANCE = (
    "mutation($id: ID!, $t: DateTime!) { advanceTestClock(input: {testClockId: $id, "
    "frozenTime: $t}) { testClock { status frozenTime } userErrors { code message } } }"
)


@pytest.mark.parametrize(
    "start",
    [
        "2026-11-23T09:00:00+00:00",
        "2026-11-23T09:00:00+02:00",
        "2026-11-23T09:00:00.123456+00:00",
        "2026-11-23T09:00:00.5-05:30",
    ],
)
async def test_a_test_clock_advances_whatever_offset_or_fraction_it_was_created_with(
    api, make_partner, start
):
    key = await make_partner()
    clock_id = await create_clock(api, key, start)
    for day in ("2026-11-25", "2026-11-27"):
        to = f"{day}T09:00:00.25+03:00"
        body = await api.execute(ADVANCE, {"id": clock_id, "t": to}, key=key)
        payload = body["data"]["advanceTestClock"]
        assert payload["userErrors"] == [], (day, payload)
        assert payload["testClock"]["status"] == "READY"


@pytest.mark.parametrize(
    ("since", "answer"),
    [
        (None, "READY"),  # left ADVANCING before the lease existed: taken over
        (timedelta(minutes=10, seconds=1), "READY"),  # the dead advance's lease is over
        (timedelta(minutes=9, seconds=59), "INVALID_STATE"),  # still its own: retry later
    ],
)
async def test_a_clock_whose_advance_died_is_taken_over_after_the_lease(
    api, make_partner, since, answer
):
    """An advance killed half-way left the clock ADVANCING for good, and every advance
    answered 'retry' forever; after ADVANCE_LEASE the next one takes it over."""
    key = await make_partner()
    clock_id = await create_clock(api, key, "2026-11-23T09:00:00+00:00")
    started = None if since is None else datetime.now(UTC) - since
    await TestClock.filter(id=clock_id).update(status="ADVANCING", advancing_since=started)
    body = await api.execute(ADVANCE, {"id": clock_id, "t": "2026-11-24T09:00:00+00:00"}, key=key)
    payload = body["data"]["advanceTestClock"]
    if answer == "READY":
        assert payload["userErrors"] == [], payload
        assert payload["testClock"]["status"] == "READY"
    else:
        assert [e["code"] for e in payload["userErrors"]] == ["INVALID_STATE"]
        assert "retry" in payload["userErrors"][0]["message"]
