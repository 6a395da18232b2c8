"""Policy deadlines, enforced by the same sweep as cover deadlines (LIFECYCLE 4):

- DECLARATION (WT-N1): a month's sales declared by the 30th of the next month; missed ->
  `declaration.late` (the cover consequences apply when the late declaration arrives).
- PREMIUM_ADJUSTMENT (WT-P1): on that same day the month's adjustment invoice is issued
  when the accrued premium exceeds what was invoiced.
- NOTIFICATION (WT-C1): an unpaid covered credit is notified within 60 days of its due
  date (30 after an extended one); missed, the credit loses cover ("late: no indemnity").
  Not announced: most credits are paid, and collections are declared only monthly.
- DOCUMENTS (WT-C2): a claim's documents within 30 days of the notification, else the
  claim is rejected.
- SETTLEMENT (WT-C3): the insurer settles at the end of the waiting period, counted from
  the credits' due dates; unpaid then, it is flagged to staff like FI-C2.
- PAYMENT (WT-C10): paid by max(end of the waiting period + 1 month, complete
  documentation + 30 days); unpaid then, flagged to staff.
- PREMIUM_PAYMENT (WT-P4): an adjustment or extension premium invoice unpaid in full by
  its due date ends the policy automatically the day after (TERMINATED).

Rows are read by (state, next_check_on); every change is a compare-and-set on the row,
so two sweeps at once do nothing twice.
"""

from __future__ import annotations

from datetime import date, datetime

from domain.rules.wt import claims as claim_rules
from domain.services import cover_events, cover_life, event_sequence, policy_events
from domain.store.ids import new_id
from domain.store.policy_models import Policy, PolicyClaim, PolicyDeadline, Sale

#: Deadlines whose miss is an action of ours rather than a failure of the insured.
ACTIONS = ("PREMIUM_ADJUSTMENT",)
#: The insurer's own deadlines: missed, they are flagged to staff (WT-C3, WT-C10).
INSURER_SIDE = ("SETTLEMENT", "PAYMENT")
#: Deadlines announced to the partner 7 and 1 days before (the insured's obligations).
ANNOUNCED = ("DECLARATION", "DOCUMENTS", "PREMIUM_PAYMENT")


async def open_deadline(
    policy: Policy, kind: str, subject: str, rule: str, due_on: date, now: datetime
) -> PolicyDeadline:
    """Create (once) an open deadline row. Call inside a transaction."""
    row = await PolicyDeadline.filter(policy_id=policy.id, kind=kind, subject=subject).first()
    if row is not None:
        return row
    return await PolicyDeadline.create(
        id=new_id("pdl"),
        policy_id=policy.id,
        kind=kind,
        subject=subject,
        rule=rule,
        due_on=due_on,
        state="OPEN",
        announced=[] if kind in ANNOUNCED else list(cover_life.ANNOUNCE_DAYS_BEFORE),
        next_check_on=cover_life.next_check(
            due_on, [] if kind in ANNOUNCED else list(cover_life.ANNOUNCE_DAYS_BEFORE)
        ),
        created_at=now,
    )


async def open_notification_deadlines(policy: Policy, sales: list[Sale], now: datetime) -> None:
    """WT-C1 rows for freshly declared covered credits, in one INSERT."""
    rows = [
        PolicyDeadline(
            id=new_id("pdl"),
            policy_id=policy.id,
            kind="NOTIFICATION",
            subject=sale.id,
            rule="WT-C1",
            due_on=(due := claim_rules.notification_due_on(sale.due_date, None, None)),
            state="OPEN",
            announced=list(cover_life.ANNOUNCE_DAYS_BEFORE),
            next_check_on=cover_life.next_check(due, list(cover_life.ANNOUNCE_DAYS_BEFORE)),
            created_at=now,
        )
        for sale in sales
        if sale.excluded_by is None
    ]
    if rows:
        await PolicyDeadline.bulk_create(rows, batch_size=1_000)


async def move_notification_deadline(policy_id: str, sale: Sale) -> None:
    """WT-C1 after an extension: 30 days after the extended due date."""
    due = claim_rules.notification_due_on(sale.due_date, sale.extended_due_date, None)
    await PolicyDeadline.filter(
        policy_id=policy_id, kind="NOTIFICATION", subject=sale.id, state="OPEN"
    ).update(
        due_on=due, next_check_on=cover_life.next_check(due, list(cover_life.ANNOUNCE_DAYS_BEFORE))
    )


async def move_deadline(policy_id: str, kind: str, subject: str, due: date) -> None:
    """An open deadline whose date moved (WT-C3 after an extension of a claimed credit)."""
    await (
        PolicyDeadline.filter(policy_id=policy_id, kind=kind, subject=subject, state="OPEN")
        .exclude(due_on=due)
        .update(
            due_on=due,
            next_check_on=cover_life.next_check(due, list(cover_life.ANNOUNCE_DAYS_BEFORE)),
        )
    )


async def void_notification_deadlines(policy_id: str, sale_ids: list[str]) -> None:
    """Paid in full: nothing to notify any more."""
    if sale_ids:
        await PolicyDeadline.filter(
            policy_id=policy_id, kind="NOTIFICATION", subject__in=sale_ids, state="OPEN"
        ).update(state="VOID")


