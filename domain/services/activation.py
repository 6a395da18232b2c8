"""From PENDING_CONFIRMATION to ACTIVE or DECLINED (LIFECYCLE 2, FI-A1, TR-P2, U-1..U-4).

Every transition is a compare-and-set on the current status inside a transaction, so a
job that runs twice, or a staff decision racing the window expiry, ends in one outcome.
Card calls happen in the hold jobs (holds.py), outside any transaction.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from tortoise.expressions import Subquery
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from domain.rules.catalogue import PRODUCTS, TRANSPORT_INVOICE
from domain.rules.feasibility import (
    CONFIRMED,
    DECLINED,
    REFERRED,
    FeasibilityFacts,
    decide_feasibility,
)
from domain.services import cover_events, cover_life, faults, outbox
from domain.services.clock_time import now_on_clock
from domain.services.covers import PENDING_CONFIRMATION
from domain.services.errors import DomainError, not_found
from domain.services.principals import Principal
from domain.store.cover_models import Cover, CoverEvent
from domain.store.locks import lock_for_transaction
from domain.store.models import OutboxMessage, Partner

ACTIVE = "ACTIVE"
COVER_DECLINED = "DECLINED"
#: U-1: statuses whose insured amounts count in a buyer's exposure.
EXPOSED_STATUSES = ("PENDING_CONFIRMATION", "ACTIVE", "DEFAULTED", "IN_CLAIM")
CAPTURE_HOLD = "payment_hold.capture"
RELEASE_HOLD = "payment_hold.release"
#: U-4: the webhook that tells the partner its cover waits for the insurer's staff.
REFERRED_WEBHOOK = "cover.referred"


async def _sandbox_mode(cover: Cover) -> bool:
    """The cover's mode, its partner's (LIFECYCLE 2: sandbox and live are separate worlds,
    every U-x fact counts only covers of the same mode)."""
    rows = await Partner.filter(id=cover.partner_id).values_list("sandbox", flat=True)
    return bool(rows[0]) if rows else True


async def _buyer_exposure_excluding(
    cover: Cover, sandbox: bool, *, partner_id: str | None = None
) -> Decimal:
    """U-1: the buyer's exposure across partners, of the cover's mode only; with
    `partner_id`, only that partner's part of it (what its decline reason may use)."""
    query = Cover.filter(
        buyer_key=cover.buyer_key,
        status__in=EXPOSED_STATUSES,
        # A subquery, not a join: a join on partner makes Tortoise group the sum by it.
        partner_id__in=Subquery(Partner.filter(sandbox=sandbox).values("id")),
    ).exclude(id=cover.id)
    if partner_id is not None:
        query = query.filter(partner_id=partner_id)
    rows = await query.annotate(total=Sum("insured_amount")).values_list("total", flat=True)
    total = rows[0] if rows else None
    return Decimal(str(total)) if total is not None else Decimal("0")


async def _recent_incident(cover: Cover, now: datetime, sandbox: bool) -> bool:
    """U-2: an incident declared on any cover of the buyer, of the cover's mode only."""
    since = now - relativedelta(months=PRODUCTS[cover.product].incident_lookback_months)
    return await CoverEvent.filter(
        cover__buyer_key=cover.buyer_key,
        cover__partner__sandbox=sandbox,
        type="incident.declared",
        occurred_at__gte=since,
    ).exists()


async def _duplicate_invoice(cover: Cover, sandbox: bool) -> bool:
    """U-3: an earlier, not declined cover on the same seller, buyer and invoice number,
    of the cover's mode only."""
    if not cover.invoice_number:
        return False
    return await (
        Cover.filter(
            seller_key=cover.seller_key,
            buyer_key=cover.buyer_key,
            invoice_number=cover.invoice_number,
            id__lt=cover.id,
            partner__sandbox=sandbox,
        )
        .exclude(status=COVER_DECLINED)
        .exists()
    )


