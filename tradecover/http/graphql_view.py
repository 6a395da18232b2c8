"""POST /graphql: bearer-key auth, Idempotency-Key handling, then strawberry.

Idempotency (contract): a mutation request with `Idempotency-Key` claims the key for
its principal before running. Same key + same body replays the stored response; same
key + another body runs the request with every mutation refused as
IDEMPOTENCY_KEY_REUSED, so the answer keeps the payload's shape. A request arriving
while the first one still runs waits for its response.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import secrets
import time
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, cast

import orjson
from cross_web import HTTPException
from graphql import ExecutionResult
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http.typevars import Context

from domain.services import idempotency
from domain.services.idempotency import Claim
from domain.services.principals import Principal, authenticate
from resolvers.context import RequestContext
from tradecover import metrics
from tradecover.http.body_limit import BodyTooLarge
from tradecover.http.errors import request_error
from tradecover.http.operations import is_mutation
from tradecover.http.rate_limit import RateLimiter
from tradecover.http.request_size import RequestTooLarge, refusal_of
from tradecover.logs import bind, log_context

log = logging.getLogger("tradecover.http")


def _file_sha256(file: Any) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(1 << 20), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


async def hashable_variables(value: Any) -> Any:
    """Multipart uploads stand in the request hash by name, type and content hash, so the
    same key with another file's content is a different body (IDEMPOTENCY_KEY_REUSED)."""
    if isinstance(value, UploadFile):
        return {
            "__upload__": {
                "filename": value.filename,
                "contentType": value.content_type,
                "sha256": await asyncio.to_thread(_file_sha256, value.file),
            }
        }
    if isinstance(value, dict):
        return {k: await hashable_variables(v) for k, v in value.items()}
    if isinstance(value, list):
        return [await hashable_variables(v) for v in value]
    return value


def request_hash(query: str | None, variables: Any, operation_name: str | None) -> str:
    canonical = json.dumps(
        {"query": query, "variables": variables, "operationName": operation_name},
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class TradecoverGraphQL(GraphQL[RequestContext, None]):
    """Strawberry's ASGI view with our context and the idempotency protocol."""

    def __init__(
        self,
        *args: Any,
        idempotency_wait_seconds: float = 10.0,
        dev: bool = False,
        suggestions: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.idempotency_wait_seconds = idempotency_wait_seconds
        self.dev = dev
        self.suggestions = suggestions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except RequestTooLarge as refused:  # raised before any response was started
            await refused.response(scope, receive, send)

    async def parse_http_body(self, request: Any) -> Any:
        """A body strawberry cannot read (JSON that is not an object, a malformed multipart
        `operations`/`map`) is the client's error, a 400, not a 500 from deep inside it.
        A query or variables over their caps (request_size.py) are refused here, after the
        JSON or multipart body is decoded and before the query text is parsed."""
        try:
            data = await super().parse_http_body(request)
        except (HTTPException, BodyTooLarge):
            raise  # BodyTooLarge: tradecover/http/body_limit.py answers 413
        except Exception as error:
            raise HTTPException(400, "Malformed GraphQL request body.") from error
        for item in data if isinstance(data, list) else [data]:
            refused = refusal_of({"query": item.query, "variables": item.variables})
            if refused is not None:
                raise RequestTooLarge(refused)
        return data

    async def process_result(self, request: Any, result: Any) -> Any:
        """With introspection off, validation errors do not suggest names ("Did you mean
        'coverage'?"): they would hand the schema out field by field to a caller that may
        not read it."""
        processed = await super().process_result(request, result)
        if not self.suggestions and isinstance(processed, dict):
            for error in processed.get("errors") or ():
                if isinstance(error, dict) and isinstance(error.get("message"), str):
                    error["message"] = _SUGGESTION.sub("", error["message"])
        return processed

    def decode_json(self, data: str | bytes) -> object:
        """orjson too; its JSONDecodeError is json's, so a bad body is still a 400."""
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        """orjson: several times faster than json.dumps on response bodies (bench/RESULTS.md)."""
        return orjson.dumps(data, default=str)

    async def get_context(self, request: Any, response: Any) -> RequestContext:
        principal: Principal = request.state.principal
        return RequestContext(
            principal=principal,
            now=datetime.now(UTC),
            dev=self.dev,
            request=request,
            response=response,
        )

    async def execute_single(  # type: ignore[override]
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: Any,
        request_data: Any,
    ) -> ExecutionResult:
        """Timed and counted by operation for /metrics (tradecover/metrics.py)."""
        started = time.perf_counter()
        result = await self._execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )
        operation, kind = metrics.operation_label(request_data.query, self._root_fields)
        metrics.observe_operation(operation, kind, time.perf_counter() - started, result)
        return result

    @cached_property
    def _root_fields(self) -> frozenset[str]:
        graphql_schema = self.schema._schema  # type: ignore[attr-defined]
        roots = (graphql_schema.query_type, graphql_schema.mutation_type)
        return frozenset(name for root in roots if root for name in root.fields)

    async def _execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Any,
        context: Any,
        root_value: Any,
        request_data: Any,
    ) -> ExecutionResult:
        async def run() -> ExecutionResult:
            result = await super(TradecoverGraphQL, self).execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
            # strawberry's own ExecutionResult: the same data/errors/extensions shape.
            return cast(ExecutionResult, result)

        key = request.headers.get("idempotency-key")
        if not key or not is_mutation(request_data.query, request_data.operation_name):
            return await run()
        assert isinstance(context, RequestContext)
        if len(key) > 255:
            context.idempotency_refusal = ("INVALID_INPUT", "Idempotency-Key is over 255 chars.")
            return await run()
        principal = context.principal.id
        digest = request_hash(
            request_data.query,
            await hashable_variables(request_data.variables),
            request_data.operation_name,
        )
        give_up_at = time.monotonic() + self.idempotency_wait_seconds
        while True:
            claim = await idempotency.claim_key(principal, key, digest, context.now)
            if claim.outcome is Claim.NEW:
                return await self._run_owning_key(run, principal, key)
            if claim.outcome is Claim.REPLAY:
                sub_response.headers["Idempotent-Replayed"] = "true"
                return ExecutionResult(data=claim.response, errors=None)
            if claim.outcome is Claim.MISMATCH:
                context.idempotency_refusal = (
                    "IDEMPOTENCY_KEY_REUSED",
                    "This Idempotency-Key was used with another request body.",
                )
                return await run()
            if time.monotonic() > give_up_at:
                context.idempotency_refusal = (
                    "IDEMPOTENCY_KEY_IN_USE",
                    "A request with this Idempotency-Key is still running; retry later.",
                )
                return await run()
            await asyncio.sleep(0.05)

    async def _run_owning_key(self, run: Any, principal: str, key: str) -> ExecutionResult:
        try:
            result: ExecutionResult = await run()
        except BaseException:
            await idempotency.abandon(principal, key)
            raise
        if result.errors:
            # Nothing worth replaying (a fault or malformed request): free the key.
            await idempotency.abandon(principal, key)
        else:
            await idempotency.complete(principal, key, result.data)
        return result


