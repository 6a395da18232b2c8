"""TR document deadlines on a test clock through the API (LIFECYCLE 4, TR DOCUMENTS row):
TR-D1 incident documents by invoice due + 20 days, TR-D2 claim documents by invoice date
+ 140 days, and TR-T6: from an insolvency every outstanding document of both stages is
due at insolvency + 10 days, whatever the stage; TR-X1 lapses the cover the day after.

The defect: an insolvency declared before any document was in set the due date to the
declaration day, so the cover lapsed the next day."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.test_claim_deadlines import (
    DUE,
    ISSUE,
    TR_D1,
    TR_D2,
    declare,
    invoiced_cover,
    lapse_rule,
)
from tests.api.test_claim_journeys import submit
from tests.api.test_cover_life import advance

DEADLINES = "query($id: ID!) { cover(id: $id) { deadlines { kind rule dueOn met } } }"


async def documents_deadline(api, key, cover_id) -> dict:
    body = await api.execute(DEADLINES, {"id": cover_id}, key=key)
    rows = [d for d in body["data"]["cover"]["deadlines"] if d["kind"] == "DOCUMENTS"]
    assert len(rows) == 1, rows
    return rows[0]


async def test_tr_t6_insolvency_declared_before_any_document_does_not_lapse_the_next_day(
    api, jobs, storage, make_partner
):
    key = await make_partner(kind="freight_exchange")
    clock_id, cover_id = await invoiced_cover(api, jobs, key)
    insolvent_on = DUE + timedelta(days=2)
    await advance(api, key, clock_id, insolvent_on)
    assert (await declare(api, key, cover_id, "INSOLVENCY", insolvent_on))["userErrors"] == []
    assert await documents_deadline(api, key, cover_id) == {
        "kind": "DOCUMENTS",
        "rule": "TR-X1",
        "dueOn": (insolvent_on + timedelta(days=10)).isoformat(),
        "met": None,
    }
    await advance(api, key, clock_id, insolvent_on + timedelta(days=1))
    assert await lapse_rule(api, key, cover_id) == ("DEFAULTED", None)


@pytest.mark.parametrize(
    ("delivered", "status", "rule"),
    [
        ((*TR_D1, *TR_D2), "DEFAULTED", None),
        (TR_D1, "LAPSED", "TR-X1"),
        (TR_D2, "LAPSED", "TR-X1"),
        ((), "LAPSED", "TR-X1"),
    ],
    ids=["both-stages", "incident-stage-only", "claim-stage-only", "none"],
)
async def test_tr_t6_every_document_of_both_stages_by_insolvency_plus_10(
    api, jobs, storage, make_partner, delivered, status, rule
):
    """Day +10: whatever is delivered, the cover stands. Day +11: it stands only if both
    stages are complete (TR-D1 and TR-D2), else TR-X1."""
    key = await make_partner(kind="freight_exchange")
    clock_id, cover_id = await invoiced_cover(api, jobs, key)
    insolvent_on = DUE - timedelta(days=5)  # before the due date: TR-D1's own day is later
    await advance(api, key, clock_id, insolvent_on)
    assert (await declare(api, key, cover_id, "INSOLVENCY", insolvent_on))["userErrors"] == []
    tenth_day = insolvent_on + timedelta(days=10)
    await advance(api, key, clock_id, tenth_day)
    for kind in delivered:
        await submit(key, cover_id, kind)
    assert await lapse_rule(api, key, cover_id) == ("DEFAULTED", None)
    await advance(api, key, clock_id, tenth_day + timedelta(days=1))
    assert await lapse_rule(api, key, cover_id) == (status, rule)


async def test_tr_t6_documents_delivered_on_insolvency_plus_11_are_late(
    api, jobs, storage, make_partner
):
    """Delivered on day +11 before any sweep ran: the deadline row says missed."""
    key = await make_partner(kind="freight_exchange")
    clock_id, cover_id = await invoiced_cover(api, jobs, key)
    insolvent_on = DUE + timedelta(days=1)
    await advance(api, key, clock_id, insolvent_on)
    await declare(api, key, cover_id, "INSOLVENCY", insolvent_on)
    from datetime import UTC, datetime

    from domain.services import documents
    from domain.services.principals import authenticate
    from domain.store.cover_models import Cover

    await Cover.filter(id=cover_id).update(test_clock_id=None)  # no sweep on day +11
    day_11 = datetime.combine(insolvent_on + timedelta(days=11), datetime.min.time(), UTC)
    principal = await authenticate(key)
    for kind in (*TR_D1, *TR_D2):
        await documents.submit_document(
            principal, cover_id, kind, f"{kind}.pdf", "application/pdf", b"%PDF-1.4\n", day_11
        )
    assert await documents_deadline(api, key, cover_id) == {
        "kind": "DOCUMENTS",
        "rule": "TR-X1",
        "dueOn": (insolvent_on + timedelta(days=10)).isoformat(),
        "met": False,
    }


@pytest.mark.parametrize(
    ("day", "status", "rule"), [(20, "DEFAULTED", None), (21, "LAPSED", "TR-X1")]
)
async def test_tr_d1_incident_documents_by_invoice_due_plus_20(
    api, jobs, storage, make_partner, day, status, rule
):
    """A non-payment declared on due + 5 without documents: TR-D1 is due on due + 20
    (not on the declaration day); TR-X1 lapses the cover on due + 21."""
    key = await make_partner(kind="freight_exchange")
    clock_id, cover_id = await invoiced_cover(api, jobs, key)
    await advance(api, key, clock_id, DUE + timedelta(days=5))
    await declare(api, key, cover_id, "NON_PAYMENT", DUE + timedelta(days=5))
    assert (await documents_deadline(api, key, cover_id))["dueOn"] == (
        DUE + timedelta(days=20)
    ).isoformat()
    await advance(api, key, clock_id, DUE + timedelta(days=day))
    assert await lapse_rule(api, key, cover_id) == (status, rule)


@pytest.mark.parametrize(
    ("day", "status", "rule"), [(140, "DEFAULTED", None), (141, "LAPSED", "TR-X1")]
)
async def test_tr_d2_claim_documents_by_invoice_date_plus_140(
    api, jobs, storage, make_partner, day, status, rule
):
    """TR-D1 in with the declaration, the claim opened, TR-D2 never: due on invoice date
    + 140; TR-X1 the day after."""
    from tests.api.test_claim_journeys import OPEN

    key = await make_partner(kind="freight_exchange")
    clock_id, cover_id = await invoiced_cover(api, jobs, key)
    await advance(api, key, clock_id, DUE + timedelta(days=5))
    await declare(api, key, cover_id, "NON_PAYMENT", DUE + timedelta(days=5))
    for kind in TR_D1:
        await submit(key, cover_id, kind)
    opened = await api.execute(OPEN, {"id": cover_id}, key=key)
    assert opened["data"]["openClaim"]["userErrors"] == []
    assert (await documents_deadline(api, key, cover_id))["dueOn"] == (
        ISSUE + timedelta(days=140)
    ).isoformat()
    await advance(api, key, clock_id, ISSUE + timedelta(days=day))
    expected_status = "IN_CLAIM" if status == "DEFAULTED" else status
    assert await lapse_rule(api, key, cover_id) == (expected_status, rule)


@pytest.mark.parametrize(
    ("delivered", "status", "rule"), [(True, "IN_CLAIM", None), (False, "LAPSED", "TR-X1")]
)
async def test_tr_t6_insolvency_declared_in_stage_2_gives_10_days_for_the_claim_documents(
    api, jobs, storage, make_partner, delivered, status, rule
):
    """Whatever the stage: a non-payment declared and the claim opened (TR-D1 in, TR-D2
    owed by invoice date + 140), then the client's insolvency: TR-D2 is due at
    insolvency + 10, the cover stays IN_CLAIM, the insolvency is a second incident."""
    from tests.api.test_claim_journeys import OPEN

    key = await make_partner(kind="freight_exchange")
    clock_id, cover_id = await invoiced_cover(api, jobs, key)
    await advance(api, key, clock_id, DUE + timedelta(days=5))
    await declare(api, key, cover_id, "NON_PAYMENT", DUE + timedelta(days=5))
    for kind in TR_D1:
        await submit(key, cover_id, kind)
    assert (await api.execute(OPEN, {"id": cover_id}, key=key))["data"]["openClaim"]["claim"]
    insolvent_on = DUE + timedelta(days=30)
    await advance(api, key, clock_id, insolvent_on)
    result = await declare(api, key, cover_id, "INSOLVENCY", insolvent_on)
    assert result["userErrors"] == []
    assert result["cover"]["status"] == "IN_CLAIM"
    again = await declare(api, key, cover_id, "INSOLVENCY", insolvent_on)
    assert again["userErrors"][0]["code"] == "INVALID_STATE"
    tenth_day = insolvent_on + timedelta(days=10)
    assert (await documents_deadline(api, key, cover_id))["dueOn"] == tenth_day.isoformat()
    await advance(api, key, clock_id, tenth_day)
    if delivered:
        for kind in TR_D2:
            await submit(key, cover_id, kind)
    assert (await lapse_rule(api, key, cover_id))[1] is None
    await advance(api, key, clock_id, tenth_day + timedelta(days=1))
    assert await lapse_rule(api, key, cover_id) == (status, rule)
