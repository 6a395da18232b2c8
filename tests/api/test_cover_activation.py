"""Bind -> feasibility -> ACTIVE or DECLINED (LIFECYCLE 2; FI-A1, TR-P2, U-1..U-4).

Jobs run inline through the actors' own job table (fixture `jobs`); worker processes
are exercised in tests/workers.
"""

from __future__ import annotations

import asyncio

from domain.services.gateways.sandbox_card import SandboxCardGateway
from domain.store.cover_models import Cover, PaymentHold, SandboxCardAuthorization
from tests.api.cover_helpers import (
    CONFIRM_FINANCING,
    DECIDE,
    bind,
    cover,
    create_clock,
    event_types,
    quote_id,
)
from tests.builders import fi_input, tr_input


async def test_fi_a1_bind_needs_the_signature_and_creates_nothing_without_it(
    api, jobs, make_partner
):
    key = await make_partner()
    qid = await quote_id(api, key, fi_input())
    payload = await bind(api, key, quoteId=qid)
    assert payload["cover"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("FI-A1", ["input", "signatureReference"])
    ]
    assert await Cover.all().count() == 0


async def test_fi_a1_active_once_feasibility_and_financing_are_confirmed_feasibility_first(
    api, jobs, make_partner
):
    key = await make_partner()
    qid = await quote_id(api, key, fi_input())
    payload = await bind(api, key, quoteId=qid, signatureReference="env_123")
    bound = payload["cover"]
    assert bound["status"] == "PENDING_CONFIRMATION"
    assert bound["signatureReference"] == "env_123"
    assert bound["paymentHold"] is None
    assert jobs.names() == ["cover.confirm_feasibility"]
    await jobs.run_all()
    assert (await cover(api, key, bound["id"]))["status"] == "PENDING_CONFIRMATION"

    body = await api.execute(
        CONFIRM_FINANCING, {"input": {"coverId": bound["id"], "financed": True}}, key=key
    )
    active = body["data"]["confirmFinancing"]["cover"]
    assert active["status"] == "ACTIVE"
    assert active["financingConfirmed"] is True
    assert active["activatedAt"] is not None
    assert event_types(active) == [
        "cover.pending_confirmation",
        "cover.feasibility_confirmed",
        "cover.financing_confirmed",
        "cover.activated",
    ]


async def test_fi_a1_financing_first_then_feasibility_also_activates(api, jobs, make_partner):
    key = await make_partner()
    qid = await quote_id(api, key, fi_input())
    bound = (await bind(api, key, quoteId=qid, signatureReference="env_1"))["cover"]
    body = await api.execute(
        CONFIRM_FINANCING, {"input": {"coverId": bound["id"], "financed": True}}, key=key
    )
    assert body["data"]["confirmFinancing"]["cover"]["status"] == "PENDING_CONFIRMATION"
    await jobs.run_all()
    assert (await cover(api, key, bound["id"]))["status"] == "ACTIVE"


async def test_fi_a1_financing_refused_declines_the_cover(api, jobs, make_partner):
    key = await make_partner()
    qid = await quote_id(api, key, fi_input())
    bound = (await bind(api, key, quoteId=qid, signatureReference="env_1"))["cover"]
    body = await api.execute(
        CONFIRM_FINANCING,
        {"input": {"coverId": bound["id"], "financed": False, "reason": "credit committee"}},
        key=key,
    )
    declined = body["data"]["confirmFinancing"]["cover"]
    assert declined["status"] == "DECLINED"
    assert declined["declineReason"].startswith("FI-A1")
    await jobs.run_all()  # the feasibility job finds the cover decided: nothing changes
    assert (await cover(api, key, bound["id"]))["status"] == "DECLINED"


