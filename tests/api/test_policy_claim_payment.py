"""The amount a whole-turnover claim pays is recomputed on the payment day, inside the
paying transaction (LIFECYCLE 5a): the period cap against the indemnities paid since
the calculation (WT-C6), collection costs recorded after it (WT-C6), the rate of the
payment day (WT-C7), the buyer maximum across claims even after recoveries (WT-C9); and
when it may be paid: the waiting period from the credit's due date (WT-C3) and the
payment term after it (WT-C10)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.store.policy_models import Policy
from tests.api.policy_helpers import (
    DECIDE_CLAIM,
    MARK_PAID,
    NOTIFY,
    POLICY_CLAIM,
    RECOVERY,
    SET_RATE,
    active_policy,
    advance,
    buyer,
    call,
    declare_sales,
    eur,
    granted_limit,
    sale,
    submit_policy_document,
)

COSTS = (
    "mutation($input: RecordCollectionCostsInput!) { recordCollectionCosts(input: $input) { "
    "claim { status } userErrors { code } } }"
)
#: A's credit is due on 2027-02-15: the 180-day waiting period ends on 2027-08-14.
DUE = date(2027, 2, 15)
SETTLEMENT = DUE + timedelta(days=180)
#: A payment day after the waiting period however it is counted (from the notification on
#: 2027-03-01 it would end on 2027-08-28), so the amount tests prove only the amount.
PAID_ON = date(2027, 8, 28)


async def set_terms(policy_id: str, **terms: Any) -> None:
    """The insurer's underwriting terms, set directly (whoever sets them through the API)."""
    await Policy.filter(id=policy_id).update(**terms)


async def notify_and_approve(api: Any, jobs: Any, key: str, staff: str, policy_id: str, code: str):
    notified = await call(
        api,
        NOTIFY,
        {"input": {"policyId": policy_id, "buyer": buyer(code), "cause": "NON_PAYMENT"}},
        key,
    )
    assert notified["userErrors"] == [], notified["userErrors"]
    claim_id = notified["claim"]["id"]
    for kind in ("ACCOUNT_STATEMENT", "INVOICE"):
        await submit_policy_document(api, key, claim_id, kind)
    await jobs.run_all()
    approved = await call(
        api, DECIDE_CLAIM, {"input": {"claimId": claim_id, "decision": "APPROVE"}}, staff
    )
    assert approved["userErrors"] == [], approved["userErrors"]
    return approved["claim"]


async def pay(api: Any, staff: str, claim_id: str, on: date) -> dict[str, Any]:
    return await call(
        api, MARK_PAID, {"input": {"claimId": claim_id, "paidOn": on.isoformat()}}, staff
    )


async def one_sale_claims(
    api: Any, jobs: Any, key: str, staff: str, codes: tuple[str, ...], **terms: Any
) -> tuple[str, str, list[dict[str, Any]]]:
    """A policy (coverage 90%) with one 8,000.00 credit per buyer (limit 10,000.00) due on
    DUE, each notified on 2027-03-01 and approved: (policy, clock, claims)."""
    policy_id, clock_id = await active_policy(api, key, staff)
    if terms:
        await set_terms(policy_id, **terms)
    await advance(api, key, clock_id, date(2027, 1, 5))
    for code in codes:
        await granted_limit(api, key, staff, policy_id, code, "10000.00")
    await advance(api, key, clock_id, date(2027, 2, 1))
    declared = await declare_sales(
        api,
        key,
        policy_id,
        "2027-01-01",
        [sale(code, f"A{code}", "2027-01-10", DUE.isoformat(), "8000.00") for code in codes],
    )
    assert declared["userErrors"] == [], declared["userErrors"]
    await advance(api, key, clock_id, date(2027, 3, 1))
    claims = [await notify_and_approve(api, jobs, key, staff, policy_id, c) for c in codes]
    return policy_id, clock_id, claims


def amount_of(claim: dict[str, Any]) -> str:
    return str(claim["indemnity"]["amount"]["amount"])


