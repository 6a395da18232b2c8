"""The one shape of a request refused before GraphQL runs (no key, storage down, rate
limit, body too large): a GraphQL response with no data and one error whose stable code is
in `extensions`, so partners parse every refusal the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse


def request_error(
    status: int,
    code: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    return JSONResponse(
        {
            "data": None,
            "errors": [{"message": message, "extensions": {"code": code, **extensions}}],
        },
        status_code=status,
        headers=dict(headers) if headers else None,
    )
