"""A whole-turnover policy end to end in its simplest form: created, activated by its
minimum premium (WT-P1), one buyer limit granted from the 1st of the month before the
request (WT-L2), a month of sales declared and priced, exposure within the limit
(WT-L5), a collection applied oldest due date first (WT-N2)."""

from __future__ import annotations

from datetime import date

from tests.api.policy_helpers import (
    POLICY,
    active_policy,
    advance,
    buyer,
    call,
    declare_collections,
    declare_sales,
    eur,
    exposure,
    granted_limit,
    sale,
)


async def test_wt_policy_limit_sales_exposure_and_collection(api, make_partner, make_staff):
    key = await make_partner()
    staff = await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 20))
    limit = await granted_limit(api, key, staff, policy_id, "1", "50000.00")
    # WT-L2: the 1st of the month before the request, not before the policy start.
    assert limit["effectiveFrom"] == "2027-01-01"
    assert limit["status"] == "GRANTED"

    await advance(api, key, clock_id, date(2027, 2, 10))
    declared = await declare_sales(
        api,
        key,
        policy_id,
        "2027-01-01",
        [
            sale("1", "A1", "2027-01-10", "2027-03-10", "10000.00"),
            sale("1", "A2", "2027-01-20", "2027-04-20", "45000.00"),
        ],
    )
    assert declared["userErrors"] == [], declared["userErrors"]
    assert declared["declaration"]["late"] is False
    assert declared["declaration"]["dueOn"] == "2027-02-28"
    premiums = {
        s["invoiceNumber"]: s["premium"]["amount"] for s in declared["declaration"]["sales"]
    }
    assert premiums == {"A1": "20.00", "A2": "135.00"}  # 0.20% (59 days), 0.30% (90 days)

    seen = await exposure(api, key, policy_id, "1", "2027-02-10")
    assert (seen["exposure"], seen["insured"], seen["uninsured"]) == (
        {"amount": "55000.00"},
        {"amount": "50000.00"},
        {"amount": "5000.00"},
    )
    collected = await declare_collections(
        api,
        key,
        policy_id,
        "2027-02-01",
        [{"buyer": buyer("1"), "amount": eur("10000.00"), "receivedOn": "2027-02-12"}],
    )
    assert collected["userErrors"] == []
    after = await exposure(api, key, policy_id, "1", "2027-02-12")
    # WT-N2: applied to A1 (oldest due date); WT-L5: A2 now fits the limit entirely.
    assert (after["exposure"], after["insured"], after["uninsured"]) == (
        {"amount": "45000.00"},
        {"amount": "45000.00"},
        {"amount": "0.00"},
    )
    await advance(api, key, clock_id, date(2027, 3, 2))
    policy = await call(api, POLICY, {"id": policy_id}, key)
    # WT-P1: accrued 155.00 > minimum 100.00 -> January's adjustment of 55.00.
    adjustments = [i for i in policy["premiumInvoices"] if i["kind"] == "ADJUSTMENT"]
    assert [(i["month"], i["amount"]["amount"]) for i in adjustments] == [("2027-01-01", "55.00")]
