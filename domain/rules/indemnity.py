"""Indemnities and recoveries of the single-invoice products (FI-C1, FI-C3, FI-R1, TR-S2,
C-3), step by step, as the claim's `lines` show them.

Decimal only. Amounts are taken to the cent (half-up) on entry, and each percentage of
an amount is rounded half-up to the cent as soon as it is taken (money.round_cents), so
every line is exact to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.rules.catalogue import FI, TR
from domain.rules.deadlines import payable_by as payable_by
from domain.rules.exclusions import net_of_vat
from domain.rules.money import (
    checked_cents,
    checked_percent,
    percent_share,
    percent_text,
)

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class IndemnityLine:
    label: str
    amount: Decimal
    rule: str | None


@dataclass(frozen=True)
class IndemnityResult:
    amount: Decimal
    lines: tuple[IndemnityLine, ...]


def fi_indemnity(
    unpaid: Decimal,
    recoveries_before_payment: Decimal,
    insured_amount: Decimal,
    coverage_percent: Decimal = FI.coverage_percent,
    *,
    invoice_net: Decimal | None = None,
    invoice_vat: Decimal | None = None,
) -> IndemnityResult:
    """FI-C3: coverage% x min(unpaid - recoveries before payment, insured amount), never
    below 0; the insured amount is the financed amount (FI-C1). C-3: given the invoice's
    amounts, the loss is taken net of its VAT share (VAT is never indemnified)."""
    unpaid = checked_cents(unpaid, "unpaid")
    recoveries = checked_cents(recoveries_before_payment, "recoveries_before_payment")
    insured = checked_cents(insured_amount, "insured_amount")
    percent = checked_percent(coverage_percent)
    gross_loss = max(unpaid - recoveries, ZERO)
    loss = gross_loss
    vat_lines: tuple[IndemnityLine, ...] = ()
    if invoice_net is not None and invoice_vat is not None and invoice_vat > 0:
        loss = net_of_vat(gross_loss, invoice_net, invoice_vat)
        vat_lines = (
            IndemnityLine("Insured loss including VAT", gross_loss, "FI-C3"),
            IndemnityLine("Less its VAT share (never indemnified)", loss - gross_loss, "C-3"),
        )
    capped = min(loss, insured)
    indemnity = percent_share(capped, percent)
    return IndemnityResult(
        indemnity,
        (
            IndemnityLine("Unpaid amount", unpaid, "FI-C3"),
            IndemnityLine("Less recoveries received before payment", ZERO - recoveries, "FI-C3"),
            *vat_lines,
            IndemnityLine("Insured loss", loss, "FI-C3"),
            IndemnityLine(f"Capped at the insured amount ({insured})", capped, "FI-C1"),
            IndemnityLine(f"Coverage {percent_text(percent)}%", indemnity, "FI-C1"),
            IndemnityLine("Indemnity", indemnity, "FI-C3"),
        ),
    )


def tr_indemnity(
    invoice_amount_excl_vat: Decimal,
    paid_by_client: Decimal,
    guaranteed_amount: Decimal,
    coverage_percent: Decimal = TR.coverage_percent,
) -> IndemnityResult:
    """TR-S2: coverage% x (invoice amount excl. VAT - what the client paid), capped at
    coverage% x the guaranteed amount, never below 0. VAT is never indemnified (C-3)."""
    invoice = checked_cents(invoice_amount_excl_vat, "invoice_amount_excl_vat")
    paid = checked_cents(paid_by_client, "paid_by_client")
    guaranteed = checked_cents(guaranteed_amount, "guaranteed_amount")
    percent = checked_percent(coverage_percent)
    unpaid = max(invoice - paid, ZERO)
    covered = percent_share(unpaid, percent)
    indemnity = min(covered, percent_share(guaranteed, percent))
    pct = percent_text(percent)
    return IndemnityResult(
        indemnity,
        (
            IndemnityLine("Invoice amount excluding VAT", invoice, "C-3"),
            IndemnityLine("Less paid by the client", ZERO - paid, "TR-S2"),
            IndemnityLine("Unpaid amount", unpaid, "TR-S2"),
            IndemnityLine(f"Coverage {pct}%", covered, "TR-S2"),
            IndemnityLine(
                f"Capped at {pct}% of the guaranteed amount ({guaranteed})", indemnity, "TR-S2"
            ),
            IndemnityLine("Indemnity", indemnity, "TR-S2"),
        ),
    )


@dataclass(frozen=True)
class PaymentFact:
    """A payment from the buyer as recorded on the cover: its place in the cover's event
    sequence and the business date the partner gave (LIFECYCLE 5a)."""

    sequence: int
    amount: Decimal
    received_on: date


@dataclass(frozen=True)
class PaymentsAtPayment:
    #: what reduces the loss: FI-C3 recoveries before payment, TR-S2 what the client paid
    deducted: Decimal
    #: received after the indemnity was paid (by business date): recoveries (FI-R1)
    after_payment: tuple[PaymentFact, ...]


def payments_at_payment(
    payments: Iterable[PaymentFact],
    *,
    after_sequence: int,
    paid_on: date | None,
) -> PaymentsAtPayment:
    """Which recorded payments reduce the indemnity (LIFECYCLE 5a: order by sequence and
    business dates, never timestamps).

    Only payments recorded after `after_sequence` count: FI passes the notification's
    sequence (a payment before it is already out of the declared unpaid amount, so it is
    never subtracted a second time, FI-C3); TR passes 0 (TR-S2 counts all the client
    paid). With `paid_on` (the indemnity payment day), a payment received after it is a
    recovery after the indemnity (FI-R1), not a reduction; without it (a preview) every
    payment recorded so far reduces."""
    deducted = ZERO
    later: list[PaymentFact] = []
    for payment in sorted(payments, key=lambda p: p.sequence):
        if payment.sequence <= after_sequence:
            continue
        if paid_on is not None and payment.received_on > paid_on:
            later.append(payment)
        else:
            deducted += checked_cents(payment.amount, "payment")
    return PaymentsAtPayment(deducted, tuple(later))


def recovery_split(recovered: Decimal, coverage_percent: Decimal) -> tuple[Decimal, Decimal]:
    """FI-R1: a recovery after the indemnity, as (insurer's share, insured's share): the
    insurer takes coverage% rounded half-up, the insured the rest, so both add up exactly."""
    amount = checked_cents(recovered, "recovered")
    insurer = percent_share(amount, checked_percent(coverage_percent))
    return insurer, amount - insurer