async def confirm_feasibility(cover_id: str, real_now: datetime) -> str | None:
    """The `cover.confirm_feasibility` job. Returns the outcome, None if already decided."""
    cover = await Cover.filter(id=cover_id).first()
    if cover is None or cover.status != PENDING_CONFIRMATION or cover.feasibility != "PENDING":
        return None
    now = await now_on_clock(cover.test_clock_id, real_now)
    messages: list[OutboxMessage] = []
    async with in_transaction():
        # Read inside the write transaction, under the buyer's lock: two covers of one
        # buyer confirmed at once cannot both miss the other's exposure (U-1).
        await lock_for_transaction(f"buyer:{cover.buyer_key}")
        sandbox = await _sandbox_mode(cover)
        facts = FeasibilityFacts(
            insured_amount=cover.insured_amount,
            other_buyer_exposure=await _buyer_exposure_excluding(cover, sandbox),
            buyer_had_recent_incident=await _recent_incident(cover, now, sandbox),
            duplicate_invoice=await _duplicate_invoice(cover, sandbox),
            partner_buyer_exposure=await _buyer_exposure_excluding(
                cover,
                sandbox,
                partner_id=cover.partner_id,
            ),
        )
        decision = decide_feasibility(facts, PRODUCTS[cover.product])
        moved = await Cover.filter(
            id=cover.id, status=PENDING_CONFIRMATION, feasibility="PENDING"
        ).update(feasibility=decision.outcome, feasibility_reason=decision.reason_for_staff)
        if moved != 1:
            return None
        await faults.checkpoint("feasibility.in_transaction")
        cover.feasibility = decision.outcome
        # U-4: a referral is the one outcome the partner hears of only by this webhook
        # (cover.referred); the others are followed by cover.activated or cover.declined.
        await cover_events.record(
            cover,
            f"cover.feasibility_{decision.outcome.lower()}",
            actor=cover_events.SYSTEM,
            now=now,
            data={"rule": decision.rule, "cause": decision.reason},
            webhook=decision.outcome == REFERRED,
            webhook_type=REFERRED_WEBHOOK,
        )
        if decision.outcome == CONFIRMED:
            messages += await _activate_if_ready(cover, now, cover_events.SYSTEM)
        elif decision.outcome == DECLINED:
            messages += await _decline(
                cover, f"{decision.rule}: {decision.reason}", now, cover_events.SYSTEM
            )
    await outbox.publish(messages, now)
    return decision.outcome


async def _activate_if_ready(cover: Cover, now: datetime, actor: str) -> list[OutboxMessage]:
    """ACTIVE once feasibility is confirmed and, for FI, financing too (FI-A1), in
    either order. Call inside a transaction."""
    await cover.refresh_from_db()
    if cover.feasibility != CONFIRMED:
        return []
    if cover.product != TRANSPORT_INVOICE and cover.financing_confirmed is not True:
        return []
    moved = await Cover.filter(id=cover.id, status=PENDING_CONFIRMATION).update(
        status=ACTIVE, activated_at=now
    )
    if moved != 1:
        return []
    cover.status, cover.activated_at = ACTIVE, now
    await cover_life.sync_deadlines(cover)  # the active cover's deadlines start now
    await cover_events.record(
        cover,
        "cover.activated",
        actor=actor,
        now=now,
        data={"cause": "feasibility and financing confirmed"},
    )
    if cover.product == TRANSPORT_INVOICE:
        return [await outbox.enqueue(CAPTURE_HOLD, {"cover_id": cover.id}, now)]
    return []


async def _decline(cover: Cover, reason: str, now: datetime, actor: str) -> list[OutboxMessage]:
    """DECLINED, and the TR hold released in full (TR-P2). Call inside a transaction."""
    moved = await Cover.filter(id=cover.id, status=PENDING_CONFIRMATION).update(
        status=COVER_DECLINED, declined_at=now, decline_reason=reason
    )
    if moved != 1:
        return []
    cover.status, cover.decline_reason = COVER_DECLINED, reason
    await cover_life.sync_deadlines(cover)  # CONFIRMATION: not met
    await cover_life.close_open_deadlines(cover.id, state="VOID")  # nothing else is due
    await cover_events.record(cover, "cover.declined", actor=actor, now=now, data={"cause": reason})
    if cover.product == TRANSPORT_INVOICE:
        return [await outbox.enqueue(RELEASE_HOLD, {"cover_id": cover.id}, now)]
    return []


async def _answered(
    cover: Cover,
    event_type: str,
    *,
    accepted: bool,
    decline_reason: str,
    cause: str | None,
    actor: str,
    now: datetime,
) -> list[OutboxMessage]:
    """Records an answer (staff on feasibility, the platform on financing), then activates
    the cover if nothing else is awaited, or declines it. Call inside a transaction."""
    await cover_events.record(
        cover, event_type, actor=actor, now=now, data={"cause": cause or ""}, webhook=False
    )
    if accepted:
        return await _activate_if_ready(cover, now, actor)
    return await _decline(cover, decline_reason, now, actor)


async def _pending_cover_for(principal: Principal, cover_id: str) -> Cover:
    query = Cover.filter(id=cover_id)
    if not principal.is_staff:
        query = query.filter(partner_id=principal.partner_id)
    cover = await query.first()
    if cover is None:
        raise not_found("cover", cover_id, ("input", "coverId"))
    return cover


