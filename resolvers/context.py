"""What every resolver gets: the caller, "now", and the request's idempotency verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from strawberry.types import Info as StrawberryInfo

from domain.services.principals import Principal


@dataclass
class RequestContext:
    principal: Principal
    now: datetime
    #: Set when the request must not run its mutations: IDEMPOTENCY_KEY_REUSED or
    #: IDEMPOTENCY_KEY_IN_USE. Every mutation then answers it as a userError.
    idempotency_refusal: tuple[str, str] | None = None
    #: Dev settings (`make run`): e.g. webhook URLs on loopback are allowed for every key.
    dev: bool = False
    request: Any = None
    response: Any = None
    extras: dict[str, Any] = field(default_factory=dict)


Info = StrawberryInfo[RequestContext, None]
