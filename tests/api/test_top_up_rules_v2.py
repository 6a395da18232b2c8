"""Top-up rules v2 over the API on test clocks (seed 004):

- defects: a claim calculated while the premium was unpaid is paid at its recalculated
  amount once the premium is paid (TU-P1), the amount paid is recalculated at payment on
  the year's state then, and a recovery before payment is counted once (TU-C2);
- TU-P1 instalments and the in-force date, TU-P4 end and rescission, TU-L1 temporary and
  other-insurance limits, TU-L3 further reductions expected, TU-E5 the run-off year,
  TU-E7 the client overdue at signing, and terms set by the insurer.
"""

from __future__ import annotations

from datetime import date

from tests.api.cover_helpers import create_clock
from tests.api.policy_helpers import advance, buyer, buyer_company, call, eur
from tests.api.test_top_up_journeys import (
    CREATE,
    DECIDE,
    DELIVERIES,
    ERRORS,
    FIRST_LAYER_PAID,
    NOTIFY,
    POLICY,
    PREMIUM,
    RECOVERY,
    SET_TERMS,
    decide,
    limits,
    policy_input,
    top_up_policy,
)

STATUS = (
    "query($id: ID!) { topUpPolicy(id: $id) { status premiumPaidOn premiumDueOn signedOn "
    "premiumPaid { amount } coveragePercent coveredCountries endedOn rescindBy "
    "ending { rule refund { amount } dueNow { amount } } remainingSumInsured { amount } } }"
)
CONTRACT = (
    "mutation($input: RecordFirstLayerContractInput!) { recordFirstLayerContract(input: "
    "$input) { policy { status endedOn rescindBy } " + ERRORS + " } }"
)
RESCIND = (
    "mutation($input: RescindTopUpPolicyInput!) { rescindTopUpPolicy(input: $input) { "
    "policy { status endedOn ending { rule refund { amount } dueNow { amount } } } "
    + ERRORS
    + " } }"
)
DECISION_V2 = (
    "mutation($input: RecordFirstLayerDecisionInput!) { recordFirstLayerDecision(input: "
    "$input) { limit { topUpLimit { amount } firstLayerGranted { amount } recomputeOn "
    "furtherReductionsExpected clientExcluded { rule } } " + ERRORS + " } }"
)


async def decision(api, key, policy_id, code, on, requested, granted, **extra) -> dict:
    answer = await call(
        api,
        DECISION_V2,
        {
            "input": {
                "policyId": policy_id,
                "buyer": buyer_company(code),
                "requested": eur(requested),
                "granted": eur(granted),
                "decidedOn": on,
                **extra,
            }
        },
        key,
    )
    assert answer["userErrors"] == [], answer["userErrors"]
    return dict(answer["limit"])


async def insured_event(api, key, policy_id, code, invoice="2027-03-10", *, loss="30000.00"):
    """Buyer `code` with a 20,000 top-up limit, insolvent (learned 2027-06-01), the first
    layer paid 18,000 on 2027-06-20: the claim, calculated."""
    await decide(api, key, policy_id, code, "40000.00", "20000.00", "2027-01-05")
    notified = await call(
        api,
        NOTIFY,
        {
            "input": {
                "policyId": policy_id,
                "buyer": buyer(code),
                "learnedOn": "2027-06-01",
                "coveredLoss": eur(loss),
                "firstUnpaidInvoiceDate": invoice,
            }
        },
        key,
    )
    assert notified["userErrors"] == [], notified["userErrors"]
    paid = await call(
        api,
        FIRST_LAYER_PAID,
        {
            "input": {
                "claimId": notified["claim"]["id"],
                "paidOn": "2027-06-20",
                "amount": eur("18000.00"),
            }
        },
        key,
    )
    assert paid["userErrors"] == [], paid["userErrors"]
    return paid["claim"]


async def pay(api, staff, claim_id, on="2027-07-01") -> dict:
    return await call(
        api, DECIDE, {"input": {"claimId": claim_id, "approve": True, "paidOn": on}}, staff
    )


async def premium(api, staff, policy_id, on, amount=None) -> dict:
    data = {"policyId": policy_id, "paidOn": on}
    if amount is not None:
        data["amount"] = eur(amount)
    return await call(api, PREMIUM, {"input": data}, staff)