async def test_tr_p2_hold_is_captured_on_confirmation(api, jobs, make_partner):
    key = await make_partner(kind="freight_exchange")
    qid = await quote_id(api, key, tr_input())
    bound = (await bind(api, key, quoteId=qid, paymentMethodToken="tok_visa"))["cover"]
    assert bound["paymentHold"]["status"] == "HELD"
    assert bound["paymentHold"]["amount"] == {"amount": "25.50", "currency": "EUR"}
    assert await jobs.run_all() == ["cover.confirm_feasibility", "payment_hold.capture"]
    active = await cover(api, key, bound["id"])
    assert active["status"] == "ACTIVE"
    assert active["paymentHold"]["status"] == "CAPTURED"
    assert event_types(active)[-1] == "payment_hold.captured"
    ledger = await SandboxCardAuthorization.get()
    assert (ledger.status, ledger.capture_count, ledger.cancel_count) == ("CAPTURED", 1, 0)


async def test_tr_p2_refused_card_creates_no_cover_and_the_quote_stays_bindable(
    api, jobs, make_partner
):
    key = await make_partner(kind="freight_exchange")
    qid = await quote_id(api, key, tr_input())
    for token in ("tok_chargeDeclined", "tok_insufficientFunds"):
        refused = await bind(api, key, quoteId=qid, paymentMethodToken=token)
        assert refused["cover"] is None
        assert [e["code"] for e in refused["userErrors"]] == ["CARD_DECLINED"]
    assert await Cover.all().count() == 0
    accepted = await bind(api, key, quoteId=qid, paymentMethodToken="tok_visa")
    assert accepted["cover"]["status"] == "PENDING_CONFIRMATION"


async def test_tr_p2_bind_without_a_card_token_is_refused(api, jobs, make_partner):
    key = await make_partner(kind="freight_exchange")
    qid = await quote_id(api, key, tr_input())
    payload = await bind(api, key, quoteId=qid)
    assert [e["code"] for e in payload["userErrors"]] == ["TR-P2"]


async def test_a_quote_binds_once_and_the_second_bind_names_the_cover(api, jobs, make_partner):
    key = await make_partner()
    qid = await quote_id(api, key, fi_input())
    first = (await bind(api, key, quoteId=qid, signatureReference="env_1"))["cover"]
    second = await bind(api, key, quoteId=qid, signatureReference="env_1")
    assert second["cover"] is None
    assert second["userErrors"][0]["code"] == "INVALID_STATE"
    assert first["id"] in second["userErrors"][0]["message"]


async def test_eight_parallel_binds_of_one_quote_make_one_cover_and_one_hold(
    api, jobs, make_partner
):
    key = await make_partner(kind="freight_exchange")
    qid = await quote_id(api, key, tr_input())
    results = await asyncio.gather(
        *[bind(api, key, quoteId=qid, paymentMethodToken="tok_visa") for _ in range(8)]
    )
    winners = [r["cover"]["id"] for r in results if r["cover"]]
    assert len(winners) == 1
    assert all(r["userErrors"][0]["code"] == "INVALID_STATE" for r in results if not r["cover"])
    assert await Cover.all().count() == 1
    assert await PaymentHold.all().count() == 1
    assert await SandboxCardAuthorization.all().count() == 1


async def test_ineligible_expired_and_foreign_quotes_are_refused(api, jobs, make_partner):
    key = await make_partner()
    other = await make_partner(name="Other")
    ineligible = fi_input()
    ineligible["invoice"]["amount"]["amount"] = "30000.01"
    bad = await quote_id(api, key, ineligible)
    payload = await bind(api, key, quoteId=bad, signatureReference="env")
    assert payload["userErrors"][0]["code"] == "INVALID_STATE"
    assert "FI-E1" in payload["userErrors"][0]["message"]

    good = await quote_id(api, key, fi_input())
    foreign = await bind(api, other, quoteId=good, signatureReference="env")
    assert [(e["code"], e["field"]) for e in foreign["userErrors"]] == [
        ("NOT_FOUND", ["input", "quoteId"])
    ]

    clock_id = await create_clock(api, key, "2026-11-23T08:00:00+00:00")
    on_clock = fi_input(testClockId=clock_id)
    del on_clock["requestDate"]
    clocked = await quote_id(api, key, on_clock)
    await api.execute(
        "mutation($id: ID!) { advanceTestClock(input: {testClockId: $id, "
        'frozenTime: "2026-11-24T08:00:01+00:00"}) { testClock { status } } }',
        {"id": clock_id},
        key=key,
    )
    expired = await bind(api, key, quoteId=clocked, signatureReference="env")
    assert expired["userErrors"][0]["code"] == "INVALID_STATE"
    assert "expired" in expired["userErrors"][0]["message"]
    assert await Cover.all().count() == 0


