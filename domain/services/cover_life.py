"""An active cover's facts (LIFECYCLE 3): shipment events, the invoice, payments.

A recorded fact that breaks a deadline lapses the cover at once with that rule; every
fact re-derives the cover's deadlines (domain/rules/deadlines.py) into its rows, which
the sweep reads by date.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from domain.rules import deadlines as rules
from domain.rules.money import Money, round_cents
from domain.rules.violations import Violation
from domain.services import cover_events, outbox, recoveries
from domain.services.clock_time import now_on_clock
from domain.services.compare_and_set import compare_and_set
from domain.services.errors import DomainError, not_found
from domain.services.money_input import amount_in
from domain.services.principals import Principal
from domain.store.claim_models import Claim, CoverDeadline, Document, Incident
from domain.store.cover_models import Cover
from domain.store.ids import new_id
from domain.store.models import OutboxMessage

ACTIVE, LAPSED, SETTLED = "ACTIVE", "LAPSED", "SETTLED"
#: Days before a due date on which deadline.approaching is sent (LIFECYCLE 4, config).
ANNOUNCE_DAYS_BEFORE = (7, 1)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


#: TR-D1 (incident stage), TR-D2 (claim stage) and FI-D1 document kinds.
TR_INCIDENT_DOCUMENTS = ("COLLECTION_ATTEMPT_PROOF", "TRANSPORT_ORDER", "CMR", "TRANSPORT_INVOICE")
TR_CLAIM_DOCUMENTS = ("UBO_FORM", "UBO_IDENTITY", "BANK_ACCOUNT", "DEBTOR_LEDGER")
FI_CLAIM_DOCUMENTS = ("INVOICE", "ACCOUNT_STATEMENT")


def complete_on(first_received: dict[str, date], kinds: tuple[str, ...]) -> date | None:
    """The day a checklist was complete: when the last of its kinds first arrived."""
    if not all(kind in first_received for kind in kinds):
        return None
    return max(first_received[kind] for kind in kinds)


async def _first_received(cover_id: str) -> dict[str, date]:
    first: dict[str, date] = {}
    for document in await Document.filter(cover_id=cover_id).order_by("received_at"):
        first.setdefault(str(document.kind), document.received_at.date())
    return first


async def facts_of(cover: Cover) -> rules.CoverFacts:
    invoice = cover.invoice or {}
    received = await _first_received(cover.id)
    tr = cover.product == "TRANSPORT_INVOICE"
    incidents = await Incident.filter(cover_id=cover.id).order_by("declared_on")
    claim = await Claim.filter(cover_id=cover.id).first()
    insolvency = next((i.occurred_on for i in incidents if i.kind == "INSOLVENCY"), None)
    declared = incidents[0].declared_on if incidents else None
    return rules.CoverFacts(
        product=cover.product,
        bound_on=cover.bound_at.date(),
        confirmation_due=cover.confirmation_due_at,
        status=cover.status,
        loaded_on=cover.loaded_on,
        unloaded_on=cover.unloaded_on,
        invoice_issue_date=_date(invoice.get("issue_date")),
        invoice_due_date=_date(invoice.get("due_date")),
        # A cover paid in full is SETTLED and its open deadlines are closed as met there.
        paid_in_full_on=None,
        incident_declared_on=declared,
        insolvency_on=insolvency,
        claim_opened_on=claim.opened_on if claim else None,
        notification_on=declared if cover.product == "FINANCED_INVOICE" else None,
        incident_documents_complete_on=complete_on(received, TR_INCIDENT_DOCUMENTS) if tr else None,
        claim_documents_complete_on=complete_on(
            received, TR_CLAIM_DOCUMENTS if tr else FI_CLAIM_DOCUMENTS
        ),
        indemnity_paid_on=claim.paid_on if claim else None,
    )


def next_check(due_on: date, announced: list[int]) -> date:
    """The next day the sweep must look at a deadline: an announcement still to send, or
    the day after it falls due (when it is missed)."""
    pending = [due_on - timedelta(days=d) for d in ANNOUNCE_DAYS_BEFORE if d not in announced]
    return min([*pending, due_on + timedelta(days=1)])


def announcements_due(announced: list[int], due_on: date, today: date) -> list[int]:
    """The days-before announcements (7, 1) not sent yet whose day has come by `today`,
    while the deadline is not past: both at once when a clock jumps past the first."""
    return [
        d
        for d in ANNOUNCE_DAYS_BEFORE
        if d not in announced and (due_on - today).days <= d and today <= due_on
    ]


async def sync_deadlines(cover: Cover) -> None:
    """Bring the cover's deadline rows in step with its facts. Call inside a transaction."""
    existing = {row.kind: row for row in await CoverDeadline.filter(cover_id=cover.id)}
    for deadline in rules.deadlines(await facts_of(cover)):
        state = "OPEN" if deadline.met is None else ("MET" if deadline.met else "MISSED")
        row = existing.get(deadline.kind)
        if row is None:
            # The 48 h CONFIRMATION window is the insurer's to answer: nothing to announce.
            silent = deadline.kind == rules.CONFIRMATION
            announced = list(ANNOUNCE_DAYS_BEFORE) if silent else []
            await CoverDeadline.create(
                id=new_id("ddl"),
                cover_id=cover.id,
                kind=deadline.kind,
                rule=deadline.rule,
                due_on=deadline.due_on,
                state=state,
                met_on=deadline.met_on,
                insurer_side=deadline.insurer_side,
                announced=announced,
                next_check_on=next_check(deadline.due_on, announced),
            )
        elif row.state == "OPEN" and (state != "OPEN" or row.due_on != deadline.due_on):
            await CoverDeadline.filter(id=row.id, state="OPEN").update(
                state=state,
                due_on=deadline.due_on,
                met_on=deadline.met_on,
                next_check_on=next_check(deadline.due_on, list(row.announced)),
            )


