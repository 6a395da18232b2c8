"""A whole-turnover policy's underwriting terms belong to the insurer: a partner asks for
a policy and gets the product's default terms; a term it sends is refused with
TERMS_SET_BY_INSURER on that field; staff set the terms (setPolicyTerms) until the
policy takes effect (WT-P1)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.api.cover_helpers import create_clock
from tests.api.policy_helpers import (
    CREATE_POLICY,
    PAY_PREMIUM,
    SET_TERMS,
    advance,
    call,
    eur,
    policy_input,
    policy_terms,
)

TERMS_QUERY = (
    "query($id: ID!) { policy(id: $id) { coveragePercent maxIndemnityMultiple "
    "waitingPeriodDays minimumPremium { amount } minimumUnpaidThreshold { amount } "
    "maxExtensionAmount { amount } premiumRates { maxTermDays ratePercent } "
    "premiumInvoices { kind amount { amount } } } }"
)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("coveragePercent", "95"),
        ("maxIndemnityMultiple", "500"),
        ("waitingPeriodDays", 30),
        ("minimumPremium", {"amount": "1.00", "currency": "EUR"}),
        ("premiumRates", [{"maxTermDays": 60, "ratePercent": "0.01"}]),
        ("minimumUnpaidThreshold", {"amount": "0.00", "currency": "EUR"}),
        ("maxExtensionAmount", {"amount": "99999.00", "currency": "EUR"}),
    ],
)
async def test_a_partner_sending_an_underwriting_term_is_refused_on_that_field(
    api, make_partner, field, value
):
    key = await make_partner()
    created = await call(api, CREATE_POLICY, {"input": policy_input(**{field: value})}, key)
    assert created["policy"] is None
    assert [(e["code"], e["field"]) for e in created["userErrors"]] == [
        ("TERMS_SET_BY_INSURER", ["input", field])
    ]


async def test_a_policy_starts_with_the_default_terms_and_staff_set_its_own(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    created = await call(api, CREATE_POLICY, {"input": policy_input()}, key)
    assert created["userErrors"] == []
    policy_id = created["policy"]["id"]
    defaults = await call(api, TERMS_QUERY, {"id": policy_id}, key)
    assert (
        defaults["coveragePercent"],
        defaults["maxIndemnityMultiple"],
        defaults["waitingPeriodDays"],
        defaults["minimumPremium"],
        defaults["minimumUnpaidThreshold"],
        defaults["maxExtensionAmount"],
    ) == ("90.00", "20.00", 180, {"amount": "1000.00"}, {"amount": "0.00"}, {"amount": "0.00"})
    by_partner = await call(
        api, SET_TERMS, {"input": {"policyId": policy_id, "coveragePercent": "80"}}, key
    )
    assert by_partner["userErrors"][0]["code"] == "FORBIDDEN"
    done = await call(
        api,
        SET_TERMS,
        {"input": {"policyId": policy_id, "coveragePercent": "80", **_premium("250.00")}},
        staff,
    )
    assert done["userErrors"] == [], done["userErrors"]
    seen = await call(api, TERMS_QUERY, {"id": policy_id}, key)
    assert (seen["coveragePercent"], seen["waitingPeriodDays"], seen["minimumPremium"]) == (
        "80.00",
        180,
        {"amount": "250.00"},
    )
    # The MINIMUM premium invoice is re-priced with it.
    assert seen["premiumInvoices"] == [{"kind": "MINIMUM", "amount": {"amount": "250.00"}}]


def _premium(amount: str) -> dict[str, object]:
    return {"minimumPremium": eur(amount)}


async def test_terms_are_fixed_once_the_policy_takes_effect(api, make_partner, make_staff):
    key, staff = await make_partner(), await make_staff()
    clock_id = await create_clock(api, key, "2026-12-15T09:00:00+00:00")
    created = await call(api, CREATE_POLICY, {"input": policy_input(testClockId=clock_id)}, key)
    policy_id = created["policy"]["id"]
    terms = await call(api, SET_TERMS, {"input": {"policyId": policy_id, **policy_terms()}}, staff)
    assert terms["userErrors"] == []
    minimum = next(i for i in terms["policy"]["premiumInvoices"] if i["kind"] == "MINIMUM")
    await advance(api, key, clock_id, date(2027, 1, 1))
    half = {"invoiceId": minimum["id"], "amount": eur("50.00"), "paidOn": "2027-01-01"}
    await call(api, PAY_PREMIUM, {"input": half}, staff)
    # Not below what was already paid on the minimum premium.
    at_paid = await call(
        api, SET_TERMS, {"input": {"policyId": policy_id, **_premium("50.00")}}, staff
    )
    assert [(e["code"], e["field"]) for e in at_paid["userErrors"]] == [
        ("INVALID_INPUT", ["input", "minimumPremium"])
    ]
    above = await call(
        api, SET_TERMS, {"input": {"policyId": policy_id, **_premium("50.01")}}, staff
    )
    assert above["userErrors"] == []
    rest = {"invoiceId": minimum["id"], "amount": eur("0.01"), "paidOn": "2027-01-01"}
    paid = await call(api, PAY_PREMIUM, {"input": rest}, staff)
    assert paid["policy"]["status"] == "ACTIVE"
    fixed = await call(
        api, SET_TERMS, {"input": {"policyId": policy_id, "waitingPeriodDays": 90}}, staff
    )
    assert [(e["code"], e["field"]) for e in fixed["userErrors"]] == [
        ("INVALID_STATE", ["input", "policyId"])
    ]


async def test_staff_terms_out_of_bounds_are_refused_with_their_field(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    created = await call(api, CREATE_POLICY, {"input": policy_input()}, key)
    refused = await call(
        api,
        SET_TERMS,
        {
            "input": {
                "policyId": created["policy"]["id"],
                "coveragePercent": "100.01",
                "waitingPeriodDays": -1,
            }
        },
        staff,
    )
    assert sorted(tuple(e["field"]) for e in refused["userErrors"]) == [
        ("input", "coveragePercent"),
        ("input", "waitingPeriodDays"),
    ]


async def _partner_id(key: str) -> str:
    from domain.services.principals import authenticate

    principal = await authenticate(key)
    assert principal is not None and principal.partner_id is not None
    return str(principal.partner_id)


async def test_staff_may_create_a_policy_for_a_partner_with_its_terms(
    api, make_partner, make_staff
):
    key, staff = await make_partner(), await make_staff()
    partner_id = await _partner_id(key)
    created = await call(
        api,
        CREATE_POLICY,
        {"input": policy_input(partnerId=partner_id, coveragePercent="80", waitingPeriodDays=90)},
        staff,
    )
    assert created["userErrors"] == [], created["userErrors"]
    seen = await call(api, TERMS_QUERY, {"id": created["policy"]["id"]}, key)
    assert (seen["coveragePercent"], seen["waitingPeriodDays"], seen["minimumPremium"]) == (
        "80.00",
        90,
        {"amount": "1000.00"},
    )


async def test_staff_name_an_existing_partner_and_partners_only_their_own(
    api, make_partner, make_staff
):
    key, other, staff = await make_partner(), await make_partner(), await make_staff()
    unnamed = await call(api, CREATE_POLICY, {"input": policy_input()}, staff)
    unknown = await call(api, CREATE_POLICY, {"input": policy_input(partnerId="prt_x")}, staff)
    foreign = await call(
        api, CREATE_POLICY, {"input": policy_input(partnerId=await _partner_id(other))}, key
    )
    assert [
        (r["userErrors"][0]["code"], r["userErrors"][0]["field"])
        for r in (unnamed, unknown, foreign)
    ] == [
        ("INVALID_INPUT", ["input", "partnerId"]),
        ("NOT_FOUND", ["input", "partnerId"]),
        ("FORBIDDEN", ["input", "partnerId"]),
    ]
