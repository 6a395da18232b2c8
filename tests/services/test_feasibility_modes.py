"""Sandbox and live are separate worlds for U-1, U-2 and U-3 (LIFECYCLE 2), and a U-1
decline tells the partner no figure that includes other partners' covers. Through the
activation service on real storage (SQLite, and PostgreSQL when enabled)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.rules.quote_request import FinancingFacts, InvoiceFacts, ShipmentFacts
from domain.services import activation, covers
from domain.services.principals import authenticate
from domain.services.quotes import QuoteDraft, request_quote
from domain.store.cover_models import Cover, CoverEvent, PaymentHold
from domain.store.ids import new_id
from domain.store.models import OutboxMessage
from tests.services.test_quote_service import BUYER, SELLER, eur, fi_draft

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
    assert reason is not None
    assert reason.startswith("U-1: The buyer's capacity for this cover is exceeded.")
    assert "at most 150000.00 of its capacity" in reason  # this partner has no other cover
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


# U-1: what the partner's decline reason may depend on


async def u1_reasons_with_other_partner_exposure(make_partner, other_insured: str) -> tuple:
    """The partner's and the staff's U-1 reasons for a live cover of 20,000.00 when the
    partner already has 30,000.00 on the buyer and another live partner `other_insured`."""
    own = await authenticate(await make_partner(name="Platform", sandbox=False))
    mine = await fi_cover_of(own, invoice="OWN-1")
    await Cover.filter(id=mine.id).update(
        status="ACTIVE", feasibility="CONFIRMED", insured_amount=Decimal("30000.00")
    )
    await exposed_cover(make_partner, sandbox=False, insured=other_insured, invoice="OTHER-1")
    # A sandbox cover of the same partner's world is not counted either (other mode).
    await exposed_cover(make_partner, sandbox=True, insured="99000.00", invoice="SBX-1")
    cover = await fi_cover_of(own, invoice="OWN-2")
    outcome, reason = await feasibility_of(cover)
    events = await CoverEvent.filter(cover_id=cover.id).values_list("data", flat=True)
    staff = (await Cover.get(id=cover.id)).feasibility_reason
    return outcome, reason, events, staff


async def fi_cover_of(principal, *, invoice: str) -> Cover:
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


async def test_u1_partner_reason_gives_only_what_its_own_covers_leave(db, make_partner):
    """LIFECYCLE 2, U-1: the partner hears the capacity its own covers leave
    (150,000.00 - 30,000.00), and staff the buyer's whole exposure."""
    outcome, reason, events, staff = await u1_reasons_with_other_partner_exposure(
        make_partner, "110000.00"
    )
    assert outcome == "DECLINED"
    assert reason == (
        "U-1: The buyer's capacity for this cover is exceeded. This partner's covers on this "
        "buyer leave at most 120000.00 of its capacity; other business on the buyer may "
        "leave less."
    )
    assert not any("110000" in str(data) or "160000" in str(data) for data in events)
    assert staff is not None and "160000.00" in staff and "150000.00" in staff


async def test_u1_partner_reason_is_the_same_whatever_other_partners_insured(db, make_partner):
    """U-1: the partner's reason and its cover events do not depend on another partner's
    exposure on the buyer (no figure it could work that exposure out from)."""
    first = await u1_reasons_with_other_partner_exposure(make_partner, "110000.00")
    await Cover.all().delete()
    second = await u1_reasons_with_other_partner_exposure(make_partner, "145000.00")
    assert first[0] == second[0] == "DECLINED"
    assert first[1] == second[1]  # byte-identical decline reason
    causes = [
        [data.get("cause") for data in result[2] if "cause" in data] for result in (first, second)
    ]
    assert causes[0] == causes[1] and causes[0]
    assert first[3] != second[3]  # staff see the figure that changed


# TR-P2: the hold follows the decision of the cover's own mode


async def tr_cover_in(make_partner, *, sandbox: bool) -> Cover:
    principal = await authenticate(
        await make_partner(name="Carrier", kind="freight_exchange", sandbox=sandbox)
    )
    quote = await request_quote(
        principal,
        QuoteDraft(
            "TRANSPORT_INVOICE", SELLER, BUYER, shipment=ShipmentFacts(eur("1500.00"), TODAY)
        ),
        NOW,
    )
    assert quote.eligible, quote.violations
    return await covers.bind_cover(
        principal, quote.id, signature_reference=None, payment_method_token="tok_visa", now=NOW
    )


async def hold_jobs_of(cover: Cover) -> list[str]:
    rows = await OutboxMessage.all().values_list("actor", "payload")
    return sorted(
        actor
        for actor, payload in rows
        if payload.get("cover_id") == cover.id and actor.startswith("payment_hold.")
    )


@pytest.mark.parametrize("incident_sandbox", [True, False])
async def test_tr_p2_hold_is_not_released_for_an_incident_of_the_other_mode(
    db, make_partner, incident_sandbox
):
    """U-2 + TR-P2: an incident of the other mode neither declines a TR cover nor releases
    its hold; the cover activates and its hold is to be captured. An incident of the same
    mode still declines and releases."""
    await incident_on(
        await fi_cover(make_partner, sandbox=incident_sandbox, invoice="I-1", name="Other")
    )
    other_mode = await tr_cover_in(make_partner, sandbox=not incident_sandbox)
    assert await activation.confirm_feasibility(other_mode.id, NOW) == "CONFIRMED"
    assert (await Cover.get(id=other_mode.id)).status == "ACTIVE"
    assert await hold_jobs_of(other_mode) == [activation.CAPTURE_HOLD]
    assert (await PaymentHold.get(cover_id=other_mode.id)).status == "HELD"

    same_mode = await tr_cover_in(make_partner, sandbox=incident_sandbox)
    assert await activation.confirm_feasibility(same_mode.id, NOW) == "DECLINED"
    assert await hold_jobs_of(same_mode) == [activation.RELEASE_HOLD]
