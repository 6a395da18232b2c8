"""Sandbox test clocks over GraphQL: createTestClock, advanceTestClock, testClock(id)."""

from __future__ import annotations

from typing import Any

import strawberry

from domain.services import clocks
from resolvers.context import Info
from resolvers.errors import run_mutation
from resolvers.mappers import test_clock_out
from schema.inputs import AdvanceTestClockInput, CreateTestClockInput
from schema.types import TestClock, TestClockPayload


async def create_test_clock(info: Info, input: CreateTestClockInput) -> TestClockPayload:
    async def body() -> dict[str, Any]:
        row = await clocks.create_test_clock(
            info.context.principal, input.frozen_time, info.context.now
        )
        return {"test_clock": test_clock_out(row)}

    return await run_mutation(info, TestClockPayload, body)


async def advance_test_clock(info: Info, input: AdvanceTestClockInput) -> TestClockPayload:
    async def body() -> dict[str, Any]:
        row = await clocks.advance_test_clock(
            info.context.principal,
            str(input.test_clock_id),
            input.frozen_time,
            real_now=info.context.now,
        )
        return {"test_clock": test_clock_out(row)}

    return await run_mutation(info, TestClockPayload, body)


async def test_clock(info: Info, id: strawberry.ID) -> TestClock | None:
    row = await clocks.get_test_clock(info.context.principal, str(id))
    return test_clock_out(row) if row else None
