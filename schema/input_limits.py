"""How long each string input may be: the storage column it ends in, read from the models.

One table, keyed by (GraphQL input type, field). A limit names the model column the value
is stored in, so it is that column's `max_length` (less a fixed part when the value is
stored inside a longer one, e.g. a buyer key "ES:" + registration number); a value that
lives only inside a JSON document gets a fixed limit, with the reason. Every ID is at
most an id column long. A field missing from the table gets `DEFAULT_LIMIT`, so a new
string field is bounded before anyone adds it here (tests/api/test_input_bounds.py
walks every string field of the schema).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.models import Model

from domain.store.claim_models import Incident
from domain.store.cover_models import Cover, SandboxCardAuthorization
from domain.store.models import Partner
from domain.store.policy_models import Collection, CreditLimit, ExchangeRate, Policy, Sale
from domain.store.topup_models import TopUpDelivery, TopUpPolicy
from domain.store.webhook_models import WebhookEndpoint, WebhookEvent

#: A free text kept only inside a JSON document (an event's data, a rejection): long
#: enough for a sentence or two, short enough to show on one screen.
JSON_TEXT = 500
#: A short code or name kept only inside a JSON document (sector, group, place names).
JSON_NAME = 200
#: A field the table does not name yet.
DEFAULT_LIMIT = 200
#: ISO 3166-1 alpha-2 (C-1, C-2): the buyer key keeps it before the registration number.
COUNTRY = 2


@dataclass(frozen=True)
class Column:
    """Stored in `model.field`, less `less` characters the column keeps for itself."""

    model: type[Model]
    field: str
    less: int = 0

    @property
    def limit(self) -> int:
        length = self.model._meta.fields_map[self.field].max_length  # type: ignore[attr-defined]
        return int(length) - self.less


@dataclass(frozen=True)
class Fixed:
    """Stored inside a JSON document (no column length): a fixed limit, with the reason."""

    limit: int
    why: str


Limit = Column | Fixed

_BUYER_KEY = Column(Cover, "buyer_key", less=COUNTRY + 1)  # "ES:" + registration number
_INVOICE_NUMBER = Column(Sale, "invoice_number")
_REASON = Fixed(JSON_TEXT, "kept in the event's data and the rejection")

#: Every ID input: the id columns are all this long (a test checks they agree).
ID_LIMIT = Column(Cover, "id")

STRING_LIMITS: dict[tuple[str, str], Limit] = {
    ("MoneyInput", "currency"): Column(Cover, "currency"),
    ("CompanyInput", "country"): Fixed(COUNTRY, "ISO 3166-1 alpha-2, in the buyer key"),
    ("CompanyInput", "registrationNumber"): _BUYER_KEY,
    ("CompanyInput", "name"): Column(Partner, "name"),
    ("CompanyInput", "sector"): Fixed(JSON_NAME, "kept in the quote's request"),
    ("CompanyInput", "group"): Fixed(JSON_NAME, "kept in the quote's request"),
    ("BuyerRefInput", "country"): Fixed(COUNTRY, "ISO 3166-1 alpha-2, in the buyer key"),
    ("BuyerRefInput", "registrationNumber"): _BUYER_KEY,
    ("InvoiceInput", "number"): Column(Cover, "invoice_number"),
    ("FinancingInput", "reference"): Fixed(JSON_NAME, "kept in the quote's request"),
    ("ShipmentInput", "origin"): Fixed(JSON_NAME, "kept in the quote's request"),
    ("ShipmentInput", "destination"): Fixed(JSON_NAME, "kept in the quote's request"),
    ("BindCoverInput", "signatureReference"): Column(Cover, "signature_reference"),
    ("BindCoverInput", "paymentMethodToken"): Column(SandboxCardAuthorization, "token"),
    ("ConfirmFinancingInput", "reason"): Column(Cover, "decline_reason"),
    ("DecideFeasibilityInput", "reason"): Column(Cover, "feasibility_reason"),
    ("RecordServiceDisputeInput", "reason"): Column(Incident, "dispute_reason"),
    ("DecideClaimInput", "reason"): _REASON,
    ("DecidePolicyClaimInput", "reason"): _REASON,
    ("DecideTopUpClaimInput", "reason"): _REASON,
    ("DecideCreditLimitInput", "reason"): _REASON,
    ("DecideCreditLimitInput", "ratingGroup"): Column(CreditLimit, "rating_group"),
    ("CreatePolicyInput", "currency"): Column(Policy, "currency"),
    ("CreateTopUpPolicyInput", "currency"): Column(TopUpPolicy, "currency"),
    ("CreateTopUpPolicyInput", "firstLayerInsurer"): Column(TopUpPolicy, "first_layer_insurer"),
    ("CreateTopUpPolicyInput", "firstLayerPolicy"): Column(TopUpPolicy, "first_layer_policy"),
    ("CreateTopUpPolicyInput", "coveredCountries"): Fixed(COUNTRY, "ISO 3166-1 alpha-2"),
    ("SaleInput", "invoiceNumber"): _INVOICE_NUMBER,
    ("CollectionInput", "invoiceNumber"): Column(Collection, "invoice_number"),
    ("DeclareExtensionInput", "invoiceNumber"): _INVOICE_NUMBER,
    ("NotifyNonPaymentInput", "disputedInvoiceNumbers"): _INVOICE_NUMBER,
    ("ResolveCreditDisputeInput", "invoiceNumber"): _INVOICE_NUMBER,
    ("DeliveryInput", "invoiceNumber"): Column(TopUpDelivery, "invoice_number"),
    ("SetExchangeRateInput", "fromCurrency"): Column(ExchangeRate, "from_currency"),
    ("SetExchangeRateInput", "toCurrency"): Column(ExchangeRate, "to_currency"),
    ("RegisterWebhookEndpointInput", "url"): Column(WebhookEndpoint, "url"),
    ("RegisterWebhookEndpointInput", "events"): Column(WebhookEvent, "type"),
}


def string_limit(type_name: str, field_name: str) -> int:
    """The longest value `type_name.field_name` accepts (DEFAULT_LIMIT if unlisted)."""
    limit = STRING_LIMITS.get((type_name, field_name))
    return DEFAULT_LIMIT if limit is None else limit.limit


@dataclass(frozen=True)
class DecimalColumn:
    """A non-money decimal stored in `model.field`: its places and integer digits."""

    model: type[Model]
    field: str

    @property
    def places(self) -> int:
        column: Any = self.model._meta.fields_map[self.field]
        return int(column.decimal_places)

    @property
    def digits(self) -> int:
        """Integer digits: max_digits less decimal_places."""
        column: Any = self.model._meta.fields_map[self.field]
        return int(column.max_digits) - int(column.decimal_places)


@dataclass(frozen=True)
class DecimalFixed:
    """A non-money decimal kept inside a JSON document: fixed places and digits."""

    places: int
    digits: int
    why: str


DecimalLimit = DecimalColumn | DecimalFixed

#: Percentages, multiples and rates (money is MoneyInput, parsed by parse_amount).
DECIMAL_LIMITS: dict[tuple[str, str], DecimalLimit] = {
    ("CreatePolicyInput", "coveragePercent"): DecimalColumn(Policy, "coverage_percent"),
    ("CreatePolicyInput", "maxIndemnityMultiple"): DecimalColumn(Policy, "max_indemnity_multiple"),
    ("DecideCreditLimitInput", "coveragePercent"): DecimalColumn(CreditLimit, "coverage_percent"),
    ("CreateTopUpPolicyInput", "coveragePercent"): DecimalColumn(TopUpPolicy, "coverage_percent"),
    ("CreateTopUpPolicyInput", "firstLayerCoveragePercent"): DecimalColumn(
        TopUpPolicy, "first_layer_coverage_percent"
    ),
    ("SetExchangeRateInput", "rate"): DecimalColumn(ExchangeRate, "rate"),
    ("PremiumRateInput", "ratePercent"): DecimalFixed(4, 3, "kept in the policy's rate table"),
}
#: A non-money decimal the table does not name yet: a percentage's bounds.
DEFAULT_DECIMAL = DecimalFixed(2, 3, "a percentage")


def decimal_limit(type_name: str, field_name: str) -> DecimalLimit:
    return DECIMAL_LIMITS.get((type_name, field_name), DEFAULT_DECIMAL)
