"""The console's buyer-level figures keep sandbox and live apart (LIFECYCLE 2: separate
worlds): the buyers list, the buyer page and a U-4 referral's buyer exposure each give
one figure per mode, never a sum of both, and a sandbox cover never moves a live figure
(or the reverse). Read models on real storage (SQLite, and PostgreSQL when enabled),
and the pages as staff see them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.store.claim_models import Incident
from domain.store.cover_models import Cover
from domain.store.ids import new_id
from tests.services.test_feasibility_modes import exposed_cover, fi_cover
from tradecover.console import read_buyers, read_covers

pytestmark = pytest.mark.usefixtures("gateways")

EUR = "EUR"


async def seed(make_partner, *, live: str, sandbox: str) -> str:
    """One live and one sandbox active cover on the shared buyer; returns its key."""
    cover = await exposed_cover(make_partner, sandbox=False, insured=live, invoice="L-1")
    await exposed_cover(make_partner, sandbox=True, insured=sandbox, invoice="S-1")
    return cover.buyer_key


@pytest.mark.parametrize("moved", [False, True])
async def test_buyers_list_gives_live_and_sandbox_exposure_apart(db, make_partner, moved):
    """Changing one mode's exposure moves that mode's figure only."""
    key = await seed(make_partner, live="40000.00", sandbox="7000.00")
    await exposed_cover(make_partner, sandbox=moved, insured="1000.00", invoice="X-1")
    [row] = [b for b in await read_buyers.buyers(None) if b.key == key]
    live = Decimal("41000.00") if not moved else Decimal("40000.00")
    sandbox = Decimal("8000.00") if moved else Decimal("7000.00")
    assert (row.exposure, row.sandbox_exposure) == ({EUR: live}, {EUR: sandbox})
    assert (row.covers, row.sandbox_covers) == ((1, 2) if moved else (2, 1))
    # The search path gives the same split.
    [found] = await read_buyers.buyers(key.split(":")[1])
    assert (found.exposure, found.sandbox_exposure) == ({EUR: live}, {EUR: sandbox})


async def test_buyers_list_lists_a_sandbox_only_buyer_without_live_exposure(db, make_partner):
    cover = await exposed_cover(make_partner, sandbox=True, insured="5000.00", invoice="S-1")
    [row] = await read_buyers.buyers(None)
    assert row.key == cover.buyer_key
    assert (row.exposure, row.sandbox_exposure) == ({}, {EUR: Decimal("5000.00")})


async def test_buyer_page_totals_are_per_mode_never_summed(db, make_partner):
    key = await seed(make_partner, live="40000.00", sandbox="7000.00")
    page = await read_buyers.buyer_page(key)
    assert page is not None
    assert [(m.label, m.totals) for m in page.exposures] == [
        ("Live", {EUR: Decimal("40000.00")}),
        ("Sandbox", {EUR: Decimal("7000.00")}),
    ]
    # Every cover shown carries its mode.
    modes = sorted(page.modes[c.partner_id] for c in page.covers)  # type: ignore[attr-defined]
    assert modes == [False, True]


async def test_buyer_page_incidents_carry_their_covers_mode(db, make_partner):
    live = await fi_cover(make_partner, sandbox=False, invoice="L-1", name="LiveCo")
    sandbox = await fi_cover(make_partner, sandbox=True, invoice="S-1", name="SandCo")
    for cover in (live, sandbox):
        await Incident.create(
            id=new_id("inc"),
            cover_id=cover.id,
            kind="NON_PAYMENT",
            occurred_on=datetime.now(UTC).date(),
            declared_on=datetime.now(UTC).date(),
            unpaid_amount=Decimal("100.00"),
            currency=EUR,
            created_at=datetime.now(UTC),
        )
    page = await read_buyers.buyer_page(live.buyer_key)
    assert page is not None
    assert page.incident_modes == {live.id: False, sandbox.id: True}


@pytest.mark.parametrize("referred_sandbox", [False, True])
async def test_u1_referral_exposure_counts_only_the_referred_covers_mode(
    db, make_partner, referred_sandbox
):
    """U-4 referral: staff weigh it against the buyer's exposure of the cover's own mode
    (the one U-1 counted), not one that includes the other mode's covers."""
    await seed(make_partner, live="40000.00", sandbox="7000.00")
    referred = await fi_cover(make_partner, sandbox=referred_sandbox, invoice="R-1")
    await Cover.filter(id=referred.id).update(feasibility="REFERRED")
    [item] = await read_covers.referrals(datetime.now(UTC))
    # The referred cover's own 20,000.00 is pending, so it counts in its mode.
    expected = Decimal("27000.00") if referred_sandbox else Decimal("60000.00")
    assert (item.exposure, item.sandbox) == (expected, referred_sandbox)
