"""Quote eligibility for the single-invoice products (FI-E*, TR-T0/T1, C-1, C-2, C-4).

Each check returns the violations it finds; `quote_violations` runs all of them so an
ineligible request lists every rule it breaks (C-5), in the catalogue's order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from domain.rules import buyer_scope
from domain.rules.catalogue import TRANSPORT_INVOICE, ProductSpec
from domain.rules.input_checks import nace_division
from domain.rules.quote_request import Company, QuoteRequest
from domain.rules.violations import Violation

Check = Callable[[QuoteRequest, ProductSpec], list[Violation]]


def _party(company: Company) -> buyer_scope.Party:
    return buyer_scope.Party(
        country=company.country,
        registration_number=company.registration_number,
        legal_form=company.legal_form,
        group=company.group,
        relationship=company.relationship,
        merchant_registered=company.merchant_registered,
    )


def buyer_is_legal_entity(req: QuoteRequest, spec: ProductSpec) -> list[Violation]:
    """C-1 (FI-E5; TR by product decision): only legal entities are insurable."""
    if req.product == TRANSPORT_INVOICE:
        return buyer_scope.tr_buyer_scope(_party(req.buyer))
    return buyer_scope.fi_buyer_scope(_party(req.buyer))


def related(seller: Company, buyer: Company) -> bool:
    """C-2 (FI scope): the buyer is related to the seller."""
    return bool(buyer_scope.fi_related_buyer(_party(seller), _party(buyer)))


def buyer_not_related(req: QuoteRequest, spec: ProductSpec) -> list[Violation]:
    """C-2 (FI-E5: the WT scope; TR-X1: only a subsidiary of the carrier)."""
    if req.product == TRANSPORT_INVOICE:
        return buyer_scope.tr_related_buyer(_party(req.seller), _party(req.buyer))
    return buyer_scope.fi_related_buyer(_party(req.seller), _party(req.buyer))


def buyer_sector_validated(req: QuoteRequest, spec: ProductSpec) -> list[Violation]:
    """C-4 (FI-E5): the buyer's NACE division must not be excluded by the product."""
    division = nace_division(req.buyer.sector)
    if division is None or division not in spec.excluded_nace_divisions:
        return []
    return [
        Violation(
            "C-4",
            f"Buyer sector {req.buyer.sector} (NACE division {division:02d}) is not insurable "
            "under this product.",
            ("input", "buyer", "sector"),
        )
    ]


def fi_invoice_amount_within_maximum(req: QuoteRequest, spec: ProductSpec) -> list[Violation]:
    """FI-E1: invoice face amount <= max_invoice_amount."""
    if req.invoice is None or spec.max_invoice_amount is None:
        return []
    if req.invoice.amount.amount <= spec.max_invoice_amount:
        return []
    return [
        Violation(
            "FI-E1",
            f"Invoice amount {req.invoice.amount.amount} exceeds the maximum of "
            f"{spec.max_invoice_amount} {req.invoice.amount.currency}.",
            ("input", "invoice", "amount", "amount"),
        )
    ]


def fi_due_date_far_enough(req: QuoteRequest, spec: ProductSpec) -> list[Violation]:
    """FI-E2: due_date - request_date >= 30 days."""
    if req.invoice is None or spec.min_days_request_to_due is None:
        return []
    days = (req.invoice.due_date - req.request_date).days
    if days >= spec.min_days_request_to_due:
        return []
    return [
        Violation(
            "FI-E2",
            f"The due date is {days} days after the request; at least "
            f"{spec.min_days_request_to_due} are required.",
            ("input", "invoice", "dueDate"),
        )
    ]


def fi_payment_term_within_maximum(req: QuoteRequest, spec: ProductSpec) -> list[Violation]:
    """FI-E3: due_date - issue_date <= 180 days."""
    if req.invoice is None or spec.max_payment_term_days is None:
        return []
    term = (req.invoice.due_date - req.invoice.issue_date).days
    if term <= spec.max_payment_term_days:
        return []
    return [
        Violation(
            "FI-E3",
            f"The payment term is {term} days; the maximum is {spec.max_payment_term_days}.",
            ("input", "invoice", "dueDate"),
        )
    ]


def fi_invoice_financed(req: QuoteRequest, spec: ProductSpec) -> list[Violation]:
    """FI-E4: financing reference and 0 < financed amount <= invoice amount incl. VAT."""
    financing = req.financing
    if financing is None:
        return [
            Violation(
                "FI-E4",
                "The invoice must be financed by the platform: financing is required.",
                ("input", "financing"),
            )
        ]
    found: list[Violation] = []
    if not financing.reference.strip():
        found.append(
            Violation(
                "FI-E4", "A financing reference is required.", ("input", "financing", "reference")
            )
        )
    financed = financing.financed_amount.amount
    if req.invoice is not None:
        gross = req.invoice.amount.amount + req.invoice.vat_amount.amount
        if not (0 < financed <= gross):
            found.append(
                Violation(
                    "FI-E4",
                    f"The financed amount {financed} must be above 0 and not above the invoice "
                    f"amount including VAT ({gross}).",
                    ("input", "financing", "financedAmount", "amount"),
                )
            )
    return found


def tr_bought_before_loading(req: QuoteRequest, spec: ProductSpec) -> list[Violation]:
    """TR-T0: day 0 is the purchase date; loading the same day is allowed, before is not."""
    if req.shipment is None or req.shipment.loading_date >= req.request_date:
        return []
    return [
        Violation(
            "TR-T0",
            "The guarantee must be bought before loading: the loading date "
            f"{req.shipment.loading_date} is before the purchase date {req.request_date}.",
            ("input", "shipment", "loadingDate"),
        )
    ]


def tr_unloading_still_possible(req: QuoteRequest, spec: ProductSpec) -> list[Violation]:
    """TR-T1: unloading by day 10, which a loading after day 10 already makes impossible."""
    limit = spec.max_days_purchase_to_unloading
    if req.shipment is None or limit is None:
        return []
    last_day = req.request_date + timedelta(days=limit)
    if req.shipment.loading_date <= last_day:
        return []
    return [
        Violation(
            "TR-T1",
            f"Loading on {req.shipment.loading_date} is after day {limit} ({last_day}), "
            "so unloading cannot happen by day 10.",
            ("input", "shipment", "loadingDate"),
        )
    ]


#: Which function checks which rule id; products pick theirs in the catalogue.
CHECKS: dict[str, Check] = {
    "C-1": buyer_is_legal_entity,
    "C-2": buyer_not_related,
    "C-4": buyer_sector_validated,
    "FI-E1": fi_invoice_amount_within_maximum,
    "FI-E2": fi_due_date_far_enough,
    "FI-E3": fi_payment_term_within_maximum,
    "FI-E4": fi_invoice_financed,
    "TR-T0": tr_bought_before_loading,
    "TR-T1": tr_unloading_still_possible,
}


def quote_violations(req: QuoteRequest, spec: ProductSpec) -> list[Violation]:
    """Every rule of the product that the request breaks (C-5), none skipped."""
    found: list[Violation] = []
    for rule_id in spec.quote_rules:
        found.extend(CHECKS[rule_id](req, spec))
    return found
