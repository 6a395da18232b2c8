"""Recorded, not computed: the rule ids whose facts a system cannot judge (a duty to
disclose, a breach, a rescission) and what recording one does (rules v2).

Each recordable id says who may record it and the consequence the seed gives that the
system then applies: the limit void (WT-L9), the claim rejected (a breach or an
exclusion that frees the insurer on that claim), or the contract rescinded (TU-P5).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from domain.rules.violations import Violation

WHOLE_TURNOVER = "WHOLE_TURNOVER"
TOP_UP = "TOP_UP"

#: No state change, the fact is kept with its document.
RECORD_ONLY = None
#: WT-L9: the limit is void from its start, no indemnity on its credits.
LIMIT_VOID = "LIMIT_VOID"
#: The insurer owes nothing on the named claim (rejected if still undecided).
CLAIM_REJECTED = "CLAIM_REJECTED"
#: TU-P5: the contract is treated as never made.
CONTRACT_RESCINDED = "CONTRACT_RESCINDED"
#: WT-P7, TU-P3: a notice on time - the contract ends with its period.
NOT_RENEWED = "NOT_RENEWED"
#: TU-C3: documentation complete - the claim is payable within 30 days.
PAYABLE_BY = "PAYABLE_BY"
#: WT-C12: a refusal to take export goods notified in time (`occurredOn` = arrival).
GOODS_REFUSED = "GOODS_REFUSED"
#: TU-E4: the client is insolvent from the declaration date (`occurredOn`).
INSOLVENCY_DECLARED = "INSOLVENCY_DECLARED"
#: WT-P6: a study invoice issued (first fact naming the document) or paid (the next).
STUDY_FEE_UNPAID = "STUDY_FEE_UNPAID"
STUDY_FEE_PAID = "STUDY_FEE_PAID"

#: Consequences of the insurer's findings: never applied on what the partner records.
FINDINGS = frozenset({LIMIT_VOID, CLAIM_REJECTED, CONTRACT_RESCINDED})

#: Most characters a note may have (the column is the same size).
NOTE_MAX = 2000


@dataclass(frozen=True)
class Recordable:
    rule: str
    product: str
    #: the partner may record it itself (an information it gives), not only staff
    partner_may_record: bool
    #: what recording it applies - a claim consequence only when a claim is named
    consequence: str | None
    needs_limit: bool = False
    summary: str = ""
    needs_claim: bool = False
    needs_document: bool = False


def _wt(
    rule: str,
    summary: str,
    consequence: str | None = RECORD_ONLY,
    *,
    partner: bool = False,
    needs_limit: bool = False,
    needs_document: bool = False,
) -> Recordable:
    return Recordable(
        rule, WHOLE_TURNOVER, partner, consequence, needs_limit, summary, False, needs_document
    )


def _tu(
    rule: str,
    summary: str,
    consequence: str | None = RECORD_ONLY,
    *,
    partner: bool = False,
    needs_claim: bool = False,
) -> Recordable:
    return Recordable(rule, TOP_UP, partner, consequence, False, summary, needs_claim)


RECORDABLE: dict[tuple[str, str], Recordable] = {
    (r.product, r.rule): r
    for r in (
        # WT-L9: the partner records a disclosure it makes (no consequence), staff record a
        # circumstance found undisclosed (the limit is void).
        _wt("WT-L9", "risk circumstance not disclosed", LIMIT_VOID, needs_limit=True, partner=True),
        _wt("WT-L10", "credit excluded (other insurer, activity, currency)", CLAIM_REJECTED),
        _wt("WT-X2", "extension mis-declared or not notified", CLAIM_REJECTED),
        _wt("WT-C11", "loss not mitigated or credit not lodged in time", CLAIM_REJECTED),
        _wt("WT-C12", "export goods not taken by the buyer", GOODS_REFUSED, partner=True),
        _wt("WT-C14", "set-off applied by the insurer"),
        _wt("WT-R3", "recovery action or payment agreement without consent", CLAIM_REJECTED),
        _wt("WT-R4", "credit assigned, or transferred without authorisation", CLAIM_REJECTED),
        _wt("WT-R5", "beneficiary authorised in writing"),
        _wt(
            "WT-P6", "buyer study invoice issued, then paid", STUDY_FEE_UNPAID, needs_document=True
        ),
        _wt("WT-P7", "notice of non-renewal", NOT_RENEWED, partner=True),
        _tu("TU-L4", "first-layer limit condition or guarantee not met", CLAIM_REJECTED),
        _tu(
            "TU-E4",
            "insolvency declared by a final court decision",
            INSOLVENCY_DECLARED,
            partner=True,
            needs_claim=True,
        ),
        _tu("TU-E8", "loss excluded (war, catastrophe, embargo, other insurer)", CLAIM_REJECTED),
        _tu("TU-N1", "claim form and proof of credit management received", partner=True),
        _tu("TU-N2", "annual report received", partner=True),
        _tu("TU-N3", "threat of loss or first-layer contract information", partner=True),
        _tu("TU-C4", "condition or obligation breached", CLAIM_REJECTED),
        _tu("TU-R2", "subrogation or assignment of the debt signed"),
        _tu("TU-P2", "set-off, or consent to assign a claim against the insurer"),
        _tu("TU-P5", "misrepresentation - contract rescinded", CONTRACT_RESCINDED),
        _tu("TU-P3", "notice of non-renewal by registered letter", NOT_RENEWED, partner=True),
        _tu("TU-C3", "documentation complete", PAYABLE_BY, needs_claim=True),
    )
}


def rules_of(product: str) -> list[str]:
    return [rule for (p, rule) in RECORDABLE if p == product]


def check_fact(
    product: str,
    rule: str,
    *,
    by_staff: bool,
    occurred_on: date,
    today: date,
    note: str,
    has_limit: bool,
    has_claim: bool = False,
    has_document: bool = False,
) -> tuple[Recordable | None, list[Violation]]:
    """The recordable id and every reason the fact cannot be recorded as given."""
    spec = RECORDABLE.get((product, rule.strip().upper()))
    if spec is None:
        allowed = ", ".join(rules_of(product))
        return None, [
            Violation(
                "INVALID_INPUT",
                f"{rule.strip()[:20]} is not a fact recorded on a {product} policy ({allowed}).",
                ("input", "rule"),
            )
        ]
    found: list[Violation] = []
    if not by_staff and spec.partner_may_record and spec.consequence in FINDINGS:
        # What the partner records is the information it gives, never a breach of its own.
        spec = replace(spec, consequence=None, needs_limit=False, summary="information given")
    if not by_staff and not spec.partner_may_record:
        found.append(
            Violation("FORBIDDEN", f"Only insurer staff record {spec.rule}.", ("input", "rule"))
        )
    if occurred_on > today:
        found.append(
            Violation(
                "INVALID_INPUT",
                f"The fact cannot occur after today ({today.isoformat()}).",
                ("input", "occurredOn"),
            )
        )
    if not note.strip() or len(note) > NOTE_MAX:
        found.append(
            Violation(
                "INVALID_INPUT",
                f"A note of 1 to {NOTE_MAX} characters is required.",
                ("input", "note"),
            )
        )
    if spec.needs_limit and not has_limit:
        found.append(
            Violation("INVALID_INPUT", f"{spec.rule} names the limit.", ("input", "limitId"))
        )
    if spec.needs_claim and not has_claim:
        found.append(
            Violation("INVALID_INPUT", f"{spec.rule} names the claim.", ("input", "claimId"))
        )
    if spec.needs_document and not has_document:
        found.append(
            Violation("INVALID_INPUT", f"{spec.rule} names the document.", ("input", "documentId"))
        )
    return spec, found


def rescinded(rescinded_on: date | None) -> Violation | None:
    """TU-P5: a rescinded contract is treated as never made - nothing more happens on it
    (no claim, no delivery, no limit, no indemnity)."""
    if rescinded_on is None:
        return None
    return Violation(
        "TU-P5",
        f"The contract was rescinded on {rescinded_on.isoformat()} for misrepresentation: "
        "it is treated as never made.",
        ("input", "policyId"),
    )
