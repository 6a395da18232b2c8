"""An active TR cover's life on a test clock (LIFECYCLE 3-4): shipment and invoice facts
that break a deadline lapse the cover with the rule (TR-T1, TR-T2, TR-T3); the sweep
announces deadlines 7 and 1 days before and lapses on a miss (TR-T4); a full payment
settles the cover."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.api.cover_helpers import bind, cover, create_clock, event_types, quote_id
from tests.builders import tr_input

START = date(2026, 11, 23)
SHIPMENT = (
    "mutation($input: RecordShipmentEventInput!) { recordShipmentEvent(input: $input) "
    "{ cover { status lapse { rule } deadlines { kind rule dueOn met metOn } } "
    "userErrors { code field } } }"
)
INVOICE = (
    "mutation($input: RecordInvoiceInput!) { recordInvoice(input: $input) "
    "{ cover { status lapse { rule } deadlines { kind rule dueOn met } } "
    "userErrors { code field } } }"
)
PAYMENT = (
    "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) "
    "{ cover { status paidAmount { amount } } userErrors { code field } } }"
)
ADVANCE = (
    "mutation($id: ID!, $t: DateTime!) { advanceTestClock(input: {testClockId: $id, "
    "frozenTime: $t}) { testClock { status } userErrors { code } } }"
)


async def active_tr_cover(api, jobs, key):
    clock_id = await create_clock(api, key, "2026-11-23T09:00:00+00:00")
    request = tr_input(testClockId=clock_id)
    del request["requestDate"]
    qid = await quote_id(api, key, request)
    cover_id = (await bind(api, key, quoteId=qid, paymentMethodToken="tok_visa"))["cover"]["id"]
    await jobs.run_all()
    return clock_id, cover_id


async def shipment(api, key, cover_id, kind, on):
    body = await api.execute(
        SHIPMENT, {"input": {"coverId": cover_id, "kind": kind, "on": on.isoformat()}}, key=key
    )
    return body["data"]["recordShipmentEvent"]


async def invoice(api, key, cover_id, issue, due, amount="1500.00"):
    data = {
        "number": "T-1",
        "issueDate": issue.isoformat(),
        "dueDate": due.isoformat(),
        "amount": {"amount": amount, "currency": "EUR"},
        "vatAmount": {"amount": "0.00", "currency": "EUR"},
    }
    body = await api.execute(INVOICE, {"input": {"coverId": cover_id, "invoice": data}}, key=key)
    return body["data"]["recordInvoice"]


async def advance(api, key, clock_id, day: date):
    body = await api.execute(
        ADVANCE, {"id": clock_id, "t": f"{day.isoformat()}T09:00:00+00:00"}, key=key
    )
    assert body["data"]["advanceTestClock"]["testClock"]["status"] == "READY"


@pytest.mark.parametrize(
    ("day", "status", "lapse"), [(10, "ACTIVE", None), (11, "LAPSED", "TR-T1")]
)
async def test_tr_t1_unloading_by_day_10(api, jobs, make_partner, day, status, lapse):
    key = await make_partner(kind="freight_exchange")
    _, cover_id = await active_tr_cover(api, jobs, key)
    await shipment(api, key, cover_id, "LOADED", START)
    result = await shipment(api, key, cover_id, "UNLOADED", START + timedelta(days=day))
    assert result["cover"]["status"] == status
    assert (result["cover"]["lapse"] or {}).get("rule") == lapse


@pytest.mark.parametrize(("days", "lapse"), [(30, None), (31, "TR-T2")])
async def test_tr_t2_invoice_within_30_days_of_unloading(api, jobs, make_partner, days, lapse):
    key = await make_partner(kind="freight_exchange")
    _, cover_id = await active_tr_cover(api, jobs, key)
    await shipment(api, key, cover_id, "LOADED", START)
    unloaded = START + timedelta(days=2)
    await shipment(api, key, cover_id, "UNLOADED", unloaded)
    issue = unloaded + timedelta(days=days)
    result = await invoice(api, key, cover_id, issue, issue + timedelta(days=30))
    assert (result["cover"]["lapse"] or {}).get("rule") == lapse


@pytest.mark.parametrize(("days", "lapse"), [(90, None), (91, "TR-T3")])
async def test_tr_t3_due_date_within_90_days_of_invoice(api, jobs, make_partner, days, lapse):
    key = await make_partner(kind="freight_exchange")
    _, cover_id = await active_tr_cover(api, jobs, key)
    await shipment(api, key, cover_id, "LOADED", START)
    await shipment(api, key, cover_id, "UNLOADED", START + timedelta(days=1))
    issue = START + timedelta(days=2)
    result = await invoice(api, key, cover_id, issue, issue + timedelta(days=days))
    assert (result["cover"]["lapse"] or {}).get("rule") == lapse


async def test_tr_t4_sweep_announces_then_lapses_when_no_incident_by_due_plus_20(
    api, jobs, make_partner
):
    key = await make_partner(kind="freight_exchange")
    clock_id, cover_id = await active_tr_cover(api, jobs, key)
    await shipment(api, key, cover_id, "LOADED", START)
    await shipment(api, key, cover_id, "UNLOADED", START + timedelta(days=1))
    issue = START + timedelta(days=2)
    due = issue + timedelta(days=30)
    result = await invoice(api, key, cover_id, issue, due)
    declaration = [d for d in result["cover"]["deadlines"] if d["kind"] == "INCIDENT_DECLARATION"]
    assert declaration == [
        {
            "kind": "INCIDENT_DECLARATION",
            "rule": "TR-T4",
            "dueOn": (due + timedelta(days=20)).isoformat(),
            "met": None,
        }
    ]

    await advance(api, key, clock_id, due + timedelta(days=20))
    on_the_day = await cover(api, key, cover_id)
    assert on_the_day["status"] == "ACTIVE"
    assert event_types(on_the_day).count("deadline.approaching") >= 2

    await advance(api, key, clock_id, due + timedelta(days=21))
    after = await cover(api, key, cover_id)
    assert after["status"] == "LAPSED"
    assert event_types(after).count("deadline.missed") == 1
    assert event_types(after)[-1] == "cover.lapsed"


async def test_full_payment_settles_and_closes_the_deadlines(api, jobs, make_partner):
    key = await make_partner(kind="freight_exchange")
    _, cover_id = await active_tr_cover(api, jobs, key)
    await shipment(api, key, cover_id, "LOADED", START)
    await shipment(api, key, cover_id, "UNLOADED", START + timedelta(days=1))
    await invoice(api, key, cover_id, START + timedelta(days=2), START + timedelta(days=32))
    part = await api.execute(
        PAYMENT,
        {
            "input": {
                "coverId": cover_id,
                "receivedOn": "2026-12-20",
                "amount": {"amount": "500.00", "currency": "EUR"},
            }
        },
        key=key,
    )
    assert part["data"]["recordPayment"]["cover"] == {
        "status": "ACTIVE",
        "paidAmount": {"amount": "500.00"},
    }
    rest = await api.execute(
        PAYMENT,
        {
            "input": {
                "coverId": cover_id,
                "receivedOn": "2026-12-21",
                "amount": {"amount": "1000.00", "currency": "EUR"},
            }
        },
        key=key,
    )
    assert rest["data"]["recordPayment"]["cover"]["status"] == "SETTLED"


async def test_fi_n1_active_cover_lapses_when_not_notified_by_due_plus_60(api, jobs, make_partner):
    from tests.api.cover_helpers import CONFIRM_FINANCING
    from tests.builders import fi_input

    key = await make_partner()
    clock_id = await create_clock(api, key, "2026-11-23T09:00:00+00:00")
    request = fi_input(testClockId=clock_id)
    del request["requestDate"]
    qid = await quote_id(api, key, request)
    cover_id = (await bind(api, key, quoteId=qid, signatureReference="env"))["cover"]["id"]
    await jobs.run_all()
    await api.execute(
        CONFIRM_FINANCING, {"input": {"coverId": cover_id, "financed": True}}, key=key
    )
    due = date(2027, 1, 22)  # fi_input: due 60 days after 2026-11-23
    active = await api.execute(
        "query($id: ID!) { cover(id: $id) { status deadlines { kind rule dueOn met } } }",
        {"id": cover_id},
        key=key,
    )
    rows = {d["kind"]: d for d in active["data"]["cover"]["deadlines"]}
    assert rows["INCIDENT_DECLARATION"] == {
        "kind": "INCIDENT_DECLARATION",
        "rule": "FI-N1",
        "dueOn": (due + timedelta(days=60)).isoformat(),
        "met": None,
    }
    await advance(api, key, clock_id, due + timedelta(days=60))
    assert (await cover(api, key, cover_id))["status"] == "ACTIVE"
    await advance(api, key, clock_id, due + timedelta(days=61))
    lapsed = await cover(api, key, cover_id)
    assert lapsed["status"] == "LAPSED"