async def status(api, key, policy_id) -> dict:
    return await call(api, STATUS, {"id": policy_id}, key)


# Defects


async def test_tu_p1_claim_calculated_while_unpaid_is_paid_recalculated_once_premium_paid(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff, pay_premium=False)
    await advance(api, key, clock_id, date(2027, 6, 25))
    claim = await insured_event(api, key, policy_id, "1")
    # (20,000 - 1,000 - 5,000) x 90% = 12,600 owed: a preview while the premium is unpaid.
    assert claim["indemnity"]["amount"] == {"amount": "12600.00"}
    refused = await pay(api, staff, claim["id"])
    assert refused["userErrors"][0]["code"] == "TU-P1"
    assert refused["userErrors"][0]["field"] == ["input", "claimId"]

    # An instalment one cent short of the 3,000 minimum premium: still refused.
    await premium(api, staff, policy_id, "2027-06-26", "2999.99")
    assert (await status(api, key, policy_id))["status"] == "SIGNED"
    short = await pay(api, staff, claim["id"])
    assert short["userErrors"][0]["code"] == "TU-P1"

    await premium(api, staff, policy_id, "2027-06-27", "0.01")
    policy = await status(api, key, policy_id)
    assert (policy["status"], policy["premiumPaidOn"]) == ("IN_FORCE", "2027-06-27")
    assert policy["premiumPaid"] == {"amount": "3000.00"}
    paid = await pay(api, staff, claim["id"])
    assert paid["userErrors"] == []
    assert paid["claim"]["status"] == "PAID"
    assert paid["claim"]["paidAmount"] == {"amount": "12600.00"}


async def test_tu_c1_amount_paid_is_recalculated_on_the_year_at_payment(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 6, 25))
    first = await insured_event(api, key, policy_id, "2")
    second = await insured_event(api, key, policy_id, "3")
    # The first bears the whole 5,000 aggregate deductible: the second's preview is 17,100.
    assert second["indemnity"]["amount"] == {"amount": "17100.00"}
    rejected = await call(
        api,
        DECIDE,
        {"input": {"claimId": first["id"], "approve": False, "reason": "TU-C4: breach"}},
        staff,
    )
    assert rejected["claim"]["status"] == "REJECTED"
    # At payment the aggregate deductible is no longer borne by the first: 12,600, not the
    # stale 17,100.
    paid = await pay(api, staff, second["id"])
    assert paid["claim"]["paidAmount"] == {"amount": "12600.00"}
    assert paid["claim"]["indemnity"]["aggregateDeductibleUsed"] == {"amount": "5000.00"}
    policy = await status(api, key, policy_id)
    assert policy["remainingSumInsured"] == {"amount": "87400.00"}


async def test_tu_c2_recovery_before_payment_counted_once_in_the_sum_insured(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 6, 25))
    claim = await insured_event(api, key, policy_id, "4")
    recovered = await call(
        api,
        RECOVERY,
        {"input": {"claimId": claim["id"], "amount": eur("4000.00"), "receivedOn": "2027-06-24"}},
        key,
    )
    # (20,000 - 4,000 - 1,000 - 5,000) x 90% = 9,000 owed.
    assert recovered["claim"]["indemnity"]["amount"] == {"amount": "9000.00"}
    # TU-C2: 100,000 - 9,000; the 4,000 is inside the indemnity, not added back.
    assert (await status(api, key, policy_id))["remainingSumInsured"] == {"amount": "91000.00"}
    paid = await pay(api, staff, claim["id"])
    assert paid["claim"]["paidAmount"] == {"amount": "9000.00"}
    assert (await status(api, key, policy_id))["remainingSumInsured"] == {"amount": "91000.00"}

    # After payment: 1,000 more recalculates to 8,100; the insured refunds 900, which is
    # the insurer's share and comes back to the balance once.
    after = await call(
        api,
        RECOVERY,
        {"input": {"claimId": claim["id"], "amount": eur("1000.00"), "receivedOn": "2027-08-01"}},
        key,
    )
    assert after["claim"]["indemnity"]["amount"] == {"amount": "8100.00"}
    assert after["claim"]["refundDue"] == {"amount": "900.00"}
    assert (await status(api, key, policy_id))["remainingSumInsured"] == {"amount": "91900.00"}


# TU-P1, TU-P4