async def close_open_deadlines(cover_id: str, **changes: Any) -> None:
    """Select by cover first: a filter on (cover, state) lets SQLite's planner pick the
    (state, next_check_on) index and scan every open deadline of every cover."""
    ids = await CoverDeadline.filter(cover_id=cover_id).values_list("id", flat=True)
    if ids:
        await CoverDeadline.filter(id__in=list(ids), state="OPEN").update(**changes)


#: A cover lapses from these: before the incident, in stage 1 (DEFAULTED) or with a claim.
LAPSABLE = (ACTIVE, "DEFAULTED", "IN_CLAIM")
#: A lapse rejects a claim still in one of these (TR-X1: no indemnity).
OPEN_CLAIM_STATUSES = ("DOCUMENTS_PENDING", "UNDER_REVIEW", "SUSPENDED")


async def lapse(cover: Cover, violation: Violation, now: datetime, actor: str) -> bool:
    """ACTIVE, DEFAULTED or IN_CLAIM -> LAPSED with the rule (compare-and-set); a claim
    not yet decided is rejected with the same rule. Call inside a transaction."""
    lapse_data = {
        "rule": violation.rule,
        "message": violation.message,
        "field": list(violation.field) if violation.field else None,
    }
    moved = await Cover.filter(id=cover.id, status__in=LAPSABLE).update(
        status=LAPSED, lapse=lapse_data
    )
    if moved != 1:
        return False
    cover.status, cover.lapse = LAPSED, lapse_data
    # No cover, no deadlines: what was still open will never be swept.
    await close_open_deadlines(cover.id, state="VOID")
    await cover_events.record(
        cover,
        "cover.lapsed",
        actor=actor,
        now=now,
        data={"rule": violation.rule, "cause": violation.message},
    )
    claim = await Claim.filter(cover_id=cover.id, status__in=OPEN_CLAIM_STATUSES).first()
    if claim is not None:
        rejection = {"rule": violation.rule, "message": violation.message}
        rejected = await Claim.filter(id=claim.id, status=claim.status).update(
            status="REJECTED", rejection=rejection
        )
        if rejected:
            await cover_events.record(
                cover,
                "claim.rejected",
                actor=actor,
                now=now,
                data={"claimId": claim.id, "rule": violation.rule, "cause": violation.message},
            )
    return True


