"""Per-partner rate limiting (issue 8, item 8): token buckets in a real Redis, the cost
model, 429 + Retry-After, isolation between partners, staff buckets and fail-open.

Bucket arithmetic is checked at explicit `now`s; the API tests use a refill so slow
(one token in 1,000 s) that nothing refills while they run. No test measures time.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from domain.services.principals import Principal
from schema.build import build_schema
from tests.builders import QUOTE_MUTATION, fi_input
from tradecover.http.rate_limit import CostModel, Policy, RateLimiter, TokenBucket, paginated_fields
from tradecover.redis_server import free_port

PRODUCTS = "{ products { code } }"
SLOW = 0.001  # tokens per second: no refill within a test


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


def bucket_key() -> str:
    return f"tc:ratelimit:test:{secrets.token_hex(8)}"


# --------------------------------------------------------------------------- bucket


async def test_bucket_serves_its_burst_then_one_request_per_refilled_token(redis_client):
    bucket, policy, key = TokenBucket(redis_client), Policy(per_second=10, burst=5), bucket_key()
    served = [(await bucket.take(key, policy, 1, now=1000.0)).allowed for _ in range(6)]
    assert served == [True] * 5 + [False]

    refused = await bucket.take(key, policy, 1, now=1000.0)
    assert refused.retry_after == pytest.approx(0.1)
    assert (await bucket.take(key, policy, 1, now=1000.1)).allowed
    assert not (await bucket.take(key, policy, 1, now=1000.1)).allowed


async def test_bucket_refill_is_capped_at_the_burst(redis_client):
    bucket, policy, key = TokenBucket(redis_client), Policy(per_second=10, burst=5), bucket_key()
    await bucket.take(key, policy, 5, now=1000.0)
    served = [(await bucket.take(key, policy, 1, now=2000.0)).allowed for _ in range(6)]
    assert served == [True] * 5 + [False]


async def test_refusal_says_how_long_until_the_requests_cost_is_there(redis_client):
    bucket, policy, key = TokenBucket(redis_client), Policy(per_second=2, burst=10), bucket_key()
    await bucket.take(key, policy, 9, now=1000.0)
    refused = await bucket.take(key, policy, 5, now=1000.0)
    assert not refused.allowed
    assert refused.remaining == pytest.approx(1)
    assert refused.retry_after == pytest.approx(2.0)  # 4 missing tokens at 2/s
    assert (await bucket.take(key, policy, 5, now=1002.0)).allowed


async def test_cost_above_the_burst_is_charged_as_the_burst(redis_client):
    bucket, policy, key = TokenBucket(redis_client), Policy(per_second=1, burst=3), bucket_key()
    assert (await bucket.take(key, policy, 50, now=1000.0)).allowed
    assert not (await bucket.take(key, policy, 1, now=1000.0)).allowed


async def test_bucket_state_expires_once_a_full_refill_would_have_topped_it_up(redis_client):
    bucket, policy, key = TokenBucket(redis_client), Policy(per_second=10, burst=50), bucket_key()
    await bucket.take(key, policy, 1, now=1000.0)
    assert 0 < await redis_client.pttl(key) <= 50 / 10 * 1000 + 1000


# --------------------------------------------------------------------------- cost


def test_cost_is_one_per_query_five_per_mutation_field_and_first_over_25():
    costs = CostModel(paginated_fields(build_schema()._schema))
    assert costs.of_operation(PRODUCTS, {}) == 1
    assert costs.of_operation(QUOTE_MUTATION, {}) == 5
    two = "mutation { a: createTestClock(input: {}) { x } b: createTestClock(input: {}) { x } }"
    assert costs.of_operation(two, {}) == 9
    assert costs.of_operation("{ covers(first: 100) { totalCount } }", {}) == 5
    assert costs.of_operation("{ covers { totalCount } }", {}) == 3  # default first: 50
    by_variable = "query($n: Int) { covers(first: $n) { totalCount } }"
    assert costs.of_operation(by_variable, {"n": 10}) == 2
    assert costs.of_operation(by_variable, {"n": 10_000}) == 5  # clamped to 100
    fragment = "{ ...F } fragment F on Query { covers(first: 100) { totalCount } }"
    assert costs.of_operation(fragment, {}) == 5
    assert costs.of_body({"query": "not graphql"}) == 1
    assert costs.of_body([{"query": PRODUCTS}, {"query": QUOTE_MUTATION}]) == 6


# --------------------------------------------------------------------------- API


async def test_exhausted_partner_gets_429_with_retry_after_and_rate_limited_code(
    limited_api, make_partner
):
    key = await make_partner()
    async with limited_api(rate_limit_per_second=SLOW, rate_limit_burst=3) as api:
        statuses = [(await api.post(PRODUCTS, key=key)).status_code for _ in range(3)]
        refused = await api.post(PRODUCTS, key=key)
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    retry_after = int(refused.headers["Retry-After"])
    assert retry_after >= 1
    body = refused.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "RATE_LIMITED", "retryAfter": retry_after}
    assert refused.headers["X-RateLimit-Remaining"] == "0"


async def test_served_answers_carry_limit_remaining_and_cost_headers(limited_api, make_partner):
    key = await make_partner()
    async with limited_api(rate_limit_per_second=SLOW, rate_limit_burst=20) as api:
        query = await api.post(PRODUCTS, key=key)
        quote = await api.post(QUOTE_MUTATION, {"input": fi_input()}, key=key)
    assert query.headers["X-RateLimit-Limit"] == "20"
    assert (query.headers["X-RateLimit-Cost"], query.headers["X-RateLimit-Remaining"]) == (
        "1",
        "19",
    )
    assert quote.json()["data"]["requestQuote"]["quote"]["id"]
    assert (quote.headers["X-RateLimit-Cost"], quote.headers["X-RateLimit-Remaining"]) == (
        "5",
        "14",
    )


async def test_one_partner_flooding_leaves_another_partner_served(limited_api, make_partner):
    flooder, other = await make_partner(name="A"), await make_partner(name="B")
    async with limited_api(rate_limit_per_second=SLOW, rate_limit_burst=5) as api:
        flood = [(await api.post(PRODUCTS, key=flooder)).status_code for _ in range(30)]
        others = [(await api.post(PRODUCTS, key=other)).status_code for _ in range(5)]
    assert flood.count(429) == 25
    assert others == [200] * 5


async def test_mutations_spend_five_tokens_each(limited_api, make_partner):
    key = await make_partner()
    async with limited_api(rate_limit_per_second=SLOW, rate_limit_burst=12) as api:
        quotes = [
            (await api.post(QUOTE_MUTATION, {"input": fi_input()}, key=key)).status_code
            for _ in range(3)
        ]
        queries = [(await api.post(PRODUCTS, key=key)).status_code for _ in range(3)]
    assert quotes == [200, 200, 429]  # 12 tokens: two quotes (10), not a third
    assert queries == [200, 200, 429]  # the 2 tokens left: two queries


async def test_staff_keys_have_their_own_larger_bucket(limited_api, make_partner, make_staff):
    partner, staff = await make_partner(), await make_staff()
    async with limited_api(
        rate_limit_per_second=SLOW,
        rate_limit_burst=2,
        rate_limit_staff_per_second=SLOW,
        rate_limit_staff_burst=6,
    ) as api:
        by_staff = [(await api.post(PRODUCTS, key=staff)).status_code for _ in range(7)]
        by_partner = [(await api.post(PRODUCTS, key=partner)).status_code for _ in range(3)]
    assert by_staff == [200] * 6 + [429]
    assert by_partner == [200, 200, 429]


def test_live_and_sandbox_traffic_of_a_partner_are_counted_apart():
    limiter = RateLimiter(
        aioredis.Redis(),
        partner=Policy(1, 1),
        staff=Policy(1, 1),
        costs=CostModel({}),
    )
    live, _ = limiter.bucket_of(Principal(partner_id="ptn_1", sandbox=False))
    sandbox, _ = limiter.bucket_of(Principal(partner_id="ptn_1", sandbox=True))
    staff, policy = limiter.bucket_of(Principal(staff_id="stf_1"))
    assert len({live, sandbox, staff}) == 3
    assert policy is limiter.staff


async def test_a_known_empty_bucket_is_refused_without_a_redis_round_trip(
    limited_api, make_partner, redis_client
):
    key = await make_partner()

    async def scripts_run() -> int:
        stats = await redis_client.info("commandstats")
        return sum(int(stats.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in ("evalsha", "eval"))

    async with limited_api(rate_limit_per_second=SLOW, rate_limit_burst=2) as api:
        for _ in range(3):
            await api.post(PRODUCTS, key=key)
        before = await scripts_run()
        statuses = [(await api.post(PRODUCTS, key=key)).status_code for _ in range(10)]
        after = await scripts_run()
    assert statuses == [429] * 10
    assert after - before <= 1  # the test's own INFO calls run no script; allow one stray


async def test_concurrent_requests_reserve_tokens_instead_of_all_asking_redis(redis_url):
    limiter = RateLimiter.from_url(
        redis_url, partner=Policy(SLOW, 5), staff=Policy(SLOW, 5), costs=CostModel({})
    )
    key = bucket_key()
    try:
        assert (await limiter.check(key, limiter.partner, 1)).allowed  # learns: 4 left
        take, calls = limiter.bucket.take, 0

        async def counted(*args: Any) -> Any:
            nonlocal calls
            calls += 1
            return await take(*args)

        limiter.bucket.take = counted  # type: ignore[method-assign]
        decisions = await asyncio.gather(
            *[limiter.check(key, limiter.partner, 1) for _ in range(10)]
        )
    finally:
        await limiter.aclose()
    assert [d.allowed for d in decisions].count(True) == 4
    assert calls == 4  # the other six were refused by this process's reservations


async def test_redis_unreachable_fails_open_and_logs_a_warning(limited_api, make_partner, caplog):
    key = await make_partner()
    closed = f"redis://127.0.0.1:{free_port()}/0"
    caplog.set_level(logging.WARNING, logger="tradecover.http.rate_limit")
    async with limited_api(redis_url=closed, rate_limit_burst=1) as api:
        answers = [await api.post(PRODUCTS, key=key) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all("X-RateLimit-Remaining" not in a.headers for a in answers)
    warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(warnings) == 1  # then Redis is left alone for FAIL_OPEN_SECONDS


async def test_rate_limiting_can_be_switched_off(limited_api, make_partner):
    key = await make_partner()
    async with limited_api(rate_limit_enabled=False, rate_limit_burst=1) as api:
        answers = [await api.post(PRODUCTS, key=key) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert "X-RateLimit-Limit" not in answers[0].headers
