"""Lists for the insurer's staff: what needs their attention."""

from __future__ import annotations

from tortoise.expressions import Subquery

from domain.services.errors import DomainError
from domain.services.principals import Principal
from domain.store.claim_models import Claim, CoverDeadline


def _require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise DomainError("FORBIDDEN", "This list is for insurer staff keys.")


async def flagged_deadlines(
    principal: Principal, *, outstanding: bool, limit: int
) -> list[CoverDeadline]:
    """Insurer-side deadlines the sweep flagged as missed (FI-C2 INDEMNITY_PAYMENT),
    oldest due date first. `outstanding`: only those whose indemnity is still unpaid."""
    _require_staff(principal)
    query = CoverDeadline.filter(flagged_to_staff=True, state="MISSED")
    if outstanding:
        paid = Claim.filter(status="PAID").values("cover_id")
        query = query.exclude(cover_id__in=Subquery(paid))
    return await query.order_by("due_on", "id").limit(limit).prefetch_related("cover")