async def lapse_if_late(cover: Cover, kind: str, today: date, now: datetime, actor: str) -> None:
    """A fact recorded after its deadline (a late incident declaration or claim opening)
    lapses the cover at once with the deadline's rule, then is refused with that rule,
    even when the sweep has not run yet."""
    for deadline in rules.deadlines(await facts_of(cover)):
        if deadline.kind == kind and deadline.met is None and today > deadline.due_on:
            violation = Violation(
                deadline.rule,
                f"The {kind} deadline was {deadline.due_on}; it is {today}.",
                ("input", "coverId"),
            )
            async with in_transaction():
                await lapse(cover, violation, now, actor)
            raise DomainError(violation.rule, violation.message, violation.field)


async def _active_cover(principal: Principal, cover_id: str) -> Cover:
    if principal.partner_id is None:
        raise DomainError("FORBIDDEN", "Cover facts are recorded by partner keys.")
    cover = await Cover.filter(id=cover_id, partner_id=principal.partner_id).first()
    if cover is None:
        raise not_found("cover", cover_id, ("input", "coverId"))
    if cover.status != ACTIVE:
        raise DomainError(
            "INVALID_STATE",
            f"Cover {cover.id} is {cover.status}, not ACTIVE.",
            ("input", "coverId"),
        )
    return cover


async def _apply(
    cover: Cover,
    changes: dict[str, Any],
    broken: list[Violation],
    event: str,
    data: dict[str, Any],
    now: datetime,
    actor: str,
) -> Cover:
    async with in_transaction():
        moved = await Cover.filter(id=cover.id, status=ACTIVE).update(**changes)
        if moved != 1:
            raise DomainError(
                "INVALID_STATE", f"Cover {cover.id} changed meanwhile.", ("input", "coverId")
            )
        await cover.refresh_from_db()
        await cover_events.record(cover, event, actor=actor, now=now, data=data, webhook=False)
        if broken:
            await lapse(cover, broken[0], now, actor)
        await sync_deadlines(cover)
    await cover.refresh_from_db()
    return cover


async def record_shipment_event(
    principal: Principal, cover_id: str, kind: str, on: date, real_now: datetime
) -> Cover:
    """TR: LOADED on or after the purchase (TR-T0), UNLOADED by day 10 (TR-T1)."""
    cover = await _active_cover(principal, cover_id)
    if cover.product != "TRANSPORT_INVOICE":
        raise DomainError(
            "INVALID_STATE", "Shipment events are for transport covers.", ("input", "coverId")
        )
    now = await now_on_clock(cover.test_clock_id, real_now)
    bound_on = cover.bound_at.date()
    if kind == "LOADED":
        broken = [v for v in [rules.check_loading(bound_on, on)] if v]
        changes: dict[str, Any] = {"loaded_on": on}
    else:
        if cover.loaded_on is not None and on < cover.loaded_on:
            raise DomainError(
                "INVALID_INPUT", "Unloading cannot be before loading.", ("input", "on")
            )
        broken = [v for v in [rules.check_unloading(bound_on, on)] if v]
        changes = {"unloaded_on": on}
    actor = cover_events.partner_actor(principal.partner_id or "")
    return await _apply(
        cover, changes, broken, f"shipment.{kind.lower()}", {"on": on.isoformat()}, now, actor
    )


async def record_invoice(
    principal: Principal,
    cover_id: str,
    invoice: dict[str, Any],
    issue: date,
    due: date,
    real_now: datetime,
) -> Cover:
    """TR: invoice issued by unloading + 30 (TR-T2), due by invoice + 90 (TR-T3)."""
    cover = await _active_cover(principal, cover_id)
    if cover.product != "TRANSPORT_INVOICE":
        raise DomainError(
            "INVALID_STATE", "The financed invoice is fixed by the quote.", ("input", "coverId")
        )
    if cover.unloaded_on is None:
        raise DomainError(
            "INVALID_STATE", "Record the unloading before the invoice.", ("input", "coverId")
        )
    if due < issue:
        raise DomainError(
            "INVALID_INPUT",
            "The due date is before the issue date.",
            ("input", "invoice", "dueDate"),
        )
    now = await now_on_clock(cover.test_clock_id, real_now)
    broken = rules.check_invoice(cover.unloaded_on, issue, due)
    actor = cover_events.partner_actor(principal.partner_id or "")
    return await _apply(
        cover,
        {"invoice": invoice, "invoice_number": invoice["number"]},
        broken,
        "invoice.recorded",
        {"number": invoice["number"]},
        now,
        actor,
    )


