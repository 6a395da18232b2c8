"""GraphQL documents and steps shared by the whole-turnover policy tests (WT rules)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.api.cover_helpers import create_clock

POLICY_FIELDS = (
    "id status activatedOn currency periodStart periodEnd "
    "minimumPremium { amount currency } accruedPremium { amount } "
    "premiumInvoices { id kind month amount { amount } paidAmount { amount } } "
    "deadlines { kind rule subject dueOn met } events { type data }"
)
LIMIT_FIELDS = (
    "id status amount { amount } coveragePercent ratingGroup effectiveFrom endsOn "
    "requestedOn firmOrdersUntil firmOrdersCap { amount } firmOrderBars refusal { rule }"
)
CREDIT_FIELDS = (
    "invoiceNumber issueDate dueDate extendedDueDate amount { amount currency } "
    "policyAmount { amount } premium { amount } collected { amount } covered "
    "exclusion { rule } firmOrder disputed"
)
CLAIM_FIELDS = (
    "id status buyer cause notifiedOn documentsDueOn settlementOn missingDocuments paidOn "
    "recovered { amount } rejection { rule } credits { invoiceNumber } "
    "indemnity { amount { amount } lines { label amount { amount } rule } }"
)
ERRORS = "userErrors { code message field }"

CREATE_POLICY = (
    "mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { policy { "
    + POLICY_FIELDS
    + " } "
    + ERRORS
    + " } }"
)
POLICY = "query($id: ID!) { policy(id: $id) { " + POLICY_FIELDS + " } }"
PAY_PREMIUM = (
    "mutation($input: RecordPremiumPaymentInput!) { recordPremiumPayment(input: $input) { "
    "invoice { id paidAmount { amount } paidOn } policy { status activatedOn } " + ERRORS + " } }"
)
ISSUE_PREMIUM = (
    "mutation($input: IssuePremiumInvoiceInput!) { issuePremiumInvoice(input: $input) { "
    "invoice { id kind month amount { amount } } " + ERRORS + " } }"
)
REQUEST_LIMIT = (
    "mutation($input: RequestCreditLimitInput!) { requestCreditLimit(input: $input) { "
    "creditLimit { " + LIMIT_FIELDS + " } " + ERRORS + " } }"
)
DECIDE_LIMIT = (
    "mutation($input: DecideCreditLimitInput!) { decideCreditLimit(input: $input) { "
    "creditLimit { " + LIMIT_FIELDS + " } " + ERRORS + " } }"
)
LIMITS = "query($id: ID!) { creditLimits(policyId: $id) { " + LIMIT_FIELDS + " } }"
DECLARE_SALES = (
    "mutation($input: DeclareSalesInput!) { declareSales(input: $input) { declaration { "
    "id month dueOn late declaredOn sales { " + CREDIT_FIELDS + " } } " + ERRORS + " } }"
)
DECLARE_COLLECTIONS = (
    "mutation($input: DeclareCollectionsInput!) { declareCollections(input: $input) { "
    "declaration { id late collectionsCount } " + ERRORS + " } }"
)
EXPOSURE = (
    "query($id: ID!, $buyer: BuyerRefInput!, $on: Date) { buyerExposure(policyId: $id, "
    "buyer: $buyer, on: $on) { buyer on limit { amount { amount } } exposure { amount } "
    "insured { amount } uninsured { amount } overdue { amount } aggravatedRisk "
    "credits { " + CREDIT_FIELDS + " } } }"
)
SET_RATE = (
    "mutation($input: SetExchangeRateInput!) { setExchangeRate(input: $input) { "
    "exchangeRate { rate } " + ERRORS + " } }"
)
DECLARE_EXTENSION = (
    "mutation($input: DeclareExtensionInput!) { declareExtension(input: $input) { "
    "extension { id status newDueDate premium { amount } violations { rule } } " + ERRORS + " } }"
)
AUTHORIZE_EXTENSION = (
    "mutation($input: AuthorizeExtensionInput!) { authorizeExtension(input: $input) { "
    "extension { id status } " + ERRORS + " } }"
)
NOTIFY = (
    "mutation($input: NotifyNonPaymentInput!) { notifyNonPayment(input: $input) { claim { "
    + CLAIM_FIELDS
    + " } "
    + ERRORS
    + " } }"
)
POLICY_CLAIM = "query($id: ID!) { policyClaim(id: $id) { " + CLAIM_FIELDS + " } }"
DECIDE_CLAIM = (
    "mutation($input: DecidePolicyClaimInput!) { decidePolicyClaim(input: $input) { claim { "
    + CLAIM_FIELDS
    + " } "
    + ERRORS
    + " } }"
)
MARK_PAID = (
    "mutation($input: MarkPolicyIndemnityPaidInput!) { markPolicyIndemnityPaid(input: $input) "
    "{ claim { " + CLAIM_FIELDS + " } " + ERRORS + " } }"
)
RECOVERY = (
    "mutation($input: RecordRecoveryInput!) { recordRecovery(input: $input) { claim { "
    "status recovered { amount } } insurerShare { amount } insuredShare { amount } "
    + ERRORS
    + " } }"
)
ADVANCE = (
    "mutation($id: ID!, $t: DateTime!) { advanceTestClock(input: {testClockId: $id, "
    "frozenTime: $t}) { testClock { status } userErrors { code } } }"
)

INSURED = {
    "country": "ES",
    "registrationNumber": "B12345678",
    "name": "Exportadora Levante SL",
    "legalForm": "COMPANY",
    "sector": "46.90",
}


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def buyer(code: str) -> dict[str, str]:
    """A buyer reference: ES companies B0000000<code>."""
    return {"country": "ES", "registrationNumber": f"B0000000{code}"}


def buyer_company(code: str) -> dict[str, str]:
    return {
        **buyer(code),
        "name": f"Comprador {code} SA",
        "legalForm": "COMPANY",
        "sector": "47.11",
    }


#: The terms the policy tests use; insurer staff set them (setPolicyTerms), the partner
#: only asks for the policy (policy_input).
TERM_FIELDS = (
    "minimumPremium",
    "premiumRates",
    "coveragePercent",
    "maxIndemnityMultiple",
    "minimumUnpaidThreshold",
    "waitingPeriodDays",
    "maxExtensionAmount",
)


def policy_terms(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "minimumPremium": eur("100.00"),
        "premiumRates": [
            {"maxTermDays": 60, "ratePercent": "0.20"},
            {"maxTermDays": 90, "ratePercent": "0.30"},
            {"maxTermDays": 120, "ratePercent": "0.40"},
        ],
        "coveragePercent": "90",
        "maxIndemnityMultiple": "200",
        "minimumUnpaidThreshold": eur("500.00"),
        "waitingPeriodDays": 180,
        "maxExtensionAmount": eur("50000.00"),
    }
    data.update(changes)
    return data


def policy_input(**changes: Any) -> dict[str, Any]:
    """What a partner sends to ask for a policy (no terms: those are the insurer's)."""
    data: dict[str, Any] = {
        "insured": INSURED,
        "currency": "EUR",
        "periodStart": "2027-01-01",
        "periodEnd": "2027-12-31",
    }
    data.update(changes)
    return data


SET_TERMS = (
    "mutation($input: SetPolicyTermsInput!) { setPolicyTerms(input: $input) { policy { "
    + POLICY_FIELDS
    + " } "
    + ERRORS
    + " } }"
)


async def set_policy_terms(api: Any, staff: str, policy_id: str, **changes: Any) -> dict[str, Any]:
    """Staff set the test terms (with `changes`) on a policy waiting for its premium."""
    done = await call(
        api, SET_TERMS, {"input": {"policyId": policy_id, **policy_terms(**changes)}}, staff
    )
    assert done["userErrors"] == [], done["userErrors"]
    return dict(done["policy"])


async def call(api: Any, document: str, variables: dict[str, Any], key: str) -> dict[str, Any]:
    """Runs one operation and returns its single root field; fails on GraphQL errors."""
    body = await api.execute(document, variables, key=key)
    assert not body.get("errors"), body.get("errors")
    (value,) = body["data"].values()
    return dict(value) if value is not None else {}


async def advance(api: Any, key: str, clock_id: str, day: date) -> None:
    body = await api.execute(
        ADVANCE, {"id": clock_id, "t": f"{day.isoformat()}T09:00:00+00:00"}, key=key
    )
    assert body["data"]["advanceTestClock"]["testClock"]["status"] == "READY", body


async def active_policy(
    api: Any, key: str, staff: str, *, start: str = "2026-12-15T09:00:00+00:00", **changes: Any
) -> tuple[str, str]:
    """A policy on a test clock, its terms set by staff (`changes` may override them),
    whose minimum premium is paid on 2027-01-01 (WT-P1). Returns (policy id, clock id);
    the clock stands at 2027-01-01."""
    clock_id = await create_clock(api, key, start)
    terms = {k: v for k, v in changes.items() if k in TERM_FIELDS}
    request = {k: v for k, v in changes.items() if k not in TERM_FIELDS}
    created = await call(
        api, CREATE_POLICY, {"input": policy_input(testClockId=clock_id, **request)}, key
    )
    assert created["userErrors"] == [], created["userErrors"]
    policy = await set_policy_terms(api, staff, created["policy"]["id"], **terms)
    await advance(api, key, clock_id, date(2027, 1, 1))
    minimum = next(i for i in policy["premiumInvoices"] if i["kind"] == "MINIMUM")
    paid = await call(
        api,
        PAY_PREMIUM,
        {
            "input": {
                "invoiceId": minimum["id"],
                "amount": eur(minimum["amount"]["amount"]),
                "paidOn": "2027-01-01",
            }
        },
        staff,
    )
    assert paid["policy"] == {"status": "ACTIVE", "activatedOn": "2027-01-01"}, paid
    return policy["id"], clock_id


async def granted_limit(
    api: Any,
    key: str,
    staff: str,
    policy_id: str,
    code: str,
    amount: str,
    term_days: int = 90,
    **decision: Any,
) -> dict[str, Any]:
    requested = await call(
        api,
        REQUEST_LIMIT,
        {
            "input": {
                "policyId": policy_id,
                "buyer": buyer_company(code),
                "amount": eur(amount),
                "paymentTermDays": term_days,
            }
        },
        key,
    )
    assert requested["userErrors"] == [], requested["userErrors"]
    granted = await call(
        api,
        DECIDE_LIMIT,
        {"input": {"limitId": requested["creditLimit"]["id"], "decision": "GRANT", **decision}},
        staff,
    )
    assert granted["userErrors"] == [], granted["userErrors"]
    return dict(granted["creditLimit"])


def sale(code: str, number: str, issue: str, due: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {
        "buyer": buyer(code),
        "invoiceNumber": number,
        "issueDate": issue,
        "dueDate": due,
        "amount": eur(amount),
        **extra,
    }


async def declare_sales(
    api: Any, key: str, policy_id: str, month: str, sales: list[dict[str, Any]]
) -> dict[str, Any]:
    return await call(
        api,
        DECLARE_SALES,
        {"input": {"policyId": policy_id, "month": month, "sales": sales}},
        key,
    )


async def declare_collections(
    api: Any, key: str, policy_id: str, month: str, collections: list[dict[str, Any]]
) -> dict[str, Any]:
    return await call(
        api,
        DECLARE_COLLECTIONS,
        {"input": {"policyId": policy_id, "month": month, "collections": collections}},
        key,
    )


async def exposure(
    api: Any, key: str, policy_id: str, code: str, on: str | None = None
) -> dict[str, Any]:
    return await call(api, EXPOSURE, {"id": policy_id, "buyer": buyer(code), "on": on}, key)


SUBMIT_POLICY_DOCUMENT = (
    "mutation($input: SubmitPolicyDocumentInput!) { submitPolicyDocument(input: $input) { "
    "claim { " + CLAIM_FIELDS + " } " + ERRORS + " } }"
)
PDF = b"%PDF-1.4\n% policy claim document\n"


async def submit_policy_document(api: Any, key: str, claim_id: str, kind: str) -> dict[str, Any]:
    """A GraphQL multipart upload (operations, map, file part "0")."""
    import json

    operations = {
        "query": SUBMIT_POLICY_DOCUMENT,
        "variables": {"input": {"claimId": claim_id, "kind": kind, "file": None}},
    }
    response = await api.http.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": (f"{kind.lower()}.pdf", PDF, "application/pdf")},
        headers={"Authorization": f"Bearer {key}"},
    )
    body = response.json()
    assert not body.get("errors"), body
    return dict(body["data"]["submitPolicyDocument"])
