"""Everything a page of covers shows, read in a fixed number of queries (one per related
table), whatever the page size: quotes, card holds, incidents, claims, deadlines and the
kinds of documents received (for the claims' checklists) and the claims' recoveries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from domain.services import recoveries
from domain.store.claim_models import Claim as ClaimRow
from domain.store.claim_models import CoverDeadline as DeadlineRow
from domain.store.claim_models import Document as DocumentRow
from domain.store.claim_models import Incident as IncidentRow
from domain.store.cover_models import Cover as CoverRow
from domain.store.cover_models import PaymentHold as HoldRow
from domain.store.models import Quote as QuoteRow


@dataclass
class CoverParts:
    quotes: dict[str, QuoteRow] = field(default_factory=dict)
    holds: dict[str, HoldRow] = field(default_factory=dict)
    incidents: dict[str, list[IncidentRow]] = field(default_factory=lambda: defaultdict(list))
    claims: dict[str, ClaimRow] = field(default_factory=dict)
    deadlines: dict[str, list[DeadlineRow]] = field(default_factory=lambda: defaultdict(list))
    document_kinds: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    recoveries: dict[str, list[recoveries.Recovery]] = field(default_factory=dict)


async def load(rows: list[CoverRow]) -> CoverParts:
    parts = CoverParts()
    if not rows:
        return parts
    ids = [row.id for row in rows]
    quote_ids = [row.quote_id for row in rows]
    parts.quotes = {q.id: q for q in await QuoteRow.filter(id__in=quote_ids)}
    parts.holds = {h.cover_id: h for h in await HoldRow.filter(cover_id__in=ids)}
    for incident in await IncidentRow.filter(cover_id__in=ids).order_by("created_at"):
        parts.incidents[incident.cover_id].append(incident)
    parts.claims = {c.cover_id: c for c in await ClaimRow.filter(cover_id__in=ids)}
    deadlines = (
        await DeadlineRow.filter(cover_id__in=ids).exclude(state="VOID").order_by("due_on", "kind")
    )
    for deadline in deadlines:
        parts.deadlines[deadline.cover_id].append(deadline)
    # Always one query (not only when a claim is on the page): a constant cost per page.
    claim_covers = list(parts.claims) or [""]
    received = await DocumentRow.filter(cover_id__in=claim_covers).values_list("cover_id", "kind")
    for cover_id, kind in received:
        parts.document_kinds[str(cover_id)].add(str(kind))
    # FI-R1: the claims' recoveries, one query for the page as well.
    parts.recoveries = await recoveries.by_cover(list(parts.claims))
    return parts