async def test_tu_p1_deliveries_before_the_in_force_day_are_not_insured(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await top_up_policy(api, key, staff, paid_on="2027-01-10")
    policy = await status(api, key, policy_id)
    assert policy["premiumDueOn"] == "2027-02-01"  # receipt on signing (2027-01-02) + 30
    await decide(api, key, policy_id, "5", "40000.00", "20000.00", "2027-01-05")

    def line(number, day):
        return {
            "buyer": buyer("5"),
            "invoiceNumber": number,
            "deliveredOn": day,
            "invoicedOn": day,
            "dueDate": "2027-03-31",
            "amount": eur("1000.00"),
        }

    answer = await call(
        api,
        DELIVERIES,
        {
            "input": {
                "policyId": policy_id,
                "deliveries": [line("A", "2027-01-09"), line("B", "2027-01-10")],
            }
        },
        key,
    )
    rules = {d["invoiceNumber"]: [v["rule"] for v in d["violations"]] for d in answer["deliveries"]}
    assert rules == {"A": ["TU-P1"], "B": []}


async def test_tu_p4_contract_ends_without_a_first_layer_contract(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await top_up_policy(api, key, staff)
    await decide(api, key, policy_id, "6", "40000.00", "20000.00", "2027-01-05")
    ended = await call(
        api, CONTRACT, {"input": {"policyId": policy_id, "ended": True, "on": "2027-06-30"}}, key
    )
    assert ended["policy"] == {"status": "ENDED", "endedOn": "2027-06-30", "rescindBy": None}

    def line(number, day):
        return {
            "buyer": buyer("6"),
            "invoiceNumber": number,
            "deliveredOn": day,
            "invoicedOn": day,
            "dueDate": "2027-09-30",
            "amount": eur("1000.00"),
        }

    answer = await call(
        api,
        DELIVERIES,
        {
            "input": {
                "policyId": policy_id,
                "deliveries": [line("A", "2027-06-30"), line("B", "2027-07-01")],
            }
        },
        key,
    )
    rules = {d["invoiceNumber"]: [v["rule"] for v in d["violations"]] for d in answer["deliveries"]}
    assert rules == {"A": [], "B": ["TU-P4"]}
    again = await call(
        api, CONTRACT, {"input": {"policyId": policy_id, "ended": True, "on": "2027-07-01"}}, key
    )
    assert again["userErrors"][0]["code"] == "INVALID_STATE"


async def test_tu_p4_rescission_within_one_month_refunds_pro_rata_without_losses(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await top_up_policy(api, key, staff)
    learned = await call(
        api, CONTRACT, {"input": {"policyId": policy_id, "ended": False, "on": "2027-06-01"}}, key
    )
    assert learned["policy"] == {"status": "IN_FORCE", "endedOn": None, "rescindBy": "2027-07-01"}

    def rescind(on):
        return {"input": {"policyId": policy_id, "rescindedOn": on}}

    by_partner = await call(api, RESCIND, rescind("2027-07-01"), key)
    assert by_partner["userErrors"][0]["code"] == "FORBIDDEN"
    late = await call(api, RESCIND, rescind("2027-07-02"), staff)
    assert late["userErrors"][0]["code"] == "TU-P4"
    done = await call(api, RESCIND, rescind("2027-07-01"), staff)
    assert done["userErrors"] == []
    # 3,000 x 183 days left / 365.
    assert done["policy"] == {
        "status": "RESCINDED",
        "endedOn": "2027-07-01",
        "ending": {"rule": "TU-P4", "refund": {"amount": "1504.11"}, "dueNow": {"amount": "0.00"}},
    }


async def test_tu_p4_rescission_with_a_loss_keeps_the_premium_and_the_unpaid_is_due(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff, pay_premium=False)
    await premium(api, staff, policy_id, "2027-01-05", "1000.00")
    await advance(api, key, clock_id, date(2027, 6, 25))
    await insured_event(api, key, policy_id, "7")
    await call(
        api, CONTRACT, {"input": {"policyId": policy_id, "ended": False, "on": "2027-06-25"}}, key
    )
    done = await call(
        api, RESCIND, {"input": {"policyId": policy_id, "rescindedOn": "2027-07-01"}}, staff
    )
    assert done["policy"]["ending"] == {
        "rule": "TU-P4",
        "refund": {"amount": "0.00"},
        "dueNow": {"amount": "2000.00"},
    }


# TU-L1, TU-L3


async def test_tu_l1_temporary_limits_count_other_insurance_does_not(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await top_up_policy(api, key, staff)
    limit = await decision(
        api,
        key,
        policy_id,
        "8",
        "2027-01-05",
        "100000.00",
        "50000.00",
        temporary=eur("10000.00"),
        otherInsurance=eur("30000.00"),
    )
    # First layer 50,000 + 10,000 temporary = 60,000: min(100,000 - 60,000, 60,000).
    assert limit["firstLayerGranted"] == {"amount": "60000.00"}
    assert limit["topUpLimit"] == {"amount": "40000.00"}


async def test_tu_l3_no_recomputation_while_further_reductions_are_expected(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)
    await decision(api, key, policy_id, "9", "2027-01-05", "100000.00", "60000.00")
    cut = await decision(
        api,
        key,
        policy_id,
        "9",
        "2027-02-01",
        "100000.00",
        "45000.00",
        furtherReductionsExpected=True,
    )
    assert (cut["topUpLimit"], cut["recomputeOn"]) == ({"amount": "30000.00"}, "2027-08-01")
    await advance(api, key, clock_id, date(2027, 8, 1))
    [waiting] = await limits(api, key, policy_id)
    assert waiting["topUpLimit"] == {"amount": "30000.00"}  # six months, but more expected
    cleared = await decision(
        api,
        key,
        policy_id,
        "9",
        "2027-08-10",
        "100000.00",
        "45000.00",
        furtherReductionsExpected=False,
    )
    # TU-L1 on 45,000: min(55,000, 45,000).
    assert (cleared["topUpLimit"], cleared["recomputeOn"]) == ({"amount": "45000.00"}, None)


async def test_tu_l3_recomputed_at_six_months_not_the_day_before(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)
    await decision(api, key, policy_id, "10", "2027-01-31", "100000.00", "60000.00")
    await decision(api, key, policy_id, "10", "2027-02-28", "100000.00", "45000.00")
    await advance(api, key, clock_id, date(2027, 8, 27))
    [before] = await limits(api, key, policy_id)
    assert before["topUpLimit"] == {"amount": "30000.00"}
    await advance(api, key, clock_id, date(2027, 8, 28))
    [after] = await limits(api, key, policy_id)
    assert after["topUpLimit"] == {"amount": "45000.00"}


# TU-E5, TU-E7


async def test_tu_e5_insolvency_up_to_a_year_after_expiry(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)
    for code in ("11", "12"):
        await decide(api, key, policy_id, code, "40000.00", "20000.00", "2027-01-05")
    await advance(api, key, clock_id, date(2029, 1, 1))

    def notice(code, declared):
        return {
            "input": {
                "policyId": policy_id,
                "buyer": buyer(code),
                "learnedOn": "2028-12-31",
                "insolvencyDeclaredOn": declared,
                "coveredLoss": eur("30000.00"),
                "firstUnpaidInvoiceDate": "2027-11-10",
            }
        }

    # Expiry 2027-12-31: 2028-12-31 is day 366 (2028 is a leap year), still counted.
    on_time = await call(api, NOTIFY, notice("11", "2028-12-31"), key)
    assert on_time["userErrors"] == []
    late = await call(api, NOTIFY, notice("12", "2029-01-01"), key)
    assert late["userErrors"][0]["code"] == "TU-E5"
    assert late["userErrors"][0]["field"] == ["input", "insolvencyDeclaredOn"]


async def test_tu_e7_client_overdue_at_signing_is_not_covered(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)
    assert (await status(api, key, policy_id))["signedOn"] == "2027-01-02"
    # Signed 2027-01-02, TU-E3 days 60: due 2026-11-03 is 60 days late, 2026-11-02 is 61.
    ok = await decision(
        api,
        key,
        policy_id,
        "13",
        "2027-01-05",
        "40000.00",
        "20000.00",
        clientHistory=[{"originalDueDate": "2026-11-03"}],
    )
    assert ok["clientExcluded"] is None
    out = await decision(
        api,
        key,
        policy_id,
        "14",
        "2027-01-05",
        "40000.00",
        "20000.00",
        clientHistory=[
            {"originalDueDate": "2026-11-02"},
            {"originalDueDate": "2026-01-01", "disputed": True},
        ],
    )
    assert out["clientExcluded"] == {"rule": "TU-E7"}
    answer = await call(
        api,
        DELIVERIES,
        {
            "input": {
                "policyId": policy_id,
                "deliveries": [
                    {
                        "buyer": buyer("14"),
                        "invoiceNumber": "E7",
                        "deliveredOn": "2027-02-01",
                        "invoicedOn": "2027-02-01",
                        "dueDate": "2027-04-01",
                        "amount": eur("1000.00"),
                    }
                ],
            }
        },
        key,
    )
    assert [v["rule"] for v in answer["deliveries"][0]["violations"]] == ["TU-E7"]
    await advance(api, key, clock_id, date(2027, 6, 10))
    refused = await call(
        api,
        NOTIFY,
        {
            "input": {
                "policyId": policy_id,
                "buyer": buyer("14"),
                "learnedOn": "2027-06-01",
                "coveredLoss": eur("30000.00"),
                "firstUnpaidInvoiceDate": "2027-03-10",
            }
        },
        key,
    )
    assert refused["userErrors"][0]["code"] == "TU-E7"


# Terms belong to the insurer


async def test_tu_terms_sent_by_a_partner_are_refused(api, make_partner, make_staff):
    key = await make_partner()
    clock_id = await create_clock(api, key, "2027-01-02T09:00:00+00:00")
    refused = await call(api, CREATE, {"input": policy_input(clock_id, coveragePercent="95")}, key)
    assert refused["userErrors"] == [
        {
            "code": "TERMS_SET_BY_INSURER",
            "message": "The policy's terms are set by the insurer, not in the request.",
            "field": ["input", "coveragePercent"],
        }
    ]
    money = await call(
        api, CREATE, {"input": policy_input(clock_id, annualSumInsured=eur("1.00"))}, key
    )
    assert money["userErrors"][0]["field"] == ["input", "annualSumInsured"]


async def test_tu_policy_starts_with_default_terms_and_staff_set_them(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    clock_id = await create_clock(api, key, "2027-01-02T09:00:00+00:00")
    created = await call(
        api, CREATE, {"input": policy_input(clock_id, firstLayerCoveragePercent="85")}, key
    )
    policy_id = created["policy"]["id"]
    policy = await status(api, key, policy_id)
    # Default 90%, capped at the first layer's 85% (TU-C1); the insured's country.
    assert (policy["coveragePercent"], policy["coveredCountries"]) == ("85.00", ["ES"])
    assert policy["status"] == "SIGNED"
    by_partner = await call(
        api, SET_TERMS, {"input": {"policyId": policy_id, "coveragePercent": "80"}}, key
    )
    assert by_partner["userErrors"][0]["code"] == "FORBIDDEN"
    above = await call(
        api, SET_TERMS, {"input": {"policyId": policy_id, "coveragePercent": "86"}}, staff
    )
    assert above["userErrors"][0]["field"] == ["input", "coveragePercent"]
    done = await call(
        api, SET_TERMS, {"input": {"policyId": policy_id, "coveragePercent": "80"}}, staff
    )
    assert done["policy"]["coveragePercent"] == "80.00"


async def test_tu_c2_a_loss_takes_the_terms_of_its_insurance_year(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff, periodEnd="2028-12-31")
    later = await call(
        api,
        SET_TERMS,
        {"input": {"policyId": policy_id, "fromYear": 1, "coveragePercent": "80"}},
        staff,
    )
    assert later["userErrors"] == []
    await advance(api, key, clock_id, date(2028, 6, 25))
    await decide(api, key, policy_id, "15", "40000.00", "20000.00", "2027-01-05")
    notified = await call(
        api,
        NOTIFY,
        {
            "input": {
                "policyId": policy_id,
                "buyer": buyer("15"),
                "learnedOn": "2028-06-01",
                "coveredLoss": eur("30000.00"),
                "firstUnpaidInvoiceDate": "2028-02-10",
            }
        },
        key,
    )
    assert notified["claim"]["insuranceYear"] == 1
    claim = await call(
        api,
        FIRST_LAYER_PAID,
        {
            "input": {
                "claimId": notified["claim"]["id"],
                "paidOn": "2028-06-20",
                "amount": eur("18000.00"),
            }
        },
        key,
    )
    # Year 1: (20,000 - 1,000 - 5,000) x 80% = 11,200 (year 0's 90% would be 12,600).
    assert claim["claim"]["indemnity"]["amount"] == {"amount": "11200.00"}
    # Year 1's premium is not paid yet: TU-P1 refuses the payment.
    refused = await pay(api, staff, claim["claim"]["id"], on="2028-07-01")
    assert refused["userErrors"][0]["code"] == "TU-P1"
    assert POLICY


async def test_tu_r1_recovery_after_payment_recalculates_on_the_year_as_paid(
    api, make_partner, make_staff
):
    """Found by the state machine: a recovery after payment recalculated the paid claim on
    the year as it stands later (here: another loss rejected since), which raised it above
    the payment. It is recalculated on the sum insured and deductible it was paid on."""
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)
    small = await call(
        api,
        SET_TERMS,
        {"input": {"policyId": policy_id, "annualSumInsured": eur("20000.00")}},
        staff,
    )
    assert small["userErrors"] == []
    await advance(api, key, clock_id, date(2027, 6, 25))
    first = await insured_event(api, key, policy_id, "16")  # 12,600 owed: 7,400 left
    second = await insured_event(api, key, policy_id, "17")
    # (7,400 - 1,000) x 90% = 5,760.
    assert second["indemnity"]["amount"] == {"amount": "5760.00"}
    paid = await pay(api, staff, second["id"])
    assert paid["claim"]["paidAmount"] == {"amount": "5760.00"}
    await call(
        api,
        DECIDE,
        {"input": {"claimId": first["id"], "approve": False, "reason": "TU-C4: breach"}},
        staff,
    )
    recovered = await call(
        api,
        RECOVERY,
        {"input": {"claimId": second["id"], "amount": eur("100.00"), "receivedOn": "2027-08-01"}},
        key,
    )
    # (7,400 - 100 - 1,000) x 90% = 5,670: the insured refunds 90.
    assert recovered["claim"]["indemnity"]["amount"] == {"amount": "5670.00"}
    assert recovered["claim"]["refundDue"] == {"amount": "90.00"}
    assert (await status(api, key, policy_id))["remainingSumInsured"] == {"amount": "14330.00"}


async def test_tu_l3_restored_to_the_same_level_within_six_months_recomputes(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await top_up_policy(api, key, staff)
    await decision(api, key, policy_id, "18", "2027-01-05", "100000.00", "60000.00")
    cut = await decision(api, key, policy_id, "18", "2027-02-01", "100000.00", "45000.00")
    assert cut["topUpLimit"] == {"amount": "30000.00"}
    # One cent short of the level before the reduction: the reduced limit stands.
    short = await decision(api, key, policy_id, "18", "2027-07-31", "100000.00", "59999.99")
    assert (short["topUpLimit"], short["recomputeOn"]) == ({"amount": "30000.00"}, "2027-08-01")
    # Restored to the same level on the last day of the 6 months: TU-L1 again.
    same = await decision(api, key, policy_id, "18", "2027-07-31", "100000.00", "60000.00")
    assert (same["topUpLimit"], same["recomputeOn"]) == ({"amount": "40000.00"}, None)


async def test_tu_c1_the_loss_keeps_the_limit_it_had_at_the_insolvency(
    api, make_partner, make_staff
):
    """Found by the state machine: a first-layer decision recorded after the loss, dated
    the insolvency day, changed the limit a paid claim was recalculated on (a recovery
    then raised it above the payment). The limit is taken when the loss is notified."""
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 6, 25))
    claim = await insured_event(api, key, policy_id, "19")  # limit 20,000: 12,600
    paid = await pay(api, staff, claim["id"])
    assert paid["claim"]["paidAmount"] == {"amount": "12600.00"}
    raised = await decide(api, key, policy_id, "19", "90000.00", "30000.00", "2027-06-01")
    assert raised["topUpLimit"] == {"amount": "30000.00"}
    recovered = await call(
        api,
        RECOVERY,
        {"input": {"claimId": claim["id"], "amount": eur("100.00"), "receivedOn": "2027-08-01"}},
        key,
    )
    # (20,000 - 100 - 1,000 - 5,000) x 90% = 12,510: the insured refunds 90.
    assert recovered["claim"]["indemnity"]["amount"] == {"amount": "12510.00"}
    assert recovered["claim"]["refundDue"] == {"amount": "90.00"}
