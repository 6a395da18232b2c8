"""bindCover, confirmFinancing, decideFeasibility, cover(id), covers, Cover.events."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import strawberry
from graphql import GraphQLError

from domain.services import activation, staff_views
from domain.services import covers as cover_service
from domain.services.errors import DomainError
from domain.store.claim_models import CoverDeadline as DeadlineRow
from domain.store.cover_models import Cover as CoverRow
from domain.store.cover_models import CoverEvent as CoverEventRow
from domain.store.cover_models import PaymentHold as HoldRow
from resolvers import cover_batch
from resolvers.context import Info
from resolvers.errors import run_mutation
from resolvers.mappers import money_out, quote_out
from resolvers.pagination import page_size
from schema import inputs
from schema.cover_types import (
    Cover,
    CoverConnection,
    CoverEdge,
    CoverEvent,
    CoverEventConnection,
    CoverEventEdge,
    CoverPayload,
    CoverStatus,
    Deadline,
    FeasibilityStatus,
    FlaggedDeadline,
    HoldStatus,
    PaymentHold,
)
from schema.types import (
    BuyerRelationship,
    Company,
    Invoice,
    LegalForm,
    Money,
    PageInfo,
    ProductCode,
    RuleViolation,
)

#: Internal hold states shown as the contract's: a capture or release in flight is HELD.
_HOLD_STATUS = {
    "HELD": "HELD",
    "CAPTURING": "HELD",
    "RELEASING": "HELD",
    "CAPTURED": "CAPTURED",
    "RELEASED": "RELEASED",
    "FAILED": "FAILED",
}


def _company(data: dict[str, Any]) -> Company:
    return Company(
        country=data["country"],
        registration_number=data["registration_number"],
        name=data["name"],
        legal_form=LegalForm(data["legal_form"]),
        sector=data["sector"],
        relationship=BuyerRelationship(data["relationship"]) if data.get("relationship") else None,
        merchant_registered=data.get("merchant_registered"),
    )


def _money(data: dict[str, str]) -> Money:
    return Money(amount=Decimal(data["amount"]), currency=data["currency"])


def _invoice(data: dict[str, Any] | None) -> Invoice | None:
    if not data:
        return None
    return Invoice(
        number=data["number"],
        issue_date=dt.date.fromisoformat(data["issue_date"]),
        due_date=dt.date.fromisoformat(data["due_date"]),
        amount=_money(data["amount"]),
        vat_amount=_money(data["vat_amount"]),
    )


def _hold(row: HoldRow | None) -> PaymentHold | None:
    if row is None:
        return None
    return PaymentHold(
        amount=Money(amount=row.amount, currency=row.currency),
        status=HoldStatus(_HOLD_STATUS[row.status]),
        expires_at=row.expires_at,
        captured_at=row.captured_at,
        released_at=row.released_at,
        failure_reason=row.failure_reason,
    )


def _deadline(row: DeadlineRow) -> Deadline:
    met = {"MET": True, "MISSED": False}.get(row.state)
    return Deadline(kind=row.kind, rule=row.rule, due_on=row.due_on, met=met, met_on=row.met_on)


async def covers_out(rows: list[CoverRow], *, with_claim: bool = True) -> list[Cover]:
    """A page of covers in a fixed number of queries (resolvers/cover_batch.py)."""
    parts = await cover_batch.load(rows)
    return [cover_from(row, parts, with_claim=with_claim) for row in rows]


async def cover_out(row: CoverRow, *, with_claim: bool = True) -> Cover:
    return (await covers_out([row], with_claim=with_claim))[0]


def cover_from(row: CoverRow, parts: cover_batch.CoverParts, *, with_claim: bool = True) -> Cover:
    from resolvers.claims import claim_from, incident_out  # claims map their cover here

    claim_row = parts.claims.get(row.id) if with_claim else None
    currency = row.currency
    return Cover(
        id=row.id,  # type: ignore[arg-type]
        product=ProductCode(row.product),
        status=CoverStatus(row.status),
        quote=quote_out(parts.quotes[row.quote_id]),
        seller=_company(row.seller),
        buyer=_company(row.buyer),
        insured_amount=Money(amount=row.insured_amount, currency=currency),
        premium=Money(amount=row.premium, currency=currency),
        coverage_percent=row.coverage_percent,
        feasibility=FeasibilityStatus(row.feasibility),
        bound_at=row.bound_at,
        activated_at=row.activated_at,
        decline_reason=row.decline_reason,
        lapse=RuleViolation(
            rule=row.lapse["rule"], message=row.lapse["message"], field=row.lapse.get("field")
        )
        if row.lapse
        else None,
        deadlines=[_deadline(d) for d in parts.deadlines.get(row.id, [])],
        incidents=[incident_out(i) for i in parts.incidents.get(row.id, [])],
        claim=claim_from(claim_row, row, parts) if claim_row else None,
        payment_hold=_hold(parts.holds.get(row.id)),
        signature_reference=row.signature_reference,
        financing_confirmed=row.financing_confirmed if row.product == "FINANCED_INVOICE" else None,
        invoice=_invoice(row.invoice),
        loaded_on=row.loaded_on,
        unloaded_on=row.unloaded_on,
        paid_amount=money_out(row.paid_amount, currency),  # type: ignore[arg-type]
    )


async def cover_event_page(
    cover_id: str, first: int | None, after: str | None
) -> CoverEventConnection:
    """In the cover's sequence (LIFECYCLE 5a); the cursor is the last event id seen."""
    size = page_size(first)
    query = CoverEventRow.filter(cover_id=cover_id)
    if after:
        seen = await CoverEventRow.filter(cover_id=cover_id, id=after).values_list(
            "sequence", flat=True
        )
        # An unknown cursor of this cover: nothing after it, as before (ids compared).
        query = query.filter(sequence__gt=seen[0]) if seen else query.filter(id__gt=after)
    rows = await query.order_by("sequence", "id").limit(size + 1)
    edges = [
        CoverEventEdge(
            node=CoverEvent(
                type=r.type,
                occurred_at=r.occurred_at,
                actor=r.actor,
                data=json.dumps(r.data, sort_keys=True),
                sequence=r.sequence,
                payload=r.data,
            ),
            cursor=r.id,
        )
        for r in rows[:size]
    ]
    return CoverEventConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None
        ),
    )


