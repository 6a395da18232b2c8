"""Money enters through one parser (domain.rules.money.parse_amount), and a cover can
never be wedged by an amount: every later valid payment either succeeds or is refused
with a reason a retry can fix (LIFECYCLE 3, recordPayment)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.rules.money import Money
from domain.services import cover_life
from domain.services.errors import DomainError
from domain.services.principals import authenticate
from domain.store.cover_models import Cover
from tests.api.cover_helpers import CONFIRM_FINANCING, bind, quote_id
from tests.builders import fi_input

PAYMENT = (
    "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) "
    "{ cover { status paidAmount { amount } } userErrors { code message field } } }"
)
DECLARE = (
    "mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { "
    "incident { id } userErrors { code message field } } }"
)


async def active_fi_cover(api, jobs, key: str) -> str:
    qid = await quote_id(api, key, fi_input())
    cover_id = (await bind(api, key, quoteId=qid, signatureReference="env"))["cover"]["id"]
    await jobs.run_all()
    await api.execute(
        CONFIRM_FINANCING, {"input": {"coverId": cover_id, "financed": True}}, key=key
    )
    return str(cover_id)


async def pay(api, key: str, cover_id: str, amount: str, on: str = "2026-12-01") -> dict:
    body = await api.execute(
        PAYMENT,
        {
            "input": {
                "coverId": cover_id,
                "receivedOn": on,
                "amount": {"amount": amount, "currency": "EUR"},
            }
        },
        key=key,
    )
    return dict(body["data"]["recordPayment"])


async def test_record_payment_with_three_decimals_is_refused_not_rounded(api, jobs, make_partner):
    key = await make_partner()
    cover_id = await active_fi_cover(api, jobs, key)
    refused = await pay(api, key, cover_id, "10.005")
    assert refused["cover"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("INVALID_INPUT", ["input", "amount", "amount"])
    ]
    assert (await Cover.get(id=cover_id)).paid_amount == Decimal("0.00")
    paid = await pay(api, key, cover_id, "10.01")
    assert paid["userErrors"] == []
    assert paid["cover"] == {"status": "ACTIVE", "paidAmount": {"amount": "10.01"}}


async def test_declare_incident_with_three_decimals_is_refused(api, jobs, make_partner):
    key = await make_partner()
    cover_id = await active_fi_cover(api, jobs, key)
    body = await api.execute(
        DECLARE,
        {
            "input": {
                "coverId": cover_id,
                "kind": "NON_PAYMENT",
                "occurredOn": "2027-01-22",
                "unpaidAmount": {"amount": "12100.005", "currency": "EUR"},
            }
        },
        key=key,
    )
    payload = body["data"]["declareIncident"]
    assert payload["incident"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_INPUT", ["input", "unpaidAmount", "amount"])
    ]
    assert (await Cover.get(id=cover_id)).status == "ACTIVE"


async def test_sub_cent_payment_through_the_service_is_refused_and_cannot_wedge_the_cover(
    api, jobs, make_partner
):
    """The service itself (workers, console, imports call it too) refuses a sub-cent
    amount; the cover then takes every valid payment, none answers 'retry'."""
    key = await make_partner()
    cover_id = await active_fi_cover(api, jobs, key)
    principal = await authenticate(key)
    assert principal is not None
    with pytest.raises(DomainError) as refused:
        await cover_life.record_payment(
            principal,
            cover_id,
            Money(Decimal("10.005"), "EUR"),
            datetime(2026, 12, 1, tzinfo=UTC).date(),
            datetime.now(UTC),
        )
    assert refused.value.code == "INVALID_INPUT"
    assert refused.value.field == ("input", "amount", "amount")
    for amount in ("10.00", "0.01", "100.00"):
        paid = await pay(api, key, cover_id, amount)
        assert paid["userErrors"] == [], paid
    assert (await Cover.get(id=cover_id)).paid_amount == Decimal("110.01")


async def test_a_sub_cent_amount_already_stored_does_not_wedge_later_payments(
    api, jobs, make_partner
):
    """A cover whose stored paid amount carries a sub-cent part (written before the parser
    existed): the compare-and-set compares what is stored, so the next payment succeeds."""
    key = await make_partner()
    cover_id = await active_fi_cover(api, jobs, key)
    await Cover.filter(id=cover_id).update(paid_amount=Decimal("10.005"))
    for _ in range(2):
        paid = await pay(api, key, cover_id, "1.00")
        assert paid["userErrors"] == [], paid
    # the stored 10.005 reads (and heals) as 10.00
    assert (await Cover.get(id=cover_id)).paid_amount == Decimal("12.00")
