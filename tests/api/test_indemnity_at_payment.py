"""FI-C3 and TR-S2 through the API on test clocks, where every call of a step shares one
frozen instant (LIFECYCLE 5a): before or after the notification is decided by the
cover's event sequence, before or after the indemnity payment by the business dates,
and `markIndemnityPaid` pays the indemnity recomputed from the state at payment (the
stored calculation is a preview). Recoveries after the indemnity are on the claim with
both shares (FI-R1)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.services import claims
from tests.api.cover_helpers import CONFIRM_FINANCING, bind, create_clock, quote_id
from tests.api.test_claim_journeys import DECIDE, DECLARE, OPEN, submit
from tests.api.test_cover_life import PAYMENT
from tests.builders import fi_input

DAY = date(2026, 11, 23)  # the clocks' frozen day
CLAIM = (
    "query($id: ID!) { claim(id: $id) { status paidOn indemnity { amount { amount } } "
    "recoveries { amount { amount } insurerShare { amount } insuredShare { amount } "
    "receivedOn sequence } } }"
)
EVENTS = (
    "query($id: ID!) { cover(id: $id) { events(first: 100) { edges { node { "
    "type sequence occurredAt payload } } } } }"
)
PAID = (
    "mutation($input: MarkIndemnityPaidInput!) { markIndemnityPaid(input: $input) { "
    "claim { status paidOn indemnity { amount { amount } } } userErrors { code message } } }"
)


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


async def pay(api, key, cover_id: str, amount: str, received_on: date) -> dict:
    body = await api.execute(
        PAYMENT,
        {
            "input": {
                "coverId": cover_id,
                "amount": eur(amount),
                "receivedOn": received_on.isoformat(),
            }
        },
        key=key,
    )
    payload = body["data"]["recordPayment"]
    assert payload["userErrors"] == [], payload
    return payload


async def active_fi_cover_on_clock(api, jobs, key) -> str:
    """Financed 9,000.00 of a 12,100.00 invoice (VAT incl.), ACTIVE on a frozen clock."""
    clock_id = await create_clock(api, key, f"{DAY.isoformat()}T09:00:00+00:00")
    request = fi_input(testClockId=clock_id)
    del request["requestDate"]
    cover_id = (
        await bind(api, key, quoteId=await quote_id(api, key, request), signatureReference="e")
    )["cover"]["id"]
    await jobs.run_all()
    await api.execute(
        CONFIRM_FINANCING, {"input": {"coverId": cover_id, "financed": True}}, key=key
    )
    return str(cover_id)


async def notify(api, key, cover_id: str, unpaid: str) -> str:
    """FI-N1: the notification opens the claim; the FI-D1 documents follow at once."""
    body = await api.execute(
        DECLARE,
        {
            "input": {
                "coverId": cover_id,
                "kind": "NON_PAYMENT",
                "occurredOn": DAY.isoformat(),
                "unpaidAmount": eur(unpaid),
            }
        },
        key=key,
    )
    payload = body["data"]["declareIncident"]
    assert payload["userErrors"] == [], payload
    await submit(key, cover_id, "INVOICE")
    await submit(key, cover_id, "ACCOUNT_STATEMENT")
    return str(payload["cover"]["claim"]["id"])


async def approved(api, staff, claim_id: str) -> None:
    await claims.calculate_indemnity(claim_id, datetime.now(UTC))
    body = await api.execute(
        DECIDE, {"input": {"claimId": claim_id, "decision": "APPROVE"}}, key=staff
    )
    assert body["data"]["decideClaim"]["claim"]["status"] == "APPROVED", body


async def claim_of(api, key, claim_id: str) -> dict:
    return (await api.execute(CLAIM, {"id": claim_id}, key=key))["data"]["claim"]


async def events_of(api, key, cover_id: str) -> list[dict]:
    body = await api.execute(EVENTS, {"id": cover_id}, key=key)
    return [edge["node"] for edge in body["data"]["cover"]["events"]["edges"]]


async def mark_paid(api, staff, claim_id: str, paid_on: date) -> dict:
    body = await api.execute(
        PAID, {"input": {"claimId": claim_id, "paidOn": paid_on.isoformat()}}, key=staff
    )
    payload = body["data"]["markIndemnityPaid"]
    assert payload["userErrors"] == [], payload
    return dict(payload["claim"])


async def test_fi_c3_payment_before_the_notification_in_the_same_instant_is_counted_once(
    api, jobs, storage, make_partner, make_staff
):
    """2,000.00 paid, then 10,100.00 notified unpaid, in one frozen instant: the payment
    is already out of the unpaid amount. Net of its VAT share (C-3: 10,100.00 x 10,000.00 /
    12,100.00 = 8,347.11), 90% x min(8,347.11, 9,000.00) = 7,512.40 (the defect subtracted
    it again)."""
    key, staff = await make_partner(), await make_staff()
    cover_id = await active_fi_cover_on_clock(api, jobs, key)
    await pay(api, key, cover_id, "2000.00", DAY)
    claim_id = await notify(api, key, cover_id, "10100.00")
    await approved(api, staff, claim_id)
    assert (await claim_of(api, key, claim_id))["indemnity"]["amount"] == {"amount": "7512.40"}
    paid = await mark_paid(api, staff, claim_id, DAY)
    assert paid["indemnity"]["amount"] == {"amount": "7512.40"}

    events = await events_of(api, key, cover_id)
    assert len({e["occurredAt"] for e in events}) == 1  # one frozen instant for all
    sequences = [e["sequence"] for e in events]
    assert sequences == list(range(1, len(events) + 1))
    order = [e["type"] for e in events]
    assert order.index("payment.recorded") < order.index("incident.declared")
    paid_event = next(e for e in events if e["type"] == "claim.paid")
    assert paid_event["payload"]["amount"] == "7512.40"


async def test_fi_c3_payment_after_the_notification_is_a_recovery_before_payment(
    api, jobs, storage, make_partner, make_staff
):
    """12,100.00 notified, then 5,000.00 paid: 7,100.00 unpaid, 5,867.77 net of its VAT
    share (C-3); 90% x min(5,867.77, 9,000.00) = 5,280.99."""
    key, staff = await make_partner(), await make_staff()
    cover_id = await active_fi_cover_on_clock(api, jobs, key)
    claim_id = await notify(api, key, cover_id, "12100.00")
    await pay(api, key, cover_id, "5000.00", DAY)
    await approved(api, staff, claim_id)
    assert (await mark_paid(api, staff, claim_id, DAY))["indemnity"]["amount"] == {
        "amount": "5280.99"
    }


async def test_fi_c3_amount_paid_is_recomputed_at_payment_not_the_stored_preview(
    api, jobs, storage, make_partner, make_staff
):
    """Calculated and approved at 8,100.00; a 5,000.00 payment arrives before the
    indemnity is paid (its recalculation job has not run): 5,280.99 is paid (90% of the
    7,100.00 still unpaid net of its VAT share, C-3)."""
    key, staff = await make_partner(), await make_staff()
    cover_id = await active_fi_cover_on_clock(api, jobs, key)
    claim_id = await notify(api, key, cover_id, "12100.00")
    await approved(api, staff, claim_id)
    assert (await claim_of(api, key, claim_id))["indemnity"]["amount"] == {"amount": "8100.00"}
    await pay(api, key, cover_id, "5000.00", DAY)  # the preview job is left unrun
    paid = await mark_paid(api, staff, claim_id, DAY)
    assert paid["status"] == "PAID"
    assert paid["indemnity"]["amount"] == {"amount": "5280.99"}
    events = await events_of(api, key, cover_id)
    paid_event = next(e for e in events if e["type"] == "claim.paid")
    assert (paid_event["payload"]["amount"], paid_event["payload"]["previewAmount"]) == (
        "5280.99",
        "8100.00",
    )


async def test_fi_r1_payment_received_after_the_indemnity_day_is_a_shared_recovery(
    api, jobs, storage, make_partner, make_staff
):
    """The indemnity was paid the day before (paidOn), the buyer's 1,000.00 came in on
    the clock's day and was recorded before staff marked the payment: it does not lower
    the indemnity (8,100.00) and is a recovery shared 900.00 / 100.00."""
    key, staff = await make_partner(), await make_staff()
    cover_id = await active_fi_cover_on_clock(api, jobs, key)
    claim_id = await notify(api, key, cover_id, "12100.00")
    await approved(api, staff, claim_id)
    await pay(api, key, cover_id, "1000.00", DAY)
    paid = await mark_paid(api, staff, claim_id, DAY - timedelta(days=1))
    assert paid["indemnity"]["amount"] == {"amount": "8100.00"}
    found = await claim_of(api, key, claim_id)
    (recovery,) = found["recoveries"]
    assert {k: v for k, v in recovery.items() if k != "sequence"} == {
        "amount": {"amount": "1000.00"},
        "insurerShare": {"amount": "900.00"},
        "insuredShare": {"amount": "100.00"},
        "receivedOn": DAY.isoformat(),
    }


async def test_fi_r1_recoveries_after_the_indemnity_are_on_the_claim_in_sequence(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    cover_id = await active_fi_cover_on_clock(api, jobs, key)
    claim_id = await notify(api, key, cover_id, "12100.00")
    await approved(api, staff, claim_id)
    await mark_paid(api, staff, claim_id, DAY)
    await pay(api, key, cover_id, "1000.00", DAY)
    await pay(api, key, cover_id, "0.15", DAY)
    found = await claim_of(api, key, claim_id)
    assert found["status"] == "PAID"
    assert [
        (r["amount"]["amount"], r["insurerShare"]["amount"], r["insuredShare"]["amount"])
        for r in found["recoveries"]
    ] == [("1000.00", "900.00", "100.00"), ("0.15", "0.14", "0.01")]
    first, second = (r["sequence"] for r in found["recoveries"])
    assert first < second
    events = await events_of(api, key, cover_id)
    recovered = [e for e in events if e["type"] == "recovery.recorded"]
    assert [e["sequence"] for e in recovered] == [first, second]
    assert recovered[0]["payload"]["insurerShare"] == "900.00"


async def test_tr_s2_amount_paid_is_recomputed_at_payment(
    api, jobs, storage, make_partner, make_staff
):
    """TR-S2 preview 90% x 1,500.00 = 1,350.00; 300.00 paid by the client before the
    indemnity is paid: 90% x 1,200.00 = 1,080.00 is paid."""
    from tests.api.test_claim_deadlines import DUE, TR_D1, TR_D2, declare, invoiced_cover
    from tests.api.test_cover_life import advance

    key, staff = await make_partner(kind="freight_exchange"), await make_staff()
    clock_id, cover_id = await invoiced_cover(api, jobs, key)
    declared_on = DUE + timedelta(days=5)
    await advance(api, key, clock_id, declared_on)
    await declare(api, key, cover_id, "NON_PAYMENT", declared_on)
    for kind in TR_D1:
        await submit(key, cover_id, kind)
    opened = await api.execute(OPEN, {"id": cover_id}, key=key)
    claim_id = opened["data"]["openClaim"]["claim"]["id"]
    for kind in TR_D2:
        await submit(key, cover_id, kind)
    await approved(api, staff, claim_id)
    assert (await claim_of(api, key, claim_id))["indemnity"]["amount"] == {"amount": "1350.00"}
    await pay(api, key, cover_id, "300.00", declared_on)
    paid = await mark_paid(api, staff, claim_id, declared_on)
    assert paid["indemnity"]["amount"] == {"amount": "1080.00"}
    # After the indemnity, the client's payment is a recovery on the claim (FI-R1 shares).
    await pay(api, key, cover_id, "100.00", declared_on)
    (recovery,) = (await claim_of(api, key, claim_id))["recoveries"]
    assert (recovery["insurerShare"], recovery["insuredShare"]) == (
        {"amount": "90.00"},
        {"amount": "10.00"},
    )