async def bind_cover(info: Info, input: inputs.BindCoverInput) -> CoverPayload:
    async def body() -> dict[str, Any]:
        row = await cover_service.bind_cover(
            info.context.principal,
            str(input.quote_id),
            signature_reference=input.signature_reference,
            payment_method_token=input.payment_method_token,
            now=info.context.now,
        )
        return {"cover": await cover_out(row)}

    return await run_mutation(info, CoverPayload, body)


async def confirm_financing(info: Info, input: inputs.ConfirmFinancingInput) -> CoverPayload:
    async def body() -> dict[str, Any]:
        row = await activation.confirm_financing(
            info.context.principal,
            str(input.cover_id),
            input.financed,
            input.reason,
            info.context.now,
        )
        return {"cover": await cover_out(row)}

    return await run_mutation(info, CoverPayload, body)


async def decide_feasibility(info: Info, input: inputs.DecideFeasibilityInput) -> CoverPayload:
    async def body() -> dict[str, Any]:
        row = await activation.decide_feasibility_by_staff(
            info.context.principal,
            str(input.cover_id),
            input.approve,
            input.reason,
            info.context.now,
        )
        return {"cover": await cover_out(row)}

    return await run_mutation(info, CoverPayload, body)


async def cover(info: Info, id: strawberry.ID) -> Cover | None:
    row = await cover_service.get_cover(info.context.principal, str(id))
    return await cover_out(row) if row else None


async def covers(
    info: Info,
    first: int | None,
    after: str | None,
    status: CoverStatus | None,
    product: ProductCode | None,
) -> CoverConnection:
    page = await cover_service.list_covers(
        info.context.principal,
        first=page_size(first),
        after=after,
        status=status.value if status else None,
        product=product.value if product else None,
    )
    nodes = await covers_out(list(page.covers))
    edges = [
        CoverEdge(node=node, cursor=row.id) for node, row in zip(nodes, page.covers, strict=True)
    ]
    return CoverConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page, end_cursor=edges[-1].cursor if edges else None
        ),
        total_count=page.total_count,
    )


async def flagged_deadlines(
    info: Info, outstanding: bool, first: int | None
) -> list[FlaggedDeadline]:
    from resolvers.claims import claim_from

    try:
        rows = await staff_views.flagged_deadlines(
            info.context.principal, outstanding=outstanding, limit=page_size(first)
        )
    except DomainError as refused:  # a query has no userErrors: a typed GraphQL error
        raise GraphQLError(refused.message, extensions={"code": refused.code}) from None
    # One batch for every listed cover and its claim, as for a page of covers.
    parts = await cover_batch.load([row.cover for row in rows])
    found = []
    for row in rows:
        claim_row = parts.claims.get(row.cover.id)
        found.append(
            FlaggedDeadline(
                cover=cover_from(row.cover, parts, with_claim=False),
                deadline=_deadline(row),
                claim=claim_from(claim_row, row.cover, parts) if claim_row else None,
            )
        )
    return found