async def test_wt_c6_period_cap_holds_when_second_claim_paid_after_first(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    # Period cap: minimum premium 100.00 x 80 = 8,000.00.
    policy_id, clock_id, (first, second) = await one_sale_claims(
        api, jobs, key, staff, ("1", "2"), max_indemnity_multiple=80
    )
    # Both calculated before either was paid: 90% x 8,000.00 = 7,200.00 each.
    assert (amount_of(first), amount_of(second)) == ("7200.00", "7200.00")
    await advance(api, key, clock_id, PAID_ON)
    paid_first = await pay(api, staff, first["id"], PAID_ON)
    assert (paid_first["claim"]["status"], amount_of(paid_first["claim"])) == ("PAID", "7200.00")
    paid_second = await pay(api, staff, second["id"], PAID_ON)
    # 8,000.00 - 7,200.00 paid = 800.00 left in the period, not the stale 7,200.00.
    assert (paid_second["claim"]["status"], amount_of(paid_second["claim"])) == ("PAID", "800.00")
    lines = paid_second["claim"]["indemnity"]["lines"]
    assert (
        "Capped at the period maximum left (8000.00 less 7200.00 paid)",
        {"amount": "800.00"},
        "WT-C6",
    ) in [(line["label"], line["amount"], line["rule"]) for line in lines]
    policy = await Policy.get(id=policy_id)
    assert policy.indemnities_paid == 8000  # exactly the cap, never above it


async def test_wt_c6_collection_costs_recorded_after_the_calculation_are_in_the_amount_paid(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    _, clock_id, (claim,) = await one_sale_claims(api, jobs, key, staff, ("3",))
    assert amount_of(claim) == "7200.00"
    recorded = await call(
        api, COSTS, {"input": {"claimId": claim["id"], "amount": eur("500.00")}}, staff
    )
    assert recorded["userErrors"] == []
    # No recalculation job runs before the payment: the payment recomputes.
    await advance(api, key, clock_id, PAID_ON)
    paid = await pay(api, staff, claim["id"], PAID_ON)
    # 7,200.00 + 90% x 500.00 (under 50% x min(10,000.00, 8,000.00)) = 7,650.00.
    assert (paid["claim"]["status"], amount_of(paid["claim"])) == ("PAID", "7650.00")


async def usd_claim_on_rates(
    api: Any, jobs: Any, key: str, staff: str, calculation_rate: str, payment_rate: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """1,000.00 USD sold at 0.91234567 on 2027-01-12, due DUE, calculated on 2027-03-01
    at `calculation_rate`, paid on PAID_ON at `payment_rate` (set the day before it:
    the latest rate on or before the payment day). Returns (preview, paid)."""
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 5))
    await granted_limit(api, key, staff, policy_id, "5", "30000.00")
    for day, rate in (("2027-01-12", "0.91234567"), ("2027-03-01", calculation_rate)):
        await call(
            api,
            SET_RATE,
            {"input": {"fromCurrency": "USD", "toCurrency": "EUR", "on": day, "rate": rate}},
            staff,
        )
    await advance(api, key, clock_id, date(2027, 2, 1))
    usd = sale("5", "U1", "2027-01-12", DUE.isoformat(), "1000.00")
    usd["amount"] = {"amount": "1000.00", "currency": "USD"}
    assert (await declare_sales(api, key, policy_id, "2027-01-01", [usd]))["userErrors"] == []
    await advance(api, key, clock_id, date(2027, 3, 1))
    claim = await notify_and_approve(api, jobs, key, staff, policy_id, "5")
    the_day_before = (PAID_ON - timedelta(days=1)).isoformat()
    await call(
        api,
        SET_RATE,
        {
            "input": {
                "fromCurrency": "USD",
                "toCurrency": "EUR",
                "on": the_day_before,
                "rate": payment_rate,
            }
        },
        staff,
    )
    await advance(api, key, clock_id, PAID_ON)
    paid = await pay(api, staff, claim["id"], PAID_ON)
    assert paid["userErrors"] == [], paid["userErrors"]
    return claim, paid["claim"]


async def test_wt_c7_rate_of_the_payment_day_not_of_the_calculation_day(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    preview, paid = await usd_claim_on_rates(api, jobs, key, staff, "0.95", "0.80")
    # Calculated with the day-of-sale rate (lesser than 0.95): 912.35 EUR x 90% = 821.12.
    assert amount_of(preview) == "821.12"
    # Paid with the payment day's 0.80 (lesser than 0.91234567): 800.00 x 90% = 720.00.
    assert amount_of(paid) == "720.00"
    labels = [line["label"] for line in paid["indemnity"]["lines"]]
    assert "Insured unpaid credit (1000.00 at the day-of-indemnity rate 0.8)" in labels


async def test_wt_c7_payment_day_rate_above_the_sale_rate_pays_at_the_sale_rate(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    preview, paid = await usd_claim_on_rates(api, jobs, key, staff, "0.80", "0.95")
    assert amount_of(preview) == "720.00"
    assert amount_of(paid) == "821.12"  # 0.91234567, the lesser on the payment day


async def test_wt_c9_no_more_than_the_buyer_maximum_across_claims_even_after_a_recovery(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 5))
    await granted_limit(api, key, staff, policy_id, "6", "10000.00", term_days=180)
    later_due = date(2027, 8, 9)
    for declared_on, month, invoice, issued, due, amount in (
        (date(2027, 2, 1), "2027-01-01", "B1", "2027-01-10", DUE, "8000.00"),
        (date(2027, 3, 1), "2027-02-01", "B2", "2027-02-10", later_due, "5000.00"),
    ):
        await advance(api, key, clock_id, declared_on)
        declared = await declare_sales(
            api, key, policy_id, month, [sale("6", invoice, issued, due.isoformat(), amount)]
        )
        assert declared["userErrors"] == [], declared["userErrors"]
    first = await notify_and_approve(api, jobs, key, staff, policy_id, "6")
    assert [c["invoiceNumber"] for c in first["credits"]] == ["B1"]
    await advance(api, key, clock_id, PAID_ON)
    assert amount_of((await pay(api, staff, first["id"], PAID_ON))["claim"]) == "7200.00"
    recovered = await call(
        api,
        RECOVERY,
        {
            "input": {
                "claimId": first["id"],
                "amount": eur("1000.00"),
                "receivedOn": PAID_ON.isoformat(),
            }
        },
        staff,
    )
    assert recovered["userErrors"] == []
    second = await notify_and_approve(api, jobs, key, staff, policy_id, "6")
    assert [c["invoiceNumber"] for c in second["credits"]] == ["B2"]
    # 90% x 5,000.00 = 4,500.00, but the buyer maximum 90% x 10,000.00 = 9,000.00 has
    # 9,000.00 - 7,200.00 = 1,800.00 left, the recovery notwithstanding.
    assert amount_of(second) == "1800.00"
    settles = date(2027, 8, 28) + timedelta(days=180)  # also after later_due + 180
    await advance(api, key, clock_id, settles)
    paid = await pay(api, staff, second["id"], settles)
    assert (paid["claim"]["status"], amount_of(paid["claim"])) == ("PAID", "1800.00")
    assert ("WT-C9", {"amount": "1800.00"}) in [
        (line["rule"], line["amount"]) for line in paid["claim"]["indemnity"]["lines"]
    ]


async def test_wt_c3_waiting_period_from_the_due_date_and_wt_c10_payable_by(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    _, clock_id, (claim,) = await one_sale_claims(api, jobs, key, staff, ("7",))
    # Due 2027-02-15 + 180 days, not the notification (2027-03-01) + 180 = 2027-08-28.
    assert claim["settlementOn"] == "2027-08-14"
    seen = await call(
        api,
        POLICY_CLAIM.replace("paidOn", "paidOn payableBy documentsCompleteOn"),
        {"id": claim["id"]},
        key,
    )
    # WT-C10: max(2027-08-14 + 1 month, documents 2027-03-01 + 30 days).
    assert (seen["payableBy"], seen["documentsCompleteOn"]) == ("2027-09-14", "2027-03-01")
    day_before = SETTLEMENT - timedelta(days=1)
    await advance(api, key, clock_id, day_before)
    early = await pay(api, staff, claim["id"], day_before)
    assert [(e["code"], e["field"]) for e in early["userErrors"]] == [
        ("WT-C3", ["input", "paidOn"])
    ]
    assert early["claim"] is None
    await advance(api, key, clock_id, SETTLEMENT)
    paid = await pay(api, staff, claim["id"], SETTLEMENT)
    assert (paid["claim"]["status"], paid["claim"]["paidOn"]) == ("PAID", "2027-08-14")


async def test_wt_c10_documents_late_give_the_insurer_30_days_from_them(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await set_terms(policy_id, waiting_period_days=30)
    await advance(api, key, clock_id, date(2027, 1, 5))
    await granted_limit(api, key, staff, policy_id, "8", "10000.00")
    await advance(api, key, clock_id, date(2027, 2, 1))
    await declare_sales(
        api, key, policy_id, "2027-01-01", [sale("8", "D1", "2027-01-10", "2027-02-15", "900.00")]
    )
    await advance(api, key, clock_id, date(2027, 3, 1))
    notified = await call(
        api,
        NOTIFY,
        {"input": {"policyId": policy_id, "buyer": buyer("8"), "cause": "NON_PAYMENT"}},
        key,
    )
    claim_id = notified["claim"]["id"]
    # Waiting period ends 2027-03-17 (+ 1 month = 2027-04-17); documents on 2027-03-19:
    # + 30 days = 2027-04-18, one day later, wins.
    await advance(api, key, clock_id, date(2027, 3, 19))
    for kind in ("ACCOUNT_STATEMENT", "INVOICE"):
        await submit_policy_document(api, key, claim_id, kind)
    seen = await call(
        api, POLICY_CLAIM.replace("paidOn", "paidOn payableBy"), {"id": claim_id}, key
    )
    assert (seen["settlementOn"], seen["payableBy"]) == ("2027-03-17", "2027-04-18")
    # Not paid by then: the sweep flags the insurer's own deadline to staff (WT-C10).
    await advance(api, key, clock_id, date(2027, 4, 18))
    from tests.api.policy_helpers import POLICY

    def missed(policy: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            e["data"]
            for e in policy["events"]
            if e["type"] == "deadline.missed" and e["data"]["deadline"]["kind"] == "PAYMENT"
        ]

    assert missed(await call(api, POLICY, {"id": policy_id}, key)) == []
    await advance(api, key, clock_id, date(2027, 4, 19))
    [flagged] = missed(await call(api, POLICY, {"id": policy_id}, key))
    assert flagged["flaggedToStaff"] is True
    assert flagged["deadline"]["rule"] == "WT-C10"


async def test_wt_c6_two_payments_at_once_never_exceed_the_period_cap(
    api, jobs, storage, make_partner, make_staff
):
    import asyncio

    from domain.store.policy_models import PolicyClaim

    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id, claims = await one_sale_claims(
        api, jobs, key, staff, ("1", "2"), max_indemnity_multiple=80
    )
    await advance(api, key, clock_id, PAID_ON)
    answers = await asyncio.gather(*(pay(api, staff, c["id"], PAID_ON) for c in claims))
    paid = [a["claim"] for a in answers if a["claim"]]
    refused = [e["code"] for a in answers for e in a["userErrors"]]
    assert refused in ([], ["INVALID_STATE"])  # the loser of a race retries
    rows = await PolicyClaim.filter(policy_id=policy_id, status="PAID")
    total = sum((r.indemnity_amount for r in rows), start=0)
    assert total <= 8000 and len(paid) == len(rows)
    assert (await Policy.get(id=policy_id)).indemnities_paid == total
    if not refused:
        assert sorted(amount_of(c) for c in paid) == ["7200.00", "800.00"]
