"""API keys (hashed, tc_test_/tc_live_/tc_staff_) and partner isolation: another
partner's id answers exactly like a missing one."""

from __future__ import annotations

import pytest

from domain.services.principals import hash_key
from domain.store.models import ApiKey
from tests.builders import QUOTE_MUTATION, fi_input

QUOTE_QUERY = "query($id: ID!) { quote(id: $id) { id } node(id: $id) { id } }"


@pytest.mark.parametrize(
    "key", [None, "", "tc_test_unknown", "sk_live_123", "tc_staff_" + "x" * 40]
)
async def test_missing_or_unknown_key_is_401_unauthenticated(api, key):
    if key == "":
        response = await api.http.post(
            "/graphql",
            json={"query": "{ products { code } }"},
            headers={"Authorization": "Bearer "},
        )
    else:
        response = await api.post("{ products { code } }", key=key)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_keys_are_stored_hashed_never_in_clear(api, make_partner):
    key = await make_partner()
    stored = await ApiKey.all().values_list("key_hash", flat=True)
    assert stored == [hash_key(key)]
    assert key not in stored


async def test_another_partners_quote_answers_as_not_found(api, make_partner):
    owner = await make_partner(name="Owner")
    other = await make_partner(name="Other")
    created = await api.execute(QUOTE_MUTATION, {"input": fi_input()}, key=owner)
    quote_id = created["data"]["requestQuote"]["quote"]["id"]

    mine = await api.execute(QUOTE_QUERY, {"id": quote_id}, key=owner)
    assert mine["data"] == {"quote": {"id": quote_id}, "node": {"id": quote_id}}

    theirs = await api.execute(QUOTE_QUERY, {"id": quote_id}, key=other)
    missing = await api.execute(QUOTE_QUERY, {"id": "quo_doesnotexist"}, key=other)
    assert theirs == missing == {"data": {"quote": None, "node": None}}


async def test_another_partners_test_clock_answers_as_not_found(api, make_partner):
    owner = await make_partner(name="Owner")
    other = await make_partner(name="Other")
    clock = await api.execute(
        'mutation { createTestClock(input: {frozenTime: "2027-01-01T00:00:00+00:00"}) '
        "{ testClock { id } } }",
        key=owner,
    )
    clock_id = clock["data"]["createTestClock"]["testClock"]["id"]
    body = await api.execute(QUOTE_MUTATION, {"input": fi_input(testClockId=clock_id)}, key=other)
    errors = body["data"]["requestQuote"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", ["input", "testClockId"])]


async def test_staff_see_every_partners_quote(api, make_partner, make_staff):
    partner = await make_partner()
    staff = await make_staff()
    created = await api.execute(QUOTE_MUTATION, {"input": fi_input()}, key=partner)
    quote_id = created["data"]["requestQuote"]["quote"]["id"]
    body = await api.execute(QUOTE_QUERY, {"id": quote_id}, key=staff)
    assert body["data"]["quote"] == {"id": quote_id}


async def test_live_keys_cannot_use_test_clocks(api, make_partner):
    live = await make_partner(sandbox=False)
    body = await api.execute(
        'mutation { createTestClock(input: {frozenTime: "2027-01-01T00:00:00+00:00"}) '
        "{ testClock { id } userErrors { code } } }",
        key=live,
    )
    assert body["data"]["createTestClock"] == {
        "testClock": None,
        "userErrors": [{"code": "FORBIDDEN"}],
    }


async def test_test_clock_moves_forward_only(api, make_partner):
    key = await make_partner()
    clock = await api.execute(
        'mutation { createTestClock(input: {frozenTime: "2027-01-01T00:00:00+00:00"}) '
        "{ testClock { id } } }",
        key=key,
    )
    clock_id = clock["data"]["createTestClock"]["testClock"]["id"]
    advance = (
        "mutation($id: ID!, $t: DateTime!) { advanceTestClock(input: {testClockId: $id, "
        "frozenTime: $t}) { testClock { frozenTime status } userErrors { code field } } }"
    )
    back = await api.execute(advance, {"id": clock_id, "t": "2026-12-31T00:00:00+00:00"}, key=key)
    assert back["data"]["advanceTestClock"]["userErrors"] == [
        {"code": "INVALID_INPUT", "field": ["input", "frozenTime"]}
    ]
    ahead = await api.execute(advance, {"id": clock_id, "t": "2027-02-01T00:00:00+00:00"}, key=key)
    assert ahead["data"]["advanceTestClock"]["testClock"] == {
        "frozenTime": "2027-02-01T00:00:00+00:00",
        "status": "READY",
    }


async def test_revoked_key_stops_working_once_the_process_cache_expires(
    api, make_partner, monkeypatch
):
    """Principals are cached AUTH_CACHE_SECONDS per process (issue 7): a key revoked in
    the database is refused as soon as its entry expires, never later."""
    from datetime import UTC, datetime

    from domain.services import principals

    key = await make_partner()
    assert (await api.post("{ products { code } }", key=key)).status_code == 200
    await ApiKey.filter(key_hash=hash_key(key)).update(revoked_at=datetime.now(UTC))
    assert (await api.post("{ products { code } }", key=key)).status_code == 200  # cached
    later = principals._cache_clock() + principals.AUTH_CACHE_SECONDS + 0.001
    monkeypatch.setattr(principals, "_cache_clock", lambda: later)
    assert (await api.post("{ products { code } }", key=key)).status_code == 401
