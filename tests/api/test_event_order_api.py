"""What a partner sees through the API: events in sequence with a JSON payload (LIFECYCLE
5a, C-6), policy events numbered too, `Cover.feasibility` with the U-4 referral, and the
CONFIRMATION deadline of a pending cover (bind + 48 h, LIFECYCLE 2 and 4)."""

from __future__ import annotations

import json

from tests.api.cover_helpers import bind, create_clock, quote_id
from tests.api.policy_helpers import active_policy, call
from tests.builders import fi_input, tr_input

COVER = (
    "query($id: ID!) { cover(id: $id) { status feasibility deadlines { kind rule dueOn met } "
    "events { edges { cursor node { type sequence data payload } } } } }"
)
PAGE = (
    "query($id: ID!, $after: String) { cover(id: $id) { events(first: 2, after: $after) { "
    "edges { cursor node { sequence } } pageInfo { hasNextPage endCursor } } } }"
)


async def test_pending_cover_lists_its_confirmation_deadline_bind_plus_48h(api, jobs, make_partner):
    key = await make_partner()
    clock_id = await create_clock(api, key, "2026-11-23T09:00:00+00:00")
    request = fi_input(testClockId=clock_id)
    del request["requestDate"]
    bound = await bind(api, key, quoteId=await quote_id(api, key, request), signatureReference="e")
    body = await api.execute(COVER, {"id": bound["cover"]["id"]}, key=key)
    cover = body["data"]["cover"]
    assert cover["status"] == "PENDING_CONFIRMATION"
    assert cover["feasibility"] == "PENDING"
    assert cover["deadlines"] == [
        {"kind": "CONFIRMATION", "rule": "FI-A1", "dueOn": "2026-11-25", "met": None}
    ]


async def test_u4_referred_cover_shows_feasibility_referred(api, jobs, make_partner):
    key = await make_partner(kind="freight_exchange")
    request = tr_input()
    request["shipment"]["guaranteedAmount"]["amount"] = "25000.00"
    bound = await bind(
        api, key, quoteId=await quote_id(api, key, request), paymentMethodToken="tok_visa"
    )
    await jobs.run_all()
    cover = (await api.execute(COVER, {"id": bound["cover"]["id"]}, key=key))["data"]["cover"]
    assert (cover["status"], cover["feasibility"]) == ("PENDING_CONFIRMATION", "REFERRED")
    types = [e["node"]["type"] for e in cover["events"]["edges"]]
    assert "cover.feasibility_referred" in types


async def test_lifecycle_5a_cover_events_in_sequence_with_json_payload(api, jobs, make_partner):
    key = await make_partner(kind="freight_exchange")
    bound = await bind(
        api, key, quoteId=await quote_id(api, key, tr_input()), paymentMethodToken="tok_visa"
    )
    await jobs.run_all()
    cover_id = bound["cover"]["id"]
    cover = (await api.execute(COVER, {"id": cover_id}, key=key))["data"]["cover"]
    assert cover["feasibility"] == "CONFIRMED"
    nodes = [e["node"] for e in cover["events"]["edges"]]
    assert [n["sequence"] for n in nodes] == list(range(1, len(nodes) + 1))
    assert nodes[0]["type"] == "cover.pending_confirmation"
    for node in nodes:
        assert node["payload"] == json.loads(node["data"])  # the same details, as JSON
    assert nodes[0]["payload"] == {"cause": "bound"}

    # Paging follows the sequence; the cursor is still the event id.
    first = (await api.execute(PAGE, {"id": cover_id}, key=key))["data"]["cover"]["events"]
    after = first["pageInfo"]["endCursor"]
    second = (await api.execute(PAGE, {"id": cover_id, "after": after}, key=key))["data"]
    sequences = [e["node"]["sequence"] for e in first["edges"]]
    sequences += [e["node"]["sequence"] for e in second["cover"]["events"]["edges"]]
    assert sequences == list(range(1, min(len(nodes), 4) + 1))


async def test_lifecycle_5a_policy_events_in_sequence(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await active_policy(api, key, staff)
    policy = await call(
        api,
        "query($id: ID!) { policy(id: $id) { events { type sequence } } }",
        {"id": policy_id},
        key,
    )
    sequences = [e["sequence"] for e in policy["events"]]
    assert sequences == list(range(1, len(sequences) + 1)) and len(sequences) >= 1
