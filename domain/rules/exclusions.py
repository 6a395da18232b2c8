"""C-3: what is never indemnified, per product (003 art. 1.3 j; 004 art. 9.3, 12; 002).

Late-payment interest, contractual penalties and fines are never part of a loss in any
product: no calculation takes them (the loss is always unpaid principal). VAT is not
indemnified: TR pays on the invoice excluding VAT (TR-S2), TU on the covered loss
excluding VAT, and FI and WT exclude it by product decision. For FI the declared unpaid
amount and the financed (insured) amount may include VAT (FI-E4), so the loss is taken
net of its VAT share here.
"""

from __future__ import annotations

from decimal import Decimal

from domain.rules.money import round_cents

ZERO = Decimal("0.00")

#: C-3: items no product ever indemnifies (003 art. 1.3 j, 004 art. 9.3 and 12).
NEVER_INDEMNIFIED: tuple[str, ...] = (
    "late-payment interest",
    "contractual penalties",
    "fines",
    "VAT",
)
#: C-3 per product, on top of NEVER_INDEMNIFIED.
ALSO_NEVER: dict[str, tuple[str, ...]] = {
    "FINANCED_INVOICE": (),
    "TRANSPORT_INVOICE": (),
    "WHOLE_TURNOVER": (
        "protest costs",
        "bank charges on returned or negotiated bills",
        "bank losses",
        "enforcement of sureties",
        "collection costs the insurer did not authorise",
    ),
    "TOP_UP": ("damages", "costs of litigation or disputes with clients"),
}


def net_of_vat(amount: Decimal, invoice_net: Decimal, invoice_vat: Decimal) -> Decimal:
    """C-3: the part of `amount` (a share of the invoice including VAT) that is not VAT -
    amount x net / (net + VAT), half-up to the cent; the whole amount when the invoice
    has no VAT. A part-payment pays VAT and net in the same proportion."""
    if invoice_net < 0 or invoice_vat < 0 or amount < 0:
        raise ValueError("amounts are not negative")
    gross = invoice_net + invoice_vat
    if invoice_vat == 0 or gross == 0:
        return round_cents(amount)
    return round_cents(amount * invoice_net / gross)
