"""Per-partner rate limiting: a token bucket per caller in Redis.

Buckets. One bucket per partner and key mode (live and sandbox traffic are counted apart,
so a partner's test suite cannot throttle its production traffic), refilled at
`rate_limit_per_second` tokens/s up to `rate_limit_burst`. The bucket is shared by every
API process: its state (tokens, last refill time) is a Redis hash updated by one Lua script
(EVALSHA via `register_script`), so take-or-refuse is atomic. A missing key is a full
bucket, so keys expire once a full refill would have topped them up.

Staff keys get their own, larger buckets (`rate_limit_staff_*`), not an exemption: staff
tools are few, but a runaway back-office script listing covers is exactly the load that
would slow partners down, and separate buckets never compete with a partner's.

Cost, estimated from the request JSON before anything executes (the parse is cached per
query text, as partners repeat theirs):
- 1 per request (every query, and any request whose cost cannot be read);
- +4 per top-level mutation field (a mutation costs 5: `requestQuote` takes ~5x the server
  time of a small query); a multipart upload counts as one mutation, its body unread;
- +ceil(first / 25) per field taking `first` (schema fields with a `first` argument,
  default when omitted, clamped to 0..100): `covers(first: 100)` adds 4. Nested lists add,
  they do not multiply;
- + the size of the query text and of the variables (request_size.size_cost): a document
  over the query cap is charged its whole size and never parsed here.
A cost above the burst is charged as the burst (otherwise it could never be served).

Refusals: HTTP 429, a GraphQL-shaped body with code RATE_LIMITED and `retryAfter`, and
`Retry-After` (whole seconds, >= 1). Served answers carry `X-RateLimit-Limit` (the burst),
`X-RateLimit-Remaining` and `X-RateLimit-Cost`.

Redis down: fail open (serve, log a warning, do not ask Redis again for
FAIL_OPEN_SECONDS). The limiter protects capacity; it is not an access control, and no
request path needs Redis otherwise, so refusing everything would turn a Redis outage into
an API outage for every partner, which is worse than a few unthrottled seconds.

Each process also keeps what Redis last told it about a bucket: since other processes can
only take tokens, `tokens + rate * elapsed` is an upper bound, and a request costing more is
refused without a Redis round trip (nor reading its body). A request sent to Redis reserves
its cost in that bound until the answer, so a refill lets one of a flooding partner's
concurrent requests through to Redis, not all of them. Its refusals then cost ~0.1 ms of
the app's time (bench/rate_limit_fairness.py has the end-to-end figures).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
import redis.asyncio as aioredis
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    parse,
)
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Send

from domain.services.principals import Principal
from tradecover.http import request_size
from tradecover.http.errors import request_error

log = logging.getLogger("tradecover.http.rate_limit")

MUTATION_FIELD_COST = 4
PAGE_TOKENS = 25
MAX_PAGE = 100
DEFAULT_PAGE = 50
#: After a Redis failure, requests are served unthrottled for this long before retrying.
FAIL_OPEN_SECONDS = 5.0
#: Redis answers in well under a millisecond, but a timeout runs on the event loop's clock:
#: under a burst the loop can be busy for hundreds of ms, and a tight timeout then opened
#: the limiter exactly when a partner flooded (measured: bench/rate_limit_fairness.py). A
#: refused connection fails at once; only a black-holed Redis waits this long (once per
#: FAIL_OPEN_SECONDS).
REDIS_TIMEOUT_SECONDS = 2.0
#: Documents over this many tokens are not costed (the schema refuses them at 2,000).
MAX_PARSE_TOKENS = 5_000

#: KEYS[1] bucket; ARGV rate (tokens/s), burst, cost, now (s). Returns
#: {allowed 0/1, tokens left, seconds until `cost` tokens} (numbers as strings: Redis
#: truncates Lua numbers to integers).
TAKE_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate)
  ts = now
end
local allowed = 0
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  wait = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', ts)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(tokens), tostring(wait)}
"""


