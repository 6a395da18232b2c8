"""Whole-turnover policy journeys over the API on test clocks (WT rules, seed 003).

Every amount is computed here, independently of the services, from the policy's terms
(rates, coverage, limits) with half-up rounding to the cent; every advance of the test
clock runs the policy sweep day by day (WT-N1, WT-P1, WT-C1, WT-C2 deadlines).

Terms of `policy_input`: minimum premium 100.00 EUR; rates 0.20% up to 60 days, 0.30% up
to 90, 0.40% up to 120; coverage 90%; period maximum 200 x minimum premium; minimum
unpaid threshold 500.00; waiting period 180 days; extensions up to 50,000.00 per buyer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.api.policy_helpers import (
    AUTHORIZE_EXTENSION,
    DECIDE_CLAIM,
    DECIDE_LIMIT,
    DECLARE_EXTENSION,
    EXPOSURE,
    LIMITS,
    MARK_PAID,
    NOTIFY,
    PAY_PREMIUM,
    POLICY,
    POLICY_CLAIM,
    RECOVERY,
    REQUEST_LIMIT,
    active_policy,
    advance,
    buyer,
    buyer_company,
    call,
    declare_collections,
    declare_sales,
    eur,
    exposure,
    granted_limit,
    sale,
    submit_policy_document,
)

CENT = Decimal("0.01")
#: policy_input's premium rates: (longest payment term in days, rate in percent).
RATES = ((60, Decimal("0.20")), (90, Decimal("0.30")), (120, Decimal("0.40")))
MINIMUM_PREMIUM = Decimal("100.00")
PERIOD_MAXIMUM = MINIMUM_PREMIUM * 200

DEADLINES = (
    "query($id: ID!) { policy(id: $id) { accruedPremium { amount } "
    "premiumInvoices { kind month amount { amount } issuedOn paidAmount { amount } } "
    "deadlines { kind rule subject dueOn met metOn } } }"
)
LIMITS_BY_BUYER = (
    "query($id: ID!) { creditLimits(policyId: $id) { buyer { registrationNumber } status "
    "amount { amount } effectiveFrom endsOn } }"
)
EVENTS = "query($id: ID!) { policy(id: $id) { events { type data } } }"


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def rate_for(term_days: int) -> Decimal:
    for longest, rate in RATES:
        if term_days <= longest:
            return rate
    return RATES[-1][1]


def premium_of(amount: Decimal, term_days: int) -> Decimal:
    """WT-P1 for one sale (and WT-X1 for an extension of `term_days`)."""
    return cents(amount * rate_for(term_days) / 100)


def money(value: Decimal) -> str:
    return str(cents(value))


async def query(api: Any, document: str, variables: dict[str, Any], key: str) -> Any:
    """The single root field of a query, lists included."""
    body = await api.execute(document, variables, key=key)
    assert not body.get("errors"), body.get("errors")
    (value,) = body["data"].values()
    return value


def ok(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


def first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def credits_by_number(seen: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["invoiceNumber"]: c for c in seen["credits"]}


def rule_of(credit: dict[str, Any]) -> str | None:
    return (credit["exclusion"] or {}).get("rule")


# Journey 1: a year of monthly declarations for three buyers


@dataclass(frozen=True)
class Line:
    """A sale to declare and what the WT rules make of it."""

    code: str
    number: str
    issue: date
    term_days: int
    amount: Decimal
    firm: bool = False
    #: The rule expected to leave it out of cover, None when covered.
    excluded_by: str | None = None
    #: WT-L4: admitted as a firm order after the cancellation.
    firm_admitted: bool = False

    @property
    def due(self) -> date:
        return self.issue + timedelta(days=self.term_days)

    @property
    def premium(self) -> Decimal:
        return premium_of(self.amount, self.term_days)

    def as_input(self) -> dict[str, Any]:
        return sale(
            self.code,
            self.number,
            self.issue.isoformat(),
            self.due.isoformat(),
            money(self.amount),
            firmOrder=self.firm,
        )


@dataclass(frozen=True)
class Payment:
    code: str
    amount: Decimal
    received: date
    invoice: str | None

    def as_input(self) -> dict[str, Any]:
        line: dict[str, Any] = {
            "buyer": buyer(self.code),
            "amount": eur(money(self.amount)),
            "receivedOn": self.received.isoformat(),
        }
        if self.invoice is not None:
            line["invoiceNumber"] = self.invoice
        return line


CANCELLED_ON = date(2027, 8, 16)


def year_of_sales() -> dict[int, list[Line]]:
    """Buyer 1: 60-day terms (0.20%), amounts ending in 2.50 so every premium rounds half
    up (8,252.50 x 0.20% = 16.505 -> 16.51). Buyer 2: 90 days (0.30%; 12,005.00 x 0.30% =
    36.015 -> 36.02), raised from 20,000 to 40,000 in May. Buyer 3: 120-day terms on a
    90-day limit (WT-L6: up to 30 days more), 5,001.25 x 0.40% = 20.005 -> 20.01; its
    limit is cancelled on 2027-08-16 (WT-L4)."""
    d = Decimal
    months: dict[int, list[Line]] = defaultdict(list)
    for m in range(1, 13):
        months[m].append(
            Line("1", f"B1-{m:02d}", date(2027, m, 5), 60, d(8000 + 250 * m) + d("2.50"))
        )
        amount2 = d("6000.00") if m <= 3 else d("15000.00") if m == 4 else d("12005.00")
        months[m].append(Line("2", f"B2-{m:02d}", date(2027, m, 12), 90, amount2))
    for m in range(1, 8):
        months[m].append(Line("3", f"B3-{m:02d}", date(2027, m, 20), 120, d("5001.25")))
    # Before the cancellation: under the limit in force.
    months[8].append(Line("3", "B3-08", date(2027, 8, 10), 120, d("5001.25")))
    # WT-L4 firm orders: cover until 2027-09-15, the insurer's indemnity on all of them
    # capped at 2,497.50 (50% of the unused 25,000.00 - 20,005.00): a cap on the
    # indemnity, so the sales above it stay covered; WT-L1 for any other sale after the
    # cancellation.
    months[8] += [
        Line("3", "B3-F1", date(2027, 8, 20), 120, d("1500.00"), True, None, True),
        Line("3", "B3-N1", date(2027, 8, 25), 120, d("800.00"), False, "WT-L1"),
        Line("3", "B3-F2", date(2027, 8, 28), 120, d("1000.00"), True, None, True),
    ]
    months[9] += [
        Line("3", "B3-N2", date(2027, 9, 5), 120, d("700.00"), False, "WT-L1"),
        # Above the 2,497.50 cap in sales, still covered (the cap holds the indemnity).
        Line("3", "B3-F3", date(2027, 9, 10), 120, d("997.50"), True, None, True),
        Line("3", "B3-F4", date(2027, 9, 14), 120, d("100.00"), True, None, True),
        # After cancellation + 30 days: no firm-order cover left.
        Line("3", "B3-F5", date(2027, 9, 16), 120, d("500.00"), True, "WT-L4"),
    ]
    return months


def year_of_payments(months: dict[int, list[Line]]) -> dict[date, list[Payment]]:
    """Every credit paid on its due date: buyers 1 and 3 name the invoice, buyer 2 does
    not (WT-N2: oldest due date first), except B2-05 paid early naming it, and B2-06 paid
    with 2,000.00 more, taken by B2-07 (paid 2,000.00 less)."""
    payments: list[Payment] = []
    for lines in months.values():
        for line in lines:
            if line.number == "B2-05":
                payments.append(Payment("2", line.amount, date(2027, 6, 28), "B2-05"))
            elif line.number == "B2-06":
                payments.append(Payment("2", line.amount + 2000, line.due, None))
            elif line.number == "B2-07":
                payments.append(Payment("2", line.amount - 2000, line.due, None))
            else:
                invoice = None if line.code == "2" else line.number
                payments.append(Payment(line.code, line.amount, line.due, invoice))
    by_month: dict[date, list[Payment]] = defaultdict(list)
    for payment in sorted(payments, key=lambda p: (p.received, p.code)):
        by_month[payment.received.replace(day=1)].append(payment)
    return by_month


def expected_adjustments(months: dict[int, list[Line]]) -> list[tuple[str, str, str]]:
    """WT-P1: on the day after each month's declaration deadline the accrued premium
    (every sale declared so far: months up to that one) less what was already invoiced,
    the minimum premium first. (month, amount, issued on)."""
    invoiced = MINIMUM_PREMIUM
    accrued = Decimal("0.00")
    found = []
    for m in range(1, 13):
        accrued += sum((line.premium for line in months[m]), Decimal("0.00"))
        due = first_of_next_month(date(2027, m, 1))
        due = due.replace(day=28 if due.month == 2 else 29)
        amount = accrued - max(MINIMUM_PREMIUM, invoiced)
        if amount > 0:
            found.append((date(2027, m, 1).isoformat(), money(amount), str(due + timedelta(1))))
            invoiced += amount
    return found


async def test_wt_n1_p1_n2_l2_l4_l1_l6_a_year_of_declarations_for_three_buyers(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 5))
    await granted_limit(api, key, staff, policy_id, "1", "30000.00", term_days=60)
    await granted_limit(api, key, staff, policy_id, "2", "20000.00", term_days=90)
    limit3 = await granted_limit(api, key, staff, policy_id, "3", "25000.00", term_days=90)
    assert limit3["effectiveFrom"] == "2027-01-01"

    months = year_of_sales()
    payments = year_of_payments(months)
    for m in range(1, 13):
        month = date(2027, m, 1)
        # Declared on the 10th of the next month: well before the 30th (WT-N1).
        declared_on = first_of_next_month(month).replace(day=10)
        await advance(api, key, clock_id, declared_on)
        collections = [p.as_input() for p in payments.get(month, [])]
        if collections:
            ok(await declare_collections(api, key, policy_id, month.isoformat(), collections))

        if m == 4:
            await raise_buyer_2_limit(api, key, staff, policy_id)
        if m == 6:
            # WT-N2: B2-05 named by its payment takes it, though B2-04 is older.
            seen = credits_by_number(await exposure(api, key, policy_id, "2"))
            assert seen["B2-04"]["collected"] == {"amount": "0.00"}
            assert seen["B2-05"]["collected"] == {"amount": "12005.00"}
        if m == 9:
            # WT-N2: the unnamed 14,005.00 paid B2-06 (oldest due date) and then 2,000.00
            # of B2-07.
            seen = credits_by_number(await exposure(api, key, policy_id, "2"))
            assert seen["B2-06"]["collected"] == {"amount": "12005.00"}
            assert seen["B2-07"]["collected"] == {"amount": "2000.00"}

        declared = ok(
            await declare_sales(
                api, key, policy_id, month.isoformat(), [line.as_input() for line in months[m]]
            )
        )["declaration"]
        assert (declared["late"], declared["dueOn"]) == (False, expected_due(month))
        got = {
            s["invoiceNumber"]: (s["premium"]["amount"], rule_of(s), s["firmOrder"])
            for s in declared["sales"]
        }
        assert got == {
            line.number: (money(line.premium), line.excluded_by, line.firm_admitted)
            for line in months[m]
        }

        if m == 4:
            await check_buyer_2_versions(api, key, policy_id)
        if m == 7:
            await advance(api, key, clock_id, CANCELLED_ON)
            await cancel_buyer_3_limit(api, key, staff, policy_id, limit3["id"])

    # Buyer 3 after the cancellation: no limit in force, nothing insured.
    after = await exposure(api, key, policy_id, "3")
    assert after["limit"] is None
    assert after["insured"] == {"amount": "0.00"}

    await advance(api, key, clock_id, date(2028, 2, 1))
    policy = await call(api, DEADLINES, {"id": policy_id}, key)
    accrued = sum((line.premium for m in months for line in months[m]), Decimal("0.00"))
    assert policy["accruedPremium"] == {"amount": money(accrued)}
    adjustments = [
        (i["month"], i["amount"]["amount"], i["issuedOn"])
        for i in policy["premiumInvoices"]
        if i["kind"] == "ADJUSTMENT"
    ]
    assert adjustments == expected_adjustments(months)
    assert [i["kind"] for i in policy["premiumInvoices"]].count("MINIMUM") == 1
    declarations = [d for d in policy["deadlines"] if d["kind"] == "DECLARATION"]
    assert [(d["subject"], d["rule"], d["dueOn"], d["met"], d["metOn"]) for d in declarations] == [
        (
            date(2027, m, 1).isoformat(),
            "WT-N1",
            expected_due(date(2027, m, 1)),
            True,
            first_of_next_month(date(2027, m, 1)).replace(day=10).isoformat(),
        )
        for m in range(1, 13)
    ]
    adjustment_rows = [d for d in policy["deadlines"] if d["kind"] == "PREMIUM_ADJUSTMENT"]
    assert len(adjustment_rows) == 12 and all(d["met"] is True for d in adjustment_rows)


def expected_due(month: date) -> str:
    """WT-N1: before the 30th of the next month (the 29th), or its last day (February)."""
    following = first_of_next_month(month)
    return following.replace(day=28 if following.month == 2 else 29).isoformat()


async def raise_buyer_2_limit(api: Any, key: str, staff: str, policy_id: str) -> None:
    """On 2027-05-10, with every due date of buyer 2 paid (WT-L3), 20,000 -> 40,000."""
    raised = await granted_limit(api, key, staff, policy_id, "2", "40000.00", term_days=90)
    # WT-L2: from the 1st of the month before the request.
    assert (raised["status"], raised["requestedOn"], raised["effectiveFrom"]) == (
        "GRANTED",
        "2027-05-10",
        "2027-04-01",
    )
    assert raised["amount"] == {"amount": "40000.00"} and raised["endsOn"] is None


async def check_buyer_2_versions(api: Any, key: str, policy_id: str) -> None:
    limits = await query(api, LIMITS_BY_BUYER, {"id": policy_id}, key)
    versions = [
        (v["status"], v["amount"]["amount"], v["effectiveFrom"], v["endsOn"])
        for v in limits
        if v["buyer"]["registrationNumber"] == buyer("2")["registrationNumber"]
    ]
    # WT-L2: the previous version ends the day before the new one takes effect.
    assert versions == [
        ("SUPERSEDED", "20000.00", "2027-01-01", "2027-03-31"),
        ("GRANTED", "40000.00", "2027-04-01", None),
    ]
    # B2-02 6,000.00 + B2-03 6,000.00 + B2-04 15,000.00 outstanding on 2027-05-10.
    today = await exposure(api, key, policy_id, "2", "2027-05-10")
    assert (today["limit"]["amount"], today["exposure"], today["insured"], today["uninsured"]) == (
        {"amount": "40000.00"},
        {"amount": "27000.00"},
        {"amount": "27000.00"},
        {"amount": "0.00"},
    )
    # On 2027-03-31, its last day, the 20,000.00 version is the limit; but each credit is
    # measured against the version of its own cover date (WT-L8): B2-02 and B2-03 under
    # the 20,000.00 one, B2-04 (sold in April) under the 40,000.00 one, whose balance the
    # 12,000.00 still unpaid under the old version reduces to 28,000.00: all insured.
    before = await exposure(api, key, policy_id, "2", "2027-03-31")
    assert (before["limit"]["amount"], before["insured"], before["uninsured"]) == (
        {"amount": "20000.00"},
        {"amount": "27000.00"},
        {"amount": "0.00"},
    )


async def cancel_buyer_3_limit(
    api: Any, key: str, staff: str, policy_id: str, limit_id: str
) -> None:
    """WT-L4 on 2027-08-16: B3-04..B3-07 (4 x 5,001.25 = 20,005.00) outstanding, so the
    unused balance is 4,995.00 and firm orders keep 50% of it, 2,497.50, for 30 days."""
    cancelled = ok(
        await call(api, DECIDE_LIMIT, {"input": {"limitId": limit_id, "decision": "CANCEL"}}, staff)
    )["creditLimit"]
    unused = Decimal("25000.00") - 4 * Decimal("5001.25")
    assert (
        cancelled["status"],
        cancelled["endsOn"],
        cancelled["firmOrdersUntil"],
        cancelled["firmOrdersCap"],
    ) == (
        "CANCELLED",
        (CANCELLED_ON - timedelta(days=1)).isoformat(),
        (CANCELLED_ON + timedelta(days=30)).isoformat(),
        {"amount": money(unused / 2)},
    )


# Journey 2: a non-payment with extensions, a claim, a capped indemnity and a recovery


async def extend(api: Any, key: str, policy_id: str, number: str, new_due: str) -> dict[str, Any]:
    return await call(
        api,
        DECLARE_EXTENSION,
        {
            "input": {
                "policyId": policy_id,
                "buyer": buyer("5"),
                "invoiceNumber": number,
                "newDueDate": new_due,
            }
        },
        key,
    )


def indemnity_lines(claim: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (line["label"], line["amount"]["amount"], line["rule"])
        for line in claim["indemnity"]["lines"]
    ]


async def test_wt_x1_c1_c2_c6_p2_c3_r1_extension_claim_capped_indemnity_and_recovery(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 5))
    # The limit's own coverage (85%) rules the claim, not the policy default (90%).
    limit = await granted_limit(api, key, staff, policy_id, "5", "10000.00", coveragePercent="85")
    coverage, limit_amount = Decimal(limit["coveragePercent"]), Decimal("10000.00")
    assert coverage == 85

    await advance(api, key, clock_id, date(2027, 2, 5))
    jan = {
        # number: (issue, payment term in days, amount)
        "C0": (date(2027, 1, 6), 30, Decimal("2000.00")),
        "C1": (date(2027, 1, 8), 60, Decimal("15000.00")),
        "C2": (date(2027, 1, 12), 59, Decimal("4000.00")),
        "C3": (date(2027, 1, 15), 30, Decimal("1000.00")),
    }
    due = {n: issue + timedelta(days=term) for n, (issue, term, _) in jan.items()}
    declared = ok(
        await declare_sales(
            api,
            key,
            policy_id,
            "2027-01-01",
            [
                sale("5", n, issue.isoformat(), due[n].isoformat(), money(amount))
                for n, (issue, _, amount) in jan.items()
            ],
        )
    )["declaration"]
    assert {s["invoiceNumber"]: s["premium"]["amount"] for s in declared["sales"]} == {
        n: money(premium_of(amount, term)) for n, (_, term, amount) in jan.items()
    }

    # WT-X1, optional: C3 (due 2027-02-14) to 2027-04-20, 65 days -> the 90-day rate.
    await advance(api, key, clock_id, date(2027, 2, 20))
    c3 = ok(await extend(api, key, policy_id, "C3", "2027-04-20"))["extension"]
    c3_premium = premium_of(jan["C3"][2], (date(2027, 4, 20) - due["C3"]).days)
    assert (c3["status"], c3["newDueDate"], c3["premium"], c3["violations"]) == (
        "OPTIONAL",
        "2027-04-20",
        {"amount": money(c3_premium)},
        [],
    )

    # WT-X1, beyond the rule: C2 (due 2027-03-12) to 2027-07-10, 120 days after it: it
    # waits for the insurer's written authorisation and changes nothing meanwhile.
    await advance(api, key, clock_id, date(2027, 3, 20))
    c2 = ok(await extend(api, key, policy_id, "C2", "2027-07-10"))["extension"]
    c2_premium = premium_of(jan["C2"][2], (date(2027, 7, 10) - due["C2"]).days)
    assert (c2["status"], c2["premium"], c2["violations"]) == (
        "PENDING_AUTHORISATION",
        {"amount": money(c2_premium)},
        [{"rule": "WT-X1"}],
    )
    assert (
        credits_by_number(await exposure(api, key, policy_id, "5"))["C2"]["extendedDueDate"] is None
    )
    await advance(api, key, clock_id, date(2027, 3, 22))
    authorised = ok(
        await call(
            api,
            AUTHORIZE_EXTENSION,
            {"input": {"extensionId": c2["id"], "approve": True}},
            staff,
        )
    )["extension"]
    assert authorised["status"] == "AUTHORISED"
    assert (
        credits_by_number(await exposure(api, key, policy_id, "5"))["C2"]["extendedDueDate"]
        == "2027-07-10"
    )
    policy = await call(api, POLICY, {"id": policy_id}, key)
    extension_invoices = [i for i in policy["premiumInvoices"] if i["kind"] == "EXTENSION"]
    assert [i["amount"]["amount"] for i in extension_invoices] == [
        money(c3_premium),
        money(c2_premium),
    ]
    # Every extension premium is paid by its due date (issue + 30 days): one paid late
    # would end the policy the day after (WT-P4; WT-P2 has its own test).
    for invoice, premium in zip(extension_invoices, (c3_premium, c2_premium), strict=True):
        ok(
            await call(
                api,
                PAY_PREMIUM,
                {
                    "input": {
                        "invoiceId": invoice["id"],
                        "amount": eur(money(premium)),
                        "paidOn": "2027-03-22",
                    }
                },
                staff,
            )
        )

    # WT-X1, optional on its last day (due + 30): C1 (due 2027-03-09) to 2027-05-18.
    await advance(api, key, clock_id, date(2027, 4, 8))
    assert due["C1"] + timedelta(days=30) == date(2027, 4, 8)
    c1 = ok(await extend(api, key, policy_id, "C1", "2027-05-18"))["extension"]
    c1_premium = premium_of(jan["C1"][2], (date(2027, 5, 18) - due["C1"]).days)
    assert (c1["status"], c1["premium"], c1["violations"]) == (
        "OPTIONAL",
        {"amount": money(c1_premium)},
        [],
    )
    policy = await call(api, POLICY, {"id": policy_id}, key)
    c1_invoice = [i for i in policy["premiumInvoices"] if i["kind"] == "EXTENSION"][-1]
    ok(
        await call(
            api,
            PAY_PREMIUM,
            {
                "input": {
                    "invoiceId": c1_invoice["id"],
                    "amount": eur(money(c1_premium)),
                    "paidOn": "2027-04-08",
                }
            },
            staff,
        )
    )
    again = await extend(api, key, policy_id, "C1", "2027-05-20")
    assert again["userErrors"][0]["code"] == "WT-X1"  # once per credit
    seen = credits_by_number(await exposure(api, key, policy_id, "5"))
    assert seen["C1"]["extendedDueDate"] == "2027-05-18"
    # WT-C1 by the sweep: C0 was not notified by its due date + 60 (2027-04-06).
    assert rule_of(seen["C0"]) == "WT-C1"

    # WT-C1 on 2027-06-01: C1 (extended to 2027-05-18) is in time (by + 30 days); C0
    # (due + 60 passed) and C3 (extended due 2027-04-20 + 30 passed, though within 60)
    # are left out; C2 (extended to 2027-07-10) is not due.
    await advance(api, key, clock_id, date(2027, 6, 1))
    assert rule_of(credits_by_number(await exposure(api, key, policy_id, "5"))["C3"]) == "WT-C1"
    claim = ok(
        await call(
            api,
            NOTIFY,
            {"input": {"policyId": policy_id, "buyer": buyer("5"), "cause": "NON_PAYMENT"}},
            key,
        )
    )["claim"]
    notified_on = date(2027, 6, 1)
    # WT-C3: the waiting period runs from C1's extended due date, not the notification.
    settlement_on = date(2027, 5, 18) + timedelta(days=180)
    assert (
        claim["status"],
        claim["notifiedOn"],
        claim["documentsDueOn"],
        claim["settlementOn"],
        claim["missingDocuments"],
        [c["invoiceNumber"] for c in claim["credits"]],
    ) == (
        "DOCUMENTS_PENDING",
        "2027-06-01",
        (notified_on + timedelta(days=30)).isoformat(),
        settlement_on.isoformat(),
        ["ACCOUNT_STATEMENT", "INVOICE"],
        ["C1"],
    )
    events = (await call(api, EVENTS, {"id": policy_id}, key))["events"]
    opened = next(e["data"] for e in events if e["type"] == "claim.opened")
    assert opened["lateCredits"] == ["C0", "C3"]
    assert opened["accumulatedUnpaid"] == "18000.00"  # C0 + C1 + C3 (WT-C5: above 500.00)

    # WT-C2: both documents in -> UNDER_REVIEW and the indemnity job.
    await advance(api, key, clock_id, date(2027, 6, 10))
    partial = ok(await submit_policy_document(api, key, claim["id"], "ACCOUNT_STATEMENT"))
    assert (partial["claim"]["status"], partial["claim"]["missingDocuments"]) == (
        "DOCUMENTS_PENDING",
        ["INVOICE"],
    )
    complete = ok(await submit_policy_document(api, key, claim["id"], "INVOICE"))
    assert complete["claim"]["status"] == "UNDER_REVIEW"
    assert "policy_claim.calculate_indemnity" in await jobs.run_all()

    premium_total = MINIMUM_PREMIUM + c3_premium + c2_premium + c1_premium
    premium_unpaid = Decimal("0.00")
    limit_room = limit_amount - jan["C0"][2] - jan["C3"][2]

    def expected(collected: Decimal) -> list[tuple[str, str, str]]:
        """WT-C6 then WT-P2 by hand: the unpaid credit C1 (15,000.00, above the limit)
        less collections, at 85%, capped at 85% of what the limit has left for it: C0
        and C3, uncovered (WT-C1) but unpaid and due before it, use 3,000.00 of the
        10,000.00 (WT-L5); reduced by the unpaid share of the period's premium."""
        unpaid = jan["C1"][2]
        loss = unpaid - collected
        covered = cents(loss * coverage / 100)
        capped = min(covered, cents(limit_room * coverage / 100))
        reduction = cents(capped * premium_unpaid / premium_total)
        indemnity = capped - reduction
        return [
            ("Insured unpaid credit", money(unpaid), "WT-C6"),
            ("Less collections up to payment", money(-collected), "WT-C6"),
            ("Indemnifiable loss", money(loss), "WT-C6"),
            ("Coverage 85%", money(covered), "WT-C6"),
            ("Capped at 85% of the credit limit (7000.00)", money(capped), "WT-C6"),
            (
                f"Less unpaid premium ({money(premium_unpaid)} of {money(premium_total)} "
                "for the period)",
                money(-reduction),
                "WT-P2",
            ),
            (
                f"Capped at the period maximum left ({money(PERIOD_MAXIMUM)} less 0.00 paid)",
                money(indemnity),
                "WT-C6",
            ),
            ("Indemnity", money(indemnity), "WT-C6"),
        ]

    reviewed = await call(api, POLICY_CLAIM, {"id": claim["id"]}, key)
    assert indemnity_lines(reviewed) == expected(Decimal("0.00"))
    # 12,750.00 capped at 85% of the 7,000.00 the limit has left (WT-L5) = 5,950.00;
    # every premium paid (WT-P2: nothing to reduce).
    assert reviewed["indemnity"]["amount"] == {"amount": "5950.00"}

    # Collections before payment (WT-C6 with WT-C8): 4,000.00 assigned to C2 and 2,000.00
    # to C1 are imputed by due date, oldest first: all 6,000.00 to C1 (due 2027-05-18,
    # before C2's 2027-07-10), lowering the loss to 9,000.00.
    await advance(api, key, clock_id, date(2027, 7, 20))
    ok(
        await declare_collections(
            api,
            key,
            policy_id,
            "2027-07-01",
            [
                {
                    "buyer": buyer("5"),
                    "amount": eur("4000.00"),
                    "receivedOn": "2027-07-10",
                    "invoiceNumber": "C2",
                },
                {
                    "buyer": buyer("5"),
                    "amount": eur("2000.00"),
                    "receivedOn": "2027-07-15",
                    "invoiceNumber": "C1",
                },
            ],
        )
    )
    assert "policy_claim.calculate_indemnity" in await jobs.run_all()
    recalculated = await call(api, POLICY_CLAIM, {"id": claim["id"]}, key)
    assert indemnity_lines(recalculated) == expected(Decimal("6000.00"))
    # 9,000.00 at 85% = 7,650.00, still above the 5,950.00 the limit leaves (WT-L5).
    assert recalculated["indemnity"]["amount"] == {"amount": "5950.00"}

    early_recovery = await call(
        api,
        RECOVERY,
        {
            "input": {
                "claimId": claim["id"],
                "amount": eur("100.00"),
                "receivedOn": "2027-07-20",
            }
        },
        staff,
    )
    assert early_recovery["userErrors"][0]["code"] == "INVALID_STATE"  # not paid yet
    approved = ok(
        await call(
            api, DECIDE_CLAIM, {"input": {"claimId": claim["id"], "decision": "APPROVE"}}, staff
        )
    )["claim"]
    assert approved["status"] == "APPROVED"

    # WT-C3: settled at the end of the 180-day waiting period, not a day before.
    refused = await call(
        api,
        MARK_PAID,
        {"input": {"claimId": claim["id"], "paidOn": str(settlement_on - timedelta(days=1))}},
        staff,
    )
    assert refused["userErrors"][0]["code"] == "WT-C3"
    assert refused["claim"] is None
    await advance(api, key, clock_id, settlement_on)
    paid = ok(
        await call(
            api,
            MARK_PAID,
            {"input": {"claimId": claim["id"], "paidOn": settlement_on.isoformat()}},
            staff,
        )
    )["claim"]
    assert (paid["status"], paid["paidOn"], paid["indemnity"]["amount"]) == (
        "PAID",
        "2027-11-14",
        {"amount": "5950.00"},
    )
    deadlines = (await call(api, DEADLINES, {"id": policy_id}, key))["deadlines"]
    assert [
        (d["kind"], d["rule"], d["dueOn"], d["met"], d["metOn"])
        for d in deadlines
        if d["subject"] == claim["id"]
    ] == [
        ("DOCUMENTS", "WT-C2", "2027-07-01", True, "2027-06-10"),
        ("SETTLEMENT", "WT-C3", "2027-11-14", True, "2027-11-14"),
        # WT-C10: max(2027-11-14 + 1 month, 2027-06-10 + 30 days).
        ("PAYMENT", "WT-C10", "2027-12-14", True, "2027-11-14"),
    ]

    # WT-R1: 5,000.00 recovered with 333.33 of costs; the net 4,666.67 goes to C1's
    # outstanding 13,000.00 and is shared by the 85% coverage.
    await advance(api, key, clock_id, date(2027, 12, 15))
    recovery = ok(
        await call(
            api,
            RECOVERY,
            {
                "input": {
                    "claimId": claim["id"],
                    "amount": eur("5000.00"),
                    "costs": eur("333.33"),
                    "receivedOn": "2027-12-15",
                }
            },
            staff,
        )
    )
    net = Decimal("5000.00") - Decimal("333.33")
    insurer = cents(net * coverage / 100)
    assert (
        recovery["insurerShare"],
        recovery["insuredShare"],
        recovery["claim"]["recovered"],
        recovery["claim"]["status"],
    ) == (
        {"amount": money(insurer)},  # 3,966.6695 -> 3,966.67
        {"amount": money(net - insurer)},
        {"amount": money(net)},
        "PAID",
    )


