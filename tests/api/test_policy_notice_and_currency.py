"""WT-C1 enforced by the sweep on a test clock: an unpaid covered credit not notified
within 60 days of its due date (30 days after an extended one) loses cover on day 61;
a credit paid in full has nothing to notify. WT-N3: a sale in another currency is
converted at the day-of-sale rate the insurer set, and refused without one."""

from __future__ import annotations

from datetime import date

from tests.api.policy_helpers import (
    ERRORS,
    NOTIFY,
    SET_RATE,
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

SET_RATE_WITH_OWNER = (
    "mutation($input: SetExchangeRateInput!) { setExchangeRate(input: $input) { "
    "exchangeRate { rate partnerId } " + ERRORS + " } }"
)


def covered(seen: dict) -> dict[str, str | None]:
    return {c["invoiceNumber"]: (c["exclusion"] or {}).get("rule") for c in seen["credits"]}


async def test_wt_c1_unpaid_credit_not_notified_by_due_plus_60_loses_cover(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 5))
    await granted_limit(api, key, staff, policy_id, "3", "30000.00")
    await advance(api, key, clock_id, date(2027, 2, 1))
    await declare_sales(
        api,
        key,
        policy_id,
        "2027-01-01",
        [
            sale("3", "N1", "2027-01-10", "2027-02-10", "3000.00"),
            sale("3", "N2", "2027-01-11", "2027-02-10", "2000.00"),
        ],
    )
    # N2 is paid in full: its notice deadline is void.
    await declare_collections(
        api,
        key,
        policy_id,
        "2027-02-01",
        [
            {
                "buyer": buyer("3"),
                "amount": eur("2000.00"),
                "receivedOn": "2027-02-09",
                "invoiceNumber": "N2",
            }
        ],
    )
    await advance(api, key, clock_id, date(2027, 4, 11))  # due + 60
    assert covered(await exposure(api, key, policy_id, "3")) == {"N1": None, "N2": None}
    await advance(api, key, clock_id, date(2027, 4, 12))  # due + 61
    assert covered(await exposure(api, key, policy_id, "3")) == {"N1": "WT-C1", "N2": None}
    late = await call(
        api,
        NOTIFY,
        {"input": {"policyId": policy_id, "buyer": buyer("3"), "cause": "NON_PAYMENT"}},
        key,
    )
    assert late["userErrors"][0]["code"] == "WT-C1"


async def test_wt_n3_sale_in_another_currency_converted_at_the_day_of_sale_rate(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 5))
    await granted_limit(api, key, staff, policy_id, "4", "30000.00")
    await advance(api, key, clock_id, date(2027, 2, 1))
    usd = {**sale("4", "U1", "2027-01-12", "2027-03-12", "1000.00")}
    usd["amount"] = {"amount": "1000.00", "currency": "USD"}
    refused = await declare_sales(api, key, policy_id, "2027-01-01", [usd])
    assert refused["userErrors"][0]["code"] == "WT-N3"
    assert refused["declaration"] is None

    for day, rate in (("2027-01-12", "0.91234567"), ("2027-01-13", "0.95")):
        answer = await call(
            api,
            SET_RATE,
            {"input": {"fromCurrency": "USD", "toCurrency": "EUR", "on": day, "rate": rate}},
            staff,
        )
        assert answer["userErrors"] == []
    declared = await declare_sales(api, key, policy_id, "2027-01-01", [usd])
    [credit] = declared["declaration"]["sales"]
    # 1,000.00 USD x 0.91234567 = 912.34567 -> 912.35 EUR (half-up), the issue day's rate.
    assert credit["amount"] == {"amount": "1000.00", "currency": "USD"}
    assert credit["policyAmount"] == {"amount": "912.35"}
    by_live_partner = await call(
        api,
        SET_RATE,
        {"input": {"fromCurrency": "USD", "toCurrency": "EUR", "on": "2027-01-14", "rate": "1"}},
        await make_partner(name="Live", sandbox=False),
    )
    assert by_live_partner["userErrors"][0]["code"] == "FORBIDDEN"