@dataclass(frozen=True)
class Policy:
    per_second: float
    burst: int

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a rate limit needs per_second > 0 and burst >= 1")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    #: Tokens left: after this request when allowed, before it when refused.
    remaining: float
    #: Seconds until the bucket holds the request's cost (0 when allowed).
    retry_after: float


class TokenBucket:
    """The Redis side: one atomic take per request, at the caller's `now` (wall clock
    seconds, shared by every process; tests pass their own)."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._take = client.register_script(TAKE_SCRIPT)

    async def take(self, key: str, policy: Policy, cost: int, now: float) -> Decision:
        cost = min(cost, policy.burst)
        allowed, tokens, wait = await self._take(
            keys=[key], args=[policy.per_second, policy.burst, cost, now]
        )
        return Decision(bool(int(allowed)), float(tokens), float(wait))


# --------------------------------------------------------------------------- cost


@dataclass(frozen=True)
class _Page:
    literal: int | None
    variable: str | None
    default: int


@dataclass(frozen=True)
class _Shape:
    mutation_fields: int
    pages: tuple[_Page, ...]


def paginated_fields(schema: GraphQLSchema) -> dict[str, int]:
    """Field name -> default `first`, for every object field taking `first`."""
    found: dict[str, int] = {}
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or not isinstance(type_, GraphQLObjectType):
            continue
        for field_name, field in type_.fields.items():
            first = field.args.get("first")
            if first is not None:
                default = first.default_value
                found[field_name] = default if isinstance(default, int) else DEFAULT_PAGE
    return found


class CostModel:
    def __init__(self, paginated: Mapping[str, int]) -> None:
        self.paginated = dict(paginated)
        self._shape = lru_cache(maxsize=1024)(self._parse_shape)

    def of_body(self, body: Any, body_bytes: int = 0) -> int:
        """Cost of a decoded JSON request body of `body_bytes` bytes (a list is a batch:
        costs add), its size included."""
        return self.of_operations(body) + self.of_size(body, body_bytes)

    def of_size(self, body: Any, body_bytes: int) -> int:
        """The tokens a decoded body's size adds (cheap: no parsing)."""
        items = body if isinstance(body, list) else [body]
        query_size = sum(
            request_size.query_bytes(item.get("query")) for item in items if isinstance(item, dict)
        )
        return request_size.size_cost(query_size, max(0, body_bytes - query_size))

    def of_operations(self, body: Any) -> int:
        """Cost of a decoded body's operations, its size apart (of_size)."""
        if isinstance(body, list):
            return max(1, sum(self.of_operations(item) for item in body))
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return 1
        query = body["query"]
        # More characters than the cap is more bytes too: no need to encode it to know.
        if len(query) > request_size.MAX_QUERY_BYTES or (
            request_size.query_bytes(query) > request_size.MAX_QUERY_BYTES
        ):
            return 1  # never parsed: refused by the view, charged by its size
        operation = body.get("operationName")
        variables = body.get("variables")
        return self.of_operation(
            body["query"],
            variables if isinstance(variables, dict) else {},
            operation if isinstance(operation, str) else None,
        )

    def of_operation(
        self, query: str, variables: Mapping[str, Any], operation_name: str | None = None
    ) -> int:
        shape = self._shape(query, operation_name)
        cost = 1 + MUTATION_FIELD_COST * shape.mutation_fields
        for page in shape.pages:
            first = page.literal
            if page.variable is not None:
                value = variables.get(page.variable)
                first = value if isinstance(value, int) else None
            first = page.default if first is None else first
            cost += math.ceil(min(max(first, 0), MAX_PAGE) / PAGE_TOKENS)
        return cost

    def _parse_shape(self, query: str, operation_name: str | None) -> _Shape:
        try:
            document = parse(query, no_location=True, max_tokens=MAX_PARSE_TOKENS)
        except GraphQLError:
            return _Shape(0, ())
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        if operation_name is not None:
            operations = [o for o in operations if o.name and o.name.value == operation_name]
        if len(operations) != 1:
            return _Shape(0, ())  # refused by validation; a plain request's cost
        operation = operations[0]
        fields = list(_fields(operation.selection_set, fragments, set()))
        mutations = (
            sum(1 for _, top in fields if top)
            if operation.operation is OperationType.MUTATION
            else 0
        )
        pages = tuple(
            self._page(field) for field, _ in fields if field.name.value in self.paginated
        )
        return _Shape(mutations, pages)

    def _page(self, field: FieldNode) -> _Page:
        default = self.paginated[field.name.value]
        for argument in field.arguments or ():
            if argument.name.value != "first":
                continue
            if isinstance(argument.value, IntValueNode):
                return _Page(int(argument.value.value), None, default)
            if isinstance(argument.value, VariableNode):
                return _Page(None, argument.value.name.value, default)
        return _Page(None, None, default)