# Journey 3: a late declaration and an aggravated-risk sale left out


async def test_wt_n1_l7_late_declaration_and_aggravated_risk_sale_left_out(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 5))
    await granted_limit(api, key, staff, policy_id, "6", "30000.00")
    await granted_limit(api, key, staff, policy_id, "7", "20000.00")

    await advance(api, key, clock_id, date(2027, 2, 10))
    january = ok(
        await declare_sales(
            api,
            key,
            policy_id,
            "2027-01-01",
            [
                sale("6", "L1", "2027-01-10", "2027-03-11", "5000.00"),  # paid on its due date
                sale("6", "L2", "2027-01-15", "2027-04-15", "6000.00"),  # never paid
                sale("6", "L3", "2027-01-20", "2027-05-20", "4000.00"),
                sale("7", "M1", "2027-01-20", "2027-03-01", "3000.00"),  # never paid
            ],
        )
    )["declaration"]
    assert january["late"] is False
    assert [rule_of(s) for s in january["sales"]] == [None, None, None, None]

    await advance(api, key, clock_id, date(2027, 4, 5))
    ok(
        await declare_collections(
            api,
            key,
            policy_id,
            "2027-03-01",
            [
                {
                    "buyer": buyer("6"),
                    "amount": eur("5000.00"),
                    "receivedOn": "2027-03-11",
                    "invoiceNumber": "L1",
                },
                {
                    "buyer": buyer("6"),
                    "amount": eur("2000.00"),
                    "receivedOn": "2027-03-14",
                    "invoiceNumber": "L5",  # a February sale, not declared yet
                },
            ],
        )
    )
    # WT-L7: M1 (due 2027-03-01) unpaid for 30 days on 2027-03-31: a sale that day is
    # not covered, one the day before is.
    march = ok(
        await declare_sales(
            api,
            key,
            policy_id,
            "2027-03-01",
            [
                sale("6", "L6", "2027-03-05", "2027-06-03", "3500.00"),
                sale("7", "M2", "2027-03-30", "2027-05-29", "1000.00"),
                sale("7", "M3", "2027-03-31", "2027-05-30", "1000.00"),
            ],
        )
    )["declaration"]
    assert march["late"] is False
    assert {s["invoiceNumber"]: rule_of(s) for s in march["sales"]} == {
        "L6": None,
        "M2": None,
        "M3": "WT-L7",
    }
    assert date(2027, 3, 1) + timedelta(days=30) == date(2027, 3, 31)
    day_before = await exposure(api, key, policy_id, "7", "2027-03-30")
    aggravated = await exposure(api, key, policy_id, "7", "2027-03-31")
    today = await exposure(api, key, policy_id, "7")
    assert (day_before["aggravatedRisk"], aggravated["aggravatedRisk"]) == (False, True)
    assert (today["on"], today["aggravatedRisk"], today["overdue"]) == (
        "2027-04-05",
        True,
        {"amount": "3000.00"},
    )

    # WT-N1: February's sales, due by 2027-03-29, declared on 2027-05-03. Buyer 6 then
    # has L2 overdue and unpaid: it loses cover, and so does every credit of the buyer
    # issued by then and not yet due (L3, L4, L6), February's or not. L1 and L5, overdue
    # but paid, keep it.
    await advance(api, key, clock_id, date(2027, 5, 3))
    february = ok(
        await declare_sales(
            api,
            key,
            policy_id,
            "2027-02-01",
            [
                sale("6", "L4", "2027-02-10", "2027-05-11", "3000.00"),
                sale("6", "L5", "2027-02-12", "2027-03-14", "2000.00"),
            ],
        )
    )["declaration"]
    assert (february["late"], february["dueOn"], february["declaredOn"]) == (
        True,
        "2027-03-29",
        "2027-05-03",
    )
    assert {s["invoiceNumber"]: rule_of(s) for s in february["sales"]} == {
        "L4": "WT-N1",
        "L5": None,
    }
    seen = await exposure(api, key, policy_id, "6")
    credits = credits_by_number(seen)
    assert {n: rule_of(c) for n, c in credits.items()} == {
        "L1": None,
        "L2": "WT-N1",
        "L3": "WT-N1",
        "L4": "WT-N1",
        "L5": None,
        "L6": "WT-N1",
    }
    # WT-N2: the 2,000.00 named "L5" now goes to L5 (it went to the oldest due date,
    # L2, while L5 was undeclared).
    assert (credits["L5"]["collected"], credits["L2"]["collected"]) == (
        {"amount": "2000.00"},
        {"amount": "0.00"},
    )
    # Excluded credits still use the limit but insure nothing (WT-L5):
    # L2 6,000.00 + L3 4,000.00 + L4 3,000.00 + L6 3,500.00; L2 overdue.
    assert (seen["exposure"], seen["insured"], seen["uninsured"], seen["overdue"]) == (
        {"amount": "16500.00"},
        {"amount": "0.00"},
        {"amount": "16500.00"},
        {"amount": "6000.00"},
    )
    events = (await call(api, EVENTS, {"id": policy_id}, key))["events"]
    late = [
        e["data"]
        for e in events
        if e["type"] == "declaration.late" and e["data"].get("declarationId") == february["id"]
    ]
    assert late == [
        {
            "declarationId": february["id"],
            "month": "2027-02-01",
            "dueOn": "2027-03-29",
            "rule": "WT-N1",
            "uncoveredInvoices": ["L2", "L3", "L4", "L6"],
            "deadlineMet": False,
        }
    ]
    deadlines = (await call(api, DEADLINES, {"id": policy_id}, key))["deadlines"]
    declaration_met = {d["subject"]: d["met"] for d in deadlines if d["kind"] == "DECLARATION"}
    assert (declaration_met["2027-01-01"], declaration_met["2027-02-01"]) == (True, False)
    assert declaration_met["2027-03-01"] is True

    # The exclusion is assessed at the late declaration: a May sale, declared in time
    # and made before L2 is 30 days unpaid (2027-05-15, WT-L7), is covered.
    await advance(api, key, clock_id, date(2027, 6, 5))
    may = ok(
        await declare_sales(
            api,
            key,
            policy_id,
            "2027-05-01",
            [
                sale("6", "L7", "2027-05-14", "2027-07-13", "1000.00"),
                sale("6", "L8", "2027-05-15", "2027-07-14", "1000.00"),
            ],
        )
    )["declaration"]
    assert {s["invoiceNumber"]: rule_of(s) for s in may["sales"]} == {
        "L7": None,
        "L8": "WT-L7",
    }


