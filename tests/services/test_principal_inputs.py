"""Partner and staff creation (the CLI) bound their inputs where they enter: a name fits
its column, a premium rate has the places its column keeps; INVALID_INPUT on the field."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.services.errors import DomainError
from domain.services.principals import create_partner, create_staff

NOW = datetime(2026, 11, 23, tzinfo=UTC)


async def _partner(name: str = "P", rate: str | None = None) -> None:
    await create_partner(
        name=name,
        kind="financing_platform",
        sandbox=True,
        premium_rate=Decimal(rate) if rate else None,
        now=NOW,
    )


async def test_a_name_at_its_column_length_is_accepted_one_over_is_refused(db):
    await _partner("N" * 200)
    await create_staff(name="S" * 200, now=NOW)
    for make in (lambda: _partner("N" * 201), lambda: create_staff(name="S" * 201, now=NOW)):
        with pytest.raises(DomainError) as refused:
            await make()
        assert (refused.value.code, refused.value.field) == ("INVALID_INPUT", ("name",))


async def test_a_premium_rate_with_six_places_is_kept_seven_are_refused_not_rounded(db):
    await _partner(rate="0.008125")
    with pytest.raises(DomainError) as refused:
        await _partner(rate="0.0081255")
    assert (refused.value.code, refused.value.field) == ("INVALID_INPUT", ("premiumRate",))
