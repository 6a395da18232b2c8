"""GET /metrics (issue 9): requests by status, operation latency by root field, errors by
stable code, business gauges read from the database at scrape time, request ids; with
TRADECOVER_METRICS_TOKEN, only a scrape that carries it as a bearer token."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.cover_helpers import bind, quote_id
from tests.builders import QUOTE_MUTATION, fi_input


async def scrape(api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await api.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_operations_errors_and_statuses_are_counted(api, make_partner):
    key = await make_partner()
    before = await scrape(api)
    await api.execute(QUOTE_MUTATION, {"input": fi_input()}, key=key)
    wrong_currency = fi_input(
        invoice={**fi_input()["invoice"], "amount": {"amount": "-1", "currency": "EUR"}}
    )
    refused = await api.execute(QUOTE_MUTATION, {"input": wrong_currency}, key=key)
    codes = [e["code"] for e in refused["data"]["requestQuote"]["userErrors"]]
    assert codes
    await api.execute("{ noSuchField }", key=key)
    await api.execute("{ products { code } }", key=None)
    after = await scrape(api)

    count = "tradecover_graphql_operation_seconds_count"
    assert (
        value(after, count, operation="requestQuote", kind="mutation")
        - value(before, count, operation="requestQuote", kind="mutation")
        == 2
    )
    assert (
        value(after, count, operation="other", kind="query")
        - value(before, count, operation="other", kind="query")
        == 1
    )
    for code in set(codes):
        delta = value(after, "tradecover_graphql_errors_total", code=code) - value(
            before, "tradecover_graphql_errors_total", code=code
        )
        assert delta == codes.count(code)
    assert (
        value(after, "tradecover_graphql_errors_total", code="GRAPHQL_VALIDATION")
        - value(before, "tradecover_graphql_errors_total", code="GRAPHQL_VALIDATION")
        == 1
    )
    assert (
        value(after, "tradecover_http_requests_total", status="401")
        - value(before, "tradecover_http_requests_total", status="401")
        == 1
    )


async def test_business_gauges_are_read_from_the_database(api, jobs, make_partner):
    key = await make_partner()
    qid = await quote_id(api, key, fi_input())
    bound = await bind(api, key, quoteId=qid, signatureReference="env_1")
    assert bound["cover"] is not None, bound
    status = bound["cover"]["status"]
    samples = await scrape(api)
    assert value(samples, "tradecover_covers", status=status) == 1
    assert value(samples, "tradecover_card_holds_held") == 0
    assert ("tradecover_queue_messages", (("queue", "default"),)) in samples


async def test_each_answer_carries_a_request_id_and_a_sane_one_is_kept(api, make_partner):
    key = await make_partner()
    fresh = await api.http.post(
        "/graphql",
        json={"query": "{ products { code } }"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert fresh.headers["x-request-id"].startswith("req_")
    kept = await api.http.post(
        "/graphql",
        json={"query": "{ products { code } }"},
        headers={"Authorization": f"Bearer {key}", "X-Request-Id": "partner-trace-0001"},
    )
    assert kept.headers["x-request-id"] == "partner-trace-0001"
    hostile = await api.http.post(
        "/graphql",
        json={"query": "{ products { code } }"},
        headers={"Authorization": f"Bearer {key}", "X-Request-Id": "x\\" * 10},
    )
    assert hostile.headers["x-request-id"].startswith("req_")


TOKEN = "m3trics-scrape-t0ken"


@pytest.fixture
async def guarded(app_settings, jobs):
    """The API with TRADECOVER_METRICS_TOKEN set."""
    from tradecover.app import create_app

    app = create_app(
        app_settings.model_copy(update={"metrics_token": TOKEN}), manage_database=False
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tradecover.test") as client:
        yield client


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        TOKEN,
        f"Token {TOKEN}",
    ],
)
async def test_metrics_token_refuses_a_scrape_without_it_or_with_a_wrong_one(
    guarded, authorization
):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await guarded.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="metrics"'
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "tradecover_" not in response.text  # no figure leaks with the refusal


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
async def test_metrics_token_lets_the_scrape_that_carries_it_read_the_metrics(guarded, scheme):
    response = await guarded.get("/metrics", headers={"Authorization": f"{scheme} {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {"tradecover_covers", "tradecover_queue_messages"} <= names


async def test_the_metrics_token_guards_only_metrics(guarded):
    assert (await guarded.get("/healthz")).status_code == 200  # probes carry no token
