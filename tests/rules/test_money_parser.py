"""The one money parser (domain.rules.money.parse_amount): at most two decimals as
written, finite, within the smallest money column; nothing is rounded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tortoise import fields

from domain.rules.money import MAX_MONEY, MONEY_DIGITS, MONEY_PLACES, AmountRefused, parse_amount
from domain.store import claim_models, cover_models, models, policy_models, topup_models


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        (Decimal("10.01"), Decimal("10.01")),
        (Decimal("10.5"), Decimal("10.50")),
        (Decimal("10"), Decimal("10.00")),
        (Decimal("-3.20"), Decimal("-3.20")),  # the sign is the business rule's
        (" 7.10 ", Decimal("7.10")),
        (MAX_MONEY, MAX_MONEY),
    ],
)
def test_an_amount_with_at_most_two_decimals_is_parsed_at_the_cent(value, parsed):
    assert parse_amount(value) == parsed
    assert parse_amount(value).as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (Decimal("10.005"), "more than 2 decimal places"),
        (Decimal("10.000"), "more than 2 decimal places"),
        (Decimal("0.001"), "more than 2 decimal places"),
        (Decimal("NaN"), "finite"),
        (Decimal("Infinity"), "finite"),
        (MAX_MONEY + Decimal("0.01"), "out of range"),
        (-MAX_MONEY - Decimal("0.01"), "out of range"),
        (1.5, "decimal number"),
        ("12,50", "decimal number"),
        (True, "decimal number"),
    ],
)
def test_an_amount_that_is_not_exact_money_is_refused_never_rounded(value, why):
    with pytest.raises(AmountRefused) as refused:
        parse_amount(value)
    assert why in refused.value.message


#: Cent-precision columns that are not money.
NOT_MONEY = ("percent", "multiple")


def test_every_money_column_holds_what_the_parser_lets_in():
    """MAX_MONEY fits each cent DecimalField of the models: parser and storage agree."""
    columns = [
        (model.__name__, name, field)
        for module in (models, cover_models, claim_models, policy_models, topup_models)
        for model in vars(module).values()
        if isinstance(model, type)
        and hasattr(model, "_meta")
        and model.__module__ == module.__name__
        for name, field in model._meta.fields_map.items()
        if isinstance(field, fields.DecimalField)
        and field.decimal_places == MONEY_PLACES
        and not name.endswith(NOT_MONEY)
    ]
    assert len(columns) > 20
    assert min(field.max_digits for _, _, field in columns) == MONEY_DIGITS
