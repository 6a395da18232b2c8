"""bindCover, cover(id), covers (LIFECYCLE 2): a quote becomes a cover once, and the
feasibility job is queued in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.rules.buyer_identity import buyer_key
from domain.rules.catalogue import FINANCED_INVOICE, PRODUCTS, TRANSPORT_INVOICE
from domain.services import cover_events, cover_life, outbox
from domain.services.clock_time import now_on_clock
from domain.services.errors import DomainError, not_found
from domain.services.gateways import registry
from domain.services.gateways.card import Authorization
from domain.services.principals import Principal
from domain.store.cover_models import Cover, PaymentHold
from domain.store.ids import new_id
from domain.store.models import OutboxMessage, Quote

PENDING_CONFIRMATION = "PENDING_CONFIRMATION"
CONFIRM_FEASIBILITY = "cover.confirm_feasibility"


def company_key(company: dict[str, str]) -> str:
    return buyer_key(company["country"], company["registration_number"])


async def _bindable_quote(principal: Principal, quote_id: str, now: datetime) -> Quote:
    if principal.partner_id is None:
        raise DomainError("FORBIDDEN", "Covers are bound by partner keys.")
    quote = await Quote.filter(id=quote_id, partner_id=principal.partner_id).first()
    if quote is None:
        raise not_found("quote", quote_id, ("input", "quoteId"))
    existing = await Cover.filter(quote_id=quote.id).first()
    if existing is not None:
        raise DomainError(
            "INVALID_STATE",
            f"Quote {quote.id} is already bound as cover {existing.id}.",
            ("input", "quoteId"),
        )
    if not quote.eligible:
        rules = ", ".join(v["rule"] for v in quote.violations)
        raise DomainError(
            "INVALID_STATE", f"Quote {quote.id} is not eligible ({rules}).", ("input", "quoteId")
        )
    if quote.valid_until is None or now > quote.valid_until:
        raise DomainError(
            "INVALID_STATE",
            f"Quote {quote.id} expired at {quote.valid_until}.",
            ("input", "quoteId"),
        )
    return quote


async def bind_cover(
    principal: Principal,
    quote_id: str,
    *,
    signature_reference: str | None,
    payment_method_token: str | None,
    now: datetime,
) -> Cover:
    quote = await Quote.filter(id=quote_id).first()
    now = await now_on_clock(quote.test_clock_id if quote else None, now)
    quote = await _bindable_quote(principal, quote_id, now)
    authorization: Authorization | None = None
    gateway = registry.for_partner(principal.sandbox)
    if quote.product == FINANCED_INVOICE:
        if not (signature_reference or "").strip():
            raise DomainError(
                "FI-A1",
                "Binding needs the completed e-signature (signatureReference).",
                ("input", "signatureReference"),
            )
    elif quote.product == TRANSPORT_INVOICE:
        if not (payment_method_token or "").strip():
            raise DomainError(
                "TR-P2",
                "Binding needs a card payment method token to hold the premium.",
                ("input", "paymentMethodToken"),
            )
        # One key per quote and card: concurrent binds share one authorisation, and a
        # refused card leaves the quote bindable with another card.
        authorization = await gateway.authorize(
            token=str(payment_method_token),
            amount=quote.premium,  # type: ignore[arg-type]
            currency=quote.currency,
            idempotency_key=f"bind:{quote.id}:{payment_method_token}",
            now=now,
        )
    try:
        cover, messages = await _create_cover(
            principal, quote, signature_reference, authorization, gateway.name, now
        )
    except IntegrityError:
        winner = await Cover.filter(quote_id=quote.id).first()
        if authorization is not None:
            await _cancel_orphan_authorization(winner, authorization, gateway.name, now)
        raise DomainError(
            "INVALID_STATE",
            f"Quote {quote.id} is already bound as cover {winner.id if winner else '?'}.",
            ("input", "quoteId"),
        ) from None
    await outbox.publish(messages, now)
    return cover


async def _cancel_orphan_authorization(
    winner: Cover | None, authorization: Authorization, gateway_name: str, now: datetime
) -> None:
    """A losing concurrent bind with another card must not leave money held."""
    if winner is not None:
        hold = await PaymentHold.filter(cover_id=winner.id).first()
        if hold is not None and hold.gateway_reference == authorization.reference:
            return
    await registry.by_name(gateway_name).cancel(
        reference=authorization.reference,
        idempotency_key=f"cancel:{authorization.reference}",
        now=now,
    )


async def _create_cover(
    principal: Principal,
    quote: Quote,
    signature_reference: str | None,
    authorization: Authorization | None,
    gateway_name: str,
    now: datetime,
) -> tuple[Cover, list[OutboxMessage]]:
    spec = PRODUCTS[quote.product]
    request = quote.request
    async with in_transaction():
        cover = await Cover.create(
            id=new_id("cov"),
            partner_id=principal.partner_id,
            quote_id=quote.id,
            product=quote.product,
            status=PENDING_CONFIRMATION,
            signature_reference=(signature_reference or None)
            if quote.product == FINANCED_INVOICE
            else None,
            seller=request["seller"],
            buyer=request["buyer"],
            buyer_key=company_key(request["buyer"]),
            seller_key=company_key(request["seller"]),
            invoice_number=(request.get("invoice") or {}).get("number"),
            invoice=request.get("invoice"),
            currency=quote.currency,
            insured_amount=quote.insured_amount,
            premium=quote.premium,
            coverage_percent=quote.coverage_percent,
            bound_at=now,
            confirmation_due_at=now + spec.confirmation_window,
            test_clock_id=quote.test_clock_id,
            created_at=now,
        )
        if authorization is not None:
            await PaymentHold.create(
                id=new_id("hld"),
                cover_id=cover.id,
                gateway=gateway_name,
                gateway_reference=authorization.reference,
                amount=authorization.amount,
                currency=authorization.currency,
                status="HELD",
                expires_at=authorization.expires_at,
                created_at=now,
            )
        # LIFECYCLE 4: the CONFIRMATION deadline (bind + 48 h) is listed from the bind.
        await cover_life.sync_deadlines(cover)
        await cover_events.record(
            cover,
            "cover.pending_confirmation",
            actor=cover_events.partner_actor(str(principal.partner_id)),
            now=now,
            data={"cause": "bound"},
        )
        job = await outbox.enqueue(CONFIRM_FEASIBILITY, {"cover_id": cover.id}, now)
    return cover, [job]


async def get_cover(principal: Principal, cover_id: str) -> Cover | None:
    query = Cover.filter(id=cover_id)
    if not principal.is_staff:
        query = query.filter(partner_id=principal.partner_id)
    return await query.first()


@dataclass(frozen=True)
class CoverPage:
    covers: list[Cover]
    has_next_page: bool
    total_count: int


async def list_covers(
    principal: Principal,
    *,
    first: int,
    after: str | None,
    status: str | None,
    product: str | None,
) -> CoverPage:
    """Newest first; the cursor is the last cover id seen (ids are time ordered)."""
    query = Cover.all()
    if not principal.is_staff:
        query = query.filter(partner_id=principal.partner_id)
    if status:
        query = query.filter(status=status)
    if product:
        query = query.filter(product=product)
    total = await query.count()
    if after:
        query = query.filter(id__lt=after)
    rows = await query.order_by("-id").limit(first + 1)
    return CoverPage(rows[:first], len(rows) > first, total)