async def test_wt_n3_sandbox_partner_own_rate_converts_its_sales_and_no_one_elses(
    api, make_partner, make_staff
):
    """Sandbox and live are separate worlds: a sandbox partner's own rate is used by its
    own sandbox policies; another sandbox partner's sale of that day takes the staff rate."""
    staff = await make_staff()
    converted = {}
    for name, own_rate in (("A", "0.50000000"), ("B", None)):
        key = await make_partner(name=name)
        policy_id, clock_id = await active_policy(api, key, staff)
        await advance(api, key, clock_id, date(2027, 1, 5))
        await granted_limit(api, key, staff, policy_id, "4", "30000.00")
        await advance(api, key, clock_id, date(2027, 2, 1))
        if name == "A":
            staff_set = await call(
                api,
                SET_RATE,
                {
                    "input": {
                        "fromCurrency": "USD",
                        "toCurrency": "EUR",
                        "on": "2027-01-12",
                        "rate": "0.91234567",
                    }
                },
                staff,
            )
            assert staff_set["userErrors"] == []
        if own_rate:
            answer = await call(
                api,
                SET_RATE_WITH_OWNER,
                {
                    "input": {
                        "fromCurrency": "USD",
                        "toCurrency": "EUR",
                        "on": "2027-01-12",
                        "rate": own_rate,
                    }
                },
                key,
            )
            assert answer["userErrors"] == []
            assert answer["exchangeRate"]["partnerId"] is not None
        usd = {**sale("4", "U1", "2027-01-12", "2027-03-12", "1000.00")}
        usd["amount"] = {"amount": "1000.00", "currency": "USD"}
        declared = await declare_sales(api, key, policy_id, "2027-01-01", [usd])
        [credit] = declared["declaration"]["sales"]
        converted[name] = credit["policyAmount"]["amount"]
    assert converted == {"A": "500.00", "B": "912.35"}


async def usd_claim(api, jobs, key, staff, indemnity_day_rate: str) -> dict:
    """A 1,000.00 USD credit sold at 0.91234567 (912.35 EUR), notified on 2027-03-20,
    the USD rate of that day set to `indemnity_day_rate`."""
    from tests.api.policy_helpers import POLICY_CLAIM, submit_policy_document

    policy_id, clock_id = await active_policy(api, key, staff)
    await advance(api, key, clock_id, date(2027, 1, 5))
    await granted_limit(api, key, staff, policy_id, "5", "30000.00")
    for day, rate in (("2027-01-12", "0.91234567"), ("2027-03-20", indemnity_day_rate)):
        await call(
            api,
            SET_RATE,
            {"input": {"fromCurrency": "USD", "toCurrency": "EUR", "on": day, "rate": rate}},
            staff,
        )
    await advance(api, key, clock_id, date(2027, 2, 1))
    usd = sale("5", "U1", "2027-01-12", "2027-03-12", "1000.00")
    usd["amount"] = {"amount": "1000.00", "currency": "USD"}
    await declare_sales(api, key, policy_id, "2027-01-01", [usd])
    await advance(api, key, clock_id, date(2027, 3, 20))
    notified = await call(
        api,
        NOTIFY,
        {"input": {"policyId": policy_id, "buyer": buyer("5"), "cause": "NON_PAYMENT"}},
        key,
    )
    claim_id = notified["claim"]["id"]
    for kind in ("ACCOUNT_STATEMENT", "INVOICE"):
        await submit_policy_document(api, key, claim_id, kind)
    await jobs.run_all()
    return await call(api, POLICY_CLAIM, {"id": claim_id}, key)


async def test_wt_c7_indemnity_at_the_lesser_of_sale_and_indemnity_day_rates(
    api, jobs, storage, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    lower = await usd_claim(api, jobs, key, staff, "0.80")
    # 1,000.00 USD x 0.80 (lesser) = 800.00 EUR; 90% = 720.00
    assert lower["indemnity"]["amount"]["amount"] == "720.00"
    assert any(line["rule"] == "WT-C7" for line in lower["indemnity"]["lines"])
    higher = await usd_claim(api, jobs, key, staff, "1.10")
    # 1,000.00 USD x 0.91234567 (day of sale, lesser) = 912.35 EUR; 90% = 821.115 -> 821.12
    assert higher["indemnity"]["amount"]["amount"] == "821.12"
