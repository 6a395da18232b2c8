"""WT-C4 over the API: a disputed credit is left out of the indemnity (suspended) until
staff record the final judgment; for the insured it counts again and the indemnity is
recalculated, against the insured it is excluded with WT-C4. A claim whose every credit
is disputed waits SUSPENDED."""

from __future__ import annotations

from datetime import date

from tests.api.policy_helpers import (
    NOTIFY,
    active_policy,
    advance,
    buyer,
    call,
    declare_sales,
    granted_limit,
    sale,
    submit_policy_document,
)

RESOLVE = (
    "mutation($input: ResolveCreditDisputeInput!) { resolveCreditDispute(input: $input) { "
    "claim { id status credits { invoiceNumber } indemnity { amount { amount } } "
    "rejection { rule } } userErrors { code field } } }"
)
CLAIM = (
    "query($id: ID!) { policyClaim(id: $id) { status credits { invoiceNumber disputed } "
    "indemnity { amount { amount } } } }"
)


async def claim_with_dispute(
    api, jobs, key, staff, disputed: list[str], clock: list[str] | None = None
) -> tuple[str, str]:
    """D1 5,000.00 (due 02-15) and D2 4,000.00 (due 02-20) to buyer 7 under a 20,000.00
    limit, notified on 2027-03-01 with `disputed` invoices. `clock` receives the clock id."""
    policy_id, clock_id = await active_policy(api, key, staff)
    if clock is not None:
        clock.append(clock_id)
    await advance(api, key, clock_id, date(2027, 1, 5))
    await granted_limit(api, key, staff, policy_id, "7", "20000.00")
    await advance(api, key, clock_id, date(2027, 2, 1))
    declared = await declare_sales(
        api,
        key,
        policy_id,
        "2027-01-01",
        [
            sale("7", "D1", "2027-01-10", "2027-02-15", "5000.00"),
            sale("7", "D2", "2027-01-15", "2027-02-20", "4000.00"),
        ],
    )
    assert declared["userErrors"] == []
    await advance(api, key, clock_id, date(2027, 3, 1))
    notified = await call(
        api,
        NOTIFY,
        {
            "input": {
                "policyId": policy_id,
                "buyer": buyer("7"),
                "cause": "NON_PAYMENT",
                "disputedInvoiceNumbers": disputed,
            }
        },
        key,
    )
    assert notified["userErrors"] == [], notified["userErrors"]
    return notified["claim"]["id"], notified["claim"]["status"]


async def test_wt_c4_disputed_credit_is_left_out_until_judged_for_the_insured(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    claim_id, status = await claim_with_dispute(api, jobs, key, staff, ["D2"])
    assert status == "DOCUMENTS_PENDING"
    for kind in ("ACCOUNT_STATEMENT", "INVOICE"):
        await submit_policy_document(api, key, claim_id, kind)
    await jobs.run_all()
    before = await call(api, CLAIM, {"id": claim_id}, key)
    # WT-C6: 90% x 5,000.00 (D1 only; D2 is disputed) = 4,500.00
    assert before["indemnity"]["amount"]["amount"] == "4500.00"
    assert [c["disputed"] for c in before["credits"]] == [False, True]

    judged = await call(
        api,
        RESOLVE,
        {
            "input": {
                "claimId": claim_id,
                "invoiceNumber": "D2",
                "forInsured": True,
                "decidedOn": "2027-06-01",
            }
        },
        staff,
    )
    assert judged["userErrors"] == []
    await jobs.run_all()
    after = await call(api, CLAIM, {"id": claim_id}, key)
    # 90% x (5,000.00 + 4,000.00) = 8,100.00
    assert after["indemnity"]["amount"]["amount"] == "8100.00"


async def test_wt_c4_every_credit_disputed_waits_suspended_then_rejected_against_insured(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    claim_id, status = await claim_with_dispute(api, jobs, key, staff, ["D1", "D2"])
    assert status == "SUSPENDED"
    for number in ("D1", "D2"):
        judged = await call(
            api,
            RESOLVE,
            {
                "input": {
                    "claimId": claim_id,
                    "invoiceNumber": number,
                    "forInsured": False,
                    "decidedOn": "2027-06-01",
                }
            },
            staff,
        )
        assert judged["userErrors"] == []
    assert judged["claim"]["status"] == "REJECTED"
    assert judged["claim"]["rejection"] == {"rule": "WT-C4"}
    by_partner = await call(
        api,
        RESOLVE,
        {
            "input": {
                "claimId": claim_id,
                "invoiceNumber": "D1",
                "forInsured": True,
                "decidedOn": "2027-06-01",
            }
        },
        key,
    )
    assert by_partner["userErrors"][0]["code"] == "FORBIDDEN"
