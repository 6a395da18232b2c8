"""TU over the API: C-1, TU-E6 and C-2 decided on `recordFirstLayerDecision` (004 art.
3.3.1-3.3.3, 9.2), and facts recorded with `recordRuleFact`: TU-P5 rescission (claims
rejected, paid indemnities owed back, nothing more on the policy), TU-C4 breach on one
claim, TU-N2 reported by the partner."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.api.policy_helpers import advance, buyer, buyer_company, call, eur
from tests.api.test_top_up_journeys import (
    DECIDE,
    DECISION,
    NOTIFY,
    three_losses,
    top_up_policy,
)
from tests.api.test_wt_scopes_and_facts_api import FACTS, RECORD, fact

CLAIM = "query($id: ID!) { topUpClaim(id: $id) { status rejection { rule } refundDue { amount } } }"


async def first_layer(api: Any, key: str, policy_id: str, **company: Any) -> list[Any]:
    answer = await call(
        api,
        DECISION,
        {
            "input": {
                "policyId": policy_id,
                "buyer": {**buyer_company("88"), **company},
                "requested": eur("40000.00"),
                "granted": eur("20000.00"),
                "decidedOn": "2027-01-05",
            }
        },
        key,
    )
    return [(e["code"], e["field"]) for e in answer["userErrors"]]


async def test_c1_tu_registered_merchants_only(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await top_up_policy(api, key, staff)
    merchant = ["input", "buyer", "merchantRegistered"]
    legal_form = ["input", "buyer", "legalForm"]
    assert await first_layer(api, key, policy_id, merchantRegistered=False) == [("C-1", merchant)]
    assert await first_layer(api, key, policy_id, legalForm="SOLE_TRADER") == [("C-1", merchant)]
    assert await first_layer(api, key, policy_id, legalForm="PUBLIC_BODY") == [("C-1", legal_form)]
    assert (
        await first_layer(api, key, policy_id, legalForm="SOLE_TRADER", merchantRegistered=True)
        == []
    )


async def test_tu_e6_client_outside_the_policy_countries(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await top_up_policy(api, key, staff)  # ES and PT
    assert await first_layer(api, key, policy_id, country="FR") == [
        ("TU-E6", ["input", "buyer", "country"])
    ]
    assert await first_layer(api, key, policy_id, country="PT") == []


async def test_c2_tu_dependent_or_controlled_clients_refused(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await top_up_policy(api, key, staff)
    relationship = ["input", "buyer", "relationship"]
    for link in ("SUBSIDIARY", "PARENT", "SHARED_MANAGEMENT", "DEPENDENT"):
        assert await first_layer(api, key, policy_id, relationship=link) == [("C-2", relationship)]
    assert await first_layer(api, key, policy_id, relationship="FAMILY") == []


async def test_tu_p5_rescission_rejects_open_claims_and_claims_back_paid_ones(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 6, 25))
    first, second, _ = await three_losses(api, key, staff, policy_id)
    paid = await call(
        api,
        DECIDE,
        {"input": {"claimId": first["id"], "approve": True, "paidOn": "2027-07-01"}},
        staff,
    )
    assert paid["claim"]["paidAmount"] == {"amount": "12600.00"}
    # The partner cannot rescind.
    refused = await call(api, RECORD, fact(policy_id, "TU-P5", occurredOn="2027-06-25"), key)
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]

    rescinded = await call(api, RECORD, fact(policy_id, "TU-P5", occurredOn="2027-06-25"), staff)
    assert rescinded["userErrors"] == []
    assert rescinded["fact"]["consequence"] == "CONTRACT_RESCINDED"
    after_first = await call(api, CLAIM, {"id": first["id"]}, key)
    assert (after_first["status"], after_first["refundDue"]) == ("PAID", {"amount": "12600.00"})
    after_second = await call(api, CLAIM, {"id": second["id"]}, key)
    assert (after_second["status"], after_second["rejection"]) == ("REJECTED", {"rule": "TU-P5"})
    # Treated as never made: no new claim, no new limit on it.
    notified = await call(
        api,
        NOTIFY,
        {
            "input": {
                "policyId": policy_id,
                "buyer": buyer("3"),
                "learnedOn": "2027-06-20",
                "coveredLoss": eur("30000.00"),
                "firstUnpaidInvoiceDate": "2027-03-10",
            }
        },
        key,
    )
    assert [e["code"] for e in notified["userErrors"]] == ["TU-P5"]
    assert await first_layer(api, key, policy_id) == [("TU-P5", ["input", "policyId"])]
    shown = await call(api, "query($id: ID!) { topUpPolicy(id: $id) { rescindedOn } }",
                       {"id": policy_id}, key)  # fmt: skip
    assert shown == {"rescindedOn": "2027-06-25"}
    twice = await call(api, RECORD, fact(policy_id, "TU-P5", occurredOn="2027-06-25"), staff)
    assert [e["code"] for e in twice["userErrors"]] == ["INVALID_STATE"]


async def test_tu_c4_breach_rejects_only_the_named_claim(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 6, 25))
    first, second, _ = await three_losses(api, key, staff, policy_id)
    breach = fact(policy_id, "TU-C4", occurredOn="2027-06-10", claimId=first["id"])
    recorded = await call(api, RECORD, breach, staff)
    assert recorded["fact"]["consequence"] == "CLAIM_REJECTED"
    assert (await call(api, CLAIM, {"id": first["id"]}, key))["rejection"] == {"rule": "TU-C4"}
    assert (await call(api, CLAIM, {"id": second["id"]}, key))["status"] != "REJECTED"


async def test_tu_n2_annual_report_recorded_by_the_partner(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await top_up_policy(api, key, staff)  # clock on 2027-01-02
    report = fact(policy_id, "TU-N2", occurredOn="2027-01-02", documentId="doc_annual_2026")
    recorded = await call(api, RECORD, report, key)
    assert recorded["userErrors"] == []
    assert recorded["fact"]["consequence"] is None
    assert recorded["fact"]["actor"].startswith("partner:")
    wt_only = await call(api, RECORD, fact(policy_id, "WT-L9", occurredOn="2027-01-02"), staff)
    assert [(e["code"], e["field"]) for e in wt_only["userErrors"]] == [
        ("INVALID_INPUT", ["input", "rule"])
    ]
    facts = (await api.execute(FACTS, {"id": policy_id}, key=key))["data"]["ruleFacts"]
    assert facts == [{"rule": "TU-N2", "consequence": None}]


async def test_tu_c3_payable_within_30_days_of_complete_documents(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 6, 25))
    first, _, _ = await three_losses(api, key, staff, policy_id)
    missing = await call(api, RECORD, fact(policy_id, "TU-C3", occurredOn="2027-06-22"), staff)
    assert [e["field"] for e in missing["userErrors"]] == [["input", "claimId"]]
    complete = fact(policy_id, "TU-C3", occurredOn="2027-06-22", claimId=first["id"])
    recorded = await call(api, RECORD, complete, staff)
    assert recorded["fact"]["consequence"] == "PAYABLE_BY"
    from domain.store.webhook_models import WebhookEvent

    sent = await WebhookEvent.filter(type="rule_fact.recorded").order_by("-created_at").first()
    assert sent is not None
    assert (sent.payload["data"]["rule"], sent.payload["data"]["payableBy"]) == (
        "TU-C3",
        "2027-07-22",
    )


async def test_tu_p3_notice_one_month_before_the_insurance_year_ends(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)  # year ends 2027-12-31
    await advance(api, key, clock_id, date(2027, 12, 1))
    late = await call(api, RECORD, fact(policy_id, "TU-P3", occurredOn="2027-12-01"), key)
    assert [e["code"] for e in late["userErrors"]] == ["TU-P3"]
    on_time = await call(api, RECORD, fact(policy_id, "TU-P3", occurredOn="2027-11-30"), key)
    assert on_time["fact"]["consequence"] == "NOT_RENEWED"


async def test_tu_c5_claim_time_barred_two_years_after_the_insurance_year(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)
    await first_layer(api, key, policy_id)
    await first_layer(api, key, policy_id, registrationNumber="B0000000089")

    def notice(learned_on: str, code: str = "88") -> dict[str, Any]:
        return {
            "input": {
                "policyId": policy_id,
                "buyer": buyer(code),
                "learnedOn": learned_on,
                "coveredLoss": eur("30000.00"),
                "firstUnpaidInvoiceDate": "2027-03-10",  # insurance year 2027
            }
        }

    await advance(api, key, clock_id, date(2029, 12, 31))
    last_day = await call(api, NOTIFY, notice("2029-12-20", "89"), key)
    assert "TU-C5" not in [e["code"] for e in last_day["userErrors"]]
    await advance(api, key, clock_id, date(2030, 1, 1))
    barred = await call(api, NOTIFY, notice("2029-12-20"), key)
    assert [e["code"] for e in barred["userErrors"]] == ["TU-C5"]


async def test_tu_p5_two_rescissions_at_once_apply_once(api, make_partner, make_staff):
    """Compare-and-set on `rescindedOn`: of two concurrent TU-P5 facts one is recorded."""
    import asyncio

    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await top_up_policy(api, key, staff)
    body = fact(policy_id, "TU-P5", occurredOn="2027-01-02")
    answers = await asyncio.gather(*(call(api, RECORD, body, staff) for _ in range(2)))
    codes = sorted(tuple(e["code"] for e in a["userErrors"]) for a in answers)
    assert codes == [(), ("INVALID_STATE",)]
    facts = (await api.execute(FACTS, {"id": policy_id}, key=staff))["data"]["ruleFacts"]
    assert facts == [{"rule": "TU-P5", "consequence": "CONTRACT_RESCINDED"}]


async def test_tu_e4_insolvent_from_the_declaration_date_not_from_learning_of_it(
    api, make_partner, make_staff
):
    from tests.api.test_top_up_journeys import DELIVERIES

    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)
    assert await first_layer(api, key, policy_id) == []
    await advance(api, key, clock_id, date(2027, 6, 10))
    notified = await call(
        api,
        NOTIFY,
        {
            "input": {
                "policyId": policy_id,
                "buyer": buyer("88"),
                "learnedOn": "2027-06-01",
                "coveredLoss": eur("30000.00"),
                "firstUnpaidInvoiceDate": "2027-03-10",
            }
        },
        key,
    )
    assert notified["userErrors"] == []
    # The court declared the insolvency on 20 May, before the insured learned of it.
    declared = fact(policy_id, "TU-E4", occurredOn="2027-05-20", claimId=notified["claim"]["id"])
    recorded = await call(api, RECORD, declared, key)
    assert recorded["fact"]["consequence"] == "INSOLVENCY_DECLARED"

    def delivery(number: str, on: str) -> dict[str, Any]:
        return {
            "buyer": buyer("88"),
            "invoiceNumber": number,
            "deliveredOn": on,
            "invoicedOn": on,
            "dueDate": "2027-08-31",
            "amount": eur("1000.00"),
        }

    answer = await call(
        api,
        DELIVERIES,
        {
            "input": {
                "policyId": policy_id,
                "deliveries": [delivery("E4-19", "2027-05-19"), delivery("E4-20", "2027-05-20")],
            }
        },
        key,
    )
    assert answer["userErrors"] == []
    insured = {d["invoiceNumber"]: d["insured"] for d in answer["deliveries"]}
    assert insured == {"E4-19": True, "E4-20": False}