async def test_u4_referred_cover_waits_and_staff_decline_releases_the_hold(
    api, jobs, make_partner, make_staff
):
    key = await make_partner(kind="freight_exchange")
    staff = await make_staff()
    request = tr_input()
    request["shipment"]["guaranteedAmount"]["amount"] = "20000.01"
    qid = await quote_id(api, key, request)
    bound = (await bind(api, key, quoteId=qid, paymentMethodToken="tok_visa"))["cover"]
    await jobs.run_all()
    assert (await cover(api, key, bound["id"]))["status"] == "PENDING_CONFIRMATION"

    by_partner = await api.execute(
        DECIDE, {"input": {"coverId": bound["id"], "approve": True}}, key=key
    )
    assert by_partner["data"]["decideFeasibility"]["userErrors"][0]["code"] == "FORBIDDEN"

    body = await api.execute(
        DECIDE,
        {"input": {"coverId": bound["id"], "approve": False, "reason": "exposure"}},
        key=staff,
    )
    declined = body["data"]["decideFeasibility"]["cover"]
    assert declined["status"] == "DECLINED"
    assert await jobs.run_all() == ["payment_hold.release"]
    after = await cover(api, key, bound["id"])
    assert after["paymentHold"]["status"] == "RELEASED"
    assert "staff:" in [e["node"]["actor"] for e in after["events"]["edges"]][-2][:6]
    ledger = await SandboxCardAuthorization.get()
    assert (ledger.status, ledger.capture_count, ledger.cancel_count) == ("CANCELED", 0, 1)


async def test_u4_staff_approval_activates_and_captures(api, jobs, make_partner, make_staff):
    key = await make_partner(kind="freight_exchange")
    staff = await make_staff()
    request = tr_input()
    request["shipment"]["guaranteedAmount"]["amount"] = "25000.00"
    qid = await quote_id(api, key, request)
    bound = (await bind(api, key, quoteId=qid, paymentMethodToken="tok_visa"))["cover"]
    await jobs.run_all()
    body = await api.execute(
        DECIDE, {"input": {"coverId": bound["id"], "approve": True}}, key=staff
    )
    assert body["data"]["decideFeasibility"]["cover"]["status"] == "ACTIVE"
    await jobs.run_all()
    assert (await cover(api, key, bound["id"]))["paymentHold"]["status"] == "CAPTURED"


async def test_u4_referral_window_expiry_on_a_test_clock_releases_the_hold(api, jobs, make_partner):
    key = await make_partner(kind="freight_exchange")
    clock_id = await create_clock(api, key, "2026-11-23T08:00:00+00:00")
    request = tr_input(testClockId=clock_id)
    del request["requestDate"]
    request["shipment"]["guaranteedAmount"]["amount"] = "30000.00"
    qid = await quote_id(api, key, request)
    bound = (await bind(api, key, quoteId=qid, paymentMethodToken="tok_visa"))["cover"]
    await jobs.run_all()
    advance = (
        "mutation($id: ID!, $t: DateTime!) { advanceTestClock(input: {testClockId: $id, "
        "frozenTime: $t}) { testClock { status frozenTime } } }"
    )
    early = await api.execute(advance, {"id": clock_id, "t": "2026-11-25T07:59:59+00:00"}, key=key)
    assert early["data"]["advanceTestClock"]["testClock"]["status"] == "READY"
    assert (await cover(api, key, bound["id"]))["status"] == "PENDING_CONFIRMATION"
    await api.execute(advance, {"id": clock_id, "t": "2026-11-25T08:00:00+00:00"}, key=key)
    after = await cover(api, key, bound["id"])
    assert after["status"] == "DECLINED"
    assert after["declineReason"].startswith("CONFIRMATION")
    assert after["paymentHold"]["status"] == "RELEASED"
    assert after["paymentHold"]["releasedAt"].startswith("2026-11-25T08:00:00")