def _fields(
    selections: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: set[str],
    top: bool = True,
) -> Any:
    """(field, is it top-level) for every field of a selection set, fragments included."""
    for selection in selections.selections if selections else ():
        if isinstance(selection, FieldNode):
            yield selection, top
            yield from _fields(selection.selection_set, fragments, seen, False)
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, seen, top)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                seen.add(name)
                yield from _fields(fragments[name].selection_set, fragments, seen, top)


# --------------------------------------------------------------------------- the gate


@dataclass
class Admission:
    """What the endpoint does next: send `refusal`, or serve with `receive`/`send` (the
    body replayed, rate headers added)."""

    refusal: Response | None
    receive: Receive
    send: Send


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


#: A refused request whose unread body is over this many bytes is answered with
#: `Connection: close`: keeping the connection would make the server read and discard the
#: rest of the body (a flood of 4 MB documents refused unread still cost the event loop
#: ~200 MB/s of socket reads), and a closed connection costs the flooder, not the server.
CLOSE_OVER_UNREAD_BYTES = 64 * 1024


def refusal(retry_after: float, limit: int, *, close: bool = False) -> Response:
    seconds = max(1, math.ceil(retry_after))
    headers = {
        "Retry-After": str(seconds),
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
    }
    if close:
        headers["Connection"] = "close"
    return request_error(
        429,
        "RATE_LIMITED",
        f"Rate limit exceeded; retry in {seconds} s.",
        headers=headers,
        retryAfter=seconds,
    )


def declared_length(request: Request) -> int:
    declared = request.headers.get("content-length", "")
    return int(declared) if declared.isdigit() and request.method == "POST" else 0


def big_unread_body(request: Request) -> bool:
    declared = request.headers.get("content-length", "")
    chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
    return chunked or (declared.isdigit() and int(declared) > CLOSE_OVER_UNREAD_BYTES)


