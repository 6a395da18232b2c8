"""TR-X2 over the API: a service disputed as non-conforming keeps the stage-1 incident
unpublished and suspends the stage-2 claim until staff record the final court decision;
conforming lifts both, non-conforming rejects the claim with TR-X2."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.services import claims
from tests.api.cover_helpers import bind, quote_id
from tests.api.test_claim_journeys import CLAIM, DECIDE, DECLARE, OPEN, submit
from tests.builders import tr_input

TR_D1 = ("COLLECTION_ATTEMPT_PROOF", "TRANSPORT_ORDER", "CMR", "TRANSPORT_INVOICE")
TR_D2 = ("UBO_FORM", "UBO_IDENTITY", "BANK_ACCOUNT", "DEBTOR_LEDGER")
INCIDENT = (
    "incident { id published dispute { raisedOn reason resolvedOn conforming } } "
    "cover { status claim { status rejection { rule } } } userErrors { code field }"
)
DISPUTE = (
    "mutation($input: RecordServiceDisputeInput!) { recordServiceDispute(input: $input) { "
    + INCIDENT
    + " } }"
)
RESOLVE = (
    "mutation($input: ResolveServiceDisputeInput!) { resolveServiceDispute(input: $input) { "
    + INCIDENT
    + " } }"
)
EVENTS = "query($id: ID!) { cover(id: $id) { events(first: 100) { edges { node { type } } } } }"


async def defaulted_tr_cover(api, jobs, key) -> tuple[str, str]:
    """An active TR cover, its invoice unpaid, its payment incident declared (stage 1)."""
    from tests.api.test_cover_life import invoice, shipment

    qid = await quote_id(api, key, tr_input())
    cover_id = (await bind(api, key, quoteId=qid, paymentMethodToken="tok_visa"))["cover"]["id"]
    await jobs.run_all()
    today = datetime.now(UTC).date()
    await shipment(api, key, cover_id, "LOADED", today)
    await shipment(api, key, cover_id, "UNLOADED", today)
    await invoice(api, key, cover_id, today, today)
    declared = await api.execute(
        DECLARE,
        {
            "input": {
                "coverId": cover_id,
                "kind": "NON_PAYMENT",
                "occurredOn": today.isoformat(),
                "unpaidAmount": {"amount": "1500.00", "currency": "EUR"},
            }
        },
        key=key,
    )
    return cover_id, declared["data"]["declareIncident"]["incident"]["id"]


async def dispute(api, key, cover_id):
    body = await api.execute(
        DISPUTE,
        {"input": {"coverId": cover_id, "raisedOn": "2026-12-01", "reason": "Goods damaged"}},
        key=key,
    )
    return body["data"]["recordServiceDispute"]


async def resolve(api, staff, incident_id, conforming):
    body = await api.execute(
        RESOLVE,
        {"input": {"incidentId": incident_id, "conforming": conforming, "decidedOn": "2027-06-01"}},
        key=staff,
    )
    return body["data"]["resolveServiceDispute"]


async def event_types(api, key, cover_id) -> list[str]:
    body = await api.execute(EVENTS, {"id": cover_id}, key=key)
    return [edge["node"]["type"] for edge in body["data"]["cover"]["events"]["edges"]]


async def test_tr_x2_disputed_incident_is_not_published_until_found_conforming(
    api, jobs, storage, make_partner, make_staff
):
    key = await make_partner(kind="freight_exchange")
    staff = await make_staff()
    cover_id, incident_id = await defaulted_tr_cover(api, jobs, key)
    disputed = await dispute(api, key, cover_id)
    assert disputed["userErrors"] == []
    assert disputed["incident"]["dispute"] == {
        "raisedOn": "2026-12-01",
        "reason": "Goods damaged",
        "resolvedOn": None,
        "conforming": None,
    }
    for kind in TR_D1:
        await submit(key, cover_id, kind)
    still = await resolve(api, key, incident_id, True)  # a partner key cannot decide
    assert still["userErrors"][0]["code"] == "FORBIDDEN"

    resolved = await resolve(api, staff, incident_id, True)
    assert resolved["incident"]["published"] is True
    assert resolved["incident"]["dispute"]["conforming"] is True
    types = await event_types(api, key, cover_id)
    assert types.count("incident.disputed") == 1
    assert types.count("incident.dispute_resolved") == 1


async def test_tr_x2_published_incident_is_withdrawn_when_disputed(
    api, jobs, storage, make_partner
):
    key = await make_partner(kind="freight_exchange")
    cover_id, _ = await defaulted_tr_cover(api, jobs, key)
    for kind in TR_D1:
        await submit(key, cover_id, kind)
    disputed = await dispute(api, key, cover_id)
    assert disputed["incident"]["published"] is False
    again = await dispute(api, key, cover_id)
    assert again["userErrors"] == [{"code": "INVALID_STATE", "field": ["input", "coverId"]}]


async def test_tr_x2_claim_is_suspended_and_cannot_be_approved_until_the_decision(
    api, jobs, storage, make_partner, make_staff
):
    key = await make_partner(kind="freight_exchange")
    staff = await make_staff()
    cover_id, incident_id = await defaulted_tr_cover(api, jobs, key)
    for kind in TR_D1:
        await submit(key, cover_id, kind)
    await dispute(api, key, cover_id)
    opened = await api.execute(OPEN, {"id": cover_id}, key=key)
    claim = opened["data"]["openClaim"]["claim"]
    assert claim["status"] == "SUSPENDED"
    for kind in TR_D2:
        await submit(key, cover_id, kind)
    assert (await api.execute(CLAIM, {"id": claim["id"]}, key=key))["data"]["claim"][
        "status"
    ] == "SUSPENDED"
    refused = await api.execute(
        DECIDE, {"input": {"claimId": claim["id"], "decision": "APPROVE"}}, key=staff
    )
    assert refused["data"]["decideClaim"]["userErrors"][0]["code"] == "TR-X2"

    resolved = await resolve(api, staff, incident_id, True)
    assert resolved["cover"]["claim"]["status"] == "UNDER_REVIEW"
    await jobs.run_all()
    await claims.calculate_indemnity(claim["id"], datetime.now(UTC))
    approved = await api.execute(
        DECIDE, {"input": {"claimId": claim["id"], "decision": "APPROVE"}}, key=staff
    )
    assert approved["data"]["decideClaim"]["claim"]["status"] == "APPROVED"


async def test_tr_x2_non_conforming_service_rejects_the_claim_with_tr_x2(
    api, jobs, storage, make_partner, make_staff
):
    key = await make_partner(kind="freight_exchange")
    staff = await make_staff()
    cover_id, incident_id = await defaulted_tr_cover(api, jobs, key)
    await api.execute(OPEN, {"id": cover_id}, key=key)
    disputed = await dispute(api, key, cover_id)
    assert disputed["cover"]["claim"]["status"] == "SUSPENDED"
    for kind in TR_D1:
        await submit(key, cover_id, kind)
    resolved = await resolve(api, staff, incident_id, False)
    assert resolved["incident"]["published"] is False
    assert resolved["cover"]["claim"] == {"status": "REJECTED", "rejection": {"rule": "TR-X2"}}
    twice = await resolve(api, staff, incident_id, True)
    assert twice["userErrors"] == [{"code": "INVALID_STATE", "field": ["input", "incidentId"]}]


async def test_tr_x2_applies_to_transport_covers_only(api, jobs, storage, make_partner):
    from tests.api.test_claim_journeys import fi_cover_with_non_payment

    key = await make_partner()
    cover_id, _ = await fi_cover_with_non_payment(api, jobs, key, "9000.00")
    refused = await dispute(api, key, cover_id)
    assert refused["userErrors"] == [{"code": "INVALID_STATE", "field": ["input", "coverId"]}]