async def test_u1_buyer_capacity_across_partners_declines_the_cover_that_exceeds_it(
    api, jobs, make_partner
):
    first = await make_partner(kind="freight_exchange", name="A")
    second = await make_partner(kind="freight_exchange", name="B")
    covers = []
    for key, amount in ((first, "20000.00"), (second, "20000.00")) * 4:
        request = tr_input()
        request["shipment"]["guaranteedAmount"]["amount"] = amount
        qid = await quote_id(api, key, request)
        covers.append(
            (key, (await bind(api, key, quoteId=qid, paymentMethodToken="tok_visa"))["cover"]["id"])
        )
        await jobs.run_all()
    statuses = [(await cover(api, key, cid))["status"] for key, cid in covers]
    # 7 x 20,000 = 140,000 fits the 150,000 capacity; the 8th would make 160,000.
    assert statuses == ["ACTIVE"] * 7 + ["DECLINED"]
    last = await cover(api, covers[-1][0], covers[-1][1])
    assert last["declineReason"].startswith("U-1")


async def test_u3_the_same_invoice_under_another_cover_is_declined_as_duplicate(
    api, jobs, make_partner
):
    key = await make_partner()
    ids = []
    for _ in range(2):
        qid = await quote_id(api, key, fi_input())
        ids.append((await bind(api, key, quoteId=qid, signatureReference="e"))["cover"]["id"])
    await jobs.run_all()
    second = await cover(api, key, ids[1])
    assert second["status"] == "DECLINED" and second["declineReason"].startswith("U-3")


async def test_jobs_run_twice_change_nothing_more(api, jobs, make_partner):
    key = await make_partner(kind="freight_exchange")
    qid = await quote_id(api, key, tr_input())
    bound = (await bind(api, key, quoteId=qid, paymentMethodToken="tok_visa"))["cover"]
    jobs.queue.extend(list(jobs.queue))  # every message delivered twice
    await jobs.run_all()
    jobs.queue.extend(list(jobs.sent))  # and everything again, later
    await jobs.run_all()
    after = await cover(api, key, bound["id"])
    assert event_types(after).count("cover.activated") == 1
    assert event_types(after).count("payment_hold.captured") == 1
    assert (await SandboxCardAuthorization.get()).capture_count == 1


async def test_covers_lists_own_covers_newest_first_with_cursor(api, jobs, make_partner):
    key = await make_partner()
    other = await make_partner(name="Other")
    ids = []
    for n in range(3):
        request = fi_input()
        request["invoice"]["number"] = f"F-{n}"
        qid = await quote_id(api, key, request)
        ids.append((await bind(api, key, quoteId=qid, signatureReference="e"))["cover"]["id"])
    query = (
        "query($after: String) { covers(first: 2, after: $after) { totalCount "
        "pageInfo { hasNextPage endCursor } edges { node { id } } } }"
    )
    page1 = (await api.execute(query, {}, key=key))["data"]["covers"]
    assert [e["node"]["id"] for e in page1["edges"]] == [ids[2], ids[1]]
    assert page1["totalCount"] == 3 and page1["pageInfo"]["hasNextPage"] is True
    page2 = await api.execute(query, {"after": page1["pageInfo"]["endCursor"]}, key=key)
    assert [e["node"]["id"] for e in page2["data"]["covers"]["edges"]] == [ids[0]]
    theirs = (await api.execute(query, {}, key=other))["data"]["covers"]
    assert theirs["totalCount"] == 0
    node = await api.execute("query($id: ID!) { node(id: $id) { id } }", {"id": ids[0]}, key=other)
    assert node["data"]["node"] is None


def test_sandbox_gateway_is_the_default_for_sandbox_keys(jobs):
    from domain.services.gateways import registry

    assert isinstance(registry.for_partner(True), SandboxCardGateway)
