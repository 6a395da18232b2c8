"""WT-C6 collection costs paid at the coverage percentage on top of the indemnity, and
WT-R2 recovered goods valued at market price but never below 50% of the invoiced
amount, shared as a WT-R1 recovery."""

from __future__ import annotations

from datetime import date

from tests.api.policy_helpers import (
    DECIDE_CLAIM,
    MARK_PAID,
    POLICY_CLAIM,
    RECOVERY,
    advance,
    call,
    eur,
    submit_policy_document,
)
from tests.api.test_policy_disputes import claim_with_dispute

COSTS = (
    "mutation($input: RecordCollectionCostsInput!) { recordCollectionCosts(input: $input) { "
    "claim { status } userErrors { code } } }"
)


async def test_wt_c6_costs_on_top_and_wt_r2_goods_never_below_half_the_invoiced_amount(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    clock: list[str] = []
    claim_id, status = await claim_with_dispute(api, jobs, key, staff, [], clock)
    assert status == "DOCUMENTS_PENDING"
    for kind in ("ACCOUNT_STATEMENT", "INVOICE"):
        await submit_policy_document(api, key, claim_id, kind)
    by_partner = await call(
        api, COSTS, {"input": {"claimId": claim_id, "amount": eur("600.00")}}, key
    )
    assert by_partner["userErrors"][0]["code"] == "FORBIDDEN"
    recorded = await call(
        api, COSTS, {"input": {"claimId": claim_id, "amount": eur("600.00")}}, staff
    )
    assert recorded["userErrors"] == []
    await jobs.run_all()
    claim = await call(api, POLICY_CLAIM, {"id": claim_id}, key)
    # 90% x 9,000.00 = 8,100.00, plus costs 90% x 600.00 = 540.00 (under 50% x 9,000.00)
    assert claim["indemnity"]["amount"]["amount"] == "8640.00"
    assert any(line["amount"]["amount"] == "540.00" for line in claim["indemnity"]["lines"])

    await call(api, DECIDE_CLAIM, {"input": {"claimId": claim_id, "decision": "APPROVE"}}, staff)
    settlement = date.fromisoformat(claim["settlementOn"])
    await advance(api, key, clock[0], settlement)
    paid = await call(
        api, MARK_PAID, {"input": {"claimId": claim_id, "paidOn": settlement.isoformat()}}, staff
    )
    assert paid["claim"]["status"] == "PAID"
    goods = await call(
        api,
        RECOVERY,
        {
            "input": {
                "claimId": claim_id,
                "receivedOn": settlement.isoformat(),
                "goodsMarketValue": eur("1000.00"),
            }
        },
        staff,
    )
    # WT-R2: max(1,000.00, 50% x 9,000.00) = 4,500.00; WT-R1: 90/10.
    assert goods["userErrors"] == []
    assert (goods["insurerShare"], goods["insuredShare"]) == (
        {"amount": "4050.00"},
        {"amount": "450.00"},
    )
