"""The quote service on real storage (SQLite, and PostgreSQL when enabled):
LIFECYCLE 1, C-5, FI-P1, TR-P1; nothing stored for malformed input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.rules.money import Money
from domain.rules.quote_request import Company, FinancingFacts, InvoiceFacts, ShipmentFacts
from domain.services.errors import DomainError, InvalidInput
from domain.services.principals import Principal, authenticate
from domain.services.quotes import QuoteDraft, get_quote, request_quote
from domain.store.models import Quote

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
SELLER = Company("ES", "A1", "Seller", "COMPANY", "25.11")
BUYER = Company("ES", "B2", "Buyer", "COMPANY", "46.90")


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def fi_draft(**changes) -> QuoteDraft:
    base = {
        "product": "FINANCED_INVOICE",
        "seller": SELLER,
        "buyer": BUYER,
        "invoice": InvoiceFacts(
            "F-1", TODAY, TODAY + timedelta(days=30), eur("30000.00"), eur("6300.00")
        ),
        "financing": FinancingFacts("FIN-1", eur("30000.00")),
    }
    base.update(changes)
    return QuoteDraft(**base)


async def partner(make_partner, **kw) -> Principal:
    principal = await authenticate(await make_partner(**kw))
    assert principal is not None
    return principal


async def test_fi_quote_at_both_limits_is_eligible_and_stored_with_its_price(db, make_partner):
    who = await partner(make_partner, sandbox=False)
    row = await request_quote(who, fi_draft(), NOW)
    stored = await Quote.get(id=row.id)
    assert stored.eligible is True
    assert stored.violations == []
    assert stored.premium == Decimal("240.00")  # FI-P1: 0.80% x 30,000.00
    assert stored.insured_amount == Decimal("30000.00")
    assert stored.request_date == TODAY
    assert stored.valid_until == NOW + timedelta(hours=24)
    assert stored.request["invoice"]["amount"] == {"amount": "30000.00", "currency": "EUR"}


async def test_fi_e1_and_fi_e2_refusals_are_stored_as_violations(db, make_partner):
    who = await partner(make_partner)
    draft = fi_draft(
        invoice=InvoiceFacts("F-1", TODAY, TODAY + timedelta(days=29), eur("30000.01"), eur("0")),
        financing=FinancingFacts("FIN-1", eur("1000.00")),
    )
    row = await request_quote(who, draft, NOW)
    stored = await Quote.get(id=row.id)
    assert stored.eligible is False
    assert [v["rule"] for v in stored.violations] == ["FI-E1", "FI-E2"]
    assert stored.premium is None and stored.valid_until is None


async def test_tr_quote_premium_is_half_up_to_the_cent(db, make_partner):
    who = await partner(make_partner, kind="freight_exchange")
    draft = QuoteDraft(
        product="TRANSPORT_INVOICE",
        seller=SELLER,
        buyer=BUYER,
        shipment=ShipmentFacts(eur("105.00"), TODAY),
    )
    row = await request_quote(who, draft, NOW)
    # TR-P1: 105.00 x 0.0170 = 1.785 -> 1.79 (half-up, not banker's 1.78)
    assert (await Quote.get(id=row.id)).premium == Decimal("1.79")


async def test_malformed_draft_stores_nothing(db, make_partner):
    who = await partner(make_partner)
    draft = fi_draft(
        invoice=InvoiceFacts(
            "F-1", TODAY, TODAY - timedelta(days=1), Money(Decimal("-1"), "XXX"), eur("0")
        )
    )
    with pytest.raises(InvalidInput) as raised:
        await request_quote(who, draft, NOW)
    fields = {tuple(f) for _, f in raised.value.problems if f}
    assert ("input", "invoice", "dueDate") in fields
    assert ("input", "invoice", "amount", "currency") in fields
    assert await Quote.all().count() == 0


async def test_quote_of_another_partner_is_not_found(db, make_partner):
    owner = await partner(make_partner, name="A")
    other = await partner(make_partner, name="B")
    row = await request_quote(owner, fi_draft(), NOW)
    assert (await get_quote(owner, row.id)) is not None
    assert (await get_quote(other, row.id)) is None


async def test_sandbox_may_set_the_request_date_but_live_may_not(db, make_partner):
    sandbox = await partner(make_partner, sandbox=True)
    live = await partner(make_partner, sandbox=False)
    draft = fi_draft(request_date=date(2026, 12, 1))
    row = await request_quote(sandbox, draft, NOW)
    assert row.request_date == date(2026, 12, 1)
    with pytest.raises(DomainError) as raised:
        await request_quote(live, draft, NOW)
    assert raised.value.code == "INVALID_INPUT"
