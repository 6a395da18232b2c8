"""The card gateway interface (TR-P2): authorise a hold, capture it, or cancel it.

Every call carries an idempotency key: retrying a call with the same key has no further
effect and answers as the first call did, as card networks and Stripe do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from domain.services.errors import DomainError

#: Real card authorisations lapse after about 7 days if neither captured nor cancelled.
AUTHORIZATION_LIFETIME_DAYS = 7


@dataclass(frozen=True)
class Authorization:
    reference: str
    amount: Decimal
    currency: str
    expires_at: datetime


class CardDeclined(DomainError):
    """The card network refused the authorisation: no hold, no cover (TR-P2)."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            "CARD_DECLINED", f"The card was refused: {reason}.", ("input", "paymentMethodToken")
        )
        self.reason = reason


class GatewayError(Exception):
    """The gateway could not be reached or answered unexpectedly: retry later."""


class AuthorizationExpired(GatewayError):
    """Capture of an authorisation that lapsed: the money can no longer be taken."""


class CardGateway(Protocol):
    name: str

    async def authorize(
        self, *, token: str, amount: Decimal, currency: str, idempotency_key: str, now: datetime
    ) -> Authorization:
        """Hold `amount` on the card. Raises CardDeclined when refused."""
        ...

    async def capture(self, *, reference: str, idempotency_key: str, now: datetime) -> None:
        """Take the held money. Idempotent. Raises AuthorizationExpired after expiry."""
        ...

    async def cancel(self, *, reference: str, idempotency_key: str, now: datetime) -> None:
        """Release the hold in full. Idempotent. Never after a capture."""
        ...