# WT-L3, WT-C5, WT-C2 and tenant isolation


async def test_wt_l3_limit_refused_while_the_buyer_has_overdue_unpaid_credits(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 2, 1))
    unlimited = ok(
        await declare_sales(
            api,
            key,
            policy_id,
            "2027-01-01",
            [sale("8", "P1", "2027-01-10", "2027-02-09", "1000.00")],
        )
    )["declaration"]
    assert rule_of(unlimited["sales"][0]) == "WT-L1"  # no limit yet

    # On 2027-02-15 P1 is overdue and unpaid: no limit can take effect.
    await advance(api, key, clock_id, date(2027, 2, 15))
    requested = ok(
        await call(
            api,
            REQUEST_LIMIT,
            {
                "input": {
                    "policyId": policy_id,
                    "buyer": buyer_company("8"),
                    "amount": eur("20000.00"),
                    "paymentTermDays": 90,
                }
            },
            key,
        )
    )["creditLimit"]
    refused = await call(
        api,
        DECIDE_LIMIT,
        {"input": {"limitId": requested["id"], "decision": "GRANT"}},
        staff,
    )
    assert refused["creditLimit"] is None
    assert [e["code"] for e in refused["userErrors"]] == ["WT-L3"]
    assert (await exposure(api, key, policy_id, "8"))["limit"] is None

    # Once P1 is paid, a new request is granted (WT-L2: from 2027-01-01).
    await advance(api, key, clock_id, date(2027, 2, 17))
    ok(
        await declare_collections(
            api,
            key,
            policy_id,
            "2027-02-01",
            [{"buyer": buyer("8"), "amount": eur("1000.00"), "receivedOn": "2027-02-16"}],
        )
    )
    granted = await granted_limit(api, key, staff, policy_id, "8", "20000.00")
    assert (granted["status"], granted["effectiveFrom"]) == ("GRANTED", "2027-01-01")


