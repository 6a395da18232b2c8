"""No compare-and-set can miss forever: a valid call either succeeds or is refused with a
reason a retry fixes (STYLE: compare-and-set transitions)."""

from __future__ import annotations

import pytest

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
