"""Rules v2 for whole-turnover limits and declarations through the API: a credit's cover
does not depend on the order of the calls (backdated limits, WT-L1, WT-L2), uncovered
credits use the limit (WT-L5), WT-L4 firm orders only after a total cancellation with
their 50% cap on the indemnity, WT-L2 from the policy's effective date, WT-N1 by the
29th and WT-N5 mandatory data."""

from __future__ import annotations

from datetime import date
from itertools import permutations
from typing import Any

import pytest

from tests.api.cover_helpers import create_clock
from tests.api.policy_helpers import (
    CREATE_POLICY,
    DECIDE_LIMIT,
    LIMITS,
    NOTIFY,
    PAY_PREMIUM,
    POLICY,
    POLICY_CLAIM,
    active_policy,
    advance,
    buyer,
    call,
    declare_collections,
    declare_sales,
    eur,
    exposure,
    granted_limit,
    policy_input,
    sale,
    set_policy_terms,
    submit_policy_document,
)


async def versions_of(api: Any, key: str, policy_id: str) -> list[dict[str, Any]]:
    body = await api.execute(LIMITS, {"id": policy_id}, key=key)
    assert not body.get("errors"), body
    return list(body["data"]["creditLimits"])


def cover_of(declared: dict[str, Any]) -> dict[str, tuple[bool, str | None, bool]]:
    return {
        s["invoiceNumber"]: (s["covered"], (s["exclusion"] or {}).get("rule"), s["firmOrder"])
        for s in declared["sales"]
    }


def credits_of(seen: dict[str, Any]) -> dict[str, tuple[bool, str | None, bool]]:
    return cover_of({"sales": seen["credits"]})


async def test_backdated_limit_covers_a_sale_declared_before_the_grant_as_one_declared_after(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 2, 5))
    # Buyer 1: the January sale is declared first, with no limit yet (WT-L1)...
    first = await declare_sales(
        api, key, policy_id, "2027-01-01", [sale("1", "A1", "2027-01-10", "2027-03-10", "1000.00")]
    )
    assert cover_of(first["declaration"]) == {"A1": (False, "WT-L1", False)}
    # ...then the limit, requested on 2027-02-05, takes effect on 2027-01-01 (WT-L2).
    limit1 = await granted_limit(api, key, staff, policy_id, "1", "5000.00")
    assert limit1["effectiveFrom"] == "2027-01-01"
    # Buyer 2: the same facts in the other order.
    await granted_limit(api, key, staff, policy_id, "2", "5000.00")
    second = await declare_sales(
        api, key, policy_id, "2027-01-01", [sale("2", "A1", "2027-01-10", "2027-03-10", "1000.00")]
    )
    assert cover_of(second["declaration"]) == {"A1": (True, None, False)}
    seen1 = await exposure(api, key, policy_id, "1")
    seen2 = await exposure(api, key, policy_id, "2")
    assert credits_of(seen1) == credits_of(seen2) == {"A1": (True, None, False)}
    assert seen1["insured"] == seen2["insured"] == {"amount": "1000.00"}
    # The WT-C1 notification deadline opens for the credit that became covered.
    policy = await call(api, POLICY, {"id": policy_id}, key)
    notifications = [d for d in policy["deadlines"] if d["kind"] == "NOTIFICATION"]
    assert len(notifications) == 2


async def test_backdated_limit_one_day_short_of_the_sale_still_leaves_it_uncovered(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 3, 5))
    # Requested 2027-03-05: effective 2027-02-01. A sale of 2027-01-31 stays out, one of
    # 2027-02-01 comes in, whichever was declared first.
    await declare_sales(
        api, key, policy_id, "2027-01-01", [sale("1", "J31", "2027-01-31", "2027-03-31", "100.00")]
    )
    await declare_sales(
        api, key, policy_id, "2027-02-01", [sale("1", "F01", "2027-02-01", "2027-04-01", "100.00")]
    )
    await granted_limit(api, key, staff, policy_id, "1", "5000.00")
    seen = await exposure(api, key, policy_id, "1")
    assert credits_of(seen) == {"J31": (False, "WT-L1", False), "F01": (True, None, False)}


