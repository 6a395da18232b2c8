"""The product catalogue: every product parameter in one place, as data.

Values marked *(config)* in PRODUCT_RULES.md live here; a partner may override the
FI premium rate (FI-P1). Nothing else in the code repeats these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

FINANCED_INVOICE = "FINANCED_INVOICE"
TRANSPORT_INVOICE = "TRANSPORT_INVOICE"

#: NACE rev.2 divisions that C-4 excludes by default: financial services (64-66),
#: public administration (84), households (97-98), extraterritorial bodies (99).
DEFAULT_EXCLUDED_NACE_DIVISIONS: frozenset[int] = frozenset({64, 65, 66, 84, 97, 98, 99})


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name: str
    currencies: tuple[str, ...]
    coverage_percent: Decimal
    premium_rate: Decimal
    quote_validity: timedelta
    excluded_nace_divisions: frozenset[int] = DEFAULT_EXCLUDED_NACE_DIVISIONS
    max_invoice_amount: Decimal | None = None
    min_days_request_to_due: int | None = None
    max_payment_term_days: int | None = None
    max_days_purchase_to_unloading: int | None = None
    #: U-1: insured amounts of one buyer across all partners stay within this capacity.
    buyer_capacity: Decimal = Decimal("150000.00")
    #: U-4: above this insured amount, insurer staff decide (referral).
    auto_approval_threshold: Decimal = Decimal("20000.00")
    #: LIFECYCLE 2: feasibility (and FI financing) must be confirmed within this window.
    confirmation_window: timedelta = timedelta(hours=48)
    #: U-2: a buyer with an incident declared within this many months is declined.
    incident_lookback_months: int = 12
    #: Rule ids this product checks at quote time, in the order they are reported.
    quote_rules: tuple[str, ...] = field(default_factory=tuple)


FI = ProductSpec(
    code=FINANCED_INVOICE,
    name="Financed single-invoice cover",
    currencies=("EUR",),
    coverage_percent=Decimal("90"),  # FI-C1
    premium_rate=Decimal("0.0080"),  # FI-P1 (config, per partner)
    quote_validity=timedelta(hours=24),
    max_invoice_amount=Decimal("30000.00"),  # FI-E1 (config)
    min_days_request_to_due=30,  # FI-E2
    max_payment_term_days=180,  # FI-E3
    quote_rules=("FI-E1", "FI-E2", "FI-E3", "FI-E4", "C-1", "C-2", "C-4"),
)

TR = ProductSpec(
    code=TRANSPORT_INVOICE,
    name="Transport invoice guarantee",
    currencies=("EUR",),
    coverage_percent=Decimal("90"),  # TR-S2
    premium_rate=Decimal("0.0170"),  # TR-P1 (config)
    quote_validity=timedelta(hours=24),
    max_days_purchase_to_unloading=10,  # TR-T1
    quote_rules=("TR-T0", "TR-T1", "C-1", "C-2", "C-4"),
)

PRODUCTS: dict[str, ProductSpec] = {FI.code: FI, TR.code: TR}

#: The text of every rule a quote can report (the violations' catalogue).
RULE_TEXTS: dict[str, str] = {
    "C-1": "The buyer must be a legal entity: sole traders, private individuals and public "
    "bodies are not insurable.",
    "C-2": "A buyer related to the insured is not insurable; what counts as related depends "
    "on the product.",
    "C-4": "The buyer's sector must be in the product's validated sector list.",
    "FI-E1": "The invoice face amount must not exceed the product maximum.",
    "FI-E2": "The due date must be at least 30 days after the cover request.",
    "FI-E3": "The payment term (due date - issue date) must not exceed 180 days.",
    "FI-E4": "The invoice must be financed by the platform: a financing reference and a "
    "financed amount above 0 and not above the invoice amount including VAT.",
    "TR-T0": "The guarantee must be bought before loading: the loading date cannot be "
    "before the purchase date.",
    "TR-T1": "Unloading must happen no later than day 10 after the purchase, so loading "
    "cannot be later than that either.",
}
