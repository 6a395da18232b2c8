"""Idempotency-Key on mutations (contract): replay, IDEMPOTENCY_KEY_REUSED, one effect
under concurrency, keys scoped per partner."""

from __future__ import annotations

import asyncio

from domain.store.models import IdempotencyRecord, Quote
from tests.builders import QUOTE_MUTATION, fi_input


async def test_same_key_and_body_replays_the_first_response_without_a_second_quote(
    api, make_partner
):
    key = await make_partner()
    first = await api.post(QUOTE_MUTATION, {"input": fi_input()}, key=key, idempotency_key="k-1")
    second = await api.post(QUOTE_MUTATION, {"input": fi_input()}, key=key, idempotency_key="k-1")
    assert first.json() == second.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert await Quote.all().count() == 1


async def test_same_key_with_another_body_is_refused_as_key_reused(api, make_partner):
    key = await make_partner()
    await api.post(QUOTE_MUTATION, {"input": fi_input()}, key=key, idempotency_key="k-2")
    other = fi_input()
    other["financing"]["financedAmount"]["amount"] = "100.00"
    body = await api.execute(QUOTE_MUTATION, {"input": other}, key=key, idempotency_key="k-2")
    payload = body["data"]["requestQuote"]
    assert payload["quote"] is None
    assert [e["code"] for e in payload["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert await Quote.all().count() == 1


async def test_concurrent_requests_with_one_key_produce_one_quote(api, make_partner):
    key = await make_partner()
    responses = await asyncio.gather(
        *[
            api.post(QUOTE_MUTATION, {"input": fi_input()}, key=key, idempotency_key="k-3")
            for _ in range(8)
        ]
    )
    ids = {r.json()["data"]["requestQuote"]["quote"]["id"] for r in responses}
    assert len(ids) == 1
    assert await Quote.all().count() == 1
    assert await IdempotencyRecord.filter(status="DONE").count() == 1


async def test_keys_are_scoped_per_partner(api, make_partner):
    first_partner = await make_partner(name="A")
    second_partner = await make_partner(name="B")
    a = await api.execute(
        QUOTE_MUTATION, {"input": fi_input()}, key=first_partner, idempotency_key="shared"
    )
    b = await api.execute(
        QUOTE_MUTATION, {"input": fi_input()}, key=second_partner, idempotency_key="shared"
    )
    assert a["data"]["requestQuote"]["quote"]["id"] != b["data"]["requestQuote"]["quote"]["id"]
    assert await Quote.all().count() == 2


async def test_a_malformed_request_does_not_burn_the_key(api, make_partner):
    key = await make_partner()
    bad = fi_input()
    bad["invoice"]["dueDate"] = "2027-02-30"
    await api.post(QUOTE_MUTATION, {"input": bad}, key=key, idempotency_key="k-4")
    good = await api.execute(QUOTE_MUTATION, {"input": fi_input()}, key=key, idempotency_key="k-4")
    # The malformed request changed nothing, so the key stays free... for the same body only
    # once a request answered; here the first body differed and failed validation.
    assert good["data"]["requestQuote"]["quote"]["eligible"] is True
    assert await Quote.all().count() == 1


async def test_queries_ignore_the_idempotency_key(api, make_partner):
    key = await make_partner()
    await api.post("{ products { code } }", key=key, idempotency_key="k-5")
    assert await IdempotencyRecord.all().count() == 0
