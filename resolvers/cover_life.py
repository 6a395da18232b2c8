"""recordShipmentEvent, recordInvoice, recordPayment (LIFECYCLE 3)."""

from __future__ import annotations

from typing import Any

from domain.services import cover_life
from resolvers.context import Info
from resolvers.covers import cover_out
from resolvers.errors import run_mutation
from resolvers.mappers import invoice_in, money_in
from schema import inputs
from schema.cover_types import CoverPayload


async def record_shipment_event(info: Info, input: inputs.RecordShipmentEventInput) -> CoverPayload:
    async def body() -> dict[str, Any]:
        row = await cover_life.record_shipment_event(
            info.context.principal,
            str(input.cover_id),
            input.kind.value,
            input.on,
            info.context.now,
        )
        return {"cover": await cover_out(row)}

    return await run_mutation(info, CoverPayload, body)


async def record_invoice(info: Info, input: inputs.RecordInvoiceInput) -> CoverPayload:
    async def body() -> dict[str, Any]:
        facts = invoice_in(input.invoice)
        assert facts is not None
        stored = {
            "number": facts.number,
            "issue_date": facts.issue_date.isoformat(),
            "due_date": facts.due_date.isoformat(),
            "amount": {"amount": str(facts.amount.amount), "currency": facts.amount.currency},
            "vat_amount": {
                "amount": str(facts.vat_amount.amount),
                "currency": facts.vat_amount.currency,
            },
        }
        row = await cover_life.record_invoice(
            info.context.principal,
            str(input.cover_id),
            stored,
            facts.issue_date,
            facts.due_date,
            info.context.now,
        )
        return {"cover": await cover_out(row)}

    return await run_mutation(info, CoverPayload, body)


async def record_payment(info: Info, input: inputs.RecordPaymentInput) -> CoverPayload:
    async def body() -> dict[str, Any]:
        row = await cover_life.record_payment(
            info.context.principal,
            str(input.cover_id),
            money_in(input.amount),
            input.received_on,
            info.context.now,
        )
        return {"cover": await cover_out(row)}

    return await run_mutation(info, CoverPayload, body)
