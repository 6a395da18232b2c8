"""build_schema(): the Query and Mutation roots, scalars and protective extensions."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from resolvers import claims as claim_resolvers
from resolvers import cover_life, documents, quotes, test_clocks, webhooks
from resolvers import covers as cover_resolvers
from resolvers.context import Info
from schema import inputs
from schema.cover_types import (
    Claim,
    ClaimPayload,
    Cover,
    CoverConnection,
    CoverPayload,
    CoverStatus,
    DocumentPayload,
    FlaggedDeadline,
    IncidentPayload,
)
from schema.scalars import SCALAR_OVERRIDES
from schema.types import (
    Node,
    Product,
    ProductCode,
    Quote,
    QuotePayload,
    TestClock,
    TestClockPayload,
)
from schema.webhook_types import WebhookDeliveryConnection, WebhookEndpoint, WebhookEndpointPayload

MAX_DEPTH = 10
MAX_TOKENS = 2000
MAX_ALIASES = 15


@strawberry.type
class Query:
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        if str(id).startswith("quo_"):
            return await quotes.quote(info, id)
        if str(id).startswith("clk_"):
            return await test_clocks.test_clock(info, id)
        if str(id).startswith("clm_"):
            return await claim_resolvers.claim(info, id)
        if str(id).startswith("cov_"):
            return await cover_resolvers.cover(info, id)
        return None

    @strawberry.field
    def products(self, info: Info) -> list[Product]:
        return quotes.products(info)

    @strawberry.field
    async def quote(self, info: Info, id: strawberry.ID) -> Quote | None:
        return await quotes.quote(info, id)

    @strawberry.field
    async def cover(self, info: Info, id: strawberry.ID) -> Cover | None:
        return await cover_resolvers.cover(info, id)

    @strawberry.field
    async def covers(
        self,
        info: Info,
        first: int | None = 50,
        after: str | None = None,
        status: CoverStatus | None = None,
        product: ProductCode | None = None,
    ) -> CoverConnection:
        return await cover_resolvers.covers(info, first, after, status, product)

    @strawberry.field
    async def claim(self, info: Info, id: strawberry.ID) -> Claim | None:
        return await claim_resolvers.claim(info, id)

    @strawberry.field(
        description="Staff: insurer-side deadlines missed (FI-C2 INDEMNITY_PAYMENT), oldest "
        "first; `outstanding` keeps only those whose indemnity is still unpaid."
    )
    async def flagged_deadlines(
        self, info: Info, outstanding: bool = True, first: int | None = 50
    ) -> list[FlaggedDeadline]:
        return await cover_resolvers.flagged_deadlines(info, outstanding, first)

    @strawberry.field
    async def test_clock(self, info: Info, id: strawberry.ID) -> TestClock | None:
        return await test_clocks.test_clock(info, id)

    @strawberry.field
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        return await webhooks.webhook_endpoints(info)

    @strawberry.field
    async def webhook_deliveries(
        self,
        info: Info,
        first: int | None = 50,
        after: str | None = None,
        endpoint_id: strawberry.ID | None = None,
    ) -> WebhookDeliveryConnection:
        return await webhooks.webhook_deliveries(info, first, after, endpoint_id)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def request_quote(self, info: Info, input: inputs.QuoteInput) -> QuotePayload:
        return await quotes.request_quote(info, input)

    @strawberry.mutation
    async def bind_cover(self, info: Info, input: inputs.BindCoverInput) -> CoverPayload:
        return await cover_resolvers.bind_cover(info, input)

    @strawberry.mutation
    async def confirm_financing(
        self, info: Info, input: inputs.ConfirmFinancingInput
    ) -> CoverPayload:
        return await cover_resolvers.confirm_financing(info, input)

    @strawberry.mutation
    async def record_shipment_event(
        self, info: Info, input: inputs.RecordShipmentEventInput
    ) -> CoverPayload:
        return await cover_life.record_shipment_event(info, input)

    @strawberry.mutation
    async def record_invoice(self, info: Info, input: inputs.RecordInvoiceInput) -> CoverPayload:
        return await cover_life.record_invoice(info, input)

    @strawberry.mutation
    async def record_payment(self, info: Info, input: inputs.RecordPaymentInput) -> CoverPayload:
        return await cover_life.record_payment(info, input)

    @strawberry.mutation
    async def declare_incident(
        self, info: Info, input: inputs.DeclareIncidentInput
    ) -> IncidentPayload:
        return await claim_resolvers.declare_incident(info, input)

    @strawberry.mutation(description="TR-X2: the client disputes the service as non-conforming.")
    async def record_service_dispute(
        self, info: Info, input: inputs.RecordServiceDisputeInput
    ) -> IncidentPayload:
        return await claim_resolvers.record_service_dispute(info, input)

    @strawberry.mutation(description="TR-X2 (staff): the final court decision on a dispute.")
    async def resolve_service_dispute(
        self, info: Info, input: inputs.ResolveServiceDisputeInput
    ) -> IncidentPayload:
        return await claim_resolvers.resolve_service_dispute(info, input)

    @strawberry.mutation
    async def open_claim(self, info: Info, input: inputs.OpenClaimInput) -> ClaimPayload:
        return await claim_resolvers.open_claim(info, input)

    @strawberry.mutation
    async def submit_document(
        self, info: Info, input: inputs.SubmitDocumentInput
    ) -> DocumentPayload:
        return await documents.submit_document(info, input)

    @strawberry.mutation
    async def decide_feasibility(
        self, info: Info, input: inputs.DecideFeasibilityInput
    ) -> CoverPayload:
        return await cover_resolvers.decide_feasibility(info, input)

    @strawberry.mutation
    async def decide_claim(self, info: Info, input: inputs.DecideClaimInput) -> ClaimPayload:
        return await claim_resolvers.decide_claim(info, input)

    @strawberry.mutation
    async def mark_indemnity_paid(
        self, info: Info, input: inputs.MarkIndemnityPaidInput
    ) -> ClaimPayload:
        return await claim_resolvers.mark_indemnity_paid(info, input)

    @strawberry.mutation
    async def create_test_clock(
        self, info: Info, input: inputs.CreateTestClockInput
    ) -> TestClockPayload:
        return await test_clocks.create_test_clock(info, input)

    @strawberry.mutation
    async def advance_test_clock(
        self, info: Info, input: inputs.AdvanceTestClockInput
    ) -> TestClockPayload:
        return await test_clocks.advance_test_clock(info, input)

    @strawberry.mutation
    async def register_webhook_endpoint(
        self, info: Info, input: inputs.RegisterWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        return await webhooks.register_webhook_endpoint(info, input)

    @strawberry.mutation
    async def rotate_webhook_secret(self, info: Info, id: strawberry.ID) -> WebhookEndpointPayload:
        return await webhooks.rotate_webhook_secret(info, id)

    @strawberry.mutation
    async def delete_webhook_endpoint(
        self, info: Info, id: strawberry.ID
    ) -> WebhookEndpointPayload:
        return await webhooks.delete_webhook_endpoint(info, id)


def _mask(error: GraphQLError) -> bool:
    """Mask server faults only: validation and coercion errors stay readable."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    extensions: list = [
        ParserCache(maxsize=512),
        ValidationCache(maxsize=512),
        QueryDepthLimiter(max_depth=MAX_DEPTH),
        MaxTokensLimiter(max_token_count=MAX_TOKENS),
        MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        MaskErrors(should_mask_error=_mask, error_message="Unexpected error."),
    ]
    if not introspection:
        from graphql.validation import NoSchemaIntrospectionCustomRule

        extensions.append(AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[TestClock],
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,  # type: ignore[arg-type]
        config=StrawberryConfig(auto_camel_case=True),
    )
