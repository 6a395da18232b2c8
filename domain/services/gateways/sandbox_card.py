"""The sandbox card network (TR-P2): a ledger table that behaves like a real acquirer.

Test tokens: "tok_visa" authorises, "tok_chargeDeclined" and "tok_insufficientFunds"
are declined, any other token is unknown. Authorisations lapse after
AUTHORIZATION_LIFETIME_DAYS. Every state change is a compare-and-set on the ledger row
(STACK_NOTES: `select_for_update()` is a no-op on SQLite), so a hold is captured at most
once and never both captured and cancelled, whatever retries or concurrent calls happen.

Like a real gateway call, these methods must not run inside a database transaction of
the caller: an idempotent replay relies on catching the unique-index violation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from domain.services.gateways.card import (
    AUTHORIZATION_LIFETIME_DAYS,
    Authorization,
    AuthorizationExpired,
    CardDeclined,
    GatewayError,
)
from domain.store.cover_models import SandboxCardAuthorization
from domain.store.ids import new_id

AUTHORIZED, CAPTURED, CANCELED, EXPIRED = "AUTHORIZED", "CAPTURED", "CANCELED", "EXPIRED"

APPROVED_TOKENS = frozenset({"tok_visa"})
DECLINED_TOKENS = {
    "tok_chargeDeclined": "card declined",
    "tok_insufficientFunds": "insufficient funds",
}
CENT = Decimal("0.01")
#: Compare-and-set rounds before giving up (each lost round means the row just moved).
_ATTEMPTS = 3


async def ledger(reference: str) -> SandboxCardAuthorization:
    """The ledger row of an authorisation (for tests and benchmarks)."""
    row = await SandboxCardAuthorization.get_or_none(id=reference)
    if row is None:
        raise GatewayError(f"no such authorization: {reference}")
    return row


def _authorization(row: SandboxCardAuthorization) -> Authorization:
    return Authorization(
        reference=row.id,
        amount=Decimal(row.amount),
        currency=row.currency,
        expires_at=row.expires_at,
    )


class SandboxCardGateway:
    name = "sandbox"

    async def authorize(
        self, *, token: str, amount: Decimal, currency: str, idempotency_key: str, now: datetime
    ) -> Authorization:
        if amount <= 0 or amount != amount.quantize(CENT):
            raise ValueError(f"amount must be a positive whole number of cents: {amount}")
        existing = await SandboxCardAuthorization.get_or_none(idempotency_key=idempotency_key)
        if existing is None:
            if token in DECLINED_TOKENS:
                raise CardDeclined(DECLINED_TOKENS[token])
            if token not in APPROVED_TOKENS:
                raise CardDeclined("unknown payment method token")
            try:
                row = await SandboxCardAuthorization.create(
                    id=new_id("auth"),
                    idempotency_key=idempotency_key,
                    token=token,
                    amount=amount.quantize(CENT),
                    currency=currency,
                    status=AUTHORIZED,
                    capture_count=0,
                    cancel_count=0,
                    created_at=now,
                    expires_at=now + timedelta(days=AUTHORIZATION_LIFETIME_DAYS),
                )
                return _authorization(row)
            except IntegrityError:
                # A concurrent call with the same key won the unique index: replay it.
                existing = await SandboxCardAuthorization.get(idempotency_key=idempotency_key)
        if (existing.token, Decimal(existing.amount), existing.currency) != (
            token,
            amount,
            currency,
        ):
            raise GatewayError(
                f"idempotency key {idempotency_key!r} was already used with other parameters"
            )
        return _authorization(existing)

    async def capture(self, *, reference: str, idempotency_key: str, now: datetime) -> None:
        for _ in range(_ATTEMPTS):
            moved = await SandboxCardAuthorization.filter(
                id=reference, status=AUTHORIZED, expires_at__gt=now
            ).update(status=CAPTURED, capture_count=F("capture_count") + 1)
            if moved == 1:
                return
            row = await ledger(reference)
            if row.status == CAPTURED:
                return  # already captured: idempotent
            if row.status == CANCELED:
                raise GatewayError(f"authorization {reference} was canceled: cannot capture")
            if row.status == EXPIRED:
                raise AuthorizationExpired(f"authorization {reference} expired")
            # Still AUTHORIZED but past its expiry: the network lapses it, then re-check.
            await SandboxCardAuthorization.filter(
                id=reference, status=AUTHORIZED, expires_at__lte=now
            ).update(status=EXPIRED)
        raise GatewayError(f"authorization {reference} kept changing: retry")

    async def cancel(self, *, reference: str, idempotency_key: str, now: datetime) -> None:
        for _ in range(_ATTEMPTS):
            moved = await SandboxCardAuthorization.filter(
                id=reference, status=AUTHORIZED, expires_at__gt=now
            ).update(status=CANCELED, cancel_count=F("cancel_count") + 1)
            if moved == 1:
                return
            row = await ledger(reference)
            if row.status in (CANCELED, EXPIRED):
                return  # nothing held any more: idempotent
            if row.status == CAPTURED:
                raise GatewayError(f"authorization {reference} was captured: cannot release")
            # Still AUTHORIZED but past its expiry: the hold lapsed on its own.
            await SandboxCardAuthorization.filter(
                id=reference, status=AUTHORIZED, expires_at__lte=now
            ).update(status=EXPIRED)
        raise GatewayError(f"authorization {reference} kept changing: retry")

    async def ledger(self, reference: str) -> SandboxCardAuthorization:
        return await ledger(reference)
