"""Sandbox and live are separate worlds for U-1, U-2 and U-3 (LIFECYCLE 2), and a U-1
decline tells the partner no figure that includes other partners' covers. Through the
activation service on real storage (SQLite, and PostgreSQL when enabled)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.rules.quote_request import FinancingFacts, InvoiceFacts
from domain.services import activation, covers
from domain.services.principals import authenticate
from domain.services.quotes import request_quote
from domain.store.cover_models import Cover, CoverEvent
from domain.store.ids import new_id
from tests.services.test_quote_service import eur, fi_draft

pytestmark = pytest.mark.usefixtures("gateways")

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()


async def fi_cover(make_partner, *, sandbox: bool, invoice: str, name: str = "Platform") -> Cover:
    """A bound FI cover of 20,000.00 insured (under U-4's threshold) on the shared buyer."""
    principal = await authenticate(await make_partner(name=name, sandbox=sandbox))
    draft = fi_draft(
        invoice=InvoiceFacts(
            invoice, TODAY, TODAY + timedelta(days=30), eur("20000.00"), eur("4200.00")
        ),
        financing=FinancingFacts(f"FIN-{invoice}", eur("20000.00")),
    )
    quote = await request_quote(principal, draft, NOW)
    assert quote.eligible, quote.violations
    return await covers.bind_cover(
        principal, quote.id, signature_reference="env_1", payment_method_token=None, now=NOW
    )


async def exposed_cover(make_partner, *, sandbox: bool, insured: str, invoice: str) -> Cover:
    """An active cover of the buyer insuring `insured` (U-1 exposure)."""
    cover = await fi_cover(make_partner, sandbox=sandbox, invoice=invoice, name="Other")
    await Cover.filter(id=cover.id).update(
        status="ACTIVE", feasibility="CONFIRMED", insured_amount=Decimal(insured)
    )
    return cover


async def incident_on(cover: Cover) -> None:
    """U-2 fact: an incident declared on a cover of the buyer yesterday."""
    await CoverEvent.create(
        id=new_id("evt"),
        cover_id=cover.id,
        sequence=99,
        type="incident.declared",
        occurred_at=NOW - timedelta(days=1),
        actor="system",
        data={},
    )


async def feasibility_of(cover: Cover) -> tuple[str | None, str | None]:
    outcome = await activation.confirm_feasibility(cover.id, NOW)
    row = await Cover.get(id=cover.id)
    return outcome, row.decline_reason


# U-1


async def test_u1_sandbox_covers_do_not_use_live_buyer_capacity(db, make_partner):
    await exposed_cover(make_partner, sandbox=False, insured="140000.00", invoice="L-1")
    sandbox = await fi_cover(make_partner, sandbox=True, invoice="S-1")
    assert await feasibility_of(sandbox) == ("CONFIRMED", None)
    live = await fi_cover(make_partner, sandbox=False, invoice="L-2")
    assert (await feasibility_of(live))[0] == "DECLINED"  # the same mode still counts


async def test_u1_live_covers_do_not_use_sandbox_buyer_capacity(db, make_partner):
    await exposed_cover(make_partner, sandbox=True, insured="140000.00", invoice="S-1")
    live = await fi_cover(make_partner, sandbox=False, invoice="L-1")
    assert await feasibility_of(live) == ("CONFIRMED", None)
    sandbox = await fi_cover(make_partner, sandbox=True, invoice="S-2")
    assert (await feasibility_of(sandbox))[0] == "DECLINED"


async def test_u1_decline_reason_discloses_no_exposure_figure(db, make_partner):
    # Two other live partners' covers: 70,000.00 each.
    await exposed_cover(make_partner, sandbox=False, insured="70000.00", invoice="L-0")
    await exposed_cover(make_partner, sandbox=False, insured="70000.00", invoice="L-1")
    cover = await fi_cover(make_partner, sandbox=False, invoice="L-2")
    outcome, reason = await feasibility_of(cover)
    assert outcome == "DECLINED"
    assert reason == "U-1: The buyer's capacity for this cover is exceeded."
    events = await CoverEvent.filter(cover_id=cover.id).values_list("data", flat=True)
    assert not any(
        figure in str(data) for data in events for figure in ("160000", "140000", "70000")
    )
    # The insurer's staff (console) keep the full figure.
    staff_reason = (await Cover.get(id=cover.id)).feasibility_reason or ""
    assert "160000.00" in staff_reason


# U-2


async def test_u2_sandbox_incident_does_not_decline_a_live_cover(db, make_partner):
    await incident_on(await fi_cover(make_partner, sandbox=True, invoice="S-1", name="Other"))
    live = await fi_cover(make_partner, sandbox=False, invoice="L-1")
    assert await feasibility_of(live) == ("CONFIRMED", None)
    sandbox = await fi_cover(make_partner, sandbox=True, invoice="S-2")
    assert (await feasibility_of(sandbox))[1].startswith("U-2")  # type: ignore[union-attr]


async def test_u2_live_incident_does_not_decline_a_sandbox_cover(db, make_partner):
    await incident_on(await fi_cover(make_partner, sandbox=False, invoice="L-1", name="Other"))
    sandbox = await fi_cover(make_partner, sandbox=True, invoice="S-1")
    assert await feasibility_of(sandbox) == ("CONFIRMED", None)
    live = await fi_cover(make_partner, sandbox=False, invoice="L-2")
    assert (await feasibility_of(live))[1].startswith("U-2")  # type: ignore[union-attr]


# U-3


async def test_u3_live_invoice_is_no_duplicate_for_a_sandbox_cover(db, make_partner):
    await fi_cover(make_partner, sandbox=False, invoice="F-7", name="Other")
    sandbox = await fi_cover(make_partner, sandbox=True, invoice="F-7")
    assert await feasibility_of(sandbox) == ("CONFIRMED", None)
    live = await fi_cover(make_partner, sandbox=False, invoice="F-7")
    assert (await feasibility_of(live))[1].startswith("U-3")  # type: ignore[union-attr]


async def test_u3_sandbox_invoice_is_no_duplicate_for_a_live_cover(db, make_partner):
    await fi_cover(make_partner, sandbox=True, invoice="F-7", name="Other")
    live = await fi_cover(make_partner, sandbox=False, invoice="F-7")
    assert await feasibility_of(live) == ("CONFIRMED", None)
    sandbox = await fi_cover(make_partner, sandbox=True, invoice="F-7")
    assert (await feasibility_of(sandbox))[1].startswith("U-3")  # type: ignore[union-attr]
