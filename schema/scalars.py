"""The contract's scalars, strict: a Decimal is a JSON string, never a float (contract)."""

from __future__ import annotations

import datetime as dt
import decimal
import re

import dateutil.parser
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

_DECIMAL = re.compile(r"^-?\d{1,15}(\.\d{1,10})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_decimal(value: object) -> decimal.Decimal:
    if not isinstance(value, str) or not _DECIMAL.match(value.strip()):
        raise StrawberryInputCoercionError(
            f'Value cannot represent a Decimal: {value!r}. Expected a string such as "1234.50".'
        )
    return decimal.Decimal(value.strip())


def _parse_date(value: object) -> dt.date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise StrawberryInputCoercionError(
            f'Value cannot represent a Date: {value!r}. Expected "YYYY-MM-DD".'
        )
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise StrawberryInputCoercionError(
            f"Value cannot represent a Date: {value!r}. {exc}."
        ) from None


def _parse_datetime(value: object) -> dt.datetime:
    if not isinstance(value, str):
        raise StrawberryInputCoercionError(f"Value cannot represent a DateTime: {value!r}.")
    try:
        parsed = dateutil.parser.isoparse(value)
    except ValueError as exc:
        raise StrawberryInputCoercionError(
            f"Value cannot represent a DateTime: {value!r}. {exc}."
        ) from None
    if parsed.tzinfo is None:
        raise StrawberryInputCoercionError(
            f"DateTime {value!r} needs an offset, e.g. 2026-11-23T14:00:00+00:00."
        )
    return parsed


def _serialize_decimal(value: decimal.Decimal) -> str:
    return format(value, "f")


DecimalScalar = ScalarDefinition(
    name="Decimal",
    description='Exact decimal number as a JSON string, e.g. "1234.50". Never a float.',
    specified_by_url=None,
    serialize=_serialize_decimal,
    parse_value=_parse_decimal,
    parse_literal=None,
    origin=decimal.Decimal,
)
DateScalar = ScalarDefinition(
    name="Date",
    description='ISO 8601 calendar date, e.g. "2026-11-23".',
    specified_by_url=None,
    serialize=lambda value: value.isoformat(),
    parse_value=_parse_date,
    parse_literal=None,
    origin=dt.date,
)
DateTimeScalar = ScalarDefinition(
    name="DateTime",
    description='ISO 8601 date-time with offset, e.g. "2026-11-23T14:00:00+00:00".',
    specified_by_url=None,
    serialize=lambda value: value.isoformat(),
    parse_value=_parse_datetime,
    parse_literal=None,
    origin=dt.datetime,
)

SCALAR_OVERRIDES = {
    decimal.Decimal: DecimalScalar,
    dt.date: DateScalar,
    dt.datetime: DateTimeScalar,
}
