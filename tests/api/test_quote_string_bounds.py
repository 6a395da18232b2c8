"""requestQuote refuses a string longer than where bindCover stores it, on its path; an
eligible quote with every string at its limit binds (schema/input_limits.py)."""

from __future__ import annotations

import pytest

from domain.store.models import Quote
from schema.input_limits import string_limit
from tests.api.cover_helpers import bind
from tests.builders import QUOTE_MUTATION, fi_input, tr_input


def _at(limit_of: tuple[str, str], char: str = "B") -> str:
    return char * string_limit(*limit_of)


@pytest.mark.parametrize(
    ("path", "owner"),
    [
        (("buyer", "registrationNumber"), ("CompanyInput", "registrationNumber")),
        (("seller", "registrationNumber"), ("CompanyInput", "registrationNumber")),
        (("buyer", "name"), ("CompanyInput", "name")),
        (("invoice", "number"), ("InvoiceInput", "number")),
        (("financing", "reference"), ("FinancingInput", "reference")),
    ],
)
@pytest.mark.parametrize("extra", [1, 10_000])
async def test_request_quote_refuses_an_over_long_string_on_its_path(
    api, make_partner, path, owner, extra
):
    key = await make_partner()
    request = fi_input()
    request[path[0]][path[1]] = "B" * (string_limit(*owner) + extra)
    body = await api.execute(QUOTE_MUTATION, {"input": request}, key=key)
    payload = body["data"]["requestQuote"]
    assert payload["quote"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_INPUT", ["input", *path])
    ]
    assert await Quote.all().count() == 0


async def test_an_fi_quote_with_every_string_at_its_limit_is_eligible_and_binds(
    api, jobs, make_partner
):
    key = await make_partner()
    request = fi_input()
    for party, char in (("buyer", "B"), ("seller", "S")):
        request[party]["registrationNumber"] = _at(("CompanyInput", "registrationNumber"), char)
        request[party]["name"] = _at(("CompanyInput", "name"), char)
        request[party]["group"] = _at(("CompanyInput", "group"), char)
    request["invoice"]["number"] = _at(("InvoiceInput", "number"))
    request["financing"]["reference"] = _at(("FinancingInput", "reference"))
    body = await api.execute(QUOTE_MUTATION, {"input": request}, key=key)
    quote = body["data"]["requestQuote"]["quote"]
    assert quote["eligible"] is True, body
    signature = _at(("BindCoverInput", "signatureReference"))
    bound = await bind(api, key, quoteId=quote["id"], signatureReference=signature)
    assert bound["userErrors"] == []
    assert bound["cover"]["status"] == "PENDING_CONFIRMATION"


async def test_a_tr_quote_with_every_string_at_its_limit_is_eligible_and_binds(
    api, jobs, make_partner
):
    key = await make_partner(kind="freight_exchange")
    request = tr_input()
    request["buyer"]["registrationNumber"] = _at(("CompanyInput", "registrationNumber"))
    request["seller"]["name"] = _at(("CompanyInput", "name"))
    request["shipment"]["origin"] = _at(("ShipmentInput", "origin"))
    request["shipment"]["destination"] = _at(("ShipmentInput", "destination"))
    body = await api.execute(QUOTE_MUTATION, {"input": request}, key=key)
    quote = body["data"]["requestQuote"]["quote"]
    assert quote["eligible"] is True, body
    bound = await bind(api, key, quoteId=quote["id"], paymentMethodToken="tok_visa")
    assert bound["userErrors"] == []
    assert bound["cover"]["status"] == "PENDING_CONFIRMATION"
