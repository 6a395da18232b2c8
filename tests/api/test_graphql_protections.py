"""Strawberry protections: depth, alias and token limits, masked errors, introspection
for dev and sandbox keys only, page sizes capped at 100."""

from __future__ import annotations

import pytest

from domain.services import quotes as quote_service
from tests.builders import QUOTE_MUTATION, fi_input

INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_query_deeper_than_the_limit_is_refused(api, make_partner):
    key = await make_partner()
    deep = "{ covers { edges { node { " + "claim { cover { " * 4 + "id" + " } }" * 4 + " } } } }"
    body = await api.execute(deep, key=key)
    assert body.get("data") is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_too_many_aliases_are_refused(api, make_partner):
    key = await make_partner()
    query = "{ " + " ".join(f"p{i}: products {{ code }}" for i in range(20)) + " }"
    body = await api.execute(query, key=key)
    assert body.get("data") is None
    assert "aliases" in body["errors"][0]["message"].lower()


async def test_too_many_tokens_are_refused(api, make_partner):
    key = await make_partner()
    query = "{ products { " + " ".join(["code"] * 2100) + " } }"
    body = await api.execute(query, key=key)
    assert body.get("data") is None
    assert "token" in body["errors"][0]["message"].lower()


async def test_unexpected_errors_are_masked_without_traceback(api, make_partner, monkeypatch):
    key = await make_partner()

    async def explode(*args, **kwargs):
        raise RuntimeError("secret database detail")

    monkeypatch.setattr(quote_service, "request_quote", explode)
    response = await api.post(QUOTE_MUTATION, {"input": fi_input()}, key=key)
    assert response.status_code == 200
    assert response.json()["errors"][0]["message"] == "Unexpected error."
    assert "secret database detail" not in response.text
    assert "Traceback" not in response.text


async def test_introspection_is_allowed_for_sandbox_keys(api, make_partner):
    key = await make_partner(sandbox=True)
    body = await api.execute(INTROSPECTION, key=key)
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_introspection_is_refused_for_live_keys_outside_dev(api, make_partner):
    key = await make_partner(sandbox=False)
    body = await api.execute(INTROSPECTION, key=key)
    assert body.get("data") is None
    assert "introspection" in body["errors"][0]["message"].lower()


async def test_graphiql_is_not_served_outside_dev(api):
    response = await api.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 404


@pytest.mark.parametrize(("requested", "expected"), [(1000, 100), (100, 100), (0, 1), (None, 50)])
def test_page_size_is_capped_at_100(requested, expected):
    from resolvers.pagination import page_size

    assert page_size(requested) == expected


async def test_healthz_is_200_when_database_and_redis_answer(api):
    response = await api.http.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok" and response.json()["redis"] == "ok"


async def test_healthz_is_503_when_redis_is_down(sqlite_db):
    import httpx

    from tradecover.app import create_app
    from tradecover.redis_server import free_port
    from tradecover.settings import Settings

    settings = Settings(
        env="test", database_url=sqlite_db, redis_url=f"redis://127.0.0.1:{free_port()}/0"
    )
    app = create_app(settings, manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "database": "ok",
        "redis": "down",
        "worker_last_seen_seconds_ago": None,
    }


@pytest.mark.parametrize("body", [b"{", b'{"query": "{ products { code } }"', b"\xff\xfe"])
async def test_a_body_that_is_not_json_is_a_400_without_traceback(api, make_partner, body):
    key = await make_partner()
    response = await api.http.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "Unable to parse request body as JSON" in response.text
    assert "Traceback" not in response.text
