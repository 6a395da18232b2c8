"""The deadline sweep (LIFECYCLE 4): announce deadlines 7 and 1 days before, and on a
missed one send deadline.missed and lapse the cover with the rule, or flag an
insurer-side deadline to staff.

It reads deadline rows by (state, next_check_on): its cost follows the deadlines that
need a look today, not the number of covers. Every change is a compare-and-set on the
row's next_check_on (or state), so running it twice, or in two workers, does nothing more.
"""

from __future__ import annotations

from datetime import date, datetime

from tortoise.transactions import in_transaction

from domain.rules.violations import Violation
from domain.services import cover_events, cover_life, event_sequence
from domain.store.claim_models import Claim, CoverDeadline
from domain.store.cover_models import Cover


async def _announce(row: CoverDeadline, cover: Cover, today: date, now: datetime) -> None:
    due_now = cover_life.announcements_due(list(row.announced), row.due_on, today)
    if not due_now:
        return
    announced = sorted({*row.announced, *due_now}, reverse=True)
    async with in_transaction():
        await event_sequence.lock_owner(Cover, cover.id)  # LIFECYCLE 5a: the cover first
        taken = await CoverDeadline.filter(
            id=row.id, state="OPEN", next_check_on=row.next_check_on
        ).update(announced=announced, next_check_on=cover_life.next_check(row.due_on, announced))
        if taken != 1:
            return
        for days_before in due_now:  # once each, also when a clock jumps past both
            await cover_events.record(
                cover,
                "deadline.approaching",
                actor=cover_events.SYSTEM,
                now=now,
                data={
                    "deadline": {
                        "kind": row.kind,
                        "rule": row.rule,
                        "dueOn": row.due_on.isoformat(),
                    },
                    "announcement": f"{days_before} days before",
                    "daysLeft": (row.due_on - today).days,
                },
            )


async def _miss(row: CoverDeadline, cover: Cover, now: datetime) -> None:
    async with in_transaction():
        await event_sequence.lock_owner(Cover, cover.id)  # LIFECYCLE 5a: the cover first
        taken = await CoverDeadline.filter(id=row.id, state="OPEN").update(
            state="MISSED", flagged_to_staff=row.insurer_side
        )
        if taken != 1:
            return
        await cover_events.record(
            cover,
            "deadline.missed",
            actor=cover_events.SYSTEM,
            now=now,
            data={
                "deadline": {"kind": row.kind, "rule": row.rule, "dueOn": row.due_on.isoformat()},
                "flaggedToStaff": row.insurer_side,
            },
        )
        if row.rule == "FI-D1":
            # FI-D1: documents missing after 30 days reject the claim, the cover stays.
            rejection = {"rule": "FI-D1", "message": "Claim documents missing after 30 days."}
            rejected = await Claim.filter(cover_id=cover.id, status="DOCUMENTS_PENDING").update(
                status="REJECTED", rejection=rejection
            )
            if rejected:
                await cover_events.record(
                    cover,
                    "claim.rejected",
                    actor=cover_events.SYSTEM,
                    now=now,
                    data={"rule": "FI-D1", "cause": rejection["message"]},
                )
        elif not row.insurer_side:
            await cover_life.lapse(
                cover,
                Violation(row.rule, f"The {row.kind} deadline of {row.due_on} was missed."),
                now,
                cover_events.SYSTEM,
            )


async def sweep(now: datetime, *, test_clock_id: str | None = None, limit: int = 1000) -> int:
    """One pass over the rows due for a look on `now`'s date. Returns rows looked at."""
    today = now.date()
    query = CoverDeadline.filter(state="OPEN", next_check_on__lte=today)
    if test_clock_id is None:
        query = query.filter(cover__test_clock_id__isnull=True)
    else:
        query = query.filter(cover__test_clock_id=test_clock_id)
    rows = await query.order_by("next_check_on").limit(limit).prefetch_related("cover")
    for row in rows:
        cover = row.cover
        if today > row.due_on:
            await _miss(row, cover, now)
        else:
            await _announce(row, cover, today, now)
    return len(rows)
