"""FI-C3 at payment under concurrency (LIFECYCLE 5a, SQLite and PostgreSQL): a buyer's
payment racing `markIndemnityPaid` is either read by the paying transaction (and lowers
the amount paid) or arrives after it (and is a recovery shared by FI-R1), never both and
never neither."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from domain.rules.quote_request import FinancingFacts, InvoiceFacts
from domain.services import activation, claims, covers, recoveries
from domain.services.cover_life import record_payment
from domain.services.errors import DomainError
from domain.services.principals import authenticate
from domain.services.quotes import request_quote
from domain.store.claim_models import Claim
from domain.store.cover_models import Cover
from tests.services.test_quote_service import TODAY, eur, fi_draft, partner

NOW = datetime.now(UTC)


async def approved_fi_claim(make_partner, make_staff) -> tuple[object, object, Claim]:
    """Financed 9,000.00 of 12,100.00; 12,100.00 notified unpaid; approved at 8,100.00."""
    principal = await partner(make_partner)
    staff = await authenticate(await make_staff())
    draft = fi_draft(
        invoice=InvoiceFacts(
            "F-9", TODAY, TODAY + timedelta(days=60), eur("10000.00"), eur("2100.00")
        ),
        financing=FinancingFacts("FIN-9", eur("9000.00")),
    )
    quote = await request_quote(principal, draft, NOW)
    cover = await covers.bind_cover(
        principal, quote.id, signature_reference="sig", payment_method_token=None, now=NOW
    )
    assert await activation.confirm_feasibility(cover.id, NOW) == "CONFIRMED"
    await activation.confirm_financing(principal, cover.id, True, None, NOW)
    await claims.declare_incident(principal, cover.id, "NON_PAYMENT", eur("12100.00"), TODAY, NOW)
    claim = await Claim.get(cover_id=cover.id)
    # The FI-D1 documents are not what this checks: straight to review.
    await Claim.filter(id=claim.id).update(status="UNDER_REVIEW")
    assert await claims.calculate_indemnity(claim.id, NOW) == Decimal("8100.00")
    await claims.decide_claim(staff, claim.id, "APPROVE", None, NOW)
    return principal, staff, claim


async def test_fi_c3_payment_racing_the_indemnity_payment_is_counted_exactly_once(
    db, gateways, make_partner, make_staff
):
    principal, staff, claim = await approved_fi_claim(make_partner, make_staff)

    async def buyer_pays() -> str:
        for _ in range(5):  # "changed meanwhile; retry" is an answer a retry fixes
            try:
                await record_payment(principal, claim.cover_id, eur("5000.00"), TODAY, NOW)  # type: ignore[attr-defined]
                return "recorded"
            except DomainError as error:
                assert error.code == "INVALID_STATE", error
        return "refused"

    outcome, paid = await asyncio.gather(
        buyer_pays(), claims.mark_indemnity_paid(staff, claim.id, TODAY, NOW)
    )
    assert outcome == "recorded"
    cover = await Cover.get(id=claim.cover_id)  # type: ignore[attr-defined]
    assert cover.status == "INDEMNIFIED" and cover.paid_amount == Decimal("5000.00")
    found = (await recoveries.by_cover([cover.id])).get(cover.id, [])
    if found:  # the payment came after: full indemnity, the payment shared 90/10
        assert paid.indemnity_amount == Decimal("8100.00")
        assert [(r.insurer_share, r.insured_share) for r in found] == [
            (Decimal("4500.00"), Decimal("500.00"))
        ]
    else:  # read by the paying transaction: 90% x min(7,100.00, 9,000.00)
        assert paid.indemnity_amount == Decimal("5280.99")


async def test_lifecycle_5a_staff_decision_racing_a_lapse_ends_in_one_outcome(
    db, gateways, make_partner, make_staff
):
    """A claim decision (claim row, then the cover's event) racing the sweep's lapse
    (cover row, then the claim): both take the cover first, so neither waits on the
    other forever; the claim ends REJECTED once, by one of them."""
    from domain.rules.violations import Violation
    from domain.services import cover_life

    principal, staff, claim = await approved_fi_claim(make_partner, make_staff)
    await Claim.filter(id=claim.id).update(status="UNDER_REVIEW")
    cover = await Cover.get(id=claim.cover_id)  # type: ignore[attr-defined]

    async def reject() -> str:
        try:
            await claims.decide_claim(staff, claim.id, "REJECT", "FI-D1: missing", NOW)
            return "rejected"
        except DomainError as error:
            return error.code

    async def lapse() -> bool:
        from tortoise.transactions import in_transaction

        async with in_transaction():
            return await cover_life.lapse(cover, Violation("FI-N1", "late"), NOW, "system")

    outcomes = await asyncio.wait_for(asyncio.gather(reject(), lapse()), timeout=30)
    final = await Claim.get(id=claim.id)
    assert final.status == "REJECTED"
    assert outcomes[1] is True  # the cover lapses either way
    from domain.store.cover_models import CoverEvent

    rejected = await CoverEvent.filter(cover_id=cover.id, type="claim.rejected").count()
    assert rejected == 1
