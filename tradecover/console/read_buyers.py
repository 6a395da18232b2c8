"""The buyer view: a buyer's exposure across partners and products (U-1), its covers,
incidents and, once policies exist, its limits (WT-L1, TU-L1). Reads only.

Sandbox and live are separate worlds: every figure here is of one mode, live first, and
never a sum of both (the same split U-1 makes when it decides a cover)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from tortoise.functions import Count, Sum

from domain.rules.catalogue import PRODUCTS
from domain.services.activation import EXPOSED_STATUSES
from domain.store.claim_models import Incident
from domain.store.cover_models import Cover
from domain.store.policy_models import CreditLimit, Policy
from domain.store.topup_models import TopUpLimit, TopUpPolicy
from tradecover.console.read_covers import (
    LIST_LIMIT,
    exposures,
    of_mode,
    partner_modes,
    partner_names,
)

MODES = (False, True)  # live first, then sandbox


@dataclass
class BuyerRow:
    key: str
    name: str
    #: Exposure per currency, live and sandbox apart.
    exposure: dict[str, Decimal] = field(default_factory=dict)
    sandbox_exposure: dict[str, Decimal] = field(default_factory=dict)
    covers: int = 0
    sandbox_covers: int = 0

    def add(self, sandbox: bool, currency: str, amount: Decimal | None, covers: int) -> None:
        if sandbox:
            self.sandbox_covers += covers
        else:
            self.covers += covers
        if amount:
            (self.sandbox_exposure if sandbox else self.exposure)[currency] = amount


async def _buyer_names(keys: set[str]) -> dict[str, str]:
    if not keys:
        return {}
    names: dict[str, str] = {}
    for row in await Cover.filter(buyer_key__in=keys).order_by("-id").values("buyer_key", "buyer"):
        names.setdefault(row["buyer_key"], (row["buyer"] or {}).get("name", ""))
    return names


async def buyers(search: str | None) -> list[BuyerRow]:
    """Buyers by live exposure, then sandbox exposure, largest first; `search` matches the
    key (country and registration number), e.g. "ES:B123" or "B123"."""
    found: dict[str, BuyerRow] = {}
    order: dict[str, tuple[Decimal, Decimal]] = {}
    for sandbox in MODES:
        query = Cover.filter(partner_id__in=of_mode(sandbox))
        query = (
            query.filter(buyer_key__icontains=search.strip())
            if search
            else query.filter(status__in=EXPOSED_STATUSES)
        )
        rows = (
            await query.annotate(total=Sum("insured_amount"), n=Count("id"))
            .group_by("buyer_key", "currency")
            .order_by("-total")
            .limit(LIST_LIMIT)
            .values("buyer_key", "currency", "total", "n")
        )
        exposure = await exposures((r["buyer_key"] for r in rows), sandbox=sandbox)
        for row in rows:
            key = row["buyer_key"]
            amount = exposure.get((key, row["currency"]))
            found.setdefault(key, BuyerRow(key, "")).add(
                sandbox, row["currency"], amount, int(row["n"])
            )
            live, sandboxed = order.get(key, (Decimal(0), Decimal(0)))
            order[key] = (
                (live, sandboxed + (amount or 0)) if sandbox else (live + (amount or 0), sandboxed)
            )
    names = await _buyer_names(set(found))
    for item in found.values():
        item.name = names.get(item.key, "")
    ranked = sorted(found.values(), key=lambda b: order[b.key], reverse=True)
    return ranked[:LIST_LIMIT]


@dataclass(frozen=True)
class ExposureLine:
    partner: str
    product: str
    currency: str
    amount: Decimal
    covers: int


@dataclass(frozen=True)
class LimitLine:
    """A buyer limit under a policy: a whole-turnover credit limit (WT-L1) or a top-up
    limit (TU-L1)."""

    kind: str
    policy_id: str
    partner_id: str
    partner: str
    status: str
    amount: Decimal | None
    currency: str
    effective_from: date | None
    ends_on: date | None
    detail: str


@dataclass(frozen=True)
class ModeExposure:
    """A buyer's exposure in one mode (U-1): per partner and product, and its totals."""

    sandbox: bool
    lines: list[ExposureLine]
    totals: dict[str, Decimal]

    @property
    def label(self) -> str:
        return "Sandbox" if self.sandbox else "Live"


