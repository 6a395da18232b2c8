"""requestQuote / quote / products over HTTP (LIFECYCLE 1, C-5, FI-P1, TR-P1).

Business refusals are data (violations, userErrors); malformed requests are GraphQL
errors; nothing is stored for either kind of malformed input.
"""

from __future__ import annotations

from decimal import Decimal

from domain.store.models import Quote
from tests.builders import QUOTE_MUTATION, fi_input, tr_input


async def test_fi_eligible_quote_is_priced_at_partner_rate_on_financed_amount(api, make_partner):
    key = await make_partner(premium_rate=Decimal("0.0125"))
    body = await api.execute(QUOTE_MUTATION, {"input": fi_input()}, key=key)
    quote = body["data"]["requestQuote"]["quote"]
    assert body["data"]["requestQuote"]["userErrors"] == []
    assert quote["eligible"] is True
    assert quote["violations"] == []
    # FI-P1: 9000.00 x 0.0125 = 112.50; FI-C1: insured = financed amount.
    assert quote["premium"] == {"amount": "112.50", "currency": "EUR"}
    assert quote["insuredAmount"] == {"amount": "9000.00", "currency": "EUR"}
    assert quote["coveragePercent"] == "90.00"
    assert quote["requestDate"] == "2026-11-23"
    assert quote["validUntil"] is not None


async def test_tr_eligible_quote_costs_1_70_percent_of_guaranteed_amount(api, make_partner):
    key = await make_partner(kind="freight_exchange", premium_rate=Decimal("0.0125"))
    body = await api.execute(QUOTE_MUTATION, {"input": tr_input()}, key=key)
    quote = body["data"]["requestQuote"]["quote"]
    assert quote["eligible"] is True
    # TR-P1: 1500.00 x 0.0170 = 25.50 (the partner's FI rate does not apply to TR).
    assert quote["premium"] == {"amount": "25.50", "currency": "EUR"}
    assert quote["insuredAmount"] == {"amount": "1500.00", "currency": "EUR"}


async def test_c5_ineligible_quote_lists_every_violated_rule_with_its_field(api, make_partner):
    key = await make_partner()
    request = fi_input()
    request["invoice"]["amount"]["amount"] = "30000.01"  # FI-E1
    request["invoice"]["dueDate"] = "2026-12-22"  # 29 days after the request: FI-E2
    request["invoice"]["issueDate"] = "2026-06-24"  # 181-day term: FI-E3
    request["financing"]["reference"] = " "  # FI-E4
    request["buyer"]["legalForm"] = "PUBLIC_BODY"  # C-1
    request["buyer"]["sector"] = "84.11"  # C-4
    request["buyer"]["group"] = "G1"
    request["seller"]["group"] = "g1"  # C-2
    body = await api.execute(QUOTE_MUTATION, {"input": request}, key=key)
    quote = body["data"]["requestQuote"]["quote"]
    assert quote["eligible"] is False
    assert quote["premium"] is None and quote["validUntil"] is None
    found = [(v["rule"], tuple(v["field"])) for v in quote["violations"]]
    assert found == [
        ("FI-E1", ("input", "invoice", "amount", "amount")),
        ("FI-E2", ("input", "invoice", "dueDate")),
        ("FI-E3", ("input", "invoice", "dueDate")),
        ("FI-E4", ("input", "financing", "reference")),
        ("C-1", ("input", "buyer", "legalForm")),
        ("C-2", ("input", "buyer", "group")),
        ("C-4", ("input", "buyer", "sector")),
    ]
    assert all(v["message"] for v in quote["violations"])
    stored = await Quote.get(id=quote["id"])
    assert stored.eligible is False and len(stored.violations) == 7


async def test_quote_by_id_returns_the_stored_quote(api, make_partner):
    key = await make_partner()
    created = await api.execute(QUOTE_MUTATION, {"input": fi_input()}, key=key)
    quote_id = created["data"]["requestQuote"]["quote"]["id"]
    query = "query($id: ID!) { quote(id: $id) { id premium { amount } eligible } }"
    body = await api.execute(query, {"id": quote_id}, key=key)
    assert body["data"]["quote"] == {
        "id": quote_id,
        "premium": {"amount": "72.00"},
        "eligible": True,
    }


async def test_products_show_the_partner_rate_for_fi_and_the_catalogue_rate_for_tr(
    api, make_partner
):
    key = await make_partner(premium_rate=Decimal("0.0095"))
    query = (
        "{ products { code premiumRate coveragePercent "
        "maxInsuredAmount { amount currency } rules { rule message } } }"
    )
    body = await api.execute(query, key=key)
    products = {p["code"]: p for p in body["data"]["products"]}
    assert products["FINANCED_INVOICE"]["premiumRate"] == "0.009500"
    assert products["FINANCED_INVOICE"]["maxInsuredAmount"] == {
        "amount": "30000.00",
        "currency": "EUR",
    }
    assert products["TRANSPORT_INVOICE"]["premiumRate"] == "0.0170"
    assert products["TRANSPORT_INVOICE"]["maxInsuredAmount"] is None
    fi_rules = [r["rule"] for r in products["FINANCED_INVOICE"]["rules"]]
    assert fi_rules == ["FI-E1", "FI-E2", "FI-E3", "FI-E4", "C-1", "C-2", "C-4"]


async def test_staff_cannot_request_quotes(api, make_staff):
    key = await make_staff()
    body = await api.execute(QUOTE_MUTATION, {"input": fi_input()}, key=key)
    payload = body["data"]["requestQuote"]
    assert payload["quote"] is None
    assert payload["userErrors"][0]["code"] == "FORBIDDEN"
    assert await Quote.all().count() == 0


async def test_live_key_cannot_backdate_the_request_date(api, make_partner):
    key = await make_partner(sandbox=False)
    body = await api.execute(QUOTE_MUTATION, {"input": fi_input(requestDate="2020-01-01")}, key=key)
    errors = body["data"]["requestQuote"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("INVALID_INPUT", ["input", "requestDate"])
    ]
    assert await Quote.all().count() == 0


async def test_quote_on_a_test_clock_uses_the_clock_date(api, make_partner):
    key = await make_partner()
    clock = await api.execute(
        'mutation { createTestClock(input: {frozenTime: "2027-03-01T09:00:00+00:00"}) '
        "{ testClock { id frozenTime status } userErrors { code } } }",
        key=key,
    )
    clock_id = clock["data"]["createTestClock"]["testClock"]["id"]
    request = fi_input(testClockId=clock_id)
    del request["requestDate"]
    request["invoice"]["dueDate"] = "2027-03-31"  # exactly 30 days after the clock's today
    body = await api.execute(QUOTE_MUTATION, {"input": request}, key=key)
    quote = body["data"]["requestQuote"]["quote"]
    assert quote["requestDate"] == "2027-03-01"
    assert quote["eligible"] is True
    assert quote["validUntil"].startswith("2027-03-02T09:00:00")
