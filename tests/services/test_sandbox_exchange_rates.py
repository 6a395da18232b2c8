"""Exchange rates of WT-N3 and WT-C7 per sandbox partner: sandbox and live are separate
worlds. Staff rates (no partner) are the only ones a live policy uses; a sandbox partner's
own rates are used by its sandbox policies only; a sandbox partner that set none for a
pair uses the staff rates. One row per (partner, pair, day), staff rows included (NULLs
are distinct in a unique index). SQLite, and PostgreSQL when TRADECOVER_TEST_POSTGRES=1."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.services import exchange_rates
from domain.services.errors import DomainError
from domain.services.principals import authenticate
from domain.store.ids import new_id
from domain.store.policy_models import ExchangeRate

NOW = datetime.now(UTC)
DAY = date(2027, 1, 12)


async def partner(make_partner, name: str, *, sandbox: bool):
    return await authenticate(await make_partner(name=name, sandbox=sandbox))


async def set_rate(principal, rate: str, on: date = DAY, pair=("USD", "EUR")) -> ExchangeRate:
    return await exchange_rates.set_exchange_rate(
        principal, pair[0], pair[1], on, Decimal(rate), NOW
    )


async def day_rate(partner_id: str, on: date = DAY) -> Decimal | None:
    row = await exchange_rates.rate_of_day(partner_id, "USD", "EUR", on)
    return row.rate if row else None


async def latest(partner_id: str, on: date) -> Decimal | None:
    row = await exchange_rates.latest_rate(partner_id, "USD", "EUR", on)
    return row.rate if row else None


async def test_wt_n3_sandbox_partner_rate_is_used_by_its_own_sandbox_policies_only(
    db, make_partner, make_staff
):
    staff = await authenticate(await make_staff())
    a = await partner(make_partner, "A", sandbox=True)
    b = await partner(make_partner, "B", sandbox=True)
    live = await partner(make_partner, "Live", sandbox=False)
    await set_rate(staff, "0.90000000")
    own = await set_rate(a, "0.80000000")
    assert own.partner_id == a.partner_id  # type: ignore[attr-defined]
    assert await day_rate(a.partner_id) == Decimal("0.80000000")  # type: ignore[arg-type]
    assert await day_rate(b.partner_id) == Decimal("0.90000000")  # type: ignore[arg-type]
    assert await day_rate(live.partner_id) == Decimal("0.90000000")  # type: ignore[arg-type]


async def test_wt_n3_live_policy_uses_the_staff_rate_even_when_a_sandbox_partner_set_one(
    db, make_partner, make_staff
):
    a = await partner(make_partner, "A", sandbox=True)
    live = await partner(make_partner, "Live", sandbox=False)
    await set_rate(a, "0.80000000")
    # No staff rate for the day: the live policy has none, whatever A set (WT-N3 refusal).
    assert await day_rate(live.partner_id) is None  # type: ignore[arg-type]
    assert await latest(live.partner_id, DAY) is None  # type: ignore[arg-type]
    await set_rate(await authenticate(await make_staff()), "0.90000000")
    assert await day_rate(live.partner_id) == Decimal("0.90000000")  # type: ignore[arg-type]


async def test_wt_c7_latest_rate_comes_from_the_policy_modes_rates(db, make_partner, make_staff):
    staff = await authenticate(await make_staff())
    a = await partner(make_partner, "A", sandbox=True)
    b = await partner(make_partner, "B", sandbox=True)
    live = await partner(make_partner, "Live", sandbox=False)
    await set_rate(staff, "0.90000000", date(2027, 3, 1))
    await set_rate(a, "0.70000000", date(2027, 3, 10))
    await set_rate(staff, "0.95000000", date(2027, 3, 15))
    indemnity_day = date(2027, 3, 20)
    assert await latest(a.partner_id, indemnity_day) == Decimal("0.70000000")  # type: ignore[arg-type]
    assert await latest(b.partner_id, indemnity_day) == Decimal("0.95000000")  # type: ignore[arg-type]
    assert await latest(live.partner_id, indemnity_day) == Decimal("0.95000000")  # type: ignore[arg-type]
    # A partner that set any rate for the pair is in its own world for that pair: a day
    # before its first rate has none (no fallback to the staff's 2027-03-01 rate).
    assert await latest(a.partner_id, date(2027, 3, 5)) is None  # type: ignore[arg-type]
    # ... but another pair it never set still uses the staff rates.
    await set_rate(staff, "1.10000000", pair=("GBP", "EUR"))
    gbp = await exchange_rates.rate_of_day(a.partner_id, "GBP", "EUR", DAY)  # type: ignore[arg-type]
    assert gbp is not None and gbp.rate == Decimal("1.10000000")


async def test_setting_a_rate_again_replaces_it_within_its_owner_only(db, make_partner, make_staff):
    staff = await authenticate(await make_staff())
    a = await partner(make_partner, "A", sandbox=True)
    await set_rate(staff, "0.90000000")
    await set_rate(staff, "0.91000000")
    await set_rate(a, "0.80000000")
    await set_rate(a, "0.81000000")
    rows = await ExchangeRate.all().order_by("rate").values_list("partner_id", "rate")
    assert rows == [
        (a.partner_id, Decimal("0.81000000")),
        (None, Decimal("0.91000000")),
    ]


async def test_a_live_partner_key_still_may_not_set_a_rate(db, make_partner):
    live = await partner(make_partner, "Live", sandbox=False)
    with pytest.raises(DomainError) as refused:
        await set_rate(live, "0.80000000")
    assert refused.value.code == "FORBIDDEN"
    assert await ExchangeRate.all().count() == 0


async def insert(partner_id: str | None) -> None:
    async with in_transaction():
        await ExchangeRate.create(
            id=new_id("fx"),
            partner_id=partner_id,
            from_currency="USD",
            to_currency="EUR",
            on=DAY,
            rate=Decimal("0.9"),
            created_at=NOW,
        )


async def test_one_staff_rate_per_pair_and_day_although_its_partner_is_null(db, make_partner):
    """The partial unique index (migration 0014): a second staff row of the same pair and
    day is refused by the database itself, not only by the service's update-or-create."""
    a = await partner(make_partner, "A", sandbox=True)
    await insert(None)
    await insert(a.partner_id)  # a partner's row beside the staff one is allowed
    with pytest.raises(IntegrityError):
        await insert(None)
    with pytest.raises(IntegrityError):
        await insert(a.partner_id)
    assert await ExchangeRate.all().count() == 2


async def test_staff_setting_one_rate_at_once_both_succeed_and_leave_one_row(
    db, make_partner, make_staff
):
    """The update-or-create runs under the (owner, pair, day) lock: racing setters take
    turns instead of one failing on the unique index."""
    import asyncio

    staff = await authenticate(await make_staff())
    a = await partner(make_partner, "A", sandbox=True)
    results = await asyncio.gather(
        *(set_rate(who, f"0.9{n}") for n in range(4) for who in (staff, a)),
        return_exceptions=True,
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    owners = sorted(str(o) for o in await ExchangeRate.all().values_list("partner_id", flat=True))
    assert owners == sorted([str(a.partner_id), "None"])
