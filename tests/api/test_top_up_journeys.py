"""Top-up policies over the API on test clocks (TU rules, seed 004):

- a buyer limit reduced twice by the first layer (TU-L2 proportional) and recomputed by
  TU-L1 six months after the last reduction, by the sweep a clock advance runs (TU-L3);
- a year with three losses: the aggregate deductible consumed exactly once across them,
  the annual sum insured reduced by each indemnity (TU-C2), and a late recovery that
  recalculates a paid indemnity into a refund the insured owes (TU-R1);
- deliveries insured or not (TU-E1 invoicing term, TU-E3 supply cut-off), TU-N1 late
  notification, TU-E2 undue first-layer payment, TU-P1 unpaid premium.
"""

from __future__ import annotations

from datetime import date

from tests.api.cover_helpers import create_clock
from tests.api.policy_helpers import INSURED, advance, buyer, buyer_company, call, eur

ERRORS = "userErrors { code message field }"
CREATE = (
    "mutation($input: CreateTopUpPolicyInput!) { createTopUpPolicy(input: $input) { "
    "policy { id remainingSumInsured { amount } } " + ERRORS + " } }"
)
PREMIUM = (
    "mutation($input: RecordTopUpPremiumInput!) { recordTopUpPremium(input: $input) { "
    "policy { premiumPaidOn } " + ERRORS + " } }"
)
DECISION = (
    "mutation($input: RecordFirstLayerDecisionInput!) { recordFirstLayerDecision(input: $input) "
    "{ limit { topUpLimit { amount } firstLayerGranted { amount } zeroLocked recomputeOn "
    "history { decidedOn topUpLimit { amount } cause } } " + ERRORS + " } }"
)
LIMITS = (
    "query($id: ID!) { topUpLimits(policyId: $id) { topUpLimit { amount } zeroLocked "
    "recomputeOn history { cause } } }"
)
DELIVERIES = (
    "mutation($input: DeclareDeliveriesInput!) { declareDeliveries(input: $input) { "
    "deliveries { invoiceNumber insured violations { rule } } " + ERRORS + " } }"
)
CLAIM_FIELDS = (
    "id status insuranceYear paidAmount { amount } refundDue { amount } recoveries { amount } "
    "rejection { rule } indemnity { amount { amount } aggregateDeductibleUsed { amount } "
    "lines { label amount { amount } rule } }"
)
NOTIFY = (
    "mutation($input: NotifyInsolvencyInput!) { notifyInsolvency(input: $input) { claim { "
    + CLAIM_FIELDS
    + " } "
    + ERRORS
    + " } }"
)
FIRST_LAYER_PAID = (
    "mutation($input: RecordFirstLayerIndemnityInput!) { recordFirstLayerIndemnity(input: "
    "$input) { claim { " + CLAIM_FIELDS + " } " + ERRORS + " } }"
)
DECIDE = (
    "mutation($input: DecideTopUpClaimInput!) { decideTopUpClaim(input: $input) { claim { "
    + CLAIM_FIELDS
    + " } "
    + ERRORS
    + " } }"
)
RECOVERY = (
    "mutation($input: RecordTopUpRecoveryInput!) { recordTopUpRecovery(input: $input) { "
    "claim { " + CLAIM_FIELDS + " } " + ERRORS + " } }"
)
POLICY = "query($id: ID!) { topUpPolicy(id: $id) { remainingSumInsured { amount } } }"
SET_TERMS = (
    "mutation($input: SetTopUpPolicyTermsInput!) { setTopUpPolicyTerms(input: $input) { "
    "policy { id status coveragePercent annualSumInsured { amount } } " + ERRORS + " } }"
)
#: The insurer's terms these journeys use, set by staff (setTopUpPolicyTerms).
TERMS = {
    "coveragePercent": "90",
    "perLossDeductible": eur("1000.00"),
    "annualAggregateDeductible": eur("5000.00"),
    "annualSumInsured": eur("100000.00"),
    "pniThreshold": eur("2000.00"),
    "maxPaymentTermDays": 120,
    "supplyCutoffDays": 60,
    "coveredCountries": ["ES", "PT"],
    "minimumPremium": eur("3000.00"),
}


