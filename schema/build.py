"""build_schema(): the Query and Mutation roots, scalars and protective extensions."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry
from strawberry.schema.config import StrawberryConfig

from resolvers import claims as claim_resolvers
from resolvers import cover_life, documents, quotes, sandbox_clocks, webhooks
from resolvers import covers as cover_resolvers
from resolvers import policies as policy_resolvers
from resolvers import rule_facts as rule_fact_resolvers
from resolvers import top_up as top_up_resolvers
from resolvers.context import Info
from schema import inputs
from schema import policy_types as wt
from schema import rule_fact_types as rf
from schema import topup_types as tu
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
from schema.error_log import Schema, is_fault
from schema.input_bounds import install_input_bounds
from schema.input_plans import install_input_plans
from schema.operation_guard import OperationGuard
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


_Resolver = TypeVar("_Resolver", bound=Callable[..., Any])


def described_field(**options: Any) -> Callable[[_Resolver], _Resolver]:
    """`strawberry.field(description=...)`, typed: strawberry's overloads leave the
    decorated resolver untyped for mypy --strict. The same decorator runs."""
    return cast(Callable[[_Resolver], _Resolver], strawberry.field(**options))


def described_mutation(**options: Any) -> Callable[[_Resolver], _Resolver]:
    """`strawberry.mutation(description=...)`, typed the same way."""
    return cast(Callable[[_Resolver], _Resolver], strawberry.mutation(**options))


@strawberry.type
class Query:
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        if str(id).startswith("quo_"):
            return await quotes.quote(info, id)
        if str(id).startswith("clk_"):
            return await sandbox_clocks.test_clock(info, id)
        if str(id).startswith("clm_"):
            return await claim_resolvers.claim(info, id)
        if str(id).startswith("cov_"):
            return await cover_resolvers.cover(info, id)
        if str(id).startswith("pol_"):
            return await policy_resolvers.policy(info, id)
        if str(id).startswith("pcl_"):
            return await policy_resolvers.policy_claim(info, id)
        if str(id).startswith("tup_"):
            return await top_up_resolvers.top_up_policy(info, id)
        if str(id).startswith("tuc_"):
            return await top_up_resolvers.top_up_claim(info, id)
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

    @described_field(
        description="Staff: insurer-side deadlines missed (FI-C2 INDEMNITY_PAYMENT), oldest "
        "first; `outstanding` keeps only those whose indemnity is still unpaid."
    )
    async def flagged_deadlines(
        self, info: Info, outstanding: bool = True, first: int | None = 50
    ) -> list[FlaggedDeadline]:
        return await cover_resolvers.flagged_deadlines(info, outstanding, first)

    # Whole-turnover policies (WT rules)

    @strawberry.field
    async def policy(self, info: Info, id: strawberry.ID) -> wt.Policy | None:
        return await policy_resolvers.policy(info, id)

    @described_field(description="Newest first; staff see every partner's.")
    async def policies(self, info: Info, first: int | None = 50) -> list[wt.Policy]:
        return await policy_resolvers.policy_list(info, first)

    @described_field(description="Every version of every buyer limit of the policy.")
    async def credit_limits(self, info: Info, policy_id: strawberry.ID) -> list[wt.CreditLimit]:
        return await policy_resolvers.credit_limit_list(info, policy_id)

    @described_field(description="WT-L5 to WT-L7 for one buyer; `on` defaults to today.")
    async def buyer_exposure(
        self,
        info: Info,
        policy_id: strawberry.ID,
        buyer: wt.BuyerRefInput,
        on: datetime.date | None = None,
    ) -> wt.BuyerExposure | None:
        return await policy_resolvers.buyer_exposure(info, policy_id, buyer, on)

    @strawberry.field
    async def policy_claim(self, info: Info, id: strawberry.ID) -> wt.PolicyClaim | None:
        return await policy_resolvers.policy_claim(info, id)

    @described_field(description="Facts recorded on a WT or TU policy, oldest first.")
    async def rule_facts(self, info: Info, policy_id: strawberry.ID) -> list[rf.RuleFact]:
        return await rule_fact_resolvers.rule_fact_list(info, policy_id)

    # Top-up policies (TU rules)

    @strawberry.field
    async def top_up_policy(self, info: Info, id: strawberry.ID) -> tu.TopUpPolicy | None:
        return await top_up_resolvers.top_up_policy(info, id)

    @strawberry.field
    async def top_up_limits(self, info: Info, policy_id: strawberry.ID) -> list[tu.TopUpLimit]:
        return await top_up_resolvers.top_up_limits(info, policy_id)

    @strawberry.field
    async def top_up_claim(self, info: Info, id: strawberry.ID) -> tu.TopUpClaim | None:
        return await top_up_resolvers.top_up_claim(info, id)

    @strawberry.field
    async def test_clock(self, info: Info, id: strawberry.ID) -> TestClock | None:
        return await sandbox_clocks.test_clock(info, id)

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

    @described_mutation(description="TR-X2: the client disputes the service as non-conforming.")
    async def record_service_dispute(
        self, info: Info, input: inputs.RecordServiceDisputeInput
    ) -> IncidentPayload:
        return await claim_resolvers.record_service_dispute(info, input)

    @described_mutation(description="TR-X2 (staff): the final court decision on a dispute.")
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

    # Whole-turnover policies (WT rules)

    @strawberry.mutation
    async def create_policy(self, info: Info, input: wt.CreatePolicyInput) -> wt.PolicyPayload:
        return await policy_resolvers.create_policy(info, input)

    @described_mutation(
        description="Staff: a policy's underwriting terms, before it takes effect (WT-P1)."
    )
    async def set_policy_terms(self, info: Info, input: wt.SetPolicyTermsInput) -> wt.PolicyPayload:
        return await policy_resolvers.set_policy_terms(info, input)

    @described_mutation(
        description="Staff: premium received (WT-P1: cover starts when the "
        "minimum premium is paid)."
    )
    async def record_premium_payment(
        self, info: Info, input: wt.RecordPremiumPaymentInput
    ) -> wt.PremiumInvoicePayload:
        return await policy_resolvers.record_premium_payment(info, input)

    @described_mutation(description="Staff: the month's premium adjustment invoice (WT-P1).")
    async def issue_premium_invoice(
        self, info: Info, input: wt.IssuePremiumInvoiceInput
    ) -> wt.PremiumInvoicePayload:
        return await policy_resolvers.issue_premium_invoice(info, input)

    @strawberry.mutation
    async def request_credit_limit(
        self, info: Info, input: wt.RequestCreditLimitInput
    ) -> wt.CreditLimitPayload:
        return await policy_resolvers.request_credit_limit(info, input)

    @described_mutation(description="Staff: grant, refuse, reduce or cancel (WT-L2 to WT-L4).")
    async def decide_credit_limit(
        self, info: Info, input: wt.DecideCreditLimitInput
    ) -> wt.CreditLimitPayload:
        return await policy_resolvers.decide_credit_limit(info, input)

    @described_mutation(description="WT-N1: a month's sales, by the 30th of the next month.")
    async def declare_sales(self, info: Info, input: wt.DeclareSalesInput) -> wt.DeclarationPayload:
        return await policy_resolvers.declare_sales(info, input)

    @described_mutation(description="WT-N2: collections, assigned or oldest due date first.")
    async def declare_collections(
        self, info: Info, input: wt.DeclareCollectionsInput
    ) -> wt.DeclarationPayload:
        return await policy_resolvers.declare_collections(info, input)

    @described_mutation(
        description="The rate of a day (WT-N3, WT-C7): staff set the rates live policies use; "
        "a sandbox key may set its own, used by its sandbox policies only."
    )
    async def set_exchange_rate(
        self, info: Info, input: wt.SetExchangeRateInput
    ) -> wt.ExchangeRatePayload:
        return await policy_resolvers.set_exchange_rate(info, input)

    @described_mutation(description="WT-X1: optional, or waiting for the insurer.")
    async def declare_extension(
        self, info: Info, input: wt.DeclareExtensionInput
    ) -> wt.ExtensionPayload:
        return await policy_resolvers.declare_extension(info, input)

    @described_mutation(description="Staff: authorise an extension beyond WT-X1.")
    async def authorize_extension(
        self, info: Info, input: wt.AuthorizeExtensionInput
    ) -> wt.ExtensionPayload:
        return await policy_resolvers.authorize_extension(info, input)

    @described_mutation(description="WT-C1: a buyer's non-payment or insolvency.")
    async def notify_non_payment(
        self, info: Info, input: wt.NotifyNonPaymentInput
    ) -> wt.PolicyClaimPayload:
        return await policy_resolvers.notify_non_payment(info, input)

    @described_mutation(description="WT-C2: a claim document (GraphQL multipart upload).")
    async def submit_policy_document(
        self, info: Info, input: wt.SubmitPolicyDocumentInput
    ) -> wt.PolicyClaimPayload:
        return await policy_resolvers.submit_policy_document(info, input)

    @described_mutation(description="Staff: approve, reject (with the rule) or suspend (WT-C4).")
    async def decide_policy_claim(
        self, info: Info, input: wt.DecidePolicyClaimInput
    ) -> wt.PolicyClaimPayload:
        return await policy_resolvers.decide_policy_claim(info, input)

    @described_mutation(description="Staff: the final judgment on a disputed credit (WT-C4).")
    async def resolve_credit_dispute(
        self, info: Info, input: wt.ResolveCreditDisputeInput
    ) -> wt.PolicyClaimPayload:
        return await policy_resolvers.resolve_credit_dispute(info, input)

    @described_mutation(description="Staff: paid at the end of the waiting period (WT-C3).")
    async def mark_policy_indemnity_paid(
        self, info: Info, input: wt.MarkPolicyIndemnityPaidInput
    ) -> wt.PolicyClaimPayload:
        return await policy_resolvers.mark_policy_indemnity_paid(info, input)

    @described_mutation(description="Staff: authorised collection costs (WT-C6).")
    async def record_collection_costs(
        self, info: Info, input: wt.RecordCollectionCostsInput
    ) -> wt.PolicyClaimPayload:
        return await policy_resolvers.record_collection_costs(info, input)

    @described_mutation(
        description="Staff: sales found undeclared; they reduce indemnities (WT-N4)."
    )
    async def record_omitted_sales(
        self, info: Info, input: wt.RecordOmittedSalesInput
    ) -> wt.PolicyPayload:
        return await policy_resolvers.record_omitted_sales(info, input)

    @described_mutation(
        description="Staff: a sale outside the cover made with express authorisation (WT-C8)."
    )
    async def authorise_sale_outside_cover(
        self, info: Info, input: wt.AuthoriseSaleOutsideCoverInput
    ) -> wt.DeclaredCreditPayload:
        return await policy_resolvers.authorise_sale_outside_cover(info, input)

    @described_mutation(description="Staff: a recovery after the indemnity (WT-R1, WT-R2).")
    async def record_recovery(
        self, info: Info, input: wt.RecordRecoveryInput
    ) -> wt.RecoveryPayload:
        return await policy_resolvers.record_recovery(info, input)

    @described_mutation(
        description="Record a fact under a rule the system cannot judge (WT-L9, WT-C11, TU-N2, "
        "TU-P5, ...), applying the consequence the rule gives."
    )
    async def record_rule_fact(
        self, info: Info, input: rf.RecordRuleFactInput
    ) -> rf.RuleFactPayload:
        return await rule_fact_resolvers.record_rule_fact(info, input)

    @described_mutation(
        description="Staff: political risks contracted (C-1), claim-file fee (WT-P5)."
    )
    async def set_policy_contract_options(
        self, info: Info, input: rf.SetPolicyContractOptionsInput
    ) -> rf.PolicyContractOptionsPayload:
        return await rule_fact_resolvers.set_policy_contract_options(info, input)

    # Top-up policies (TU rules)

    @strawberry.mutation
    async def create_top_up_policy(
        self, info: Info, input: tu.CreateTopUpPolicyInput
    ) -> tu.TopUpPolicyPayload:
        return await top_up_resolvers.create_top_up_policy(info, input)

    @described_mutation(description="Staff: a premium payment or instalment received (TU-P1).")
    async def record_top_up_premium(
        self, info: Info, input: tu.RecordTopUpPremiumInput
    ) -> tu.TopUpPolicyPayload:
        return await top_up_resolvers.record_top_up_premium(info, input)

    @described_mutation(description="The first layer decided on a buyer (TU-L1 to TU-L3).")
    async def record_first_layer_decision(
        self, info: Info, input: tu.RecordFirstLayerDecisionInput
    ) -> tu.TopUpLimitPayload:
        return await top_up_resolvers.record_first_layer_decision(info, input)

    @described_mutation(description="Deliveries, each insured or not (TU-E1, TU-E3).")
    async def declare_deliveries(
        self, info: Info, input: tu.DeclareDeliveriesInput
    ) -> tu.DeliveriesPayload:
        return await top_up_resolvers.declare_deliveries(info, input)

    @described_mutation(description="A buyer's insolvency, within 30 days (TU-N1).")
    async def notify_insolvency(
        self, info: Info, input: tu.NotifyInsolvencyInput
    ) -> tu.TopUpClaimPayload:
        return await top_up_resolvers.notify_insolvency(info, input)

    @described_mutation(description="The first layer paid: the insured event (TU-E2).")
    async def record_first_layer_indemnity(
        self, info: Info, input: tu.RecordFirstLayerIndemnityInput
    ) -> tu.TopUpClaimPayload:
        return await top_up_resolvers.record_first_layer_indemnity(info, input)

    @described_mutation(description="Staff: pay or reject a top-up claim (TU-C1, TU-P1).")
    async def decide_top_up_claim(
        self, info: Info, input: tu.DecideTopUpClaimInput
    ) -> tu.TopUpClaimPayload:
        return await top_up_resolvers.decide_top_up_claim(info, input)

    @described_mutation(description="A recovery on a top-up loss (TU-R1, TU-C2).")
    async def record_top_up_recovery(
        self, info: Info, input: tu.RecordTopUpRecoveryInput
    ) -> tu.TopUpClaimPayload:
        return await top_up_resolvers.record_top_up_recovery(info, input)

    @described_mutation(description="Staff: the insurer's terms of a top-up policy.")
    async def set_top_up_policy_terms(
        self, info: Info, input: tu.SetTopUpPolicyTermsInput
    ) -> tu.TopUpPolicyPayload:
        return await top_up_resolvers.set_top_up_policy_terms(info, input)

    @described_mutation(description="The insured's first-layer contract ended or changed (TU-P4).")
    async def record_first_layer_contract(
        self, info: Info, input: tu.RecordFirstLayerContractInput
    ) -> tu.TopUpPolicyPayload:
        return await top_up_resolvers.record_first_layer_contract(info, input)

    @described_mutation(description="Staff: rescind on a new first-layer contract (TU-P4).")
    async def rescind_top_up_policy(
        self, info: Info, input: tu.RescindTopUpPolicyInput
    ) -> tu.TopUpPolicyPayload:
        return await top_up_resolvers.rescind_top_up_policy(info, input)

    @strawberry.mutation
    async def create_test_clock(
        self, info: Info, input: inputs.CreateTestClockInput
    ) -> TestClockPayload:
        return await sandbox_clocks.create_test_clock(info, input)

    @strawberry.mutation
    async def advance_test_clock(
        self, info: Info, input: inputs.AdvanceTestClockInput
    ) -> TestClockPayload:
        return await sandbox_clocks.advance_test_clock(info, input)

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


def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    extensions: list[Any] = [
        OperationGuard(
            max_depth=MAX_DEPTH,
            max_tokens=MAX_TOKENS,
            max_aliases=MAX_ALIASES,
            introspection=introspection,
            should_mask_error=is_fault,  # validation and coercion errors stay readable
        )
    ]
    install_input_bounds(Mutation)  # the one money parser and string limits, every input
    schema = Schema(
        query=Query,
        mutation=Mutation,
        types=[TestClock],
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,  # type: ignore[arg-type]
        config=StrawberryConfig(auto_camel_case=True),
    )
    install_input_plans(schema)
    return schema
