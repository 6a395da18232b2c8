"""Whole-turnover policy operations (WT rules): map GraphQL inputs to the policy services
and service rows to the schema's types."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry

from domain.rules.wt.terms import PremiumRate as RulePremiumRate
from domain.services import (
    buyer_credits,
    credit_limits,
    exchange_rates,
    policies,
    policy_claims,
    policy_declarations,
    policy_extensions,
    policy_omissions,
    policy_terms,
)
from domain.services.errors import DomainError
from domain.store import policy_models as rows
from resolvers.context import Info
from resolvers.covers import _company
from resolvers.documents import _read_upload
from resolvers.errors import run_mutation
from resolvers.mappers import company_in, money_or_zero
from resolvers.pagination import page_size
from schema import policy_types as t
from schema.cover_types import DocumentKind, Indemnity, IndemnityLine
from schema.types import RuleViolation


def _buyer_key(ref: t.BuyerRefInput) -> str:
    return buyer_credits.buyer_key_of(ref.country, ref.registration_number)


def _company_dict(value: Any) -> dict[str, Any]:
    company = company_in(value)
    return {
        "country": company.country,
        "registration_number": company.registration_number,
        "name": company.name,
        "legal_form": company.legal_form,
        "sector": company.sector,
        # C-1, C-2: what the buyer scopes read (kept only when given)
        **{
            k: v
            for k, v in (
                ("group", company.group),
                ("relationship", company.relationship),
                ("merchant_registered", company.merchant_registered),
            )
            if v is not None
        },
    }


# Mappers


def invoice_out(row: rows.PremiumInvoice, currency: str) -> t.PremiumInvoice:
    return t.PremiumInvoice(
        id=strawberry.ID(row.id),
        kind=t.PremiumInvoiceKind(row.kind),
        month=row.month,
        amount=money_or_zero(row.amount, currency),
        issued_on=row.issued_on,
        paid_amount=money_or_zero(row.paid_amount, currency),
        paid_on=row.paid_on,
        due_on=row.due_on,
    )


def _deadline_out(row: rows.PolicyDeadline) -> t.PolicyDeadline:
    return t.PolicyDeadline(
        kind=row.kind,
        rule=row.rule,
        subject=row.subject,
        due_on=row.due_on,
        met={"MET": True, "MISSED": False}.get(row.state),
        met_on=row.met_on,
    )


async def policy_out(row: rows.Policy) -> t.Policy:
    currency = row.currency
    invoices = await rows.PremiumInvoice.filter(policy_id=row.id).order_by("issued_on", "id")
    deadlines = (
        await rows.PolicyDeadline.filter(policy_id=row.id)
        .exclude(state="VOID")
        .order_by("due_on", "kind", "subject")
    )
    events = (
        # LIFECYCLE 5a: the last 100 by the policy's sequence, shown oldest first.
        await rows.PolicyEvent.filter(policy_id=row.id).order_by("-sequence").limit(100)
    )
    return t.Policy(
        id=strawberry.ID(row.id),
        status=t.PolicyStatus(row.status),
        insured=_company(row.insured),
        currency=currency,
        period_start=row.period_start,
        period_end=row.period_end,
        minimum_premium=money_or_zero(row.minimum_premium, currency),
        premium_rates=[
            t.PremiumRate(
                max_term_days=int(r["max_term_days"]), rate_percent=Decimal(r["rate_percent"])
            )
            for r in row.premium_rates
        ],
        coverage_percent=row.coverage_percent,
        max_indemnity_multiple=row.max_indemnity_multiple,
        minimum_unpaid_threshold=money_or_zero(row.minimum_unpaid_threshold, currency),
        waiting_period_days=row.waiting_period_days,
        max_extension_amount=money_or_zero(row.max_extension_amount, currency),
        activated_on=row.activated_on,
        political_risks_contracted=row.political_risks_contracted,  # C-1
        claim_file_fee=money_or_zero(row.claim_file_fee, currency),  # WT-P5
        terminated_on=row.terminated_on,
        premium_invoices=[invoice_out(i, currency) for i in invoices],
        accrued_premium=money_or_zero(await policies.accrued_premium(row.id), currency),
        deadlines=[_deadline_out(d) for d in deadlines],
        events=[
            t.PolicyEvent(
                type=e.type,
                occurred_at=e.occurred_at,
                actor=e.actor,
                data=e.data,
                sequence=e.sequence,
            )
            for e in reversed(events)
        ],
    )


def limit_out(row: rows.CreditLimit, currency: str) -> t.CreditLimit:
    return t.CreditLimit(
        id=strawberry.ID(row.id),
        buyer=_company(row.buyer),
        requested_amount=money_or_zero(row.requested_amount, currency),
        payment_term_days=row.payment_term_days,
        requested_on=row.requested_on,
        status=t.CreditLimitStatus(row.status),
        amount=money_or_zero(row.amount, currency) if row.amount is not None else None,
        coverage_percent=row.coverage_percent,
        rating_group=row.rating_group,
        effective_from=row.effective_from,
        ends_on=row.ends_on,
        refusal=RuleViolation(rule=row.refusal["rule"], message=row.refusal["message"])
        if row.refusal
        else None,
        firm_orders_until=row.firm_orders_until,
        firm_orders_cap=money_or_zero(row.firm_orders_cap, currency)
        if row.firm_orders_cap is not None
        else None,
        firm_order_bars=[t.FirmOrderBar(b) for b in row.firm_order_bars or []],
    )


def credit_out(row: rows.Sale, currency: str) -> t.DeclaredCredit:
    return t.DeclaredCredit(
        id=strawberry.ID(row.id),
        buyer=row.buyer_key,
        invoice_number=row.invoice_number,
        issue_date=row.issue_date,
        due_date=row.due_date,
        extended_due_date=row.extended_due_date,
        amount=money_or_zero(row.amount, row.currency),
        policy_amount=money_or_zero(row.policy_amount, currency),
        premium=money_or_zero(row.premium, currency),
        collected=money_or_zero(row.collected, currency),
        covered=row.excluded_by is None,
        exclusion=RuleViolation(rule=row.excluded_by, message=row.exclusion_reason or "")
        if row.excluded_by
        else None,
        firm_order=row.firm_order,
        disputed=row.disputed,
    )


def extension_out(row: rows.Extension, invoice_number: str, currency: str) -> t.Extension:
    return t.Extension(
        id=strawberry.ID(row.id),
        invoice_number=invoice_number,
        new_due_date=row.new_due_date,
        granted_on=row.granted_on,
        status=row.status,
        premium=money_or_zero(row.premium, currency),
        violations=[RuleViolation(rule=v["rule"], message=v["message"]) for v in row.violations],
    )


async def claim_out(row: rows.PolicyClaim) -> t.PolicyClaim:
    policy = await rows.Policy.get(id=row.policy_id)
    currency = policy.currency
    sales = await rows.Sale.filter(id__in=list(row.sale_ids)).order_by("due_date", "id")
    indemnity = None
    if row.indemnity_amount is not None and row.calculated_at is not None:
        indemnity = Indemnity(
            amount=money_or_zero(row.indemnity_amount, currency),
            lines=[
                IndemnityLine(
                    label=line["label"],
                    amount=money_or_zero(Decimal(line["amount"]), currency),
                    rule=line.get("rule"),
                )
                for line in row.indemnity_lines or []
            ],
            calculated_at=row.calculated_at,
        )
    missing = (
        await policy_claims.missing_documents(row) if row.status == "DOCUMENTS_PENDING" else []
    )
    return t.PolicyClaim(
        id=strawberry.ID(row.id),
        policy_id=strawberry.ID(policy.id),
        buyer=row.buyer_key,
        cause=t.NonPaymentCause(row.cause),
        status=t.PolicyClaimStatus(row.status),
        notified_on=row.notified_on,
        documents_due_on=row.documents_due_on,
        settlement_on=row.settlement_on,
        missing_documents=[DocumentKind(k) for k in missing],
        credits=[credit_out(s, currency) for s in sales],
        indemnity=indemnity,
        paid_on=row.paid_on,
        recovered=money_or_zero(row.recovered, currency),
        file_fee=money_or_zero(row.file_fee, currency),  # WT-P5
        rejection=RuleViolation(rule=row.rejection["rule"], message=row.rejection["message"])
        if row.rejection
        else None,
        documents_complete_on=row.documents_complete_on,
        payable_by=row.payable_by,
    )


async def declaration_out(
    result: policy_declarations.DeclarationResult, currency: str
) -> t.Declaration:
    row = result.declaration
    return t.Declaration(
        id=strawberry.ID(row.id),
        kind=row.kind,
        month=row.month,
        declared_on=row.declared_on,
        due_on=row.due_on,
        late=row.late,
        sales=[credit_out(s, currency) for s in result.sales],
        collections_count=len(result.collections),
    )


# Queries


async def policy(info: Info, id: strawberry.ID) -> t.Policy | None:
    row = await policies.visible_policy(info.context.principal, str(id))
    return await policy_out(row) if row else None


async def policy_list(info: Info, first: int | None) -> list[t.Policy]:
    principal = info.context.principal
    query = (
        rows.Policy.all()
        if principal.is_staff
        else rows.Policy.filter(partner_id=principal.partner_id)
    )
    found = await query.order_by("-created_at", "-id").limit(page_size(first))
    return [await policy_out(row) for row in found]


async def credit_limit_list(info: Info, policy_id: strawberry.ID) -> list[t.CreditLimit]:
    row = await policies.visible_policy(info.context.principal, str(policy_id))
    if row is None:
        return []
    found = await credit_limits.credit_limits(row.id)
    return [limit_out(r, row.currency) for r in found]


async def buyer_exposure(
    info: Info, policy_id: strawberry.ID, buyer: t.BuyerRefInput, on: Any
) -> t.BuyerExposure | None:
    row = await policies.visible_policy(info.context.principal, str(policy_id))
    if row is None:
        return None
    key = _buyer_key(buyer)
    day = on or (await policies.policy_now(row, info.context.now)).date()
    exposure = await buyer_credits.exposure_of(row.id, key, day)
    limit = await buyer_credits.limit_on(row.id, key, day)
    sales = await buyer_credits.sales_of(row.id, key)
    currency = row.currency
    return t.BuyerExposure(
        buyer=key,
        on=day,
        limit=limit_out(limit, currency) if limit else None,
        exposure=money_or_zero(exposure.exposure, currency),
        insured=money_or_zero(exposure.insured, currency),
        uninsured=money_or_zero(exposure.uninsured, currency),
        overdue=money_or_zero(exposure.overdue, currency),
        aggravated_risk=exposure.aggravated,
        credits=[credit_out(s, currency) for s in sales],
    )


async def policy_claim(info: Info, id: strawberry.ID) -> t.PolicyClaim | None:
    row = await policy_claims.visible_claim(info.context.principal, str(id))
    return await claim_out(row) if row else None


# Mutations


def _terms_change(
    input: t.CreatePolicyInput | t.SetPolicyTermsInput, currency: str
) -> policy_terms.PolicyTermsChange:
    for name, money in (
        ("minimumPremium", input.minimum_premium),
        ("minimumUnpaidThreshold", input.minimum_unpaid_threshold),
        ("maxExtensionAmount", input.max_extension_amount),
    ):
        if money is not None and money.currency.strip().upper() != currency:
            raise DomainError(
                "INVALID_INPUT", f"In the policy currency {currency}.", ("input", name)
            )
    return policy_terms.PolicyTermsChange(
        minimum_premium=input.minimum_premium.amount if input.minimum_premium else None,
        premium_rates=tuple(
            RulePremiumRate(r.max_term_days, r.rate_percent) for r in input.premium_rates
        )
        if input.premium_rates is not None
        else None,
        coverage_percent=input.coverage_percent,
        max_indemnity_multiple=input.max_indemnity_multiple,
        minimum_unpaid_threshold=input.minimum_unpaid_threshold.amount
        if input.minimum_unpaid_threshold
        else None,
        waiting_period_days=input.waiting_period_days,
        max_extension_amount=input.max_extension_amount.amount
        if input.max_extension_amount
        else None,
    )


async def create_policy(info: Info, input: t.CreatePolicyInput) -> t.PolicyPayload:
    async def body() -> dict[str, Any]:
        currency = input.currency.strip().upper()
        terms = _terms_change(input, currency)
        draft = policies.PolicyDraft(
            insured=_company_dict(input.insured),
            currency=currency,
            period_start=input.period_start,
            period_end=input.period_end,
            **{name: getattr(terms, name) for name in policy_terms.FIELD_OF},
            test_clock_id=str(input.test_clock_id) if input.test_clock_id else None,
            partner_id=str(input.partner_id) if input.partner_id else None,
        )
        row = await policies.create_policy(info.context.principal, draft, info.context.now)
        return {"policy": await policy_out(row)}

    return await run_mutation(info, t.PolicyPayload, body)


async def set_policy_terms(info: Info, input: t.SetPolicyTermsInput) -> t.PolicyPayload:
    async def body() -> dict[str, Any]:
        policy = await policies.staff_policy(info.context.principal, str(input.policy_id))
        row = await policy_terms.set_policy_terms(
            info.context.principal,
            policy.id,
            _terms_change(input, policy.currency),
            info.context.now,
        )
        return {"policy": await policy_out(row)}

    return await run_mutation(info, t.PolicyPayload, body)


async def record_premium_payment(
    info: Info, input: t.RecordPremiumPaymentInput
) -> t.PremiumInvoicePayload:
    async def body() -> dict[str, Any]:
        row = await policies.record_premium_payment(
            info.context.principal,
            str(input.invoice_id),
            input.amount.amount,
            input.paid_on,
            info.context.now,
        )
        policy = await rows.Policy.get(id=row.policy_id)
        return {"invoice": invoice_out(row, policy.currency), "policy": await policy_out(policy)}

    return await run_mutation(info, t.PremiumInvoicePayload, body)


async def issue_premium_invoice(
    info: Info, input: t.IssuePremiumInvoiceInput
) -> t.PremiumInvoicePayload:
    async def body() -> dict[str, Any]:
        row = await policies.issue_premium_invoice(
            info.context.principal, str(input.policy_id), input.month, info.context.now
        )
        policy = await rows.Policy.get(id=str(input.policy_id))
        return {
            "invoice": invoice_out(row, policy.currency) if row else None,
            "policy": await policy_out(policy),
        }

    return await run_mutation(info, t.PremiumInvoicePayload, body)


async def request_credit_limit(
    info: Info, input: t.RequestCreditLimitInput
) -> t.CreditLimitPayload:
    async def body() -> dict[str, Any]:
        policy = await policies.partner_policy(info.context.principal, str(input.policy_id))
        if input.amount.currency.strip().upper() != policy.currency:
            raise DomainError(
                "INVALID_INPUT", f"In the policy currency {policy.currency}.", ("input", "amount")
            )
        row = await credit_limits.request_credit_limit(
            info.context.principal,
            policy.id,
            _company_dict(input.buyer),
            input.amount.amount,
            input.payment_term_days,
            info.context.now,
        )
        return {"credit_limit": limit_out(row, policy.currency)}

    return await run_mutation(info, t.CreditLimitPayload, body)


async def decide_credit_limit(info: Info, input: t.DecideCreditLimitInput) -> t.CreditLimitPayload:
    async def body() -> dict[str, Any]:
        decision = credit_limits.LimitDecision(
            decision=input.decision.value,
            amount=input.amount.amount if input.amount else None,
            coverage_percent=input.coverage_percent,
            rating_group=input.rating_group,
            reason=input.reason,
            firm_order_bars=tuple(b.value for b in input.firm_order_bars or []),
        )
        row = await credit_limits.decide_credit_limit(
            info.context.principal, str(input.limit_id), decision, info.context.now
        )
        policy = await rows.Policy.get(id=row.policy_id)
        return {"credit_limit": limit_out(row, policy.currency)}

    return await run_mutation(info, t.CreditLimitPayload, body)


async def declare_sales(info: Info, input: t.DeclareSalesInput) -> t.DeclarationPayload:
    async def body() -> dict[str, Any]:
        lines = [
            policy_declarations.SaleLine(
                buyer_key=_buyer_key(s.buyer),
                invoice_number=s.invoice_number.strip(),
                issue_date=s.issue_date,
                due_date=s.due_date,
                amount=s.amount.amount,
                currency=s.amount.currency.strip().upper(),
                firm_order=s.firm_order,
                firm_order_signed_on=s.firm_order_signed_on,
            )
            for s in input.sales
        ]
        result = await policy_declarations.declare_sales(
            info.context.principal, str(input.policy_id), input.month, lines, info.context.now
        )
        policy = await rows.Policy.get(id=str(input.policy_id))
        return {"declaration": await declaration_out(result, policy.currency)}

    return await run_mutation(info, t.DeclarationPayload, body)


async def declare_collections(info: Info, input: t.DeclareCollectionsInput) -> t.DeclarationPayload:
    async def body() -> dict[str, Any]:
        lines = [
            policy_declarations.CollectionLine(
                buyer_key=_buyer_key(c.buyer),
                amount=c.amount.amount,
                currency=c.amount.currency.strip().upper(),
                received_on=c.received_on,
                invoice_number=c.invoice_number.strip() if c.invoice_number else None,
            )
            for c in input.collections
        ]
        result = await policy_declarations.declare_collections(
            info.context.principal, str(input.policy_id), input.month, lines, info.context.now
        )
        policy = await rows.Policy.get(id=str(input.policy_id))
        return {"declaration": await declaration_out(result, policy.currency)}

    return await run_mutation(info, t.DeclarationPayload, body)


async def set_exchange_rate(info: Info, input: t.SetExchangeRateInput) -> t.ExchangeRatePayload:
    async def body() -> dict[str, Any]:
        row = await exchange_rates.set_exchange_rate(
            info.context.principal,
            input.from_currency.strip(),
            input.to_currency.strip(),
            input.on,
            input.rate,
            info.context.now,
        )
        return {
            "exchange_rate": t.ExchangeRate(
                partner_id=strawberry.ID(row.partner_id) if row.partner_id else None,
                from_currency=row.from_currency,
                to_currency=row.to_currency,
                on=row.on,
                rate=row.rate,
            )
        }

    return await run_mutation(info, t.ExchangeRatePayload, body)


async def declare_extension(info: Info, input: t.DeclareExtensionInput) -> t.ExtensionPayload:
    async def body() -> dict[str, Any]:
        row = await policy_extensions.declare_extension(
            info.context.principal,
            str(input.policy_id),
            _buyer_key(input.buyer),
            input.invoice_number.strip(),
            input.new_due_date,
            info.context.now,
        )
        policy = await rows.Policy.get(id=row.policy_id)
        return {"extension": extension_out(row, input.invoice_number.strip(), policy.currency)}

    return await run_mutation(info, t.ExtensionPayload, body)


async def authorize_extension(info: Info, input: t.AuthorizeExtensionInput) -> t.ExtensionPayload:
    async def body() -> dict[str, Any]:
        row = await policy_extensions.authorize_extension(
            info.context.principal, str(input.extension_id), input.approve, info.context.now
        )
        sale = await rows.Sale.get(id=row.sale_id)
        policy = await rows.Policy.get(id=row.policy_id)
        return {"extension": extension_out(row, sale.invoice_number, policy.currency)}

    return await run_mutation(info, t.ExtensionPayload, body)


async def notify_non_payment(info: Info, input: t.NotifyNonPaymentInput) -> t.PolicyClaimPayload:
    async def body() -> dict[str, Any]:
        row = await policy_claims.notify_non_payment(
            info.context.principal,
            str(input.policy_id),
            _buyer_key(input.buyer),
            input.cause.value,
            input.insolvency_known_on,
            [n.strip() for n in input.disputed_invoice_numbers],
            info.context.now,
        )
        return {"claim": await claim_out(row)}

    return await run_mutation(info, t.PolicyClaimPayload, body)


async def submit_policy_document(
    info: Info, input: t.SubmitPolicyDocumentInput
) -> t.PolicyClaimPayload:
    async def body() -> dict[str, Any]:
        content, filename, content_type = await _read_upload(input.file)
        document = await policy_claims.submit_policy_document(
            info.context.principal,
            str(input.claim_id),
            input.kind.value,
            filename,
            content_type,
            content,
            info.context.now,
        )
        claim = await rows.PolicyClaim.get(id=document.claim_id)
        return {"claim": await claim_out(claim)}

    return await run_mutation(info, t.PolicyClaimPayload, body)


async def decide_policy_claim(info: Info, input: t.DecidePolicyClaimInput) -> t.PolicyClaimPayload:
    async def body() -> dict[str, Any]:
        row = await policy_claims.decide_policy_claim(
            info.context.principal,
            str(input.claim_id),
            input.decision.value,
            input.reason,
            info.context.now,
        )
        return {"claim": await claim_out(row)}

    return await run_mutation(info, t.PolicyClaimPayload, body)


async def resolve_credit_dispute(
    info: Info, input: t.ResolveCreditDisputeInput
) -> t.PolicyClaimPayload:
    async def body() -> dict[str, Any]:
        row = await policy_claims.resolve_credit_dispute(
            info.context.principal,
            str(input.claim_id),
            input.invoice_number.strip(),
            input.for_insured,
            input.decided_on,
            info.context.now,
        )
        return {"claim": await claim_out(row)}

    return await run_mutation(info, t.PolicyClaimPayload, body)


async def mark_policy_indemnity_paid(
    info: Info, input: t.MarkPolicyIndemnityPaidInput
) -> t.PolicyClaimPayload:
    async def body() -> dict[str, Any]:
        row = await policy_claims.mark_policy_indemnity_paid(
            info.context.principal, str(input.claim_id), input.paid_on, info.context.now
        )
        return {"claim": await claim_out(row)}

    return await run_mutation(info, t.PolicyClaimPayload, body)


async def record_collection_costs(
    info: Info, input: t.RecordCollectionCostsInput
) -> t.PolicyClaimPayload:
    async def body() -> dict[str, Any]:
        row = await policy_claims.record_collection_costs(
            info.context.principal, str(input.claim_id), input.amount.amount, info.context.now
        )
        return {"claim": await claim_out(row)}

    return await run_mutation(info, t.PolicyClaimPayload, body)


async def record_recovery(info: Info, input: t.RecordRecoveryInput) -> t.RecoveryPayload:
    async def body() -> dict[str, Any]:
        row, split = await policy_claims.record_recovery(
            info.context.principal,
            str(input.claim_id),
            input.amount.amount if input.amount else Decimal("0.00"),
            input.costs.amount if input.costs else Decimal("0.00"),
            input.received_on,
            info.context.now,
            goods_market_value=input.goods_market_value.amount
            if input.goods_market_value
            else None,
        )
        claim = await claim_out(row)
        currency = claim.recovered.currency
        return {
            "claim": claim,
            "insurer_share": money_or_zero(split.insurer_share, currency),
            "insured_share": money_or_zero(split.insured_share, currency),
        }

    return await run_mutation(info, t.RecoveryPayload, body)


async def record_omitted_sales(info: Info, input: t.RecordOmittedSalesInput) -> t.PolicyPayload:
    async def body() -> dict[str, Any]:
        lines = [
            policy_omissions.OmittedLine(
                buyer_key=_buyer_key(s.buyer),
                invoice_number=s.invoice_number.strip(),
                issue_date=s.issue_date,
                due_date=s.due_date,
                amount=s.amount.amount,
                currency=s.amount.currency.strip().upper(),
            )
            for s in input.sales
        ]
        row = await policy_omissions.record_omitted_sales(
            info.context.principal, str(input.policy_id), lines, info.context.now
        )
        return {"policy": await policy_out(row)}

    return await run_mutation(info, t.PolicyPayload, body)


async def authorise_sale_outside_cover(
    info: Info, input: t.AuthoriseSaleOutsideCoverInput
) -> t.DeclaredCreditPayload:
    async def body() -> dict[str, Any]:
        row = await policy_omissions.authorise_sale_outside_cover(
            info.context.principal,
            str(input.policy_id),
            _buyer_key(input.buyer),
            input.invoice_number.strip(),
            info.context.now,
        )
        policy = await rows.Policy.get(id=str(input.policy_id))
        return {"credit": credit_out(row, policy.currency)}

    return await run_mutation(info, t.DeclaredCreditPayload, body)