@dataclass(frozen=True)
class BuyerPage:
    key: str
    name: str
    #: Live first, then sandbox; a mode without exposure is left out. Never summed.
    exposures: list[ModeExposure]
    capacity: Decimal
    covers: list[Cover]
    partners: dict[str, str]
    #: Partner id -> True for a sandbox partner (the mode of each cover and limit).
    modes: dict[str, bool]
    incidents: list[Incident]
    #: Incident's cover id -> True for a sandbox cover.
    incident_modes: dict[str, bool]
    limits: list[LimitLine]


async def _exposure_in(key: str, sandbox: bool, partners: dict[str, str]) -> ModeExposure:
    exposed = await Cover.filter(
        buyer_key=key, status__in=EXPOSED_STATUSES, partner_id__in=of_mode(sandbox)
    )
    partners.update(await partner_names(c.partner_id for c in exposed))
    grouped: dict[tuple[str, str, str], list[Cover]] = defaultdict(list)
    for cover in exposed:
        grouped[(cover.partner_id, cover.product, cover.currency)].append(cover)
    lines = [
        ExposureLine(
            partner=partners.get(partner_id, "?"),
            product=product,
            currency=currency,
            amount=sum((c.insured_amount for c in rows), Decimal("0")),
            covers=len(rows),
        )
        for (partner_id, product, currency), rows in sorted(grouped.items())
    ]
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[line.currency] += line.amount
    return ModeExposure(sandbox, lines, dict(totals))


async def buyer_page(key: str) -> BuyerPage | None:
    covers = await Cover.filter(buyer_key=key).order_by("-bound_at", "-id").limit(LIST_LIMIT)
    limits = await _limits(key)
    if not covers and not limits:
        return None
    partners = await partner_names(c.partner_id for c in covers)
    by_mode = [await _exposure_in(key, sandbox, partners) for sandbox in MODES]
    incidents = await Incident.filter(cover__buyer_key=key).order_by("-declared_on", "-id")
    incident_covers = {
        c.id: c.partner_id for c in await Cover.filter(id__in={i.cover_id for i in incidents})
    }
    modes = await partner_modes(
        [*partners, *incident_covers.values(), *(line.partner_id for line in limits)]
    )
    name = (covers[0].buyer or {}).get("name", "") if covers else ""
    return BuyerPage(
        key=key,
        name=name or (limits[0].detail if limits else ""),
        exposures=[m for m in by_mode if m.lines],
        capacity=min((spec.buyer_capacity for spec in PRODUCTS.values()), default=Decimal(0)),
        covers=covers,
        partners=partners,
        modes=modes,
        incidents=incidents,
        incident_modes={cid: modes.get(pid, True) for cid, pid in incident_covers.items()},
        limits=limits,
    )


async def _limits(key: str) -> list[LimitLine]:
    """Limits exist once policies do (WT, TU); none for a buyer with covers only."""
    credit = await CreditLimit.filter(buyer_key=key).order_by("policy_id", "created_at")
    top_up = await TopUpLimit.filter(buyer_key=key).order_by("policy_id")
    policies: dict[str, Any] = {
        p.id: p for p in await Policy.filter(id__in={r.policy_id for r in credit})
    }
    policies.update(
        {p.id: p for p in await TopUpPolicy.filter(id__in={r.policy_id for r in top_up})}
    )
    partners = await partner_names(p.partner_id for p in policies.values())
    lines = [
        LimitLine(
            kind="Credit limit (WT-L1)",
            policy_id=row.policy_id,
            partner_id=policies[row.policy_id].partner_id,
            partner=partners.get(policies[row.policy_id].partner_id, "?"),
            status=row.status,
            amount=row.amount if row.amount is not None else row.requested_amount,
            currency=policies[row.policy_id].currency,
            effective_from=row.effective_from,
            ends_on=row.ends_on,
            detail=(row.buyer or {}).get("name", ""),
        )
        for row in credit
    ]
    lines += [
        LimitLine(
            kind="Top-up limit (TU-L1)",
            policy_id=row.policy_id,
            partner_id=policies[row.policy_id].partner_id,
            partner=partners.get(policies[row.policy_id].partner_id, "?"),
            status="ZERO (TU-L2)" if row.zero_locked else "IN FORCE",
            amount=row.top_up_limit,
            currency=policies[row.policy_id].currency,
            effective_from=None,
            ends_on=None,
            detail=(row.buyer or {}).get("name", ""),
        )
        for row in top_up
    ]
    return lines
