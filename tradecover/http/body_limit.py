"""Request body caps, enforced while the body arrives.

Nothing else bounds a request: Starlette, strawberry and the rate limiter's cost model
read whole bodies into memory, and a 5 MB string variable was parsed, coerced and handed
to the resolver. This ASGI middleware answers 413, a GraphQL-shaped body with code
PAYLOAD_TOO_LARGE, as soon as a body is known to be over its cap: at once when
`Content-Length` says so (nothing is read), otherwise when the bytes received pass it
(chunked bodies), before the app has seen the end of the body, so before any resolver.

Caps:
- JSON (and anything but multipart): 4 MiB. The largest legitimate request is a
  declaration of 10,000 lines (the most `declareSales` / `declareCollections` take), about
  2.5 MB of JSON.
- multipart/form-data (GraphQL multipart uploads): the 20 MB document limit
  (`domain.services.documents.MAX_BYTES`) plus 1 MiB for the `operations` and `map`
  parts and the part headers, so that a file just over 20 MB still reaches the service
  and is refused there as INVALID_INPUT on `input.file`; anything larger is a 413.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.services import documents
from tradecover.http.errors import request_error

MAX_JSON_BYTES = 4 * 1024 * 1024
MULTIPART_OVERHEAD_BYTES = 1024 * 1024


def max_multipart_bytes() -> int:
    return documents.MAX_BYTES + MULTIPART_OVERHEAD_BYTES


class BodyTooLarge(Exception):
    """Raised from `receive` into the app; caught again by the middleware."""


def too_large(limit: int) -> JSONResponse:
    return request_error(
        413,
        "PAYLOAD_TOO_LARGE",
        f"The request body is over {limit} bytes (the limit).",
        headers={"Connection": "close"},  # the rest of the body is never read
        maxBytes=limit,
    )


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_json_bytes: int = MAX_JSON_BYTES,
        max_multipart_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_multipart_bytes = max_multipart_bytes

    def limit_for(self, headers: Headers) -> int:
        if headers.get("content-type", "").lower().startswith("multipart/"):
            return self.max_multipart_bytes or max_multipart_bytes()
        return self.max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.limit_for(headers)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await too_large(limit)(scope, receive, send)
            return

        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if started:  # pragma: no cover - the app answered before reading its body
                raise
            await too_large(limit)(scope, receive, send)
