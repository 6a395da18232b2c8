"""The indemnity of a single-invoice claim (FI-C3, TR-S2) computed from the cover's state
as read now: the preview job and the paying transaction both call `compute`, so the
amount paid is the one the state at payment gives (LIFECYCLE 5a).

Payments are read from the cover's events in sequence order; before or after the
notification is decided by sequence, before or after the indemnity payment by the
payment's business date (`receivedOn`), never by timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from domain.rules import indemnity as rules
from domain.store.claim_models import Incident
from domain.store.cover_models import Cover, CoverEvent

PAYMENT_RECORDED = "payment.recorded"
INCIDENT_DECLARED = "incident.declared"


@dataclass(frozen=True)
class IndemnityNow:
    result: rules.IndemnityResult
    #: payments received after the indemnity payment day: recoveries (FI-R1)
    after_payment: tuple[rules.PaymentFact, ...]

    def lines(self) -> list[dict[str, Any]]:
        return [
            {"label": line.label, "amount": str(line.amount), "rule": line.rule}
            for line in self.result.lines
        ]


def payment_fact(event: CoverEvent) -> rules.PaymentFact:
    return rules.PaymentFact(
        sequence=event.sequence,
        amount=Decimal(str(event.data["amount"])),
        received_on=date.fromisoformat(str(event.data["receivedOn"])),
    )


async def _payments(cover_id: str) -> list[rules.PaymentFact]:
    events = await CoverEvent.filter(cover_id=cover_id, type=PAYMENT_RECORDED).order_by("sequence")
    return [payment_fact(event) for event in events]


async def _notification_sequence(cover_id: str) -> int:
    declared = (
        await CoverEvent.filter(cover_id=cover_id, type=INCIDENT_DECLARED)
        .order_by("sequence")
        .first()
    )
    return declared.sequence if declared is not None else 0


async def compute(cover: Cover, paid_on: date | None) -> IndemnityNow:
    """FI-C3 or TR-S2 on the state now. `paid_on` is the indemnity payment day (None for
    the preview). Call inside the paying transaction when paying."""
    payments = await _payments(cover.id)
    if cover.product == "FINANCED_INVOICE":
        incident = await Incident.filter(cover_id=cover.id).order_by("declared_on", "id").first()
        unpaid = incident.unpaid_amount if incident else Decimal("0")
        # FI-C3: only what the buyer paid after the notification is a recovery; what it
        # paid before is already out of the declared unpaid amount.
        split = rules.payments_at_payment(
            payments, after_sequence=await _notification_sequence(cover.id), paid_on=paid_on
        )
        result = rules.fi_indemnity(
            unpaid,
            split.deducted,
            cover.insured_amount,
            cover.coverage_percent,
            **_c3_vat(cover.invoice or {}),  # C-3: VAT is never indemnified
        )
    else:
        invoice = cover.invoice or {}
        net = Decimal(invoice["amount"]["amount"]) if invoice else cover.insured_amount
        # TR-S2: everything the client paid, each payment once.
        split = rules.payments_at_payment(payments, after_sequence=0, paid_on=paid_on)
        result = rules.tr_indemnity(
            net, split.deducted, cover.insured_amount, cover.coverage_percent
        )
    return IndemnityNow(result, split.after_payment)


def _c3_vat(invoice: dict[str, Any]) -> dict[str, Decimal]:
    """C-3: the invoice's net and VAT amounts, for the FI loss net of VAT."""
    if not invoice or not invoice.get("vat_amount"):
        return {}
    return {
        "invoice_net": Decimal(str(invoice["amount"]["amount"])),
        "invoice_vat": Decimal(str(invoice["vat_amount"]["amount"])),
    }
