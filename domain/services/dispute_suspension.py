"""TR-X2, the part a claim needs: whether a service dispute is pending on a cover, and the
claim's suspension while it is. Apart from `service_disputes` (recording and resolving a
dispute, which opens and reviews claims), so that `claims` can suspend a claim without
importing the module that imports it back.
"""

from __future__ import annotations

from datetime import datetime

from domain.services import cover_events
from domain.store.claim_models import Claim, Incident
from domain.store.cover_models import Cover

RULE = "TR-X2"
#: A pending dispute suspends a claim in any of these states.
SUSPENDABLE = ("DOCUMENTS_PENDING", "UNDER_REVIEW", "APPROVED")


async def pending(cover_id: str) -> bool:
    """True while one of the cover's incidents waits for a final decision (TR-X2)."""
    return await Incident.filter(
        cover_id=cover_id, disputed=True, dispute_resolved_on=None
    ).exists()


async def suspend_claim(cover: Cover, claim: Claim, now: datetime, actor: str) -> bool:
    """Compare-and-set the claim to SUSPENDED, with its event (C-6)."""
    moved = await Claim.filter(id=claim.id, status__in=SUSPENDABLE).update(status="SUSPENDED")
    if moved != 1:
        return False
    await cover_events.record(
        cover,
        "claim.suspended",
        actor=actor,
        now=now,
        data={"claimId": claim.id, "cause": f"{RULE}: service disputed as non-conforming"},
    )
    return True