def invoice_total(cover: Cover) -> Decimal | None:
    invoice = cover.invoice
    if not invoice:
        return None
    return Decimal(invoice["amount"]["amount"]) + Decimal(invoice["vat_amount"]["amount"])


#: Statuses in which a payment from the buyer can still arrive.
PAYABLE_STATUSES = (ACTIVE, "DEFAULTED", "IN_CLAIM", "INDEMNIFIED")


async def record_payment(
    principal: Principal, cover_id: str, amount: Money, received_on: date, real_now: datetime
) -> Cover:
    """Adds to paidAmount. ACTIVE and paid in full (invoice incl. VAT) -> SETTLED. During
    a claim the indemnity is recalculated (LIFECYCLE 5). After the indemnity was paid it
    is a recovery shared by coverage percentage (FI-R1), webhook recovery.recorded."""
    if principal.partner_id is None:
        raise DomainError("FORBIDDEN", "Payments are recorded by partner keys.")
    cover = await Cover.filter(id=cover_id, partner_id=principal.partner_id).first()
    if cover is None:
        raise not_found("cover", cover_id, ("input", "coverId"))
    if cover.status not in PAYABLE_STATUSES:
        raise DomainError(
            "INVALID_STATE", f"Cover {cover.id} is {cover.status}.", ("input", "coverId")
        )
    amount = Money(amount_in(amount.amount, ("input", "amount", "amount")), amount.currency)
    if amount.currency != cover.currency or amount.amount <= 0:
        raise DomainError(
            "INVALID_INPUT",
            f"A payment is a positive amount in {cover.currency}.",
            ("input", "amount"),
        )
    now = await now_on_clock(cover.test_clock_id, real_now)
    actor = cover_events.partner_actor(principal.partner_id)
    messages: list[OutboxMessage] = []
    async with in_transaction():
        paid = round_cents(cover.paid_amount + amount.amount)
        expected = {"status": cover.status, "paid_amount": cover.paid_amount}
        if not await compare_and_set(Cover, cover.id, expected, {"paid_amount": paid}):
            raise DomainError(
                "INVALID_STATE", f"Cover {cover.id} changed meanwhile; retry.", ("input", "coverId")
            )
        await cover.refresh_from_db()
        data = {"amount": str(amount.amount), "receivedOn": received_on.isoformat()}
        claim = await Claim.filter(cover_id=cover.id).first()
        if cover.status == "INDEMNIFIED":
            # FI-R1: after the indemnity, a payment is a recovery shared by coverage.
            await recoveries.record_recovery(cover, amount.amount, received_on, actor, now)
        else:
            await cover_events.record(
                cover, "payment.recorded", actor=actor, now=now, webhook=False, data=data
            )
        if claim is not None and claim.status not in ("PAID", "REJECTED"):
            messages.append(
                await outbox.enqueue("claim.calculate_indemnity", {"claim_id": claim.id}, now)
            )
        total = invoice_total(cover)
        if cover.status == ACTIVE and total is not None and paid >= total:
            settled = await Cover.filter(id=cover.id, status=ACTIVE).update(status=SETTLED)
            if settled:
                cover.status = SETTLED
                await cover_events.record(
                    cover, "cover.settled", actor=actor, now=now, data={"cause": "paid in full"}
                )
                await close_open_deadlines(cover.id, state="MET", met_on=received_on)
    await outbox.publish(messages, now)
    await cover.refresh_from_db()
    return cover