async def decide_feasibility_by_staff(
    principal: Principal, cover_id: str, approve: bool, reason: str | None, real_now: datetime
) -> Cover:
    """Staff decision on a cover referred under U-4."""
    if not principal.is_staff:
        raise DomainError("FORBIDDEN", "decideFeasibility is for insurer staff keys.")
    cover = await _pending_cover_for(principal, cover_id)
    if cover.status != PENDING_CONFIRMATION or cover.feasibility != REFERRED:
        raise DomainError(
            "INVALID_STATE",
            f"Cover {cover.id} is {cover.status} with feasibility {cover.feasibility}: "
            "only referred pending covers take a staff decision.",
            ("input", "coverId"),
        )
    now = await now_on_clock(cover.test_clock_id, real_now)
    actor = cover_events.staff_actor(str(principal.staff_id))
    outcome = CONFIRMED if approve else DECLINED
    messages: list[OutboxMessage] = []
    async with in_transaction():
        moved = await Cover.filter(
            id=cover.id, status=PENDING_CONFIRMATION, feasibility=REFERRED
        ).update(feasibility=outcome, feasibility_reason=reason or f"staff {outcome.lower()}")
        if moved != 1:
            raise DomainError(
                "INVALID_STATE", f"Cover {cover.id} was decided meanwhile.", ("input", "coverId")
            )
        cover.feasibility = outcome
        messages += await _answered(
            cover,
            f"cover.feasibility_{outcome.lower()}",
            accepted=approve,
            decline_reason=f"U-4: declined by the insurer. {reason or ''}".strip(),
            cause=reason,
            actor=actor,
            now=now,
        )
    await outbox.publish(messages, now)
    await cover.refresh_from_db()
    return cover


async def confirm_financing(
    principal: Principal, cover_id: str, financed: bool, reason: str | None, real_now: datetime
) -> Cover:
    """FI-A1: the platform confirms (or refuses) the financing, before or after the
    insurer's confirmation."""
    if principal.partner_id is None:
        raise DomainError("FORBIDDEN", "confirmFinancing is for partner keys.")
    cover = await _pending_cover_for(principal, cover_id)
    if cover.product == TRANSPORT_INVOICE:
        raise DomainError(
            "INVALID_STATE", "Only financed-invoice covers need financing.", ("input", "coverId")
        )
    if cover.status != PENDING_CONFIRMATION or cover.financing_confirmed is not None:
        raise DomainError(
            "INVALID_STATE",
            f"Cover {cover.id} is {cover.status}; financing was already answered or is no "
            "longer needed.",
            ("input", "coverId"),
        )
    now = await now_on_clock(cover.test_clock_id, real_now)
    actor = cover_events.partner_actor(principal.partner_id)
    messages: list[OutboxMessage] = []
    async with in_transaction():
        moved = await Cover.filter(
            id=cover.id, status=PENDING_CONFIRMATION, financing_confirmed__isnull=True
        ).update(financing_confirmed=financed)
        if moved != 1:
            raise DomainError(
                "INVALID_STATE", f"Cover {cover.id} changed meanwhile.", ("input", "coverId")
            )
        cover.financing_confirmed = financed
        messages += await _answered(
            cover,
            "cover.financing_confirmed" if financed else "cover.financing_refused",
            accepted=financed,
            decline_reason=f"FI-A1: financing refused by the platform. {reason or ''}".strip(),
            cause=reason,
            actor=actor,
            now=now,
        )
    await outbox.publish(messages, now)
    await cover.refresh_from_db()
    return cover


async def expire_confirmation_windows(
    now: datetime, *, test_clock_id: str | None = None, limit: int = 200
) -> int:
    """Declines covers whose confirmation window passed (LIFECYCLE 2). Real-time covers
    are swept by the scheduler; covers on a test clock by advancing that clock. Indexed
    on (status, confirmation_due_at): the cost follows the covers due, not all covers."""
    query = Cover.filter(status=PENDING_CONFIRMATION, confirmation_due_at__lte=now)
    if test_clock_id is None:
        query = query.filter(test_clock_id__isnull=True)
    else:
        query = query.filter(test_clock_id=test_clock_id)
    declined = 0
    for cover in await query.order_by("confirmation_due_at").limit(limit):
        async with in_transaction():
            # The decline happens at the moment the window closed, not when swept.
            messages = await _decline(
                cover,
                "CONFIRMATION: not confirmed within the confirmation window.",
                cover.confirmation_due_at,
                cover_events.SYSTEM,
            )
            if cover.status == COVER_DECLINED:
                # U-4: no decision within the window is a decline (Cover.feasibility).
                await Cover.filter(id=cover.id, feasibility__in=("PENDING", REFERRED)).update(
                    feasibility=DECLINED, feasibility_reason="no decision within the window"
                )
        declined += cover.status == COVER_DECLINED
        await outbox.publish(messages, now)
    return declined


async def declined_covers_with_held_holds(test_clock_id: str) -> list[str]:
    """Declined covers of a test clock whose hold release job has not run yet."""
    rows = await Cover.filter(
        test_clock_id=test_clock_id, status=COVER_DECLINED, payment_hold__status="HELD"
    ).values_list("id", flat=True)
    return [str(row) for row in rows]
