"""Malformed input answers a clear, typed error, never a 500, and stores nothing."""

from __future__ import annotations

import pytest

from domain.store.models import Quote
from tests.builders import QUOTE_MUTATION, fi_input, tr_input


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("invoice", "amount", "amount"), "12,50", "Decimal"),
        (("invoice", "amount", "amount"), 1250.5, "Decimal"),  # a float is refused
        (("invoice", "amount", "amount"), "NaN", "Decimal"),
        (("invoice", "dueDate"), "2027-02-30", "Date"),
        (("invoice", "issueDate"), "23/11/2026", "Date"),
        (("buyer", "legalForm"), "GMBH", "LegalForm"),
    ],
)
async def test_malformed_scalar_is_a_graphql_validation_error(
    api, make_partner, path, value, expected
):
    key = await make_partner()
    request = fi_input()
    target = request
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    response = await api.post(QUOTE_MUTATION, {"input": request}, key=key)
    assert response.status_code in (200, 400)
    body = response.json()
    assert body.get("data") is None
    assert expected in body["errors"][0]["message"]
    assert "Traceback" not in response.text
    assert await Quote.all().count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda r: r["invoice"]["amount"].update(currency="EUX"),
            ["input", "invoice", "amount", "currency"],
        ),
        (
            lambda r: r["invoice"]["amount"].update(currency="USD"),
            ["input", "invoice", "amount", "currency"],
        ),
        (
            lambda r: r["invoice"]["amount"].update(amount="-10.00"),
            ["input", "invoice", "amount", "amount"],
        ),
        (
            lambda r: r["invoice"]["amount"].update(amount="10.001"),
            ["input", "invoice", "amount", "amount"],
        ),
        (lambda r: r["invoice"].update(dueDate="2026-11-01"), ["input", "invoice", "dueDate"]),
        (lambda r: r["buyer"].update(sector="transport"), ["input", "buyer", "sector"]),
        (lambda r: r["buyer"].update(country="Spain"), ["input", "buyer", "country"]),
        (lambda r: r.pop("invoice"), ["input", "invoice"]),
    ],
)
async def test_invalid_value_is_an_invalid_input_user_error_and_stores_nothing(
    api, make_partner, change, field
):
    key = await make_partner()
    request = fi_input()
    change(request)
    body = await api.execute(QUOTE_MUTATION, {"input": request}, key=key)
    payload = body["data"]["requestQuote"]
    assert payload["quote"] is None
    assert ("INVALID_INPUT", field) in [(e["code"], e["field"]) for e in payload["userErrors"]]
    assert await Quote.all().count() == 0


async def test_tr_without_shipment_is_invalid_input(api, make_partner):
    key = await make_partner(kind="freight_exchange")
    request = tr_input()
    del request["shipment"]
    body = await api.execute(QUOTE_MUTATION, {"input": request}, key=key)
    errors = body["data"]["requestQuote"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", ["input", "shipment"])]


async def test_body_that_is_not_json_is_a_400(api, make_partner):
    key = await make_partner()
    response = await api.http.post(
        "/graphql",
        content=b"{not json",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "Traceback" not in response.text