async def test_wt_l5_an_uncovered_credit_uses_the_limit_so_less_is_insured(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 20))
    await granted_limit(api, key, staff, policy_id, "3", "10000.00", term_days=60)
    await advance(api, key, clock_id, date(2027, 2, 10))
    declared = await declare_sales(
        api,
        key,
        policy_id,
        "2027-01-01",
        [
            # 100 days > 60 + 30: WT-L6, uncovered, but it uses 6,000.00 of the limit.
            sale("3", "X", "2027-01-10", "2027-04-20", "6000.00"),
            sale("3", "Y", "2027-01-28", "2027-04-25", "6000.00"),
        ],
    )
    assert cover_of(declared["declaration"]) == {
        "X": (False, "WT-L6", False),
        "Y": (True, None, False),
    }
    seen = await exposure(api, key, policy_id, "3", "2027-02-10")
    assert (seen["exposure"], seen["insured"], seen["uninsured"]) == (
        {"amount": "12000.00"},
        {"amount": "4000.00"},
        {"amount": "8000.00"},
    )


async def _cancel(api: Any, staff: str, limit_id: str, **extra: Any) -> dict[str, Any]:
    done = await call(
        api, DECIDE_LIMIT, {"input": {"limitId": limit_id, "decision": "CANCEL", **extra}}, staff
    )
    assert done["userErrors"] == [], done["userErrors"]
    return dict(done["creditLimit"])


async def test_wt_l4_a_reduction_opens_no_firm_order_window(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 20))
    limit = await granted_limit(api, key, staff, policy_id, "4", "10000.00")
    await advance(api, key, clock_id, date(2027, 2, 1))
    reduced = await call(
        api,
        DECIDE_LIMIT,
        {"input": {"limitId": limit["id"], "decision": "REDUCE", "amount": eur("4000.00")}},
        staff,
    )
    assert reduced["userErrors"] == []
    versions = await versions_of(api, key, policy_id)
    old = next(v for v in versions if v["id"] == limit["id"])
    assert (old["status"], old["endsOn"], old["firmOrdersUntil"], old["firmOrdersCap"]) == (
        "REDUCED",
        "2027-01-31",
        None,
        None,
    )


async def test_wt_l4_firm_orders_barred_by_a_fraud_alert_or_the_buyers_arrears(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 5))
    fraud = await granted_limit(api, key, staff, policy_id, "5", "10000.00")
    arrears = await granted_limit(api, key, staff, policy_id, "6", "10000.00")
    await advance(api, key, clock_id, date(2027, 2, 10))
    await declare_sales(
        api, key, policy_id, "2027-01-01", [sale("6", "D1", "2027-01-05", "2027-02-04", "100.00")]
    )
    barred = await _cancel(api, staff, fraud["id"], firmOrderBars=["FRAUD_ALERT"])
    assert barred["firmOrderBars"] == ["FRAUD_ALERT"]
    await _cancel(api, staff, arrears["id"])
    await advance(api, key, clock_id, date(2027, 3, 5))
    declared = await declare_sales(
        api,
        key,
        policy_id,
        "2027-02-01",
        [
            sale("5", "F1", "2027-02-15", "2027-03-15", "100.00", firmOrder=True),
            # D1 due 2027-02-04 is unpaid on the sale date: not up to date.
            sale("6", "F1", "2027-02-15", "2027-03-15", "100.00", firmOrder=True),
            # Signed on the cancellation day: not before it.
            sale(
                "6",
                "F2",
                "2027-02-15",
                "2027-03-15",
                "100.00",
                firmOrder=True,
                firmOrderSignedOn="2027-02-10",
            ),
        ],
    )
    got = [
        (s["invoiceNumber"], (s["exclusion"] or {}).get("rule"))
        for s in declared["declaration"]["sales"]
    ]
    assert sorted(got) == [("F1", "WT-L4"), ("F1", "WT-L4"), ("F2", "WT-L4")]
    # Bars are recorded on a cancellation only.
    other = await granted_limit(api, key, staff, policy_id, "7", "10000.00")
    refused = await call(
        api,
        DECIDE_LIMIT,
        {
            "input": {
                "limitId": other["id"],
                "decision": "REDUCE",
                "amount": eur("10.00"),
                "firmOrderBars": ["FRAUD_ALERT"],
            }
        },
        staff,
    )
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("INVALID_INPUT", ["input", "firmOrderBars"])
    ]


