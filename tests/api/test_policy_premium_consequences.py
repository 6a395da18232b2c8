"""What unpaid premium and undeclared sales do to a whole-turnover indemnity, computed on
the payment day: WT-P2 (extension premium unpaid: pro rata), WT-P3 (an adjustment
invoice unpaid after its due date: no indemnity), WT-P4 (an instalment not paid by its
due date ends the policy the day after; claims notified from then are refused, a partial
payment does not reinstate), WT-N4 (omitted sales recorded by staff reduce the
indemnity) and WT-C8 (a collection on a sale outside the cover is set against the
insured credit unless the insurer authorised that sale)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.api.policy_helpers import (
    DECLARE_COLLECTIONS,
    ISSUE_PREMIUM,
    NOTIFY,
    PAY_PREMIUM,
    POLICY,
    POLICY_CLAIM,
    active_policy,
    advance,
    buyer,
    call,
    declare_sales,
    eur,
    granted_limit,
    sale,
)
from tests.api.test_policy_claim_payment import amount_of, notify_and_approve, pay
from tests.api.test_policy_journeys import DECLARE_EXTENSION

SETTLES = date(2027, 8, 14)  # 2027-02-15 + 180 days
OMITTED = (
    "mutation($input: RecordOmittedSalesInput!) { recordOmittedSales(input: $input) { "
    "policy { id } userErrors { code field } } }"
)
AUTHORISE = (
    "mutation($input: AuthoriseSaleOutsideCoverInput!) { authoriseSaleOutsideCover(input: "
    "$input) { credit { invoiceNumber exclusion { rule } } userErrors { code field } } }"
)


async def policy_with_sales(
    api: Any, key: str, staff: str, sales: list[dict[str, Any]], *codes: str
) -> tuple[str, str]:
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 5))
    for code in codes:
        await granted_limit(api, key, staff, policy_id, code, "100000.00")
    await advance(api, key, clock_id, date(2027, 2, 1))
    declared = await declare_sales(api, key, policy_id, "2027-01-01", sales)
    assert declared["userErrors"] == [], declared["userErrors"]
    return policy_id, clock_id


async def invoices(api: Any, key: str, policy_id: str, kind: str) -> list[dict[str, Any]]:
    policy = await call(api, POLICY, {"id": policy_id}, key)
    return [i for i in policy["premiumInvoices"] if i["kind"] == kind]


async def pay_premium(api: Any, staff: str, invoice_id: str, amount: str, on: date) -> None:
    paid = await call(
        api,
        PAY_PREMIUM,
        {"input": {"invoiceId": invoice_id, "amount": eur(amount), "paidOn": on.isoformat()}},
        staff,
    )
    assert paid["userErrors"] == [], paid["userErrors"]


async def test_wt_p4_unpaid_extension_premium_ends_the_policy_and_wt_p2_prorates_the_claim(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await policy_with_sales(
        api,
        key,
        staff,
        [
            sale("1", "A1", "2027-01-10", "2027-02-15", "8000.00"),
            sale("1", "A2", "2027-01-12", "2027-02-20", "5000.00"),
            sale("2", "B1", "2027-01-12", "2027-02-20", "3000.00"),
        ],
        "1",
        "2",
    )
    # WT-X1 on 2027-02-25: A2 to 2027-04-20 (59 days: the 60-day rate, 0.20% = 10.00),
    # invoiced that day, due 30 days later on 2027-03-27.
    await advance(api, key, clock_id, date(2027, 2, 25))
    extended = await call(
        api,
        DECLARE_EXTENSION,
        {
            "input": {
                "policyId": policy_id,
                "buyer": buyer("1"),
                "invoiceNumber": "A2",
                "newDueDate": "2027-04-20",
            }
        },
        key,
    )
    assert extended["extension"]["premium"] == {"amount": "10.00"}
    (extension,) = await invoices(api, key, policy_id, "EXTENSION")
    assert extension["amount"] == {"amount": "10.00"}
    await advance(api, key, clock_id, date(2027, 3, 1))
    claim = await notify_and_approve(api, jobs, key, staff, policy_id, "1")
    assert [c["invoiceNumber"] for c in claim["credits"]] == ["A1"]

    await advance(api, key, clock_id, date(2027, 3, 27))  # the due date: still in force
    assert (await call(api, POLICY, {"id": policy_id}, key))["status"] == "ACTIVE"
    await advance(api, key, clock_id, date(2027, 3, 28))
    policy = await call(api, POLICY + "", {"id": policy_id}, key)
    assert policy["status"] == "TERMINATED"
    terminated = [e["data"] for e in policy["events"] if e["type"] == "policy.terminated"]
    assert terminated == [
        {"terminatedOn": "2027-03-28", "invoiceId": extension["id"], "rule": "WT-P4"}
    ]
    # A partial payment does not reinstate cover (WT-P4).
    await pay_premium(api, staff, extension["id"], "4.00", date(2027, 3, 29))
    await advance(api, key, clock_id, date(2027, 3, 29))
    assert (await call(api, POLICY, {"id": policy_id}, key))["status"] == "TERMINATED"
    after = await call(
        api,
        NOTIFY,
        {"input": {"policyId": policy_id, "buyer": buyer("2"), "cause": "NON_PAYMENT"}},
        key,
    )
    assert [e["code"] for e in after["userErrors"]] == ["WT-P4"]

    # The claim notified before the termination is still owed, reduced pro rata for the
    # extension premium left unpaid (WT-P2): 7,200.00 x 6.00 / 110.00 = 392.73 less.
    await advance(api, key, clock_id, SETTLES)
    paid = await pay(api, staff, claim["id"], SETTLES)
    assert (paid["claim"]["status"], amount_of(paid["claim"])) == ("PAID", "6807.27")
    assert ("WT-P2", {"amount": "-392.73"}) in [
        (line["rule"], line["amount"]) for line in paid["claim"]["indemnity"]["lines"]
    ]


async def test_wt_p3_unpaid_adjustment_invoice_after_its_due_date_pays_nothing(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    # 60,000.00 for 36 days at 0.20% = 120.00 accrued, 20.00 above the minimum premium.
    policy_id, clock_id = await policy_with_sales(
        api, key, staff, [sale("1", "A1", "2027-01-10", "2027-02-15", "60000.00")], "1"
    )
    issued = await call(
        api, ISSUE_PREMIUM, {"input": {"policyId": policy_id, "month": "2027-01-01"}}, staff
    )
    adjustment = issued["invoice"]
    assert adjustment["amount"] == {"amount": "20.00"}
    await advance(api, key, clock_id, date(2027, 3, 1))
    claim = await notify_and_approve(api, jobs, key, staff, policy_id, "1")
    # The period cap: 100.00 x 200 = 20,000.00 (90% x 60,000.00 above it).
    assert amount_of(claim) == "20000.00"
    await advance(api, key, clock_id, SETTLES)
    refused = await pay(api, staff, claim["id"], SETTLES)
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("WT-P3", ["input", "claimId"])
    ]
    assert refused["claim"] is None
    # Paid late, the adjustment no longer removes the right; the policy ended on
    # 2027-03-04 (WT-P4) but this claim was notified before.
    await pay_premium(api, staff, adjustment["id"], "20.00", SETTLES)
    paid = await pay(api, staff, claim["id"], SETTLES)
    assert (paid["claim"]["status"], amount_of(paid["claim"])) == ("PAID", "20000.00")
    assert (await call(api, POLICY, {"id": policy_id}, key))["status"] == "TERMINATED"


async def test_wt_n4_omitted_sales_recorded_by_staff_reduce_the_indemnity(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await policy_with_sales(
        api, key, staff, [sale("1", "A1", "2027-01-10", "2027-02-15", "8000.00")], "1"
    )
    omitted = {
        "policyId": policy_id,
        "sales": [
            {
                "buyer": buyer("1"),
                "invoiceNumber": "Z1",
                "issueDate": "2027-01-10",
                "dueDate": "2027-02-15",
                "amount": eur("2000.00"),
            }
        ],
    }
    by_partner = await call(api, OMITTED, {"input": omitted}, key)
    assert by_partner["userErrors"][0]["code"] == "FORBIDDEN"
    assert (await call(api, OMITTED, {"input": omitted}, staff))["userErrors"] == []
    again = await call(api, OMITTED, {"input": omitted}, staff)
    assert again["userErrors"][0]["code"] == "INVALID_STATE"
    await advance(api, key, clock_id, date(2027, 3, 1))
    claim = await notify_and_approve(api, jobs, key, staff, policy_id, "1")
    # Premium received 16.00 (8,000.00 at 0.20%) of 20.00 due: 7,200.00 x 0.8.
    assert amount_of(claim) == "5760.00"
    await advance(api, key, clock_id, SETTLES)
    paid = await pay(api, staff, claim["id"], SETTLES)
    assert amount_of(paid["claim"]) == "5760.00"
    assert "WT-N4" in [line["rule"] for line in paid["claim"]["indemnity"]["lines"]]


async def test_wt_c8_collection_on_an_outside_cover_sale_unless_the_insurer_authorised_it(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 5))
    await granted_limit(api, key, staff, policy_id, "1", "10000.00")
    await advance(api, key, clock_id, date(2027, 2, 1))
    declared = await declare_sales(
        api,
        key,
        policy_id,
        "2027-01-01",
        [
            sale("1", "A1", "2027-01-10", "2027-02-15", "8000.00"),
            # 151 days, over the limit's 90-day maximum term: outside the cover (WT-L6).
            sale("1", "X1", "2027-01-10", "2027-06-10", "1000.00"),
        ],
    )
    rules = {
        s["invoiceNumber"]: (s["exclusion"] or {}).get("rule")
        for s in declared["declaration"]["sales"]
    }
    assert rules == {"A1": None, "X1": "WT-L6"}
    await advance(api, key, clock_id, date(2027, 3, 1))
    paid_x1 = await call(
        api,
        DECLARE_COLLECTIONS,
        {
            "input": {
                "policyId": policy_id,
                "month": "2027-02-01",
                "collections": [
                    {
                        "buyer": buyer("1"),
                        "amount": eur("1000.00"),
                        "receivedOn": "2027-02-20",
                        "invoiceNumber": "X1",
                    }
                ],
            }
        },
        key,
    )
    assert paid_x1["userErrors"] == []
    claim = await notify_and_approve(api, jobs, key, staff, policy_id, "1")
    # (8,000.00 - 1,000.00 received on X1) x 90%.
    assert amount_of(claim) == "6300.00"
    authorised = await call(
        api,
        AUTHORISE,
        {"input": {"policyId": policy_id, "buyer": buyer("1"), "invoiceNumber": "X1"}},
        staff,
    )
    assert authorised["userErrors"] == []
    covered = await call(
        api,
        AUTHORISE,
        {"input": {"policyId": policy_id, "buyer": buyer("1"), "invoiceNumber": "A1"}},
        staff,
    )
    assert covered["userErrors"][0]["code"] == "INVALID_STATE"
    await jobs.run_all()
    assert amount_of(await call(api, POLICY_CLAIM, {"id": claim["id"]}, key)) == "7200.00"
