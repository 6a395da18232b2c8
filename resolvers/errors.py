"""One place that turns domain refusals into `userErrors` (STYLE: refusals are values)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tortoise.exceptions import ValidationError as StoreValidationError

from domain.services.errors import DomainError, InvalidInput
from resolvers.context import Info
from schema.operation_guard import INVALID_VALUE
from schema.types import UserError

P = TypeVar("P")


def user_errors(error: DomainError) -> list[UserError]:
    if isinstance(error, InvalidInput):
        return [
            UserError(code="INVALID_INPUT", message=m, field=list(f) if f else None)
            for m, f in error.problems
        ]
    return [
        UserError(
            code=error.code, message=error.message, field=list(error.field) if error.field else None
        )
    ]


async def run_mutation(
    info: Info, payload: Callable[..., P], body: Callable[[], Awaitable[dict[str, Any]]]
) -> P:
    """Run a mutation body, or refuse it as the idempotency check decided.

    `body` returns the payload's fields; a DomainError becomes the payload's userErrors.
    """
    refusal = info.context.idempotency_refusal
    if refusal is not None:
        code, message = refusal
        return payload(user_errors=[UserError(code=code, message=message, field=None)])
    try:
        fields = await body()
    except DomainError as error:
        return payload(user_errors=user_errors(error))
    except StoreValidationError:
        # A value the services let through and the store refuses (a string longer than
        # its column, e.g. a 3,000-character invoice number or id): the caller's input,
        # not a server fault. The transaction it ran in is rolled back.
        return payload(user_errors=[UserError(code="INVALID_INPUT", message=INVALID_VALUE)])
    return payload(**fields)


def require_staff(info: Info) -> None:
    if not info.context.principal.is_staff:
        raise DomainError("FORBIDDEN", "This operation is for insurer staff keys (tc_staff_).")
