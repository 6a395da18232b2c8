"""TR claim-side deadlines at their boundaries, on test clocks through the API:
TR-T4 (a declaration after due + 20 lapses the cover), TR-T5 (claim file by invoice date
+ 140 days), TR-T6 (every document within 10 days of the client's insolvency, else
TR-X1). The sweep that a clock advance runs is the one that enforces them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.services import claims
from domain.services.errors import DomainError
from domain.services.principals import authenticate
from tests.api.test_claim_journeys import DECLARE, OPEN, submit
from tests.api.test_cover_life import START, active_tr_cover, advance, invoice, shipment

TR_D1 = ("COLLECTION_ATTEMPT_PROOF", "TRANSPORT_ORDER", "CMR", "TRANSPORT_INVOICE")
TR_D2 = ("UBO_FORM", "UBO_IDENTITY", "BANK_ACCOUNT", "DEBTOR_LEDGER")
ISSUE = START + timedelta(days=2)
DUE = ISSUE + timedelta(days=30)


async def invoiced_cover(api, jobs, key) -> tuple[str, str]:
    """A TR cover on a clock: loaded on day 0, unloaded on day 1, invoiced on day 2,
    due 30 days later (DUE)."""
    clock_id, cover_id = await active_tr_cover(api, jobs, key)
    await shipment(api, key, cover_id, "LOADED", START)
    await shipment(api, key, cover_id, "UNLOADED", START + timedelta(days=1))
    await invoice(api, key, cover_id, ISSUE, DUE)
    return clock_id, cover_id


async def declare(api, key, cover_id, kind: str, occurred_on: date) -> dict:
    body = await api.execute(
        DECLARE,
        {
            "input": {
                "coverId": cover_id,
                "kind": kind,
                "occurredOn": occurred_on.isoformat(),
                "unpaidAmount": {"amount": "1500.00", "currency": "EUR"},
            }
        },
        key=key,
    )
    return body["data"]["declareIncident"]


async def lapse_rule(api, key, cover_id) -> tuple[str, str | None]:
    body = await api.execute(
        "query($id: ID!) { cover(id: $id) { status lapse { rule } } }", {"id": cover_id}, key=key
    )
    found = body["data"]["cover"]
    return found["status"], (found["lapse"] or {}).get("rule")


@pytest.mark.parametrize(("days_after_due", "declared"), [(20, True), (21, False)])
async def test_tr_t4_incident_declared_by_due_plus_20(
    api, jobs, storage, make_partner, days_after_due, declared
):
    key = await make_partner(kind="freight_exchange")
    clock_id, cover_id = await invoiced_cover(api, jobs, key)
    # The clock stops the day before: the declaration itself is the late fact on day 21.
    await advance(api, key, clock_id, DUE + timedelta(days=days_after_due - 1))
    principal = await authenticate(key)
    on_the_day = datetime.combine(DUE + timedelta(days=days_after_due), datetime.min.time(), UTC)
    from domain.store.cover_models import Cover

    # Taken off the clock so that "now" is the declaration day and no sweep has run yet.
    await Cover.filter(id=cover_id).update(test_clock_id=None)
    if declared:
        _, found = await claims.declare_incident(
            principal, cover_id, "NON_PAYMENT", _eur("1500.00"), DUE, on_the_day
        )
        assert found.status == "DEFAULTED"
    else:
        with pytest.raises(DomainError) as refused:
            await claims.declare_incident(
                principal, cover_id, "NON_PAYMENT", _eur("1500.00"), DUE, on_the_day
            )
        assert refused.value.code == "TR-T4"
        assert await lapse_rule(api, key, cover_id) == ("LAPSED", "TR-T4")


def _eur(amount: str):
    from decimal import Decimal

    from domain.rules.money import Money

    return Money(Decimal(amount), "EUR")


async def defaulted_on_clock(api, jobs, key, kind: str = "NON_PAYMENT") -> tuple[str, str, date]:
    """Declared 5 days after the due date, with the TR-D1 documents the same day."""
    clock_id, cover_id = await invoiced_cover(api, jobs, key)
    declared_on = DUE + timedelta(days=5)
    await advance(api, key, clock_id, declared_on)
    result = await declare(api, key, cover_id, kind, declared_on)
    assert result["cover"]["status"] == "DEFAULTED"
    for document in TR_D1:
        await submit(key, cover_id, document)
    return clock_id, cover_id, declared_on


@pytest.mark.parametrize(
    ("opened", "status", "rule"), [(True, "IN_CLAIM", None), (False, "LAPSED", "TR-T5")]
)
async def test_tr_t5_claim_opened_by_invoice_date_plus_140(
    api, jobs, storage, make_partner, opened, status, rule
):
    key = await make_partner(kind="freight_exchange")
    clock_id, cover_id, _ = await defaulted_on_clock(api, jobs, key)
    for document in TR_D2:  # the claim-stage documents are in: only TR-T5 can be missed
        await submit(key, cover_id, document)
    last_day = ISSUE + timedelta(days=140)
    await advance(api, key, clock_id, last_day)
    assert (await lapse_rule(api, key, cover_id)) == ("DEFAULTED", None)
    if opened:
        body = await api.execute(OPEN, {"id": cover_id}, key=key)
        assert body["data"]["openClaim"]["userErrors"] == []
    await advance(api, key, clock_id, last_day + timedelta(days=1))
    assert await lapse_rule(api, key, cover_id) == (status, rule)
    if not opened:
        late = await api.execute(OPEN, {"id": cover_id}, key=key)
        assert late["data"]["openClaim"]["userErrors"][0]["code"] == "INVALID_STATE"


async def test_tr_t5_claim_opened_late_before_any_sweep_lapses_the_cover(
    api, jobs, storage, make_partner
):
    key = await make_partner(kind="freight_exchange")
    _, cover_id, _ = await defaulted_on_clock(api, jobs, key)
    from domain.store.cover_models import Cover

    await Cover.filter(id=cover_id).update(test_clock_id=None)
    day_141 = datetime.combine(ISSUE + timedelta(days=141), datetime.min.time(), UTC)
    with pytest.raises(DomainError) as refused:
        await claims.open_claim(await authenticate(key), cover_id, day_141)
    assert refused.value.code == "TR-T5"
    assert await lapse_rule(api, key, cover_id) == ("LAPSED", "TR-T5")


@pytest.mark.parametrize(
    ("delivered", "status", "rule"), [(True, "DEFAULTED", None), (False, "LAPSED", "TR-X1")]
)
async def test_tr_t6_all_documents_within_10_days_of_the_insolvency(
    api, jobs, storage, make_partner, delivered, status, rule
):
    key = await make_partner(kind="freight_exchange")
    clock_id, cover_id, insolvent_on = await defaulted_on_clock(api, jobs, key, "INSOLVENCY")
    tenth_day = insolvent_on + timedelta(days=10)
    body = await api.execute(
        "query($id: ID!) { cover(id: $id) { deadlines { kind rule dueOn met } } }",
        {"id": cover_id},
        key=key,
    )
    documents = [d for d in body["data"]["cover"]["deadlines"] if d["kind"] == "DOCUMENTS"]
    # TR-D1 came in on the declaration day (met); TR-D2 is now owed by insolvency + 10.
    assert documents == [
        {"kind": "DOCUMENTS", "rule": "TR-X1", "dueOn": tenth_day.isoformat(), "met": None}
    ]
    await advance(api, key, clock_id, tenth_day)
    if delivered:
        for document in TR_D2:
            await submit(key, cover_id, document)
    assert (await lapse_rule(api, key, cover_id)) == ("DEFAULTED", None)
    await advance(api, key, clock_id, tenth_day + timedelta(days=1))
    assert await lapse_rule(api, key, cover_id) == (status, rule)


async def test_tr_x1_lapse_during_the_claim_rejects_the_claim(api, jobs, storage, make_partner):
    """A claim opened without its TR-D2 documents: at the claim-opening deadline the
    cover lapses (TR-X1) and the claim is rejected with the same rule."""
    key = await make_partner(kind="freight_exchange")
    clock_id, cover_id, _ = await defaulted_on_clock(api, jobs, key)
    opened = await api.execute(OPEN, {"id": cover_id}, key=key)
    claim_id = opened["data"]["openClaim"]["claim"]["id"]
    await advance(api, key, clock_id, ISSUE + timedelta(days=141))
    body = await api.execute(
        "query($id: ID!) { claim(id: $id) { status rejection { rule } cover { status } } }",
        {"id": claim_id},
        key=key,
    )
    assert body["data"]["claim"] == {
        "status": "REJECTED",
        "rejection": {"rule": "TR-X1"},
        "cover": {"status": "LAPSED"},
    }
