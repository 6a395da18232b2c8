"""What docs/webhooks.md says about each webhook event type: when it is sent and example
payloads. The payloads are built by the functions that build the real ones
(`cover_events.cover_summary`, `policy_events.policy_summary`, `policy_sweep._describe`)
inside the envelope `webhooks.emit` writes, serialised with its `_json_default`.

tests/docs/test_docs.py compares these examples with what the API really sends (a journey
through the in-process API) and with the data every emitting call site passes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from domain.services.cover_events import cover_summary
from domain.services.policy_events import policy_summary
from domain.services.policy_sweep import _describe
from domain.services.webhooks import _json_default

#: Every example happens at this (test clock) time.
AT = datetime(2027, 3, 16, 9, 0, tzinfo=UTC)

COVER = "cover"
POLICY = "policy"
TOP_UP = "topUpPolicy"
SUBJECTS = (COVER, POLICY, TOP_UP)


def _id(prefix: str, n: int) -> str:
    """An id shaped like `domain.store.ids.new_id` makes them."""
    return f"{prefix}_0190f3a2c4d5e6f7{n:012x}"


QUOTE_ID, FI_COVER_ID, TR_COVER_ID = _id("quo", 1), _id("cov", 2), _id("cov", 3)
CLAIM_ID, INCIDENT_ID, POLICY_ID = _id("clm", 4), _id("inc", 5), _id("pol", 6)
POLICY_CLAIM_ID, LIMIT_ID, TOP_UP_ID = _id("pcl", 7), _id("lim", 8), _id("tup", 9)
TOP_UP_CLAIM_ID, BUYER = _id("tcl", 10), "ES:B12345678"


def fi_cover(status: str) -> dict[str, Any]:
    cover = SimpleNamespace(
        id=FI_COVER_ID,
        product="FINANCED_INVOICE",
        status=status,
        quote_id=QUOTE_ID,
        insured_amount=Decimal("9000.00"),
        currency="EUR",
        premium=Decimal("72.00"),
    )
    return {COVER: cover_summary(cover)}  # type: ignore[arg-type]


def tr_cover(status: str) -> dict[str, Any]:
    cover = SimpleNamespace(
        id=TR_COVER_ID,
        product="TRANSPORT_INVOICE",
        status=status,
        quote_id=_id("quo", 11),
        insured_amount=Decimal("1500.00"),
        currency="EUR",
        premium=Decimal("25.50"),
    )
    return {COVER: cover_summary(cover)}  # type: ignore[arg-type]


def wt_policy() -> dict[str, Any]:
    policy = SimpleNamespace(id=POLICY_ID, status="ACTIVE", currency="EUR")
    return {POLICY: policy_summary(policy)}  # type: ignore[arg-type]


def top_up_policy() -> dict[str, Any]:
    """As `top_up.emit` writes it."""
    return {TOP_UP: {"id": TOP_UP_ID}}


def policy_deadline(kind: str, rule: str, subject: str, due_on: date) -> dict[str, str]:
    row = SimpleNamespace(kind=kind, rule=rule, subject=subject, due_on=due_on)
    return _describe(row)  # type: ignore[arg-type]


def envelope(event_type: str, data: dict[str, Any], now: datetime = AT) -> dict[str, Any]:
    """The body `webhooks.emit` freezes for an event (the same JSON every attempt posts)."""
    body = {"type": event_type, "timestamp": now.isoformat(), "data": data}
    return dict(json.loads(json.dumps(body, default=_json_default)))


@dataclass(frozen=True)
class Example:
    label: str
    data: dict[str, Any]

    @property
    def subject(self) -> str:
        found = [key for key in SUBJECTS if key in self.data]
        assert len(found) == 1, f"an example names one subject: {self.data}"
        return found[0]


@dataclass(frozen=True)
class EventDoc:
    when: str
    examples: tuple[Example, ...]


def _ex(label: str, subject: dict[str, Any], **details: Any) -> Example:
    """Cover and policy events carry their place in the owner's sequence (LIFECYCLE 5a)."""
    numbered = {"sequence": 7} if COVER in subject or POLICY in subject else {}
    return Example(label, {**subject, **numbered, **details})