async def test_wt_l4_the_50_percent_cap_holds_the_firm_order_indemnity_not_the_sale(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 20))
    limit = await granted_limit(api, key, staff, policy_id, "8", "10000.00")
    await advance(api, key, clock_id, date(2027, 1, 25))
    await declare_sales(
        api, key, policy_id, "2027-01-01", [sale("8", "A", "2027-01-10", "2027-04-10", "6000.00")]
    )
    await advance(api, key, clock_id, date(2027, 2, 1))
    cancelled = await _cancel(api, staff, limit["id"])
    # 50% x (10,000.00 - 6,000.00) = 2,000.00 for all the firm orders together.
    assert (cancelled["firmOrdersUntil"], cancelled["firmOrdersCap"]) == (
        "2027-03-03",
        {"amount": "2000.00"},
    )
    await advance(api, key, clock_id, date(2027, 3, 5))
    declared = await declare_sales(
        api,
        key,
        policy_id,
        "2027-02-01",
        [sale("8", "F", "2027-02-10", "2027-03-12", "5000.00", firmOrder=True)],
    )
    # Above the cap in amount, still covered: the cap is on the indemnity.
    assert cover_of(declared["declaration"]) == {"F": (True, None, True)}
    await advance(api, key, clock_id, date(2027, 3, 20))
    notified = await call(
        api,
        NOTIFY,
        {"input": {"policyId": policy_id, "buyer": buyer("8"), "cause": "NON_PAYMENT"}},
        key,
    )
    assert notified["userErrors"] == [], notified["userErrors"]
    claim_id = notified["claim"]["id"]
    for kind in ("ACCOUNT_STATEMENT", "INVOICE"):
        await submit_policy_document(api, key, claim_id, kind)
    await jobs.run_all()
    claim = await call(api, POLICY_CLAIM, {"id": claim_id}, key)
    # 90% x 5,000.00 = 4,500.00, held to the 2,000.00 firm-order cap.
    assert claim["indemnity"]["amount"]["amount"] == "2000.00"
    assert [
        (line["amount"]["amount"], line["rule"])
        for line in claim["indemnity"]["lines"]
        if line["rule"] == "WT-L4"
    ] == [("2000.00", "WT-L4")]


async def test_wt_l2_a_limit_never_takes_effect_before_the_policy_effective_date(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    clock_id = await create_clock(api, key, "2026-12-15T09:00:00+00:00")
    created = await call(api, CREATE_POLICY, {"input": policy_input(testClockId=clock_id)}, key)
    policy = await set_policy_terms(api, staff, created["policy"]["id"])
    # A limit granted while the premium is unpaid: from the period start for now...
    await advance(api, key, clock_id, date(2027, 1, 5))
    early = await granted_limit(api, key, staff, policy["id"], "1", "5000.00")
    assert early["effectiveFrom"] == "2027-01-01"
    # ...the minimum premium is paid on 2027-01-14: the policy's effective date.
    await advance(api, key, clock_id, date(2027, 1, 14))
    minimum = next(i for i in policy["premiumInvoices"] if i["kind"] == "MINIMUM")
    paid = await call(
        api,
        PAY_PREMIUM,
        {
            "input": {
                "invoiceId": minimum["id"],
                "amount": eur(minimum["amount"]["amount"]),
                "paidOn": "2027-01-14",
            }
        },
        staff,
    )
    assert paid["policy"]["activatedOn"] == "2027-01-14"
    versions = await versions_of(api, key, policy["id"])
    assert [v["effectiveFrom"] for v in versions] == ["2027-01-14"]
    # Requested 2027-02-05: the 1st of the previous month is before 2027-01-14.
    await advance(api, key, clock_id, date(2027, 2, 5))
    later = await granted_limit(api, key, staff, policy["id"], "2", "5000.00")
    assert later["effectiveFrom"] == "2027-01-14"


async def test_wt_n1_declared_on_the_29th_in_time_on_the_30th_late(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 3, 20))
    await granted_limit(api, key, staff, policy_id, "1", "5000.00")
    await advance(api, key, clock_id, date(2027, 4, 29))
    on_29th = await declare_sales(
        api, key, policy_id, "2027-03-01", [sale("1", "M1", "2027-03-10", "2027-05-10", "100.00")]
    )
    assert (on_29th["declaration"]["dueOn"], on_29th["declaration"]["late"]) == (
        "2027-04-29",
        False,
    )
    await advance(api, key, clock_id, date(2027, 4, 30))
    on_30th = await declare_sales(
        api, key, policy_id, "2027-03-01", [sale("1", "M2", "2027-03-12", "2027-05-12", "100.00")]
    )
    assert on_30th["declaration"]["late"] is True


async def test_wt_n1_february_sales_due_on_the_last_day_of_march_minus_two(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 2, 28))
    # January's sales are due by 2027-02-28 (February has no 29th in 2027).
    on_28th = await declare_sales(
        api, key, policy_id, "2027-01-01", [sale("1", "J1", "2027-01-10", "2027-03-10", "100.00")]
    )
    assert (on_28th["declaration"]["dueOn"], on_28th["declaration"]["late"]) == (
        "2027-02-28",
        False,
    )
    await advance(api, key, clock_id, date(2027, 3, 1))
    on_1st = await declare_sales(
        api, key, policy_id, "2027-01-01", [sale("1", "J2", "2027-01-11", "2027-03-11", "100.00")]
    )
    assert on_1st["declaration"]["late"] is True