#: graphql-core's `did_you_mean` text: " Did you mean 'a', 'b', or 'c'?" (also "the enum
#: value 'X'"), at the end of a message or before the next sentence of a coercion error.
_SUGGESTION = re.compile(r" Did you mean [^?]*\?")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(candidate):
                return candidate
    return f"req_{secrets.token_hex(8)}"


def _unauthenticated(message: str) -> Response:
    return request_error(401, "UNAUTHENTICATED", message, headers={"WWW-Authenticate": "Bearer"})


class GraphQLEndpoint:
    """Authenticates, then hands the request to the view allowed for this caller:
    introspection is for dev and sandbox keys only."""

    def __init__(
        self,
        open_view: TradecoverGraphQL,
        locked_view: TradecoverGraphQL,
        *,
        dev: bool,
        rate_limiter: RateLimiter | None = None,
    ):
        self.open_view = open_view
        self.locked_view = locked_view
        self.dev = dev
        self.rate_limiter = rate_limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Every request gets an id (the caller's `X-Request-Id` when it is a sane one),
        echoed in the response and bound to every log line written while serving it."""
        request_id = _request_id(scope)
        status = 500

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        with log_context(request_id=request_id):
            try:
                await self._serve(scope, receive, send_with_id)
            finally:
                metrics.REQUESTS.labels(str(status)).inc()

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            if self.dev:
                # The page itself needs no key: GraphiQL sends the key with each query.
                await HTMLResponse(self.open_view.graphql_ide_html)(scope, receive, send)
                return
            await JSONResponse({"error": "GraphiQL is served in dev only."}, 404)(
                scope, receive, send
            )
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            await _unauthenticated("Send Authorization: Bearer <api key>.")(scope, receive, send)
            return
        try:
            principal = await authenticate(token.strip())
        except Exception:
            log.exception("authentication failed")
            response = request_error(503, "UNAVAILABLE", "Service unavailable, retry.")
            await response(scope, receive, send)
            return
        if principal is None:
            await _unauthenticated("Unknown or revoked API key.")(scope, receive, send)
            return
        if self.rate_limiter is not None:
            admission = await self.rate_limiter.admit(request, principal, receive, send)
            if admission.refusal is not None:
                await admission.refusal(scope, receive, send)
                return
            receive, send = admission.receive, admission.send
        bind(partner_id=principal.partner_id, staff_id=principal.staff_id)
        scope.setdefault("state", {})["principal"] = principal
        view = self.open_view if (self.dev or principal.sandbox) else self.locked_view
        await view(scope, receive, send)