_FI_DEADLINE = {"kind": "INCIDENT_DECLARATION", "rule": "FI-N1", "dueOn": "2027-03-23"}
_DECLARATION = policy_deadline("DECLARATION", "WT-N1", "2027-02-01", date(2027, 3, 30))
_WT_DOCUMENTS = policy_deadline("DOCUMENTS", "WT-C2", POLICY_CLAIM_ID, date(2027, 3, 20))

EVENTS: dict[str, EventDoc] = {
    "cover.pending_confirmation": EventDoc(
        "`bindCover` bound an eligible quote: the cover waits for the insurer's feasibility "
        "confirmation (and, FI, the platform's `confirmFinancing`) within 48 h.",
        (_ex("FI cover", fi_cover("PENDING_CONFIRMATION"), cause="bound"),),
    ),
    "cover.referred": EventDoc(
        "U-4: the insured amount is above the auto-approval threshold, so the cover is "
        "referred to the insurer's staff (`Cover.feasibility` REFERRED). It stays "
        "PENDING_CONFIRMATION until staff decide (`cover.activated` or `cover.declined`) "
        "or the 48 h window passes (`cover.declined`).",
        (
            _ex(
                "TR cover",
                tr_cover("PENDING_CONFIRMATION"),
                rule="U-4",
                cause="Insured amount 25000.00 is above the auto-approval threshold of "
                "20000.00: referred to insurer staff.",
            ),
        ),
    ),
    "cover.activated": EventDoc(
        "Feasibility was confirmed (U-1 to U-4) and, FI, financing too (FI-A1): the cover is "
        "ACTIVE. A TR cover's hold is captured next (`payment_hold.captured`).",
        (_ex("FI cover", fi_cover("ACTIVE"), cause="feasibility and financing confirmed"),),
    ),
    "cover.declined": EventDoc(
        "Feasibility declined (U-1, U-2, U-3, or staff on a U-4 referral), financing refused "
        "(FI-A1), or nothing confirmed within the 48 h window. `cause` starts with the rule.",
        (
            _ex(
                "FI cover",
                fi_cover("DECLINED"),
                cause="U-3: The same invoice is already under another cover.",
            ),
        ),
    ),
    "cover.lapsed": EventDoc(
        "A deadline was missed (deadline sweep or `advanceTestClock`) or a fact was recorded "
        "too late: the cover no longer covers anything. `rule` is the rule broken; an "
        "undecided claim is rejected with it (`claim.rejected`).",
        (
            _ex(
                "FI cover",
                fi_cover("LAPSED"),
                rule="FI-N1",
                cause="The INCIDENT_DECLARATION deadline of 2027-03-23 was missed.",
            ),
        ),
    ),
    "cover.settled": EventDoc(
        "`recordPayment` brought the paid amount to the invoice amount: SETTLED, its open "
        "deadlines are closed.",
        (_ex("FI cover", fi_cover("SETTLED"), cause="paid in full"),),
    ),
    "payment_hold.captured": EventDoc(
        "TR: the premium held on the card at bind was captured once the cover became ACTIVE "
        "(TR-P2).",
        (_ex("TR cover", tr_cover("ACTIVE"), hold={"amount": "25.50", "currency": "EUR"}),),
    ),
    "payment_hold.released": EventDoc(
        "TR: the hold was released in full because the cover was declined or its window "
        "passed (TR-P2), or the card authorisation expired after 7 days.",
        (
            _ex(
                "TR cover declined",
                tr_cover("DECLINED"),
                cause="cover declined",
                hold={"amount": "25.50", "currency": "EUR"},
            ),
            _ex("TR authorisation expired", tr_cover("DECLINED"), cause="authorization expired"),
        ),
    ),
    "deadline.approaching": EventDoc(
        "A deadline of the partner's side falls due in 7 days, then in 1 day (once each, "
        "also when a test clock jumps past both). Cover deadlines: LIFECYCLE 4; policy "
        "deadlines: DECLARATION (WT-N1) and DOCUMENTS (WT-C2).",
        (
            _ex(
                "FI cover",
                fi_cover("ACTIVE"),
                deadline=_FI_DEADLINE,
                announcement="7 days before",
                daysLeft=7,
            ),
            _ex(
                "WT policy",
                wt_policy(),
                deadline=_DECLARATION,
                announcement="7 days before",
                daysLeft=7,
            ),
        ),
    ),
    "deadline.missed": EventDoc(
        "A deadline passed unmet. A cover then lapses with its rule (`cover.lapsed`); FI "
        "DOCUMENTS rejects the claim (FI-D1); an insurer-side deadline (FI-C2 "
        "INDEMNITY_PAYMENT, WT-C3 SETTLEMENT) is only flagged to staff (`flaggedToStaff`).",
        (
            _ex("FI cover", fi_cover("ACTIVE"), deadline=_FI_DEADLINE, flaggedToStaff=False),
            _ex("WT policy", wt_policy(), deadline=_WT_DOCUMENTS, flaggedToStaff=False),
        ),
    ),
    "incident.declared": EventDoc(
        "`declareIncident` on an ACTIVE cover (DEFAULTED). FI: the notification is the claim "
        "(FI-N1, `claim.opened` follows); TR: stage 1 (TR-S1).",
        (
            _ex(
                "FI cover",
                fi_cover("DEFAULTED"),
                incidentId=INCIDENT_ID,
                kind="NON_PAYMENT",
                unpaid="12100.00",
            ),
        ),
    ),
    "incident.disputed": EventDoc(
        "TR-X2: `recordServiceDispute` — the client disputes the transport service; the "
        "incident stays unpublished (`withdrawn`: it had been published) and the claim is "
        "suspended.",
        (
            _ex(
                "TR cover",
                tr_cover("DEFAULTED"),
                incidentId=INCIDENT_ID,
                rule="TR-X2",
                withdrawn=False,
            ),
        ),
    ),
    "incident.dispute_resolved": EventDoc(
        "TR-X2: staff `resolveServiceDispute` recorded the final court decision.",
        (
            _ex(
                "TR cover",
                tr_cover("DEFAULTED"),
                incidentId=INCIDENT_ID,
                rule="TR-X2",
                conforming=True,
            ),
        ),
    ),
    "claim.opened": EventDoc(
        "A claim was opened: FI `declareIncident` (FI-N1), TR `openClaim` (stage 2), WT "
        "`notifyNonPayment` (WT-C1), TU `notifyInsolvency` (TU-N1).",
        (
            _ex("Cover claim", fi_cover("IN_CLAIM"), claimId=CLAIM_ID),
            _ex(
                "WT policy claim",
                wt_policy(),
                claimId=POLICY_CLAIM_ID,
                buyer=BUYER,
                status="DOCUMENTS_PENDING",
                accumulatedUnpaid="12100.00",
                fileFee="150.00",
                lateCredits=[],
            ),
            _ex("TU claim", top_up_policy(), claimId=TOP_UP_CLAIM_ID, buyer=BUYER),
        ),
    ),
    "claim.under_review": EventDoc(
        "Every required document is in (FI-D1, TR-D2, WT-C2): the indemnity is being calculated.",
        (
            _ex("Cover claim", fi_cover("IN_CLAIM"), claimId=CLAIM_ID),
            _ex("WT policy claim", wt_policy(), claimId=POLICY_CLAIM_ID),
        ),
    ),
    "claim.indemnity_calculated": EventDoc(
        "The indemnity job computed (or recomputed after a payment or recovery) the "
        "indemnity, step by step in `Claim.indemnity.lines` (FI-C3, TR-S2, WT-C6, TU-C1).",
        (
            _ex("Cover claim", fi_cover("IN_CLAIM"), claimId=CLAIM_ID, amount="8100.00"),
            _ex("WT policy claim", wt_policy(), claimId=POLICY_CLAIM_ID, amount="8100.00"),
            _ex(
                "TU claim (TU-E2: the first layer paid)",
                top_up_policy(),
                claimId=TOP_UP_CLAIM_ID,
                amount="4500.00",
                rule="TU-E2",
            ),
        ),
    ),
    "claim.approved": EventDoc(
        "Insurer staff approved the claim (`decideClaim`, `decidePolicyClaim`); FI: payable "
        "by notification + 2 months + 10 days (FI-C2).",
        (
            _ex("Cover claim", fi_cover("IN_CLAIM"), claimId=CLAIM_ID, cause=""),
            _ex("WT policy claim", wt_policy(), claimId=POLICY_CLAIM_ID, cause=""),
        ),
    ),
    "claim.rejected": EventDoc(
        "The claim was rejected: by staff (`cause` starts with the rule), documents missing "
        "(FI-D1, WT-C2), the cover lapsed (its rule), a non-conforming service (TR-X2), a "
        "credit dispute lost (WT-C4), or a first-layer payment not owed (TU-E2).",
        (
            _ex(
                "Cover claim, by staff",
                fi_cover("IN_CLAIM"),
                claimId=CLAIM_ID,
                cause="FI-D1: documents incomplete",
            ),
            _ex(
                "Cover claim, FI-D1 documents missing",
                fi_cover("IN_CLAIM"),
                rule="FI-D1",
                cause="Claim documents missing after 30 days.",
            ),
            _ex(
                "Cover claim, the cover lapsed (or TR-X2)",
                tr_cover("LAPSED"),
                claimId=CLAIM_ID,
                rule="TR-X1",
                cause="The DOCUMENTS deadline of 2027-05-01 was missed.",
            ),
            _ex("WT policy claim, by staff", wt_policy(), claimId=POLICY_CLAIM_ID, cause=""),
            _ex("WT policy claim, by rule", wt_policy(), claimId=POLICY_CLAIM_ID, rule="WT-C2"),
            _ex(
                "TU claim, by staff",
                top_up_policy(),
                claimId=TOP_UP_CLAIM_ID,
                cause="TU-E1: not admitted",
            ),
            _ex(
                "TU claim, TU-E2",
                top_up_policy(),
                claimId=TOP_UP_CLAIM_ID,
                amount="0.00",
                rule="TU-E2",
            ),
        ),
    ),
    "claim.suspended": EventDoc(
        "The claim is suspended: staff SUSPEND, or a disputed service (TR-X2) or credit "
        "(WT-C4) waits for a final decision.",
        (
            _ex(
                "Cover claim",
                tr_cover("IN_CLAIM"),
                claimId=CLAIM_ID,
                cause="TR-X2: service disputed as non-conforming",
            ),
            _ex("WT policy claim", wt_policy(), claimId=POLICY_CLAIM_ID, cause=""),
        ),
    ),
    "claim.resumed": EventDoc(
        "A suspended claim resumes: the service was found conforming (TR-X2) or the disputed "
        "credit was decided for the insured (WT-C4).",
        (
            _ex(
                "Cover claim",
                tr_cover("IN_CLAIM"),
                claimId=CLAIM_ID,
                cause="TR-X2: service found conforming",
            ),
            _ex(
                "WT policy claim",
                wt_policy(),
                claimId=POLICY_CLAIM_ID,
                status="UNDER_REVIEW",
                rule="WT-C4",
            ),
        ),
    ),
    "claim.paid": EventDoc(
        "Insurer staff marked the indemnity paid (`markIndemnityPaid`: cover INDEMNIFIED; "
        "`markPolicyIndemnityPaid` after the WT-C3 waiting period, `amount` recomputed on the "
        "payment day and `previewAmount` the last calculation; `decideTopUpClaim`).",
        (
            _ex(
                "Cover claim (amount recomputed at payment, FI-C3 / TR-S2; previewAmount is "
                "the last calculation before it)",
                fi_cover("INDEMNIFIED"),
                claimId=CLAIM_ID,
                paidOn="2027-05-20",
                amount="8100.00",
                previewAmount="8100.00",
            ),
            _ex(
                "WT policy claim",
                wt_policy(),
                claimId=POLICY_CLAIM_ID,
                paidOn="2027-09-12",
                amount="8100.00",
                previewAmount="8250.00",
            ),
            _ex("TU claim", top_up_policy(), claimId=TOP_UP_CLAIM_ID, cause=""),
        ),
    ),
    "recovery.recorded": EventDoc(
        "Money (or goods) recovered after the indemnity, shared by the coverage percentage "
        "(FI-R1, WT-R1, WT-R2), or a top-up recovery that recalculates the indemnity (TU-R1).",
        (
            _ex(
                "Cover (FI-R1)",
                fi_cover("INDEMNIFIED"),
                amount="1000.00",
                receivedOn="2027-06-01",
                insurerShare="900.00",
                insuredShare="100.00",
                rule="FI-R1",
            ),
            _ex(
                "Cover (FI-R1), a payment recorded before markIndemnityPaid but received after "
                "the indemnity day: paymentSequence is the payment's own event",
                fi_cover("INDEMNIFIED"),
                amount="1000.00",
                receivedOn="2027-05-21",
                insurerShare="900.00",
                insuredShare="100.00",
                rule="FI-R1",
                paymentSequence=14,
            ),
            _ex(
                "WT policy claim (WT-R1)",
                wt_policy(),
                claimId=POLICY_CLAIM_ID,
                amount="1000.00",
                costs="0.00",
                receivedOn="2027-10-01",
                insurerShare="900.00",
                insuredShare="100.00",
                rule="WT-R1",
            ),
            _ex(
                "TU claim (TU-R1)",
                top_up_policy(),
                claimId=TOP_UP_CLAIM_ID,
                amount="1000.00",
                appliedToLoss="1000.00",
                receivedOn="2027-10-01",
                indemnity="3600.00",
                refundDue="900.00",
                rule="TU-R1",
            ),
        ),
    ),
    "policy.activated": EventDoc(
        "WT: the minimum premium was paid in full (staff `recordPremiumPayment`): the policy "
        "covers sales from that day (WT-P1).",
        (_ex("WT policy", wt_policy(), activatedOn="2027-01-04", rule="WT-P1"),),
    ),
    "credit_limit.decided": EventDoc(
        "WT: staff granted (effective per WT-L2) or refused (WT-L1) a requested credit limit.",
        (
            _ex(
                "Granted",
                wt_policy(),
                limitId=LIMIT_ID,
                buyer=BUYER,
                decision="GRANT",
                amount="50000.00",
                effectiveFrom="2026-12-01",
                rule="WT-L2",
            ),
            _ex("Refused", wt_policy(), limitId=LIMIT_ID, buyer=BUYER, decision="REFUSE"),
        ),
    ),
    "credit_limit.reduced": EventDoc(
        "WT: staff reduced a limit, effective on the day communicated (WT-L4); the new "
        "version's id is `limitId`.",
        (
            _ex(
                "WT policy",
                wt_policy(),
                limitId=_id("lim", 12),
                buyer=BUYER,
                previousLimitId=LIMIT_ID,
                **{"from": "50000.00", "to": "30000.00"},
                effectiveOn="2027-03-16",
                rule="WT-L4",
            ),
        ),
    ),
    "credit_limit.cancelled": EventDoc(
        "WT: staff cancelled a limit; firm orders stay covered for 30 days up to 50% of the "
        "unused balance (WT-L4).",
        (
            _ex(
                "WT policy",
                wt_policy(),
                limitId=LIMIT_ID,
                buyer=BUYER,
                effectiveOn="2027-03-16",
                firmOrdersUntil="2027-04-15",
                firmOrdersCap="10000.00",
                rule="WT-L4",
            ),
        ),
    ),
    "declaration.late": EventDoc(
        "WT-N1: a month's sales were declared after the 30th of the next month (the buyers' "
        "overdue and later credits lose cover), or the sweep found the month undeclared.",
        (
            _ex(
                "Declared late",
                wt_policy(),
                declarationId=_id("dcl", 13),
                month="2027-01-01",
                dueOn="2027-03-02",
                rule="WT-N1",
                uncoveredInvoices=["INV-2027-0042"],
                deadlineMet=False,
            ),
            _ex(
                "Not declared by the deadline",
                wt_policy(),
                month="2027-01-01",
                dueOn="2027-03-02",
                rule="WT-N1",
            ),
        ),
    ),
    "premium.adjustment_issued": EventDoc(
        "WT-P1: the accrued premium (rate x declared sales) exceeded what was invoiced: a "
        "monthly adjustment invoice was issued (sweep, or staff `issuePremiumInvoice`).",
        (
            _ex(
                "WT policy",
                wt_policy(),
                invoiceId=_id("pin", 14),
                month="2027-02-01",
                amount="412.50",
                accruedPremium="5412.50",
                rule="WT-P1",
            ),
        ),
    ),
    "policy.terminated": EventDoc(
        "WT-P4: a premium instalment (adjustment or extension invoice) was not paid in full by "
        "its due date: the policy ended automatically the day after; nothing is owed on claims "
        "notified from that day.",
        (
            _ex(
                "WT policy",
                wt_policy(),
                terminatedOn="2027-03-24",
                invoiceId=_id("pin", 14),
                rule="WT-P4",
            ),
        ),
    ),
    "extension.decided": EventDoc(
        "WT: staff authorised (or refused) an extension beyond WT-X1 (`authorizeExtension`).",
        (_ex("WT policy", wt_policy(), extensionId=_id("ext", 15), authorised=True),),
    ),
    "top_up_limit.changed": EventDoc(
        "TU: a buyer's top-up limit was created or changed by a first-layer decision (TU-L1, "
        "TU-L2) or recomputed 6 months after a reduction or on restoration (TU-L3).",
        (
            _ex(
                "TU policy",
                top_up_policy(),
                buyer=BUYER,
                firstLayerGranted="100000.00",
                topUpLimit="50000.00",
                cause="TU-L1: first-layer decision",
            ),
        ),
    ),
    "rule_fact.recorded": EventDoc(
        "WT, TU: a fact under a rule the system cannot judge was recorded (`recordRuleFact`), "
        "with the consequence applied: LIMIT_VOID (WT-L9), CLAIM_REJECTED (a breach or an "
        "exclusion, e.g. WT-C11, TU-C4), CONTRACT_RESCINDED (TU-P5), or none.",
        (
            _ex(
                "WT policy, undisclosed risk",
                wt_policy(),
                factId=_id("rfa", 16),
                sequence=1,
                rule="WT-L9",
                occurredOn="2027-03-01",
                consequence="LIMIT_VOID",
                limitId=_id("lim", 17),
                claimId=None,
                voidedLimitIds=[_id("lim", 17)],
                excludedSales=2,
                rejectedClaimIds=[],
            ),
            _ex(
                "TU policy, annual report",
                top_up_policy(),
                factId=_id("rfa", 18),
                sequence=1,
                rule="TU-N2",
                occurredOn="2028-01-20",
                consequence=None,
                limitId=None,
                claimId=None,
            ),
        ),
    ),
    "top_up_policy.changed": EventDoc(
        "TU: the contract came into force once the minimum premium was received (TU-P1), "
        "ended without a first-layer contract, learned of a new first-layer contract or was "
        "rescinded with its premium settled (TU-P4).",
        (
            _ex(
                "In force",
                top_up_policy(),
                status="IN_FORCE",
                inForceFrom="2027-01-10",
                rule="TU-P1",
            ),
            _ex(
                "New first-layer contract",
                top_up_policy(),
                status="IN_FORCE",
                newFirstLayerContractOn="2027-06-01",
                rescindBy="2027-07-01",
                rule="TU-P4",
            ),
            _ex(
                "Rescinded",
                top_up_policy(),
                status="RESCINDED",
                endedOn="2027-06-30",
                refund="1504.11",
                dueNow="0.00",
            ),
        ),
    ),
}


def payloads(event_type: str) -> list[tuple[str, dict[str, Any]]]:
    """(label, full webhook body) for each documented example of a type."""
    doc = EVENTS[event_type]
    return [(example.label, envelope(event_type, example.data)) for example in doc.examples]
