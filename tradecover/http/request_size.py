"""A GraphQL request's size, bounded and charged before anything parses its query.

The body cap (body_limit.py, 4 MiB of JSON) bounds memory, not CPU: graphql-core's lexer
is pure Python, and a 4 MB document of whitespace, one comment or one string literal took
1 to 2 s of the event loop to parse, with text that differs each time so no parse cache
helps. One partner sending such documents in a loop slowed every other partner's requests
from 5 ms to 3.5 s. So, before the query text reaches any parser (the rate limiter's cost
model or strawberry):

- The query document is capped at MAX_QUERY_BYTES (UTF-8). The largest operation in docs/
  and examples/ is under 1 KB (tests/api/test_request_size.py measures them) and the
  schema refuses documents over 2,000 tokens anyway; 32 KiB is far above both, and parsing
  32 KiB of the worst text (a long string literal) costs ~5 ms.
- `variables` are capped apart, at MAX_VARIABLES_BYTES of JSON: the largest legitimate
  variables are a declaration of 10,000 sales or collections (~2.5 MB); they are decoded by
  orjson (~5 ms per MB), not by the GraphQL lexer.
- Over either cap: HTTP 413, code QUERY_TOO_LARGE or VARIABLES_TOO_LARGE, with the limit.
- Rate-limit tokens grow with size (size_cost): +1 per QUERY_TOKEN_BYTES of query text and
  +1 per VARIABLES_TOKEN_BYTES of variables, on top of the per-operation cost
  (rate_limit.py); the first 2 KiB and 64 KiB are in the operation's cost. A token is
  worth about 1 ms of the server (a small query costs 1); parsing 2 KiB of the worst text
  costs ~0.3 ms and a document is parsed twice (the cost model, then strawberry), so size
  alone is never free, and a refused over-cap document is charged its whole size too (it
  drains the partner's bucket, and the next one is refused before its body is read).
"""

from __future__ import annotations

import math
from typing import Any

import orjson
from starlette.responses import Response

from tradecover.http.errors import request_error

MAX_QUERY_BYTES = 32 * 1024
MAX_VARIABLES_BYTES = 3 * 1024 * 1024
QUERY_TOKEN_BYTES = 2 * 1024
VARIABLES_TOKEN_BYTES = 64 * 1024


def query_bytes(query: Any) -> int:
    """Bytes of the query text as sent (0 when there is none)."""
    if not isinstance(query, str):
        return 0
    # A str of n characters is n to 4n bytes in UTF-8; only count exactly near the cap.
    if len(query) * 4 <= MAX_QUERY_BYTES:
        return len(query)
    return len(query.encode("utf-8", "surrogatepass"))


def variables_bytes(variables: Any) -> int:
    """Bytes of the variables as JSON (uploads in multipart count by their placeholder)."""
    if variables is None:
        return 0
    try:
        return len(orjson.dumps(variables, default=str))
    except (TypeError, orjson.JSONEncodeError):
        return len(str(variables))


def size_cost(query_size: int, variables_size: int) -> int:
    """Rate-limit tokens that the request's size adds to its operation cost."""
    return (
        math.ceil(query_size / QUERY_TOKEN_BYTES)
        - (1 if query_size else 0)
        + math.ceil(variables_size / VARIABLES_TOKEN_BYTES)
        - (1 if variables_size else 0)
    )


def refusal(query_size: int, variables_size: int) -> Response | None:
    """The 413 for a request over a cap, or None."""
    if query_size > MAX_QUERY_BYTES:
        return request_error(
            413,
            "QUERY_TOO_LARGE",
            f"The query document is {query_size} bytes, over the limit of {MAX_QUERY_BYTES}.",
            maxBytes=MAX_QUERY_BYTES,
        )
    if variables_size > MAX_VARIABLES_BYTES:
        return request_error(
            413,
            "VARIABLES_TOO_LARGE",
            f"The variables are {variables_size} bytes of JSON, over the limit of "
            f"{MAX_VARIABLES_BYTES}.",
            maxBytes=MAX_VARIABLES_BYTES,
        )
    return None


def refusal_of(item: Any) -> Response | None:
    """The refusal for one decoded request (a dict with `query` and `variables`)."""
    if not isinstance(item, dict):
        return None
    return refusal(query_bytes(item.get("query")), variables_bytes(item.get("variables")))


class RequestTooLarge(Exception):
    """Raised by the view before strawberry parses the query; the view answers `response`."""

    def __init__(self, response: Response) -> None:
        super().__init__("request too large")
        self.response = response
