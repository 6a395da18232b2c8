"""WT-X1: extending a credit's due date. An optional extension within the policy's limits
applies at once; any other waits for the insurer's written authorisation. Either way the
extension is charged the premium rate for a term equal to the extension."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from domain.rules.wt import extensions as extension_rules
from domain.services import cover_decisions, event_sequence, policies, policy_events, policy_sweep
from domain.services.errors import DomainError, not_found
from domain.services.principals import Principal
from domain.store.ids import new_id
from domain.store.policy_models import Extension, Policy, Sale

OPTIONAL, PENDING, AUTHORISED, REFUSED = (
    "OPTIONAL",
    "PENDING_AUTHORISATION",
    "AUTHORISED",
    "REFUSED",
)


async def _extended_total(policy_id: str, buyer_key: str) -> Decimal:
    rows = await Extension.filter(
        policy_id=policy_id, sale__buyer_key=buyer_key, status__in=(OPTIONAL, AUTHORISED)
    ).prefetch_related("sale")
    return sum((row.sale.policy_amount - row.sale.collected for row in rows), Decimal("0.00"))


async def _apply(policy: Policy, extension: Extension, sale: Sale, now: datetime) -> None:
    """The new due date counts from now on, and its premium is invoiced."""
    await Sale.filter(id=sale.id).update(extended_due_date=extension.new_due_date)
    await sale.refresh_from_db()
    await policy_sweep.move_notification_deadline(policy.id, sale)
    # WT-L7 counts from the duly extended due date: later sales are decided again.
    await cover_decisions.redecide_buyer(policy, sale.buyer_key, now)
    if extension.premium > 0:
        await policies.issue_invoice(policy, "EXTENSION", None, extension.premium, now)


async def declare_extension(
    principal: Principal,
    policy_id: str,
    buyer_key: str,
    invoice_number: str,
    new_due_date: date,
    real_now: datetime,
) -> Extension:
    policy = await policies.partner_policy(principal, policy_id)
    sale = await Sale.filter(
        policy_id=policy.id, buyer_key=buyer_key, invoice_number=invoice_number
    ).first()
    if sale is None:
        raise not_found("declared invoice", invoice_number, ("input", "invoiceNumber"))
    if new_due_date <= sale.due_date:
        raise DomainError(
            "INVALID_INPUT", "The new due date is after the original.", ("input", "newDueDate")
        )
    now = await policies.policy_now(policy, real_now)
    already = await Extension.filter(sale_id=sale.id).exists()
    amount = sale.policy_amount - sale.collected
    violations = extension_rules.check_optional_extension(
        original_due=sale.due_date,
        new_due=new_due_date,
        granted_on=now.date(),
        already_extended=already,
        buyer_extended_total=await _extended_total(policy.id, buyer_key),
        amount=amount,
        policy_max=policy.max_extension_amount,
    )
    if already:
        raise DomainError("WT-X1", "A credit is extended once.", ("input", "invoiceNumber"))
    premium = extension_rules.extension_premium(
        amount, (new_due_date - sale.due_date).days, policies.terms_of(policy).premium_rates
    )
    status = PENDING if violations else OPTIONAL
    async with event_sequence.policy_transaction(policy.id):
        extension = await Extension.create(
            id=new_id("ext"),
            policy_id=policy.id,
            sale_id=sale.id,
            new_due_date=new_due_date,
            granted_on=now.date(),
            status=status,
            premium=premium,
            violations=[{"rule": v.rule, "message": v.message} for v in violations],
            created_at=now,
        )
        if status == OPTIONAL:
            await _apply(policy, extension, sale, now)
        await policy_events.record(
            policy,
            "extension.declared",
            actor=policies.actor_of(principal),
            now=now,
            data={"extensionId": extension.id, "invoice": invoice_number, "status": status},
            webhook=False,
        )
    return extension


async def authorize_extension(
    principal: Principal, extension_id: str, approve: bool, real_now: datetime
) -> Extension:
    """Staff: the written authorisation an extension beyond WT-X1 needs."""
    if not principal.is_staff:
        raise DomainError("FORBIDDEN", "Extensions are authorised by insurer staff keys.")
    extension = await Extension.get_or_none(id=extension_id)
    if extension is None:
        raise not_found("extension", extension_id, ("input", "extensionId"))
    policy = await Policy.get(id=extension.policy_id)
    sale = await Sale.get(id=extension.sale_id)
    now = await policies.policy_now(policy, real_now)
    async with event_sequence.policy_transaction(policy.id):
        moved = await Extension.filter(id=extension.id, status=PENDING).update(
            status=AUTHORISED if approve else REFUSED
        )
        if moved != 1:
            raise DomainError(
                "INVALID_STATE",
                f"Extension {extension.id} is {extension.status}, not waiting.",
                ("input", "extensionId"),
            )
        await extension.refresh_from_db()
        if approve:
            await _apply(policy, extension, sale, now)
        await policy_events.record(
            policy,
            "extension.decided",
            actor=policies.actor_of(principal),
            now=now,
            data={"extensionId": extension.id, "authorised": approve},
        )
    return extension