def policy_input(clock_id: str, **changes) -> dict:
    data = {
        "insured": INSURED,
        "firstLayerInsurer": "Primera Capa Seguros SA",
        "firstLayerPolicy": "PC-2027-001",
        "currency": "EUR",
        "periodStart": "2027-01-01",
        "periodEnd": "2027-12-31",
        "firstLayerCoveragePercent": "90",
        "testClockId": clock_id,
    }
    data.update(changes)
    return data


async def top_up_policy(
    api, key, staff, *, pay_premium: bool = True, paid_on: str = "2027-01-01", **changes
) -> tuple[str, str]:
    """A policy requested by the partner, its terms set by staff (TERMS), and (by
    default) its minimum premium paid on the first day, so it is in force (TU-P1)."""
    clock_id = await create_clock(api, key, "2027-01-02T09:00:00+00:00")
    created = await call(api, CREATE, {"input": policy_input(clock_id, **changes)}, key)
    assert created["userErrors"] == [], created["userErrors"]
    policy_id = created["policy"]["id"]
    terms = await call(api, SET_TERMS, {"input": {"policyId": policy_id, **TERMS}}, staff)
    assert terms["userErrors"] == [], terms["userErrors"]
    if pay_premium:
        paid = await call(
            api, PREMIUM, {"input": {"policyId": policy_id, "paidOn": paid_on}}, staff
        )
        assert paid["policy"]["premiumPaidOn"] == paid_on
    return policy_id, clock_id


async def decide(api, key, policy_id, code, requested, granted, on) -> dict:
    answer = await call(
        api,
        DECISION,
        {
            "input": {
                "policyId": policy_id,
                "buyer": buyer_company(code),
                "requested": eur(requested),
                "granted": eur(granted),
                "decidedOn": on,
            }
        },
        key,
    )
    assert answer["userErrors"] == [], answer["userErrors"]
    return dict(answer["limit"])


async def limits(api, key, policy_id) -> list[dict]:
    body = await api.execute(LIMITS, {"id": policy_id}, key=key)
    return list(body["data"]["topUpLimits"])


async def test_tu_l2_reduced_twice_then_tu_l3_recomputed_six_months_later(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)
    # TU-L1: min(100,000 - 60,000, 60,000) = 40,000
    first = await decide(api, key, policy_id, "1", "100000.00", "60000.00", "2027-01-05")
    assert first["topUpLimit"] == {"amount": "40000.00"}
    # TU-L2: 40,000 x 45,000 / 60,000 = 30,000; then 30,000 x 30,000 / 45,000 = 20,000
    cut = await decide(api, key, policy_id, "1", "100000.00", "45000.00", "2027-02-01")
    assert cut["topUpLimit"] == {"amount": "30000.00"}
    assert cut["recomputeOn"] == "2027-08-01"
    again = await decide(api, key, policy_id, "1", "100000.00", "30000.00", "2027-03-15")
    assert again["topUpLimit"] == {"amount": "20000.00"}
    assert again["recomputeOn"] == "2027-09-15"  # each reduction restarts the 6 months

    await advance(api, key, clock_id, date(2027, 9, 14))
    [before] = await limits(api, key, policy_id)
    assert before["topUpLimit"] == {"amount": "20000.00"}
    await advance(api, key, clock_id, date(2027, 9, 15))
    [after] = await limits(api, key, policy_id)
    # TU-L3: recomputed by TU-L1 on the first layer's 30,000: min(70,000, 30,000)
    assert after["topUpLimit"] == {"amount": "30000.00"}
    assert after["recomputeOn"] is None
    assert [h["cause"][:5] for h in after["history"]] == ["TU-L1", "TU-L2", "TU-L2", "TU-L3"]


