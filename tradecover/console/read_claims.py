"""What the claims desk shows: claims by status, and one claim with its document
checklist, deadlines, indemnity lines and incidents. Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from tortoise.functions import Count

from domain.rules.indemnity import IndemnityLine
from domain.services import claims as claim_service
from domain.services import dispute_suspension
from domain.store.claim_models import Claim, CoverDeadline, Document, Incident
from domain.store.cover_models import Cover
from tradecover.console.read_covers import LIST_LIMIT, clock_nows, clock_of, partner_names

#: The desk's tabs, in the order a claim moves through them.
STATUSES = ("DOCUMENTS_PENDING", "UNDER_REVIEW", "SUSPENDED", "APPROVED", "PAID", "REJECTED")
#: Claims in these take no more decisions (mark paid is for APPROVED).
FINAL = ("PAID", "REJECTED")
#: Which rule asks for which documents (LIFECYCLE 5).
STAGES = (
    ("TR-D1", "incident stage", claim_service.TR_INCIDENT_DOCUMENTS),
    ("TR-D2", "claim stage", claim_service.TR_CLAIM_DOCUMENTS),
    ("FI-D1", "claim documents", claim_service.FI_CLAIM_DOCUMENTS),
)
#: Rules a rejection can cite (PRODUCT_RULES); the reason follows "RULE: ".
REJECTION_RULES = ("FI-D1", "FI-N1", "TR-X1", "TR-X2", "C-1", "C-2", "C-3")


async def status_counts() -> dict[str, int]:
    rows = await Claim.annotate(n=Count("id")).group_by("status").values("status", "n")
    counts = {status: 0 for status in STATUSES}
    counts.update({row["status"]: int(row["n"]) for row in rows})
    return counts


@dataclass(frozen=True)
class ClaimRow:
    claim: Claim
    cover: Cover
    partner: str


async def claims(status: str) -> list[ClaimRow]:
    """The claims in one status, oldest opened first."""
    rows = (
        await Claim.filter(status=status)
        .order_by("opened_on", "id")
        .limit(LIST_LIMIT)
        .prefetch_related("cover")
    )
    partners = await partner_names(r.cover.partner_id for r in rows)
    return [ClaimRow(r, r.cover, partners.get(r.cover.partner_id, "?")) for r in rows]


@dataclass(frozen=True)
class ChecklistItem:
    rule: str
    stage: str
    kind: str
    documents: list[Document]


@dataclass(frozen=True)
class ClaimPage:
    claim: Claim
    cover: Cover
    partner: str
    today: date
    checklist: list[ChecklistItem]
    other_documents: list[Document]
    deadlines: list[CoverDeadline]
    incidents: list[Incident]
    indemnity_lines: list[IndemnityLine]
    dispute_pending: bool
    rejection_rules: tuple[str, ...] = REJECTION_RULES

    @property
    def missing(self) -> list[str]:
        return [item.kind for item in self.checklist if not item.documents]

    @property
    def final(self) -> bool:
        return self.claim.status in FINAL


async def claim_page(claim_id: str, real_now: datetime) -> ClaimPage | None:
    claim = await Claim.filter(id=claim_id).prefetch_related("cover").first()
    if claim is None:
        return None
    cover = claim.cover
    documents = await Document.filter(cover_id=cover.id).order_by("received_at", "id")
    required = set(claim_service.required_documents(cover.product))
    checklist = [
        ChecklistItem(rule, stage, kind, [d for d in documents if d.kind == kind])
        for rule, stage, kinds in STAGES
        for kind in kinds
        if kind in required
    ]
    nows = await clock_nows([clock_of(cover)], real_now)
    return ClaimPage(
        claim=claim,
        cover=cover,
        partner=(await partner_names([cover.partner_id])).get(cover.partner_id, "?"),
        today=nows.get(clock_of(cover), real_now).date(),
        checklist=checklist,
        other_documents=[d for d in documents if d.kind not in required],
        deadlines=await CoverDeadline.filter(cover_id=cover.id).order_by("due_on", "id"),
        incidents=await Incident.filter(cover_id=cover.id).order_by("created_at"),
        indemnity_lines=[
            IndemnityLine(line["label"], Decimal(str(line["amount"])), line.get("rule"))
            for line in claim.indemnity_lines or []
        ],
        dispute_pending=await dispute_suspension.pending(cover.id),
    )


async def document(document_id: str) -> Document | None:
    return await Document.filter(id=document_id).first()
