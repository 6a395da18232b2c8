"""Who is calling: API keys (stored hashed), partners and insurer staff."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tortoise.transactions import in_transaction

from domain.services.errors import DomainError, not_found
from domain.store.console_models import ConsoleSession
from domain.store.ids import new_id
from domain.store.models import ApiKey, Partner, StaffMember

SANDBOX_PREFIX = "tc_test_"
LIVE_PREFIX = "tc_live_"
STAFF_PREFIX = "tc_staff_"
PARTNER_KINDS = ("financing_platform", "freight_exchange")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. Exactly one of partner_id / staff_id is set."""

    partner_id: str | None = None
    staff_id: str | None = None
    sandbox: bool = False
    premium_rate: Decimal | None = None

    @property
    def id(self) -> str:
        return self.partner_id or self.staff_id or ""

    @property
    def is_staff(self) -> bool:
        return self.staff_id is not None


#: Random characters after a key's kind that its display prefix shows (tc_test_ab12).
DISPLAY_CHARS = 4


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def display_prefix(key: str) -> str | None:
    """What `api_key.display_prefix` keeps of a key in clear: its kind and DISPLAY_CHARS
    more characters; None for text that is not shaped like a key."""
    for kind in (STAFF_PREFIX, SANDBOX_PREFIX, LIVE_PREFIX):
        if key.startswith(kind):
            return key[: len(kind) + DISPLAY_CHARS]
    return None


def _mint(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(24)


#: Seconds this process keeps a key's principal: one query less on nearly every request
#: (bench/RESULTS.md). A key revoked in the database stops working within this time.
AUTH_CACHE_SECONDS = 5.0
#: Entries kept at most; the cache is emptied when it is full.
AUTH_CACHE_SIZE = 10_000
_known: dict[str, tuple[float, Principal]] = {}
#: The cache's clock (a process clock, not business time: nothing here is dated).
_cache_clock = time.monotonic


async def authenticate(api_key: str) -> Principal | None:
    """The principal of a key, or None for an unknown, revoked or malformed key."""
    if not api_key.startswith((SANDBOX_PREFIX, LIVE_PREFIX, STAFF_PREFIX)) or len(api_key) > 200:
        return None
    digest = hash_key(api_key)
    known = _known.get(digest)
    if known is not None and known[0] > _cache_clock():
        return known[1]
    principal = await _principal_of(api_key, digest)
    if principal is not None:
        if len(_known) >= AUTH_CACHE_SIZE:
            _known.clear()
        _known[digest] = (_cache_clock() + AUTH_CACHE_SECONDS, principal)
    return principal


def forget_keys() -> None:
    """Drop every cached principal (after revoking keys, and in tests)."""
    _known.clear()


async def _principal_of(api_key: str, digest: str) -> Principal | None:
    row = (
        await ApiKey.filter(key_hash=digest, revoked_at__isnull=True)
        .select_related("partner")
        .first()
    )
    if row is None:
        return None
    if row.staff_id is not None:
        return Principal(staff_id=row.staff_id)
    partner = row.partner
    if partner is None:
        return None
    return Principal(
        partner_id=partner.id,
        sandbox=api_key.startswith(SANDBOX_PREFIX),
        premium_rate=partner.premium_rate,
    )


#: Partner.premium_rate is DECIMAL(8, 6): a finer rate would be rounded when stored.
RATE_PLACES = 6


def _check_name(name: str, model: type[Partner] | type[StaffMember]) -> None:
    """A name fits its column (checked where it enters, not refused by the store)."""
    limit = model._meta.fields_map["name"].max_length  # type: ignore[attr-defined]
    if not name.strip() or len(name) > limit:
        raise DomainError("INVALID_INPUT", f"name has 1 to {limit} characters", ("name",))


async def create_partner(
    *, name: str, kind: str, sandbox: bool, premium_rate: Decimal | None, now: datetime
) -> tuple[Partner, str]:
    """A partner and its first API key (returned once, stored only as a hash)."""
    if kind not in PARTNER_KINDS:
        raise DomainError(
            "INVALID_INPUT", f"kind must be one of {', '.join(PARTNER_KINDS)}", ("kind",)
        )
    if premium_rate is not None and not (Decimal(0) < premium_rate < Decimal(1)):
        raise DomainError(
            "INVALID_INPUT", "premium rate is a fraction, e.g. 0.008 for 0.80%", ("premiumRate",)
        )
    if premium_rate is not None and premium_rate.as_tuple().exponent < -RATE_PLACES:  # type: ignore[operator]
        raise DomainError(
            "INVALID_INPUT",
            f"premium rate has at most {RATE_PLACES} decimal places",
            ("premiumRate",),
        )
    _check_name(name, Partner)
    key = _mint(SANDBOX_PREFIX if sandbox else LIVE_PREFIX)
    async with in_transaction():
        partner = await Partner.create(
            id=new_id("ptn"),
            name=name,
            kind=kind,
            sandbox=sandbox,
            premium_rate=premium_rate,
            created_at=now,
        )
        await ApiKey.create(
            id=new_id("key"),
            key_hash=hash_key(key),
            display_prefix=display_prefix(key),
            partner=partner,
            created_at=now,
        )
    return partner, key


async def create_staff(*, name: str, now: datetime) -> tuple[StaffMember, str]:
    _check_name(name, StaffMember)
    key = _mint(STAFF_PREFIX)
    async with in_transaction():
        staff = await StaffMember.create(id=new_id("stf"), name=name, created_at=now)
        await ApiKey.create(
            id=new_id("key"),
            key_hash=hash_key(key),
            display_prefix=display_prefix(key),
            staff=staff,
            created_at=now,
        )
    return staff, key


@dataclass(frozen=True)
class Revoked:
    key_ids: list[str]
    #: console sessions signed in with those keys, ended with them
    console_sessions: int


async def revoke_staff_keys(
    staff_id: str, now: datetime, *, display_prefix: str | None = None
) -> Revoked:
    """Revokes a staff member's live keys (only the one shown as `display_prefix`, when
    given) and ends every console session signed in with them, in one transaction: a
    session cookie copied before the revocation opens nothing after it."""
    if not await StaffMember.filter(id=staff_id).exists():
        raise not_found("staff member", staff_id, ("staffId",))
    live = ApiKey.filter(staff_id=staff_id, revoked_at__isnull=True)
    if display_prefix is not None:
        live = live.filter(display_prefix=display_prefix)
    async with in_transaction():
        key_ids = [str(k) for k in await live.values_list("id", flat=True)]
        if not key_ids:
            raise DomainError(
                "NOT_FOUND", f"Staff member {staff_id} has no live key to revoke.", ("key",)
            )
        await ApiKey.filter(id__in=key_ids, revoked_at__isnull=True).update(revoked_at=now)
        ended = await ConsoleSession.filter(api_key_id__in=key_ids).delete()
    forget_keys()  # this process stops accepting them at once (others within the cache time)
    return Revoked(key_ids=key_ids, console_sessions=ended)
