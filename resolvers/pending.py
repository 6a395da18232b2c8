"""Contract operations whose use cases arrive with a later issue (#4 cover life).
They are in the schema so partners can code against the whole contract;
until built, mutations answer the userError NOT_IMPLEMENTED and make no change, and the
queries answer what is true today: no claim exists yet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry

from domain.services.errors import DomainError
from resolvers.context import Info
from resolvers.errors import run_mutation
from schema.cover_types import Claim

P = TypeVar("P")

#: `first` is capped at this page size on every connection.
MAX_PAGE = 100


async def refuse(info: Info, operation: str, payload: Callable[..., P]) -> P:
    async def body() -> dict[str, Any]:
        raise DomainError(
            "NOT_IMPLEMENTED", f"{operation} is not available yet on this deployment."
        )

    return await run_mutation(info, payload, body)


def page_size(first: int | None) -> int:
    """Clamp a requested page size to 1..MAX_PAGE."""
    return max(1, min(first if first is not None else 50, MAX_PAGE))


async def claim(info: Info, id: strawberry.ID) -> Claim | None:
    return None