async def test_wt_n5_a_sale_without_its_invoice_number_is_not_priced_nor_covered(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 2, 10))
    declared = await declare_sales(
        api,
        key,
        policy_id,
        "2027-01-01",
        [
            sale("1", "OK-1", "2027-01-10", "2027-03-10", "100.00"),
            sale("1", "  ", "2027-01-11", "2027-03-11", "100.00"),
        ],
    )
    assert declared["declaration"] is None
    assert [(e["code"], e["field"]) for e in declared["userErrors"]] == [
        ("WT-N5", ["input", "sales", "1", "invoiceNumber"])
    ]
    policy = await call(api, POLICY, {"id": policy_id}, key)
    assert policy["accruedPremium"] == {"amount": "0.00"}
    # Sales never declared are not covered: nothing to notify.
    await advance(api, key, clock_id, date(2027, 3, 20))
    notified = await call(
        api,
        NOTIFY,
        {"input": {"policyId": policy_id, "buyer": buyer("1"), "cause": "NON_PAYMENT"}},
        key,
    )
    assert notified["claim"] is None
    assert notified["userErrors"][0]["code"] == "INVALID_STATE"


ORDERS = list(permutations(("grant", "sales", "collections")))


@pytest.mark.parametrize("order", ORDERS, ids=["-".join(o) for o in ORDERS])
async def test_backdated_limit_cover_is_the_same_in_every_order_of_the_calls(
    api, make_partner, make_staff, order
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 2, 10))
    for step in order:
        if step == "grant":  # requested 2027-02-10: effective 2027-01-01 (WT-L2)
            await granted_limit(api, key, staff, policy_id, "1", "5000.00", term_days=60)
        elif step == "sales":
            declared = await declare_sales(
                api,
                key,
                policy_id,
                "2027-01-01",
                [
                    sale("1", "A", "2027-01-05", "2027-02-15", "3000.00"),
                    sale("1", "L6", "2027-01-08", "2027-04-20", "2500.00"),
                    sale("1", "B", "2027-01-28", "2027-04-25", "3000.00"),
                ],
            )
            assert declared["userErrors"] == []
        else:
            collected = await declare_collections(
                api,
                key,
                policy_id,
                "2027-02-01",
                [{"buyer": buyer("1"), "amount": eur("1000.00"), "receivedOn": "2027-02-05"}],
            )
            assert collected["userErrors"] == []
    seen = await exposure(api, key, policy_id, "1")
    got = {
        c["invoiceNumber"]: ((c["exclusion"] or {}).get("rule"), c["collected"]["amount"])
        for c in seen["credits"]
    }
    # A (due first) took the 1,000.00; L6 (WT-L6) uses 2,500.00 of the limit: A 2,000.00
    # + L6 2,500.00 leave 500.00 of the 5,000.00 for B.
    assert got == {"A": (None, "1000.00"), "L6": ("WT-L6", "0.00"), "B": (None, "0.00")}
    assert (seen["exposure"], seen["insured"]) == ({"amount": "7500.00"}, {"amount": "2500.00"})


async def test_wt_l4_l8_a_reduction_keeps_earlier_sales_under_the_earlier_version(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 20))
    limit = await granted_limit(api, key, staff, policy_id, "2", "10000.00")
    await advance(api, key, clock_id, date(2027, 1, 25))
    await declare_sales(
        api, key, policy_id, "2027-01-01", [sale("2", "J", "2027-01-31", "2027-03-31", "8000.00")]
    )
    await advance(api, key, clock_id, date(2027, 2, 1))
    reduced = await call(
        api,
        DECIDE_LIMIT,
        {"input": {"limitId": limit["id"], "decision": "REDUCE", "amount": eur("5000.00")}},
        staff,
    )
    assert reduced["userErrors"] == []
    await advance(api, key, clock_id, date(2027, 3, 5))
    await declare_sales(
        api, key, policy_id, "2027-02-01", [sale("2", "F", "2027-02-01", "2027-04-01", "1000.00")]
    )
    seen = await exposure(api, key, policy_id, "2", "2027-03-05")
    # J keeps the 10,000.00 version (sold before the communication, WT-L4): all 8,000.00
    # insured. F, sold on the day of it, falls under the 5,000.00 version, whose balance
    # the 8,000.00 still unpaid under the earlier one uses up (WT-L8): nothing insured.
    assert (seen["limit"]["amount"], seen["insured"], seen["uninsured"]) == (
        {"amount": "5000.00"},
        {"amount": "8000.00"},
        {"amount": "1000.00"},
    )