async def test_wt_c5_claim_at_the_threshold_and_wt_c2_documents_missing_after_30_days(
    api, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 5))
    await granted_limit(api, key, staff, policy_id, "9", "10000.00")
    await granted_limit(api, key, staff, policy_id, "10", "10000.00")
    await advance(api, key, clock_id, date(2027, 2, 1))
    ok(
        await declare_sales(
            api,
            key,
            policy_id,
            "2027-01-01",
            [
                sale("9", "T1", "2027-01-10", "2027-02-09", "500.00"),
                sale("10", "T2", "2027-01-10", "2027-02-09", "500.01"),
            ],
        )
    )

    await advance(api, key, clock_id, date(2027, 3, 1))

    async def notify(code: str) -> dict[str, Any]:
        return ok(
            await call(
                api,
                NOTIFY,
                {"input": {"policyId": policy_id, "buyer": buyer(code), "cause": "NON_PAYMENT"}},
                key,
            )
        )["claim"]

    # WT-C5: 500.00 unpaid is not above the 500.00 threshold; 500.01 is.
    at_threshold = await notify("9")
    assert at_threshold["status"] == "BELOW_THRESHOLD"
    claim = await notify("10")
    assert (claim["status"], claim["documentsDueOn"]) == ("DOCUMENTS_PENDING", "2027-03-31")

    # WT-C2: the invoices never arrive; the last day (notification + 30) still counts.
    sent = ok(await submit_policy_document(api, key, claim["id"], "ACCOUNT_STATEMENT"))
    assert sent["claim"]["missingDocuments"] == ["INVOICE"]
    await advance(api, key, clock_id, date(2027, 3, 31))
    waiting = await call(api, POLICY_CLAIM, {"id": claim["id"]}, key)
    assert (waiting["status"], waiting["rejection"]) == ("DOCUMENTS_PENDING", None)
    await advance(api, key, clock_id, date(2027, 4, 1))
    rejected = await call(api, POLICY_CLAIM, {"id": claim["id"]}, key)
    assert (rejected["status"], rejected["rejection"], rejected["indemnity"]) == (
        "REJECTED",
        {"rule": "WT-C2"},
        None,
    )
    deadlines = (await call(api, DEADLINES, {"id": policy_id}, key))["deadlines"]
    assert [
        (d["kind"], d["dueOn"], d["met"]) for d in deadlines if d["subject"] == claim["id"]
    ] == [("DOCUMENTS", "2027-03-31", False)]


async def test_tenant_isolation_another_partner_cannot_see_or_declare_on_a_policy(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    other = await make_partner(name="Another platform")
    policy_id, clock_id = await active_policy(api, key, staff)
    await granted_limit(api, key, staff, policy_id, "1", "10000.00")

    assert await query(api, POLICY, {"id": policy_id}, other) is None
    assert await query(api, LIMITS, {"id": policy_id}, other) == []
    assert (
        await query(api, EXPOSURE, {"id": policy_id, "buyer": buyer("1"), "on": None}, other)
        is None
    )
    declared = await declare_sales(
        api,
        other,
        policy_id,
        "2027-01-01",
        [sale("1", "X1", "2027-01-02", "2027-02-01", "100.00")],
    )
    assert declared["declaration"] is None
    assert [e["code"] for e in declared["userErrors"]] == ["NOT_FOUND"]
    # Nothing was declared: the owner still sees the policy with no sale.
    assert (await call(api, POLICY, {"id": policy_id}, key))["accruedPremium"] == {"amount": "0.00"}