async def test_tu_l2_zero_at_the_reduction_stays_zero_until_recomputed(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await top_up_policy(api, key, staff)
    # Requested 50,000, granted 50,000: the top-up limit is 0 (TU-L1).
    await decide(api, key, policy_id, "2", "50000.00", "50000.00", "2027-01-05")
    cut = await decide(api, key, policy_id, "2", "50000.00", "20000.00", "2027-02-01")
    assert (cut["topUpLimit"], cut["zeroLocked"]) == ({"amount": "0.00"}, True)


async def three_losses(api, key, staff, policy_id):
    """Three buyers each lose 30,000 with a 20,000 top-up limit; the first layer pays."""
    claims = []
    for n, code in enumerate(("3", "4", "5")):
        await decide(api, key, policy_id, code, "40000.00", "20000.00", "2027-01-05")
        notified = await call(
            api,
            NOTIFY,
            {
                "input": {
                    "policyId": policy_id,
                    "buyer": buyer(code),
                    "learnedOn": "2027-06-01",
                    "coveredLoss": eur("30000.00"),
                    "firstUnpaidInvoiceDate": f"2027-0{3 + n}-10",
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
        claims.append(paid["claim"])
    return claims


async def test_tu_c1_c2_three_losses_consume_the_aggregate_deductible_once_then_tu_r1_refund(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 6, 25))
    first, second, third = await three_losses(api, key, staff, policy_id)
    # Each: loss 30,000 limited to 20,000 - per-loss 1,000 = 19,000, then the aggregate:
    # first 5,000 (all of it) -> 14,000 x 90% = 12,600; second and third 0 -> 17,100.
    used = [c["indemnity"]["aggregateDeductibleUsed"]["amount"] for c in (first, second, third)]
    assert used == ["5000.00", "0.00", "0.00"]
    amounts = [c["indemnity"]["amount"]["amount"] for c in (first, second, third)]
    assert amounts == ["12600.00", "17100.00", "17100.00"]
    assert all(c["insuranceYear"] == 0 for c in (first, second, third))
    policy = await call(api, POLICY, {"id": policy_id}, key)
    # TU-C2: 100,000 - 12,600 - 17,100 - 17,100 = 53,200
    assert policy["remainingSumInsured"] == {"amount": "53200.00"}

    by_partner = await call(
        api,
        DECIDE,
        {"input": {"claimId": first["id"], "approve": True, "paidOn": "2027-07-01"}},
        key,
    )
    assert by_partner["userErrors"][0]["code"] == "FORBIDDEN"
    paid = await call(
        api,
        DECIDE,
        {"input": {"claimId": first["id"], "approve": True, "paidOn": "2027-07-01"}},
        staff,
    )
    assert paid["claim"]["status"] == "PAID"
    assert paid["claim"]["paidAmount"] == {"amount": "12600.00"}

    # A late recovery of 4,000 on the first loss: 20,000 - 4,000 - 1,000 - 5,000 = 10,000
    # x 90% = 9,000; 12,600 was paid: the insured refunds 3,600 (TU-R1).
    recovered = await call(
        api,
        RECOVERY,
        {
            "input": {
                "claimId": first["id"],
                "amount": eur("4000.00"),
                "receivedOn": "2027-10-01",
            }
        },
        staff,
    )
    assert recovered["userErrors"] == []
    assert recovered["claim"]["indemnity"]["amount"] == {"amount": "9000.00"}
    assert recovered["claim"]["refundDue"] == {"amount": "3600.00"}
    assert recovered["claim"]["indemnity"]["aggregateDeductibleUsed"] == {"amount": "5000.00"}


async def test_tu_e1_e3_deliveries_insured_or_not(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, _ = await top_up_policy(api, key, staff)
    await decide(api, key, policy_id, "6", "40000.00", "20000.00", "2027-01-05")

    def delivery(number, delivered, invoiced, due, paid=None):
        return {
            "buyer": buyer("6"),
            "invoiceNumber": number,
            "deliveredOn": delivered,
            "invoicedOn": invoiced,
            "dueDate": due,
            "amount": eur("1000.00"),
            "paidOn": paid,
        }

    answer = await call(
        api,
        DELIVERIES,
        {
            "input": {
                "policyId": policy_id,
                "deliveries": [
                    delivery("D60", "2027-02-01", "2027-04-02", "2027-05-02"),  # day 60
                    delivery("D61", "2027-02-01", "2027-04-03", "2027-05-03"),  # day 61
                    # Unpaid since 2027-05-02: 60 days overdue on 07-01, 61 on 07-02.
                    delivery("C60", "2027-07-01", "2027-07-01", "2027-08-01"),
                    delivery("C61", "2027-07-02", "2027-07-02", "2027-08-02"),
                ],
            }
        },
        key,
    )
    assert answer["userErrors"] == []
    rules = {d["invoiceNumber"]: [v["rule"] for v in d["violations"]] for d in answer["deliveries"]}
    assert rules == {"D60": [], "D61": ["TU-E1"], "C60": [], "C61": ["TU-E3"]}


async def test_tu_n1_e2_p1_late_notice_undue_payment_unpaid_premium(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff, pay_premium=False)
    await decide(api, key, policy_id, "7", "40000.00", "20000.00", "2027-01-05")
    await advance(api, key, clock_id, date(2027, 7, 2))

    def notice(learned_on):
        return {
            "input": {
                "policyId": policy_id,
                "buyer": buyer("7"),
                "learnedOn": learned_on,
                "coveredLoss": eur("30000.00"),
                "firstUnpaidInvoiceDate": "2027-03-10",
            }
        }

    late = await call(api, NOTIFY, notice("2027-06-01"), key)  # 31 days
    assert late["userErrors"][0]["code"] == "TU-N1"
    notified = await call(api, NOTIFY, notice("2027-06-02"), key)  # 30 days
    assert notified["userErrors"] == []
    claim_id = notified["claim"]["id"]
    event = await call(
        api,
        FIRST_LAYER_PAID,
        {"input": {"claimId": claim_id, "paidOn": "2027-07-02", "amount": eur("18000.00")}},
        key,
    )
    # TU-P1: the premium is unpaid: the indemnity owed is calculated (a preview) and its
    # payment is refused with the rule, never paid as 0.
    assert event["claim"]["indemnity"]["amount"] == {"amount": "12600.00"}
    refused = await call(
        api,
        DECIDE,
        {"input": {"claimId": claim_id, "approve": True, "paidOn": "2027-07-03"}},
        staff,
    )
    assert refused["userErrors"][0]["code"] == "TU-P1"

    await decide(api, key, policy_id, "8", "40000.00", "20000.00", "2027-07-02")
    undue = await call(
        api,
        NOTIFY,
        {**notice("2027-06-20"), "input": {**notice("2027-06-20")["input"], "buyer": buyer("8")}},
        key,
    )
    not_owed = await call(
        api,
        FIRST_LAYER_PAID,
        {
            "input": {
                "claimId": undue["claim"]["id"],
                "paidOn": "2027-07-02",
                "amount": eur("18000.00"),
                "owed": False,
            }
        },
        key,
    )
    assert not_owed["claim"]["status"] == "REJECTED"
    assert not_owed["claim"]["rejection"] == {"rule": "TU-E2"}


async def test_tu_r1_unattributable_recovery_shared_pro_rata(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await top_up_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 6, 25))
    _, second, _ = await three_losses(api, key, staff, policy_id)
    shared = await call(
        api,
        RECOVERY,
        {
            "input": {
                "claimId": second["id"],
                "amount": eur("3510.00"),
                "receivedOn": "2027-09-01",
                "attributable": False,
            }
        },
        key,
    )
    assert shared["userErrors"] == []
    # Parts of the 30,000 loss: first layer 18,000, top-up 17,100, insured nothing left;
    # the top-up's share is 3,510 x 17,100 / 35,100 = 1,710.00. Recalculated:
    # (20,000 - 1,710 - 1,000 - 0 aggregate left) x 90% = 15,561.00, not yet paid.
    assert shared["claim"]["recoveries"] == {"amount": "1710.00"}
    assert shared["claim"]["indemnity"]["amount"] == {"amount": "15561.00"}
    assert shared["claim"]["refundDue"] == {"amount": "0.00"}
