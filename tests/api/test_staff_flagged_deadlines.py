"""FI-C2 is the insurer's own deadline: when the indemnity is not paid by notification
+ 2 months + 10 days, the sweep flags it to staff without touching the cover, and
staff find it in `flaggedDeadlines` until the indemnity is paid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.rules.deadlines import payable_by
from domain.services import claims
from tests.api.cover_helpers import CONFIRM_FINANCING, bind, create_clock, quote_id
from tests.api.test_claim_journeys import DECIDE, DECLARE, PAID, submit
from tests.api.test_cover_life import advance
from tests.builders import fi_input

FLAGGED = (
    "query($outstanding: Boolean) { flaggedDeadlines(outstanding: $outstanding) { "
    "cover { id status } deadline { kind rule dueOn met } claim { status } } }"
)
NOTIFIED = datetime(2027, 1, 25, 9, tzinfo=UTC)


async def approved_fi_claim_on_clock(api, jobs, key, staff) -> tuple[str, str, str]:
    clock_id = await create_clock(api, key, "2026-11-23T09:00:00+00:00")
    request = fi_input(testClockId=clock_id)
    del request["requestDate"]
    qid = await quote_id(api, key, request)
    cover_id = (await bind(api, key, quoteId=qid, signatureReference="env"))["cover"]["id"]
    await jobs.run_all()
    await api.execute(
        CONFIRM_FINANCING, {"input": {"coverId": cover_id, "financed": True}}, key=key
    )
    await advance(api, key, clock_id, NOTIFIED.date())
    declared = await api.execute(
        DECLARE,
        {
            "input": {
                "coverId": cover_id,
                "kind": "NON_PAYMENT",
                "occurredOn": "2027-01-22",
                "unpaidAmount": {"amount": "12100.00", "currency": "EUR"},
            }
        },
        key=key,
    )
    claim_id = declared["data"]["declareIncident"]["cover"]["claim"]["id"]
    for kind in ("INVOICE", "ACCOUNT_STATEMENT"):
        await submit(key, cover_id, kind)
    await claims.calculate_indemnity(claim_id, NOTIFIED)
    approved = await api.execute(
        DECIDE, {"input": {"claimId": claim_id, "decision": "APPROVE"}}, key=staff
    )
    assert approved["data"]["decideClaim"]["claim"]["status"] == "APPROVED"
    return clock_id, cover_id, claim_id


async def test_fi_c2_unpaid_indemnity_is_flagged_to_staff_not_lapsed(
    api, jobs, storage, make_partner, make_staff
):
    key = await make_partner()
    staff = await make_staff()
    clock_id, cover_id, claim_id = await approved_fi_claim_on_clock(api, jobs, key, staff)
    due = payable_by(NOTIFIED.date())
    await advance(api, key, clock_id, due)
    assert (await api.execute(FLAGGED, {}, key=staff))["data"]["flaggedDeadlines"] == []

    await advance(api, key, clock_id, due + timedelta(days=1))
    flagged = (await api.execute(FLAGGED, {}, key=staff))["data"]["flaggedDeadlines"]
    assert flagged == [
        {
            "cover": {"id": cover_id, "status": "IN_CLAIM"},
            "deadline": {
                "kind": "INDEMNITY_PAYMENT",
                "rule": "FI-C2",
                "dueOn": due.isoformat(),
                "met": False,
            },
            "claim": {"status": "APPROVED"},
        }
    ]
    by_partner = await api.execute(FLAGGED, {}, key=key)
    assert by_partner["data"] is None
    assert by_partner["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    paid_on = (due + timedelta(days=1)).isoformat()
    await api.execute(PAID, {"input": {"claimId": claim_id, "paidOn": paid_on}}, key=staff)
    assert (await api.execute(FLAGGED, {}, key=staff))["data"]["flaggedDeadlines"] == []
    history = await api.execute(FLAGGED, {"outstanding": False}, key=staff)
    assert [row["claim"]["status"] for row in history["data"]["flaggedDeadlines"]] == ["PAID"]
