"""What the console shows of covers: the U-4 referrals queue and a cover's page, with the
helpers the other read models share (partner names, clock-aware "now", U-1 exposure).
Reads only: every change goes through the domain services."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from tortoise.expressions import Subquery
from tortoise.functions import Sum

from domain.rules.catalogue import PRODUCTS
from domain.services.activation import EXPOSED_STATUSES
from domain.services.covers import PENDING_CONFIRMATION
from domain.store.claim_models import Claim, CoverDeadline, Document, Incident
from domain.store.cover_models import Cover, CoverEvent
from domain.store.models import Partner, TestClock

REFERRED = "REFERRED"
#: Rows a list shows at most (the oldest first where work is queued).
LIST_LIMIT = 200


async def partner_names(ids: Iterable[str]) -> dict[str, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {p.id: p.name for p in await Partner.filter(id__in=wanted)}


async def clock_nows(
    clock_ids: Iterable[str | None], real_now: datetime
) -> dict[str | None, datetime]:
    """Each cover's "now": its test clock's frozen time, or the real one (LIFECYCLE 7)."""
    wanted = {c for c in clock_ids if c}
    found: dict[str | None, datetime] = {None: real_now}
    if wanted:
        for clock in await TestClock.filter(id__in=wanted):
            found[clock.id] = clock.frozen_time
    return found


def clock_of(cover: Cover) -> str | None:
    return cover.test_clock_id


def of_mode(sandbox: bool) -> Subquery:
    """Partner ids of one mode, for `partner_id__in`: a subquery, not a join (a join on
    partner makes Tortoise group a sum by it)."""
    return Subquery(Partner.filter(sandbox=sandbox).values("id"))


async def partner_modes(ids: Iterable[str]) -> dict[str, bool]:
    """Each partner's mode: True for sandbox."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {p.id: p.sandbox for p in await Partner.filter(id__in=wanted)}


async def exposures(buyer_keys: Iterable[str], *, sandbox: bool) -> dict[tuple[str, str], Decimal]:
    """U-1 exposure per (buyer, currency): insured amounts of the buyer's pending, active,
    defaulted and in-claim covers, across partners and products, of one mode only
    (sandbox and live are separate worlds: a figure never sums both)."""
    wanted = set(buyer_keys)
    if not wanted:
        return {}
    rows = (
        await Cover.filter(
            buyer_key__in=wanted, status__in=EXPOSED_STATUSES, partner_id__in=of_mode(sandbox)
        )
        .annotate(total=Sum("insured_amount"))
        .group_by("buyer_key", "currency")
        .values("buyer_key", "currency", "total")
    )
    return {(r["buyer_key"], r["currency"]): Decimal(str(r["total"] or 0)) for r in rows}


def financing_state(cover: Cover) -> str:
    if cover.product != "FINANCED_INVOICE":
        return "not needed (premium held on the card)"
    return {None: "awaited from the platform", True: "confirmed", False: "refused"}[
        cover.financing_confirmed
    ]


@dataclass(frozen=True)
class Referral:
    cover: Cover
    partner: str
    exposure: Decimal
    capacity: Decimal
    threshold: Decimal
    time_left: timedelta
    financing: str
    on_clock: bool
    #: The cover's mode: its exposure counts only covers of the same mode (U-1).
    sandbox: bool


async def referral_of(cover: Cover, real_now: datetime) -> Referral:
    return (await _referrals([cover], real_now))[0]


async def referrals(real_now: datetime) -> list[Referral]:
    """Covers referred to staff under U-4 and still pending, oldest bind first."""
    rows = (
        await Cover.filter(status=PENDING_CONFIRMATION, feasibility=REFERRED)
        .order_by("bound_at", "id")
        .limit(LIST_LIMIT)
    )
    return await _referrals(rows, real_now)


async def _referrals(rows: list[Cover], real_now: datetime) -> list[Referral]:
    partners = await partner_names(r.partner_id for r in rows)
    modes = await partner_modes(r.partner_id for r in rows)
    # The exposure staff weigh a referral against is that of the cover's own mode (U-1).
    exposure = {
        (key, currency, sandbox): amount
        for sandbox in (False, True)
        for (key, currency), amount in (
            await exposures(
                (r.buyer_key for r in rows if modes.get(r.partner_id, True) == sandbox),
                sandbox=sandbox,
            )
        ).items()
    }
    nows = await clock_nows((clock_of(r) for r in rows), real_now)
    found = []
    for row in rows:
        spec = PRODUCTS[row.product]
        found.append(
            Referral(
                cover=row,
                partner=partners.get(row.partner_id, "?"),
                exposure=exposure.get(
                    (row.buyer_key, row.currency, modes.get(row.partner_id, True)),
                    Decimal("0"),
                ),
                capacity=spec.buyer_capacity,
                threshold=spec.auto_approval_threshold,
                time_left=row.confirmation_due_at - nows.get(clock_of(row), real_now),
                financing=financing_state(row),
                on_clock=clock_of(row) is not None,
                sandbox=modes.get(row.partner_id, True),
            )
        )
    return found


@dataclass(frozen=True)
class CoverPage:
    cover: Cover
    partner: str
    today: date
    deadlines: list[CoverDeadline]
    events: list[CoverEvent]
    incidents: list[Incident]
    documents: list[Document]
    claim: Claim | None


async def cover_page(cover_id: str, real_now: datetime) -> CoverPage | None:
    cover = await Cover.filter(id=cover_id).first()
    if cover is None:
        return None
    nows = await clock_nows([clock_of(cover)], real_now)
    return CoverPage(
        cover=cover,
        partner=(await partner_names([cover.partner_id])).get(cover.partner_id, "?"),
        today=nows.get(clock_of(cover), real_now).date(),
        deadlines=await CoverDeadline.filter(cover_id=cover.id).order_by("due_on", "id"),
        events=await CoverEvent.filter(cover_id=cover.id).order_by("-sequence").limit(100),
        incidents=await Incident.filter(cover_id=cover.id).order_by("created_at"),
        documents=await Document.filter(cover_id=cover.id).order_by("received_at", "id"),
        claim=await Claim.filter(cover_id=cover.id).first(),
    )