async def void_claim_deadlines(policy_id: str, claim_id: str) -> None:
    """A rejected claim waits for no documents and is never settled: its open DOCUMENTS
    (WT-C2) and SETTLEMENT (WT-C3) rows are void, so neither is missed and flagged."""
    await PolicyDeadline.filter(
        policy_id=policy_id,
        subject=claim_id,
        kind__in=("DOCUMENTS", "SETTLEMENT", "PAYMENT"),
        state="OPEN",
    ).update(state="VOID")


async def meet(policy_id: str, kind: str, subject: str, on: date) -> bool:
    """Mark an open deadline met on `on` (late when after its due date). Returns whether
    it was met in time."""
    row = await PolicyDeadline.filter(policy_id=policy_id, kind=kind, subject=subject).first()
    if row is None or row.state != "OPEN":
        return row is not None and row.state == "MET"
    in_time = on <= row.due_on
    await PolicyDeadline.filter(id=row.id, state="OPEN").update(
        state="MET" if in_time else "MISSED", met_on=on
    )
    return in_time


async def _announce(row: PolicyDeadline, policy: Policy, today: date, now: datetime) -> None:
    due_now = cover_life.announcements_due(list(row.announced), row.due_on, today)
    if not due_now:
        await PolicyDeadline.filter(id=row.id, next_check_on=row.next_check_on).update(
            next_check_on=cover_life.next_check(row.due_on, list(row.announced))
        )
        return
    announced = sorted({*row.announced, *due_now}, reverse=True)
    async with event_sequence.policy_transaction(policy.id):
        taken = await PolicyDeadline.filter(
            id=row.id, state="OPEN", next_check_on=row.next_check_on
        ).update(announced=announced, next_check_on=cover_life.next_check(row.due_on, announced))
        if taken != 1:
            return
        for days_before in due_now:
            await policy_events.record(
                policy,
                "deadline.approaching",
                actor=cover_events.SYSTEM,
                now=now,
                data={
                    "deadline": _describe(row),
                    "announcement": f"{days_before} days before",
                    "daysLeft": (row.due_on - today).days,
                },
            )


def _describe(row: PolicyDeadline) -> dict[str, str]:
    return {
        "kind": row.kind,
        "rule": row.rule,
        "subject": row.subject,
        "dueOn": row.due_on.isoformat(),
    }


async def _due(row: PolicyDeadline, policy: Policy, now: datetime) -> None:
    from domain.services import policies

    async with event_sequence.policy_transaction(policy.id):
        final = "MET" if row.kind in ACTIONS else "MISSED"
        taken = await PolicyDeadline.filter(id=row.id, state="OPEN").update(state=final)
        if taken != 1:
            return
        if row.kind == "PREMIUM_ADJUSTMENT":
            await policies.issue_adjustment(
                policy, date.fromisoformat(row.subject), now, cover_events.SYSTEM
            )
            return
        if row.kind == "PREMIUM_PAYMENT":
            await policies.terminate(policy, row.due_on, row.subject, now)
            return
        if row.kind == "DECLARATION":
            await policy_events.record(
                policy,
                "declaration.late",
                actor=cover_events.SYSTEM,
                now=now,
                data={"month": row.subject, "dueOn": row.due_on.isoformat(), "rule": "WT-N1"},
            )
            return
        await policy_events.record(
            policy,
            "deadline.missed",
            actor=cover_events.SYSTEM,
            now=now,
            data={"deadline": _describe(row), "flaggedToStaff": row.kind in INSURER_SIDE},
        )
        if row.kind == "NOTIFICATION":
            await Sale.filter(id=row.subject, excluded_by__isnull=True).update(
                excluded_by="WT-C1",
                exclusion_reason=f"Non-payment not notified by {row.due_on}.",
            )
        if row.kind == "DOCUMENTS":
            rejection = {"rule": "WT-C2", "message": "Claim documents missing after 30 days."}
            rejected = await PolicyClaim.filter(id=row.subject, status="DOCUMENTS_PENDING").update(
                status="REJECTED", rejection=rejection
            )
            if rejected:
                await void_claim_deadlines(policy.id, row.subject)
                await policy_events.record(
                    policy,
                    "claim.rejected",
                    actor=cover_events.SYSTEM,
                    now=now,
                    data={"claimId": row.subject, "rule": "WT-C2"},
                )


async def sweep(now: datetime, *, test_clock_id: str | None = None, limit: int = 1000) -> int:
    """One pass over the policy deadline rows due for a look on `now`'s date."""
    today = now.date()
    query = PolicyDeadline.filter(state="OPEN", next_check_on__lte=today)
    if test_clock_id is None:
        query = query.filter(policy__test_clock_id__isnull=True)
    else:
        query = query.filter(policy__test_clock_id=test_clock_id)
    rows = await query.order_by("next_check_on").limit(limit).prefetch_related("policy")
    for row in rows:
        if today > row.due_on:
            await _due(row, row.policy, now)
        else:
            await _announce(row, row.policy, today, now)
    return len(rows)