class RateLimiter:
    def __init__(
        self,
        client: aioredis.Redis,
        *,
        partner: Policy,
        staff: Policy,
        costs: CostModel,
        clock: Callable[[], float] = time.time,
        fail_open_seconds: float = FAIL_OPEN_SECONDS,
    ) -> None:
        self.client = client
        self.bucket = TokenBucket(client)
        self.partner = partner
        self.staff = staff
        self.costs = costs
        self.clock = clock
        self.fail_open_seconds = fail_open_seconds
        self._redis_off_until = 0.0
        #: bucket key -> (tokens, at): Redis's last word, an upper bound since then.
        self._known: dict[str, tuple[float, float]] = {}

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RateLimiter:
        client = aioredis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        return cls(client, **kwargs)

    async def aclose(self) -> None:
        await self.client.aclose()

    def bucket_of(self, principal: Principal) -> tuple[str, Policy]:
        if principal.is_staff:
            return f"tc:ratelimit:staff:{principal.id}", self.staff
        mode = "test" if principal.sandbox else "live"
        return f"tc:ratelimit:partner:{principal.id}:{mode}", self.partner

    async def request_cost(
        self, request: Request, affordable: Callable[[int], bool] = lambda cost: True
    ) -> tuple[int, bytes | None]:
        """The cost, and the body when it had to be read. The size is costed first; when
        `affordable(size cost)` says the bucket cannot hold even that, the query is not
        parsed (that parse is what a flood of big documents wants the server to do)."""
        content_type = request.headers.get("content-type", "")
        if request.method != "POST":
            return 1, None
        if content_type.startswith("multipart/form-data"):
            return 1 + MUTATION_FIELD_COST, None
        if "json" not in content_type:
            return 1, None
        body = await request.body()
        try:
            decoded = orjson.loads(body)
        except orjson.JSONDecodeError:
            return 1 + request_size.size_cost(0, len(body)), body
        size = self.costs.of_size(decoded, len(body))
        if not affordable(1 + size):
            return 1 + size, body
        return self.costs.of_operations(decoded) + size, body

    async def check(self, key: str, policy: Policy, cost: int) -> Decision | None:
        """The bucket's decision, or None when Redis cannot be asked (fail open)."""
        cost = min(cost, policy.burst)
        now = self.clock()
        at_most = self._at_most(key, policy, now)
        if at_most is not None:
            if at_most < cost:
                return Decision(False, at_most, (cost - at_most) / policy.per_second)
            # Reserved until Redis answers, so that a refill does not send every request
            # this process holds for the partner to Redis at once (the answer overwrites).
            self._known[key] = (at_most - cost, now)
        if now < self._redis_off_until:
            return None
        try:
            decision = await self.bucket.take(key, policy, cost, now)
        except (aioredis.RedisError, OSError) as error:
            if self.clock() >= self._redis_off_until:  # once, not by every request in flight
                log.warning(
                    "rate limiting off for %.0f s: Redis unreachable (%r); serving unthrottled",
                    self.fail_open_seconds,
                    error,
                )
                self._redis_off_until = self.clock() + self.fail_open_seconds
            self._known.clear()  # reservations Redis never saw: fully open, not half
            return None
        if len(self._known) >= 10_000:
            self._known.clear()
        self._known[key] = (decision.remaining, now)
        return decision

    def _at_most(self, key: str, policy: Policy, now: float) -> float | None:
        """The most tokens the bucket can hold now, from Redis's last word (None: none)."""
        known = self._known.get(key)
        if known is None:
            return None
        return min(policy.burst, known[0] + max(0.0, now - known[1]) * policy.per_second)

    async def admit(
        self, request: Request, principal: Principal, receive: Receive, send: Send
    ) -> Admission:
        key, policy = self.bucket_of(principal)
        # Any request costs at least 1, and a body of n bytes at least its size cost as
        # variables (the cheapest bytes): a bucket known not to hold that is refused before
        # the body is read.
        floor = min(policy.burst, 1 + request_size.size_cost(0, declared_length(request)))
        at_most = self._at_most(key, policy, self.clock())
        if at_most is not None and at_most < floor:
            wait = (floor - at_most) / policy.per_second
            close = big_unread_body(request)
            return Admission(refusal(wait, policy.burst, close=close), receive, send)

        def affordable(cost: int) -> bool:
            known = self._at_most(key, policy, self.clock())
            return known is None or known >= min(cost, policy.burst)

        cost, body = await self.request_cost(request, affordable)
        if body is not None:
            receive = _replay(body, receive)
        decision = await self.check(key, policy, cost)
        if decision is None:
            return Admission(None, receive, send)
        if not decision.allowed:
            if body is not None and len(body) > CLOSE_OVER_UNREAD_BYTES:
                # Reading a big body is work done: it is charged (what the body's length
                # costs at the least), so the partner's next big ones are refused unread.
                await self.check(key, policy, floor)
            return Admission(refusal(decision.retry_after, policy.burst), receive, send)
        headers = [
            (b"x-ratelimit-limit", str(policy.burst).encode()),
            (b"x-ratelimit-remaining", str(int(decision.remaining)).encode()),
            (b"x-ratelimit-cost", str(min(cost, policy.burst)).encode()),
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *headers]}
            await send(message)

        return Admission(None, receive, send_with_headers)
