"""WT over the API: C-1 and C-2 decided on `requestCreditLimit` (003 art. 1.2.2, 1.3 b,
c, e), and facts recorded with `recordRuleFact` (WT-L9 voids the limit and the cover of
its credits, WT-C11 rejects the claim, WT-R5 recorded only)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.api.policy_helpers import (
    CLAIM_FIELDS,
    ERRORS,
    LIMITS,
    NOTIFY,
    POLICY_CLAIM,
    REQUEST_LIMIT,
    active_policy,
    advance,
    buyer,
    buyer_company,
    call,
    declare_sales,
    eur,
    granted_limit,
    sale,
)

RECORD = (
    "mutation($input: RecordRuleFactInput!) { recordRuleFact(input: $input) { fact { id rule "
    "occurredOn note consequence limitId claimId buyer actor } " + ERRORS + " } }"
)
FACTS = "query($id: ID!) { ruleFacts(policyId: $id) { rule consequence } }"
FACTS_SEQ = "query($id: ID!) { ruleFacts(policyId: $id) { sequence rule } }"
OPTIONS = (
    "mutation($input: SetPolicyContractOptionsInput!) { setPolicyContractOptions(input: "
    "$input) { policy { id } " + ERRORS + " } }"
)
CREDITS = (
    "query($id: ID!, $buyer: BuyerRefInput!, $on: Date) { buyerExposure(policyId: $id, "
    "buyer: $buyer, on: $on) { credits { invoiceNumber covered exclusion { rule } } } }"
)


async def request(api: Any, key: str, policy_id: str, **company: Any) -> list[dict[str, Any]]:
    answer = await call(
        api,
        REQUEST_LIMIT,
        {
            "input": {
                "policyId": policy_id,
                "buyer": {**buyer_company("77"), **company},
                "amount": eur("10000.00"),
                "paymentTermDays": 90,
            }
        },
        key,
    )
    return [(e["code"], e["field"]) for e in answer["userErrors"]]


LEGAL_FORM = ["input", "buyer", "legalForm"]


async def test_c1_wt_buyers_by_legal_form_and_political_risks(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await active_policy(api, key, staff)
    assert await request(api, key, policy_id, legalForm="SOLE_TRADER") == []
    assert await request(api, key, policy_id, legalForm="PRIVATE_INDIVIDUAL") == [
        ("C-1", LEGAL_FORM)
    ]
    peru = {"legalForm": "PUBLIC_BODY", "country": "PE"}
    colombia = {"legalForm": "PUBLIC_BODY", "country": "CO"}
    assert await request(api, key, policy_id, **peru) == [("C-1", LEGAL_FORM)]
    # C-1: with political and extraordinary risks contracted, a public buyer outside
    # Colombia is insurable, one in Colombia still is not.
    set_ = await call(
        api, OPTIONS, {"input": {"policyId": policy_id, "politicalRisksContracted": True}}, staff
    )
    assert set_["userErrors"] == []
    shown = await call(
        api,
        "query($id: ID!) { policy(id: $id) { politicalRisksContracted claimFileFee { amount } } }",
        {"id": policy_id},
        key,
    )
    assert shown == {"politicalRisksContracted": True, "claimFileFee": {"amount": "0.00"}}
    assert await request(api, key, policy_id, **peru) == []
    assert await request(api, key, policy_id, **colombia) == [("C-1", LEGAL_FORM)]


async def test_c1_wt_contract_options_are_for_staff(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await active_policy(api, key, staff)
    answer = await call(
        api, OPTIONS, {"input": {"policyId": policy_id, "politicalRisksContracted": True}}, key
    )
    assert [e["code"] for e in answer["userErrors"]] == ["FORBIDDEN"]


async def test_c2_wt_related_buyers_are_refused_either_direction(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await active_policy(api, key, staff)
    relationship = ["input", "buyer", "relationship"]
    for link in ("PARENT", "BRANCH_OR_AGENCY", "SHARED_MANAGEMENT", "SHAREHOLDING", "FAMILY"):
        assert await request(api, key, policy_id, relationship=link) == [("C-2", relationship)]
    assert await request(api, key, policy_id, relationship="NONE") == []


async def _claim_on_buyer(api, key, staff) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 5))
    limit = await granted_limit(api, key, staff, policy_id, "9", "10000.00")
    await advance(api, key, clock_id, date(2027, 2, 1))
    declared = await declare_sales(
        api, key, policy_id, "2027-01-01", [sale("9", "L9-1", "2027-01-10", "2027-02-09", "900.00")]
    )
    assert declared["userErrors"] == []
    await advance(api, key, clock_id, date(2027, 3, 1))
    notified = await call(
        api,
        NOTIFY,
        {"input": {"policyId": policy_id, "buyer": buyer("9"), "cause": "NON_PAYMENT"}},
        key,
    )
    assert notified["userErrors"] == [], notified["userErrors"]
    return policy_id, clock_id, limit, notified["claim"]


def fact(policy_id: str, rule: str, **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "policyId": policy_id,
            "rule": rule,
            "occurredOn": "2027-02-20",
            "note": "Found in the buyer file review.",
            **extra,
        }
    }


async def test_wt_l9_undisclosed_risk_voids_the_limit_its_credits_and_the_claim(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, _, limit, claim = await _claim_on_buyer(api, key, staff)
    # WT-L9 names the limit: without it the fact is refused.
    missing = await call(api, RECORD, fact(policy_id, "WT-L9"), staff)
    assert [(e["code"], e["field"]) for e in missing["userErrors"]] == [
        ("INVALID_INPUT", ["input", "limitId"])
    ]
    # The partner records a disclosure it makes: kept, with no consequence.
    by_partner = await call(api, RECORD, fact(policy_id, "WT-L9", limitId=limit["id"]), key)
    assert (by_partner["userErrors"], by_partner["fact"]["consequence"]) == ([], None)
    untouched = (await api.execute(LIMITS, {"id": policy_id}, key=staff))["data"]["creditLimits"]
    assert [row["status"] for row in untouched] == ["GRANTED"]

    recorded = await call(api, RECORD, fact(policy_id, "WT-L9", limitId=limit["id"]), staff)
    assert recorded["userErrors"] == []
    assert recorded["fact"]["consequence"] == "LIMIT_VOID"
    assert recorded["fact"]["buyer"] == claim["buyer"]

    limits = (await api.execute(LIMITS, {"id": policy_id}, key=staff))["data"]["creditLimits"]
    assert [(row["status"], row["endsOn"]) for row in limits] == [("VOID", "2026-12-31")]
    credits = await call(api, CREDITS, {"id": policy_id, "buyer": buyer("9"), "on": None}, key)
    assert credits["credits"] == [
        {"invoiceNumber": "L9-1", "covered": False, "exclusion": {"rule": "WT-L9"}}
    ]
    rejected = await call(api, POLICY_CLAIM, {"id": claim["id"]}, key)
    assert (rejected["status"], rejected["rejection"]) == ("REJECTED", {"rule": "WT-L9"})
    # Recorded once: the limit is no longer granted.
    again = await call(api, RECORD, fact(policy_id, "WT-L9", limitId=limit["id"]), staff)
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_STATE"]
    facts = (await api.execute(FACTS, {"id": policy_id}, key=key))["data"]["ruleFacts"]
    assert facts == [
        {"rule": "WT-L9", "consequence": None},
        {"rule": "WT-L9", "consequence": "LIMIT_VOID"},
    ]
    ordered = (await api.execute(FACTS_SEQ, {"id": policy_id}, key=key))["data"]["ruleFacts"]
    assert ordered == [{"sequence": 1, "rule": "WT-L9"}, {"sequence": 2, "rule": "WT-L9"}]
    other = await make_partner()
    assert (await api.execute(FACTS, {"id": policy_id}, key=other))["data"]["ruleFacts"] == []
    # C-6: the fact and the claim it rejected are policy events, sent by webhook.
    policy = await call(api, "query($id: ID!) { policy(id: $id) { events { type } } }",
                        {"id": policy_id}, key)  # fmt: skip
    types = [e["type"] for e in policy["events"]]
    assert types[-2:] == ["claim.rejected", "rule_fact.recorded"]


async def test_wt_c11_loss_not_mitigated_rejects_the_named_claim(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, _, _, claim = await _claim_on_buyer(api, key, staff)
    recorded = await call(api, RECORD, fact(policy_id, "WT-C11", claimId=claim["id"]), staff)
    assert recorded["fact"]["consequence"] == "CLAIM_REJECTED"
    rejected = await call(api, POLICY_CLAIM, {"id": claim["id"]}, key)
    assert (rejected["status"], rejected["rejection"]) == ("REJECTED", {"rule": "WT-C11"})
    # A claim already decided is not changed again: the fact is kept without consequence.
    later = await call(api, RECORD, fact(policy_id, "WT-R3", claimId=claim["id"]), staff)
    assert (later["userErrors"], later["fact"]["consequence"]) == ([], None)


async def test_wt_rule_facts_validate_rule_date_and_note(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await active_policy(api, key, staff)

    async def errors(variables: dict[str, Any], who: str) -> list[tuple[str, list[str]]]:
        answer = await call(api, RECORD, variables, who)
        return [(e["code"], e["field"]) for e in answer["userErrors"]]

    assert await errors(fact(policy_id, "TU-P5"), staff) == [("INVALID_INPUT", ["input", "rule"])]
    # The clock stands at 2027-01-01: today is allowed, tomorrow is not.
    today = fact(policy_id, "WT-R5", occurredOn="2027-01-01")
    tomorrow = fact(policy_id, "WT-R5", occurredOn="2027-01-02")
    assert await errors(today, staff) == []
    assert await errors(tomorrow, staff) == [("INVALID_INPUT", ["input", "occurredOn"])]
    assert await errors(fact(policy_id, "WT-R5", occurredOn="2027-01-01", note=" "), staff) == [
        ("INVALID_INPUT", ["input", "note"])
    ]
    long_note = fact(policy_id, "WT-R5", occurredOn="2027-01-01", note="x" * 2001)
    assert await errors(long_note, staff) == [("INVALID_INPUT", ["input", "note"])]
    # WT-C12 is information the insured gives: the partner records it, within 30 days of
    # the goods' arrival (the clock stands at 2027-01-01).
    assert await errors(fact(policy_id, "WT-C12", occurredOn="2027-01-01"), key) == []
    assert await errors(fact(policy_id, "WT-C12", occurredOn="2026-12-02"), key) == []
    assert await errors(fact(policy_id, "WT-C12", occurredOn="2026-12-01"), key) == [
        ("WT-C12", ["input", "occurredOn"])
    ]
    other = await make_partner()
    assert await errors(fact(policy_id, "WT-C12", occurredOn="2027-01-01"), other) == [
        ("NOT_FOUND", ["input", "policyId"])
    ]


_ = CLAIM_FIELDS


async def test_wt_p5_claim_file_fee_charged_when_the_file_opens(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    fee = {"input": {"policyId": policy_id, "claimFileFee": eur("150.00")}}
    assert (await call(api, OPTIONS, fee, staff))["userErrors"] == []
    usd = {"input": {"policyId": policy_id, "claimFileFee": {"amount": "1", "currency": "USD"}}}
    assert [e["field"] for e in (await call(api, OPTIONS, usd, staff))["userErrors"]] == [
        ["input", "claimFileFee", "currency"]
    ]
    await advance(api, key, clock_id, date(2027, 1, 5))
    await granted_limit(api, key, staff, policy_id, "9", "10000.00")
    await granted_limit(api, key, staff, policy_id, "10", "10000.00")
    await advance(api, key, clock_id, date(2027, 2, 1))
    sales = [
        sale("9", "F1", "2027-01-10", "2027-02-09", "900.00"),
        sale("10", "F2", "2027-01-10", "2027-02-09", "500.00"),  # at the WT-C5 threshold
    ]
    assert (await declare_sales(api, key, policy_id, "2027-01-01", sales))["userErrors"] == []
    await advance(api, key, clock_id, date(2027, 3, 1))
    fees = {}
    for code in ("9", "10"):
        notified = await call(
            api,
            "mutation($input: NotifyNonPaymentInput!) { notifyNonPayment(input: $input) { "
            "claim { status fileFee { amount } } " + ERRORS + " } }",
            {"input": {"policyId": policy_id, "buyer": buyer(code), "cause": "NON_PAYMENT"}},
            key,
        )
        fees[code] = (notified["claim"]["status"], notified["claim"]["fileFee"]["amount"])
    assert fees == {"9": ("DOCUMENTS_PENDING", "150.00"), "10": ("BELOW_THRESHOLD", "0.00")}


async def test_wt_p6_limits_stop_30_days_after_an_unpaid_study_invoice(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)  # clock on 2027-01-01
    issued = fact(policy_id, "WT-P6", occurredOn="2027-01-01", documentId="inv_study_1")
    recorded = await call(api, RECORD, issued, staff)
    assert recorded["fact"]["consequence"] == "STUDY_FEE_UNPAID"
    await advance(api, key, clock_id, date(2027, 1, 30))  # day 29: still studied
    assert await request(api, key, policy_id) == []
    await advance(api, key, clock_id, date(2027, 1, 31))  # day 30: stopped
    assert await request(api, key, policy_id) == [("WT-P6", ["input", "policyId"])]
    paid = fact(policy_id, "WT-P6", occurredOn="2027-01-31", documentId="inv_study_1")
    assert (await call(api, RECORD, paid, staff))["fact"]["consequence"] == "STUDY_FEE_PAID"
    assert await request(api, key, policy_id) == []
    twice = await call(api, RECORD, paid, staff)
    assert [e["code"] for e in twice["userErrors"]] == ["INVALID_STATE"]


async def test_wt_p7_notice_of_non_renewal_two_months_before_the_end(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)  # period ends 2027-12-31
    await advance(api, key, clock_id, date(2027, 11, 1))
    late = await call(api, RECORD, fact(policy_id, "WT-P7", occurredOn="2027-11-01"), key)
    assert [(e["code"], e["field"]) for e in late["userErrors"]] == [
        ("WT-P7", ["input", "occurredOn"])
    ]
    on_time = await call(api, RECORD, fact(policy_id, "WT-P7", occurredOn="2027-10-31"), key)
    assert (on_time["userErrors"], on_time["fact"]["consequence"]) == ([], "NOT_RENEWED")


async def test_c1_wt_grant_rechecks_the_scope_when_political_risks_were_withdrawn(
    api, make_partner, make_staff
):
    """WT-L10: a limit issued on an excluded buyer would not make it covered, so staff
    cannot grant one: political risks withdrawn between the request and the grant."""
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await active_policy(api, key, staff)

    async def options(contracted: bool) -> None:
        body = {"input": {"policyId": policy_id, "politicalRisksContracted": contracted}}
        assert (await call(api, OPTIONS, body, staff))["userErrors"] == []

    await options(True)
    requested = await call(
        api,
        REQUEST_LIMIT,
        {
            "input": {
                "policyId": policy_id,
                "buyer": {**buyer_company("78"), "legalForm": "PUBLIC_BODY", "country": "PE"},
                "amount": eur("10000.00"),
                "paymentTermDays": 90,
            }
        },
        key,
    )
    assert requested["userErrors"] == []
    await options(False)
    granted = await call(
        api,
        "mutation($input: DecideCreditLimitInput!) { decideCreditLimit(input: $input) { "
        + ERRORS
        + " } }",
        {"input": {"limitId": requested["creditLimit"]["id"], "decision": "GRANT"}},
        staff,
    )
    assert [(e["code"], e["field"]) for e in granted["userErrors"]] == [("C-1", LEGAL_FORM)]
