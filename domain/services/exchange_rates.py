"""Exchange rates (WT-N3 day-of-sale conversion, WT-C7 indemnity-day rate): who sets
them and which ones a policy uses.

Sandbox and live are separate worlds. Insurer staff keep the rates live policies use
(rows without a partner). A sandbox partner may set its own rates; they carry its
partner id and only its own sandbox policies use them, so one sandbox partner's rates
never change another's results, nor anything live. A sandbox policy whose partner set
no rate for a currency pair uses the staff rates for that pair.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.services.errors import DomainError
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.locks import lock_for_transaction
from domain.store.models import Partner
from domain.store.policy_models import ExchangeRate


def _owner_of_set(principal: Principal) -> str | None:
    """The partner id a rate set by `principal` carries; None for staff."""
    if principal.is_staff:
        return None
    if principal.partner_id is None or not principal.sandbox:
        raise DomainError(
            "FORBIDDEN",
            "Exchange rates are kept by insurer staff keys; a sandbox key may set its own "
            "for its sandbox policies.",
        )
    return principal.partner_id


def _rows_of(owner: str | None) -> QuerySet[ExchangeRate]:
    if owner is None:
        return ExchangeRate.filter(partner_id__isnull=True)
    return ExchangeRate.filter(partner_id=owner)


async def set_exchange_rate(
    principal: Principal,
    from_currency: str,
    to_currency: str,
    on: date,
    rate: Decimal,
    now: datetime,
) -> ExchangeRate:
    """The rate of a day (WT-N3, WT-C7) for staff, or a sandbox partner's own; setting
    it again replaces it."""
    owner = _owner_of_set(principal)
    if rate <= 0:
        raise DomainError("INVALID_INPUT", "A rate is positive.", ("input", "rate"))
    source, target = from_currency.upper(), to_currency.upper()
    async with in_transaction():
        # Update-or-create under the (owner, pair, day) lock: two setters of the same rate
        # take turns, so neither fails on the unique index (SQLite's write transactions
        # are serial already; PostgreSQL needs the lock).
        await lock_for_transaction(f"fx:{owner or 'staff'}:{source}:{target}:{on}")
        row = await _rows_of(owner).filter(from_currency=source, to_currency=target, on=on).first()
        if row is None:
            return await ExchangeRate.create(
                id=new_id("fx"),
                partner_id=owner,
                from_currency=source,
                to_currency=target,
                on=on,
                rate=rate,
                created_at=now,
            )
        await ExchangeRate.filter(id=row.id).update(rate=rate)
        await row.refresh_from_db()
        return row


async def rate_owner(policy_partner_id: str, from_currency: str, to_currency: str) -> str | None:
    """Whose rates a policy of `policy_partner_id` uses for the pair: the partner's own if
    it is a sandbox partner that set any for the pair, else the staff's (None)."""
    sandbox = await Partner.filter(id=policy_partner_id).values_list("sandbox", flat=True)
    if not sandbox or not sandbox[0]:
        return None  # live: staff rates only
    own = await ExchangeRate.filter(
        partner_id=policy_partner_id, from_currency=from_currency, to_currency=to_currency
    ).exists()
    return policy_partner_id if own else None


async def rate_of_day(
    policy_partner_id: str, from_currency: str, to_currency: str, on: date
) -> ExchangeRate | None:
    """WT-N3: the rate of the day `on`, from the rates the policy uses."""
    owner = await rate_owner(policy_partner_id, from_currency, to_currency)
    return await (
        _rows_of(owner).filter(from_currency=from_currency, to_currency=to_currency, on=on).first()
    )


async def latest_rate(
    policy_partner_id: str, from_currency: str, to_currency: str, on: date
) -> ExchangeRate | None:
    """WT-C7: the rate of the day `on` or the latest before it, from the rates the policy
    uses."""
    owner = await rate_owner(policy_partner_id, from_currency, to_currency)
    return await (
        _rows_of(owner)
        .filter(from_currency=from_currency, to_currency=to_currency, on__lte=on)
        .order_by("-on")
        .first()
    )
