"""A cover's deadlines from its facts (LIFECYCLE 4), and the fact checks that lapse a
transport cover as soon as a recorded fact breaks its timeline (LIFECYCLE 3, TR-T0..T3).

`deadlines` lists every deadline that applies to the product and to the facts known so
far, each with whether it was met; `missed` tells whether one has been missed by a given
day. Periods are calendar days; FI-C2 and TR-T7 count months with dateutil, so the 31st
plus two months is the last day of that month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from domain.rules.catalogue import FINANCED_INVOICE, TR, TRANSPORT_INVOICE
from domain.rules.violations import Violation


def _catalogue_days(days: int | None) -> int:
    if days is None:
        raise ValueError("the catalogue must give TR-T1's day count")
    return days


#: TR-T1: unloading no later than day 10 (day 0 = the purchase date); the catalogue's value.
TR_UNLOADING_DAYS = _catalogue_days(TR.max_days_purchase_to_unloading)
#: TR-T2: the invoice is issued no later than 30 days after unloading.
TR_INVOICING_DAYS = 30
#: TR-T3: the invoice falls due no later than 90 days after the invoice date.
TR_PAYMENT_TERM_DAYS = 90
#: TR-T4: an unpaid invoice's payment incident is declared within 20 days of its due date.
TR_INCIDENT_DECLARATION_DAYS = 20
#: TR-T5: the claim file is opened no later than 140 days after the invoice date.
TR_CLAIM_OPENING_DAYS = 140
#: TR-T6: after the client's insolvency, 10 days to provide the documents of both stages.
TR_INSOLVENCY_DOCUMENTS_DAYS = 10
#: TR-T7: claim processing takes at least 5 months from the claim opening.
TR_CLAIM_PROCESSING_MONTHS = 5
#: FI-N1: non-payment is notified within 60 days of the due date.
FI_NOTIFICATION_DAYS = 60
#: FI-D1: the claim documents arrive within 30 days of the notification.
FI_DOCUMENTS_DAYS = 30
#: FI-C2: the indemnity is settled within 2 months of the notification...
FI_SETTLEMENT_MONTHS = 2
#: FI-C2: ...and paid within 10 further days.
FI_PAYMENT_DAYS = 10

# Deadline kinds (API_CONTRACT `Deadline.kind`).
CONFIRMATION = "CONFIRMATION"
UNLOADING = "UNLOADING"
INVOICING = "INVOICING"
INVOICE_DUE_DATE = "INVOICE_DUE_DATE"
INCIDENT_DECLARATION = "INCIDENT_DECLARATION"
CLAIM_OPENING = "CLAIM_OPENING"
DOCUMENTS = "DOCUMENTS"
INDEMNITY_PAYMENT = "INDEMNITY_PAYMENT"

PENDING_CONFIRMATION = "PENDING_CONFIRMATION"
DECLINED = "DECLINED"
#: Statuses of a cover that nothing is due for any more: only deadlines already met or
#: missed are listed for it, none left open.
CLOSED_STATUSES = frozenset({DECLINED, "LAPSED", "SETTLED", "INDEMNIFIED"})
#: The rule behind the confirmation window (LIFECYCLE 2), per product.
CONFIRMATION_RULES = {FINANCED_INVOICE: "FI-A1", TRANSPORT_INVOICE: "TR-P2"}


@dataclass(frozen=True)
class CoverFacts:
    """What is known of a cover so far; None = has not happened (or is not recorded)."""

    product: str
    #: The bind (TR: purchase) date, day 0 of TR-T0..T2.
    bound_on: date
    confirmation_due: datetime | None = None
    status: str = "ACTIVE"
    loaded_on: date | None = None
    unloaded_on: date | None = None
    invoice_issue_date: date | None = None
    invoice_due_date: date | None = None
    paid_in_full_on: date | None = None
    #: TR: the payment incident (stage 1); FI: the non-payment, if `notification_on` is unset.
    incident_declared_on: date | None = None
    insolvency_on: date | None = None
    #: TR: the claim file (stage 2).
    claim_opened_on: date | None = None
    #: FI: the non-payment notification, which is the claim (FI-N1).
    notification_on: date | None = None
    #: TR: the last TR-D1 document arrived.
    incident_documents_complete_on: date | None = None
    #: TR: the last TR-D2 document arrived; FI: the last FI-D1 document arrived.
    claim_documents_complete_on: date | None = None
    indemnity_paid_on: date | None = None


@dataclass(frozen=True)
class Deadline:
    kind: str
    #: The rule a miss is reported (and the cover lapsed) with.
    rule: str
    due_on: date
    #: None while open; True when met on or before `due_on`; False when met late or never.
    met: bool | None
    met_on: date | None
    #: The insurer's own deadline (FI-C2): a miss is flagged to staff.
    insurer_side: bool = False
    #: A miss lapses the cover. False for CONFIRMATION (the cover is declined), FI
    #: DOCUMENTS (the claim is rejected) and insurer-side deadlines.
    lapses: bool = True


def missed(deadline: Deadline, today: date) -> bool:
    """Missed by `today`: met late (or never), or still open after its due date."""
    if deadline.met is None:
        return today > deadline.due_on
    return not deadline.met


def payable_by(notification_on: date) -> date:
    """FI-C2: notification + 2 months (end of month when shorter) + 10 days."""
    settled_by = notification_on + relativedelta(months=FI_SETTLEMENT_MONTHS)
    return settled_by + timedelta(days=FI_PAYMENT_DAYS)


def expected_decision_on(claim_opened_on: date) -> date:
    """TR-T7: a claim is decided no sooner than 5 months after it was opened."""
    return claim_opened_on + relativedelta(months=TR_CLAIM_PROCESSING_MONTHS)


# Fact checks (LIFECYCLE 3): a recorded fact that breaks one lapses the cover with its rule.


def check_loading(bound_on: date, loaded_on: date) -> Violation | None:
    """TR-T0: loading on or after the purchase date (the same day is allowed)."""
    if loaded_on >= bound_on:
        return None
    return Violation(
        "TR-T0",
        f"Loaded on {loaded_on}, before the guarantee was bought on {bound_on}.",
        ("input", "on"),
    )


def check_unloading(bound_on: date, unloaded_on: date) -> Violation | None:
    """TR-T1: unloading no later than day 10 after the purchase."""
    last_day = _after(bound_on, TR_UNLOADING_DAYS)
    if unloaded_on <= last_day:
        return None
    return Violation(
        "TR-T1",
        f"Unloaded on {unloaded_on}, after day {TR_UNLOADING_DAYS} ({last_day}).",
        ("input", "on"),
    )


def check_invoice(unloaded_on: date, issue_date: date, due_date: date) -> list[Violation]:
    """TR-T2: issued no later than unloading + 30 days; TR-T3: due no later than issue + 90."""
    found: list[Violation] = []
    issue_by = _after(unloaded_on, TR_INVOICING_DAYS)
    if issue_date > issue_by:
        found.append(
            Violation(
                "TR-T2",
                f"Invoice issued on {issue_date}, more than {TR_INVOICING_DAYS} days after "
                f"the unloading on {unloaded_on} (last day {issue_by}).",
                ("input", "invoice", "issueDate"),
            )
        )
    due_by = _after(issue_date, TR_PAYMENT_TERM_DAYS)
    if due_date > due_by:
        found.append(
            Violation(
                "TR-T3",
                f"Invoice due on {due_date}, more than {TR_PAYMENT_TERM_DAYS} days after its "
                f"issue on {issue_date} (last day {due_by}).",
                ("input", "invoice", "dueDate"),
            )
        )
    return found


# Deadlines (LIFECYCLE 4)


def deadlines(facts: CoverFacts) -> list[Deadline]:
    """Every deadline of the cover that its product and its facts so far give, in the
    order of LIFECYCLE 4. A deadline appears once the fact it counts from is known."""
    if facts.product not in CONFIRMATION_RULES:
        raise ValueError(f"unknown product {facts.product!r}")
    rows: list[Deadline] = []
    if facts.confirmation_due is not None:
        rows.append(_confirmation(facts, facts.confirmation_due))
    if facts.status == PENDING_CONFIRMATION:
        # Not covered yet: only the insurer's 48 h answer is due (LIFECYCLE 2).
        return rows
    if facts.product == TRANSPORT_INVOICE:
        rows += _tr_deadlines(facts)
    else:
        rows += _fi_deadlines(facts)
    if facts.status in CLOSED_STATUSES:
        rows = [row for row in rows if row.met is not None]
    return rows


def _after(day: date, days: int) -> date:
    return day + timedelta(days=days)


def _row(
    kind: str,
    rule: str,
    due_on: date,
    done_on: date | None,
    *,
    insurer_side: bool = False,
    lapses: bool = True,
) -> Deadline:
    met = None if done_on is None else done_on <= due_on
    return Deadline(kind, rule, due_on, met, done_on, insurer_side, lapses)


def _unless_paid(
    kind: str, rule: str, due_on: date, done_on: date | None, paid_in_full_on: date | None
) -> Deadline | None:
    """A deadline that binds only while the buyer has not paid in full (TR-T4, TR-T5,
    FI-N1): gone when paid in full by its due date; missed when paid in full only after it
    without the fact having happened."""
    if done_on is None and paid_in_full_on is not None:
        if paid_in_full_on <= due_on:
            return None
        return Deadline(kind, rule, due_on, False, None)
    return _row(kind, rule, due_on, done_on)


def _confirmation(facts: CoverFacts, due: datetime) -> Deadline:
    """LIFECYCLE 2: confirmed (and, FI, financed) within the window, else DECLINED."""
    met: bool | None = None
    if facts.status != PENDING_CONFIRMATION:
        met = facts.status != DECLINED
    rule = CONFIRMATION_RULES[facts.product]
    return Deadline(CONFIRMATION, rule, due.date(), met, None, lapses=False)


def _tr_deadlines(f: CoverFacts) -> list[Deadline]:
    paid = f.paid_in_full_on
    rows: list[Deadline | None] = [
        _row(UNLOADING, "TR-T1", _after(f.bound_on, TR_UNLOADING_DAYS), f.unloaded_on)
    ]
    if f.unloaded_on is not None:
        issue_by = _after(f.unloaded_on, TR_INVOICING_DAYS)
        rows.append(_row(INVOICING, "TR-T2", issue_by, f.invoice_issue_date))
    if f.invoice_issue_date is not None:
        due_by = _after(f.invoice_issue_date, TR_PAYMENT_TERM_DAYS)
        rows.append(_row(INVOICE_DUE_DATE, "TR-T3", due_by, f.invoice_due_date))
    if f.invoice_due_date is not None:
        declare_by = _after(f.invoice_due_date, TR_INCIDENT_DECLARATION_DAYS)
        rows.append(
            _unless_paid(INCIDENT_DECLARATION, "TR-T4", declare_by, f.incident_declared_on, paid)
        )
    claim_by: date | None = None
    incident = f.incident_declared_on is not None or f.claim_opened_on is not None
    if incident and f.invoice_issue_date is not None:
        claim_by = _after(f.invoice_issue_date, TR_CLAIM_OPENING_DAYS)
        rows.append(_unless_paid(CLAIM_OPENING, "TR-T5", claim_by, f.claim_opened_on, paid))
    rows.append(_tr_documents(f, claim_by))
    return [row for row in rows if row is not None]


def tr_stage_documents_due(
    own_due: date | None, done_on: date | None, insolvency_on: date | None
) -> date | None:
    """When one stage's documents are due (TR-D1 or TR-D2): by the stage's own deadline;
    after an insolvency (TR-T6) every document not yet provided is due at insolvency + 10
    days instead, whatever the stage, unless the stage's own deadline was already missed
    before the insolvency (it stays missed) or the stage was complete before it."""
    if insolvency_on is None:
        return own_due
    if own_due is not None and own_due < insolvency_on and (done_on is None or done_on > own_due):
        return own_due  # missed before the insolvency: stays missed
    if done_on is not None and done_on < insolvency_on:
        return own_due  # provided before the insolvency, in time
    return _after(insolvency_on, TR_INSOLVENCY_DOCUMENTS_DAYS)


def _tr_documents(f: CoverFacts, claim_by: date | None) -> Deadline | None:
    """One DOCUMENTS deadline for both stages, once an incident is declared: TR-D1 by the
    incident-declaration deadline (invoice due + 20 days), TR-D2 by the claim-opening
    deadline (invoice date + 140 days), both moved by an insolvency (TR-T6,
    `tr_stage_documents_due`). Open, it is due on the earliest date a stage still owes;
    met once every stage is complete in time; missed (TR-X1) as soon as one stage is late."""
    if f.incident_declared_on is None and f.claim_opened_on is None and f.insolvency_on is None:
        return None
    declare_by = (
        None
        if f.invoice_due_date is None
        else _after(f.invoice_due_date, TR_INCIDENT_DECLARATION_DAYS)
    )
    stages: list[Deadline] = []
    for own_due, done_on in (
        (declare_by, f.incident_documents_complete_on),
        (claim_by, f.claim_documents_complete_on),
    ):
        due = tr_stage_documents_due(own_due, done_on, f.insolvency_on)
        if due is not None:
            stage = _unless_paid(DOCUMENTS, "TR-X1", due, done_on, f.paid_in_full_on)
            if stage is not None:
                stages.append(stage)
    if not stages:
        return None
    late = [s for s in stages if s.met is False]
    if late:
        return min(late, key=lambda s: s.due_on)
    still_open = [s for s in stages if s.met is None]
    if still_open:
        return min(still_open, key=lambda s: s.due_on)
    return max(stages, key=lambda s: (s.met_on or s.due_on, s.due_on))


def _fi_deadlines(f: CoverFacts) -> list[Deadline]:
    notified_on = f.notification_on or f.incident_declared_on
    rows: list[Deadline | None] = []
    if f.invoice_due_date is not None:
        notify_by = _after(f.invoice_due_date, FI_NOTIFICATION_DAYS)
        rows.append(
            _unless_paid(INCIDENT_DECLARATION, "FI-N1", notify_by, notified_on, f.paid_in_full_on)
        )
    if notified_on is not None:
        documents_by = _after(notified_on, FI_DOCUMENTS_DAYS)
        rows.append(
            _row(DOCUMENTS, "FI-D1", documents_by, f.claim_documents_complete_on, lapses=False)
        )
        rows.append(
            _row(
                INDEMNITY_PAYMENT,
                "FI-C2",
                payable_by(notified_on),
                f.indemnity_paid_on,
                insurer_side=True,
                lapses=False,
            )
        )
    return [row for row in rows if row is not None]