async def test_wt_n2_collections_declared_on_the_29th_in_time_on_the_30th_late(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    line = [{"buyer": buyer("1"), "amount": eur("10.00"), "receivedOn": "2027-03-15"}]
    await advance(api, key, clock_id, date(2027, 4, 29))
    on_29th = await declare_collections(api, key, policy_id, "2027-03-01", line)
    await advance(api, key, clock_id, date(2027, 4, 30))
    on_30th = await declare_collections(api, key, policy_id, "2027-03-01", line)
    assert (on_29th["declaration"]["late"], on_30th["declaration"]["late"]) == (False, True)


async def test_wt_l2_l4_a_limit_granted_after_a_cancellation_is_not_backdated(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 20))
    first = await granted_limit(api, key, staff, policy_id, "3", "5000.00")
    await advance(api, key, clock_id, date(2027, 2, 1))
    await _cancel(api, staff, first["id"])
    await advance(api, key, clock_id, date(2027, 3, 10))
    again = await granted_limit(api, key, staff, policy_id, "3", "5000.00")
    # Not 2027-02-01 (the 1st of the previous month): the buyer was classified before,
    # and the sales after the cancellation stay out.
    assert again["effectiveFrom"] == "2027-03-10"
    await advance(api, key, clock_id, date(2027, 4, 5))
    declared = await declare_sales(
        api,
        key,
        policy_id,
        "2027-03-01",
        [
            sale("3", "M9", "2027-03-09", "2027-04-09", "100.00"),
            sale("3", "M10", "2027-03-10", "2027-04-10", "100.00"),
        ],
    )
    assert cover_of(declared["declaration"]) == {
        "M9": (False, "WT-L1", False),
        "M10": (True, None, False),
    }


async def test_wt_l4_a_lower_limit_requested_takes_effect_from_its_grant(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 20))
    await granted_limit(api, key, staff, policy_id, "4", "5000.00")
    await advance(api, key, clock_id, date(2027, 3, 10))
    lower = await granted_limit(api, key, staff, policy_id, "4", "4999.99")
    assert lower["effectiveFrom"] == "2027-03-10"
    versions = await versions_of(api, key, policy_id)
    assert [(v["amount"]["amount"], v["effectiveFrom"], v["endsOn"]) for v in versions] == [
        ("5000.00", "2027-01-01", "2027-03-09"),
        ("4999.99", "2027-03-10", None),
    ]
    # An increase is backdated (WT-L2): the 1st of the previous month.
    await advance(api, key, clock_id, date(2027, 4, 2))
    higher = await granted_limit(api, key, staff, policy_id, "4", "5000.00")
    assert higher["effectiveFrom"] == "2027-03-01"


L7_ORDERS = list(permutations(("february", "march", "collection")))


@pytest.mark.parametrize(("paid_on", "rule"), [("2027-03-04", None), ("2027-03-05", "WT-L7")])
@pytest.mark.parametrize("order", L7_ORDERS, ids=["-".join(o) for o in L7_ORDERS])
async def test_wt_l7_cover_of_a_later_sale_is_the_same_in_every_order_of_the_calls(
    api, make_partner, make_staff, order, paid_on, rule
):
    """A (due 2027-02-03) aggravates the risk from 2027-03-05 (due + 30) unless paid in
    full before; B is sold on 2027-03-06. Whatever the order in which A, B and A's
    payment are declared, B ends with the same cover."""
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 20))
    await granted_limit(api, key, staff, policy_id, "5", "50000.00")
    await advance(api, key, clock_id, date(2027, 3, 10))
    for step in order:
        if step == "february":
            lines = [sale("5", "A", "2027-02-01", "2027-02-03", "1000.00")]
            assert (await declare_sales(api, key, policy_id, "2027-02-01", lines))[
                "userErrors"
            ] == []
        elif step == "march":
            lines = [sale("5", "B", "2027-03-06", "2027-04-05", "1000.00")]
            assert (await declare_sales(api, key, policy_id, "2027-03-01", lines))[
                "userErrors"
            ] == []
        else:
            paid = [{"buyer": buyer("5"), "amount": eur("1000.00"), "receivedOn": paid_on}]
            month = paid_on[:8] + "01"
            assert (await declare_collections(api, key, policy_id, month, paid))["userErrors"] == []
    seen = credits_of(await exposure(api, key, policy_id, "5"))
    assert seen == {"A": (True, None, False), "B": (rule is None, rule, False)}
