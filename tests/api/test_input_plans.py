"""schema/input_plans.py: planned input conversion builds exactly what strawberry's own
`convert_argument` builds (issue 7), for every input type of the schema."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from strawberry.types.arguments import convert_argument
from strawberry.types.base import StrawberryObjectDefinition

from schema import inputs
from schema import policy_types as wt
from schema.build import build_schema
from schema.types import LegalForm, ProductCode

SCHEMA = build_schema()


def _input_definitions() -> list[StrawberryObjectDefinition]:
    return [
        concrete.definition
        for concrete in SCHEMA.schema_converter.type_map.values()
        if isinstance(concrete.definition, StrawberryObjectDefinition)
        and concrete.definition.is_input
    ]


@contextmanager
def strawberry_conversion() -> Any:
    """Every input type back on strawberry's generic conversion for the block."""
    saved = {d: d.from_input for d in _input_definitions()}
    for definition in saved:
        definition.from_input = None
    try:
        yield
    finally:
        for definition, planned in saved.items():
            definition.from_input = planned


def convert(value: Any, type_: type) -> Any:
    registry = SCHEMA.schema_converter.scalar_registry
    return convert_argument(value, type_, registry, SCHEMA.config)


def test_every_input_type_of_the_schema_has_a_plan() -> None:
    definitions = _input_definitions()
    assert len(definitions) >= 50  # the schema has 52 today
    assert [d.name for d in definitions if d.from_input is None] == []


COMPANY = {
    "country": "ES",
    "registrationNumber": "B12345678",
    "name": "Buyer SL",
    "legalForm": LegalForm.COMPANY,
    "sector": "46.90",
}


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        pytest.param(
            inputs.QuoteInput,
            {
                "product": ProductCode.FINANCED_INVOICE,
                "seller": {**COMPANY, "group": "G1"},
                "buyer": COMPANY,
                "invoice": {
                    "number": "F-1",
                    "issueDate": dt.date(2026, 1, 5),
                    "dueDate": dt.date(2026, 3, 6),
                    "amount": {"amount": Decimal("10000.00"), "currency": "EUR"},
                    "vatAmount": None,
                },
                "financing": {
                    "reference": "FIN-1",
                    "financedAmount": {"amount": Decimal("9000"), "currency": "EUR"},
                },
                "requestDate": dt.date(2026, 1, 5),
            },
            id="nested inputs, an explicit null, absent optionals",
        ),
        pytest.param(
            wt.DeclareSalesInput,
            {
                "policyId": "pol_1",
                "month": dt.date(2026, 2, 1),
                "sales": [
                    {
                        "buyer": {"country": "ES", "registrationNumber": "B1"},
                        "invoiceNumber": f"S-{n}",
                        "issueDate": dt.date(2026, 2, n),
                        "dueDate": dt.date(2026, 4, n),
                        "amount": {"amount": Decimal(n), "currency": "EUR"},
                        **({"firmOrder": True} if n % 2 else {}),
                    }
                    for n in range(1, 4)
                ],
            },
            id="a list of inputs, a default left out",
        ),
        pytest.param(
            inputs.RegisterWebhookEndpointInput,
            {"url": "https://example.test/hooks", "events": ["cover.activated"]},
            id="a list of scalars",
        ),
    ],
)
def test_planned_conversion_equals_strawberry_conversion(type_: type, value: Any) -> None:
    planned = convert(value, type_)
    with strawberry_conversion():
        generic = convert(value, type_)
    assert planned == generic
    assert type(planned) is type_


def test_a_list_default_is_copied_not_shared_between_requests() -> None:
    events = ["cover.activated"]
    built = convert(
        {"url": "https://example.test", "events": events}, inputs.RegisterWebhookEndpointInput
    )
    assert built.events == events and built.events is not events
