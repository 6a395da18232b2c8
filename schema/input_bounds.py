"""Every mutation's input checked where it first enters: money and string bounds.

`InputBounds` is a field extension on every Mutation field (build_schema installs it).
Before the resolver runs it walks the converted arguments, input type by input type:
- every `MoneyInput.amount` goes through the one money parser (domain.rules.money
  .parse_amount) and is replaced by its parsed value, so no resolver or service ever sees
  an amount that did not pass it (10.005 is refused, never stored as 10.00);
- every String and ID is at most as long as where it is stored, and every other Decimal
  (percentages, multiples, rates) has at most the places and digits of its column
  (schema.input_limits).
Each problem is an INVALID_INPUT userError with its field path, e.g.
["input", "amount", "amount"] or ["input", "sales", "0", "invoiceNumber"]; the mutation
does not run. The walk follows the types, not a list of fields, so a money or string
field added later is bounded without anyone remembering to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType
from strawberry.utils.str_converters import to_camel_case

from domain.rules.money import AmountRefused, parse_amount
from schema.input_limits import ID_LIMIT, DecimalLimit, decimal_limit, string_limit
from schema.inputs import MoneyInput
from schema.types import UserError

Path = tuple[str, ...]
Problem = tuple[str, Path]


@dataclass(frozen=True)
class _Field:
    python_name: str
    graphql_name: str
    kind: str  # "string", "id", "decimal", "input", "other"
    listed: bool
    of_type: Any = None


def _unwrap(type_: Any) -> tuple[Any, bool]:
    listed = False
    while True:
        if isinstance(type_, StrawberryMaybe | StrawberryOptional):
            type_ = type_.of_type
        elif isinstance(type_, StrawberryList):
            listed, type_ = True, type_.of_type
        elif isinstance(type_, LazyType):
            type_ = type_.resolve_type()
        else:
            return type_, listed


def _classify(name: str, graphql_name: str, type_: Any) -> _Field:
    inner, listed = _unwrap(type_)
    if inner is strawberry.ID:
        return _Field(name, graphql_name, "id", listed)
    if inner is str:
        return _Field(name, graphql_name, "string", listed)
    if inner is Decimal:
        return _Field(name, graphql_name, "decimal", listed)
    if has_object_definition(inner) and inner.__strawberry_definition__.is_input:
        return _Field(name, graphql_name, "input", listed, inner)
    return _Field(name, graphql_name, "other", listed)


_PLANS: dict[type, tuple[str, tuple[_Field, ...]]] = {}


def _plan(cls: type) -> tuple[str, tuple[_Field, ...]]:
    """The input type's name and its fields, classified once per type."""
    if cls in _PLANS:
        return _PLANS[cls]
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    fields = tuple(
        _classify(
            f.python_name,
            f.graphql_name or to_camel_case(f.python_name),
            f.resolve_type(type_definition=definition),
        )
        for f in definition.fields
    )
    _PLANS[cls] = definition.name, fields
    return _PLANS[cls]


def _string(value: str, limit: int, path: Path) -> Iterator[Problem]:
    if len(value) > limit:
        yield f"At most {limit} characters (this one has {len(value)}).", path


def _decimal(value: Decimal, limit: DecimalLimit, path: Path) -> Iterator[Problem]:
    """A percentage, multiple or rate fits its column: never rounded on the way in."""
    exponent = value.as_tuple().exponent
    if not value.is_finite() or not isinstance(exponent, int):
        yield "A finite number.", path
    elif exponent < -limit.places:
        yield f"At most {limit.places} decimal places.", path
    elif abs(value) >= Decimal(10) ** limit.digits:
        yield f"Out of range: less than {10**limit.digits}.", path


def _money(money: MoneyInput, path: Path) -> Iterator[Problem]:
    try:
        money.amount = parse_amount(money.amount)
    except AmountRefused as refused:
        yield refused.message, (*path, "amount")


def _value(owner: str, field: _Field, value: Any, path: Path) -> Iterator[Problem]:
    if value is None or field.kind == "other":
        return
    if field.listed and isinstance(value, list):
        item = _Field(field.python_name, field.graphql_name, field.kind, False, field.of_type)
        for n, element in enumerate(value):
            yield from _value(owner, item, element, (*path, str(n)))
    elif field.kind == "id" and isinstance(value, str):
        yield from _string(value, ID_LIMIT.limit, path)
    elif field.kind == "string" and isinstance(value, str):
        yield from _string(value, string_limit(owner, field.graphql_name), path)
    elif field.kind == "decimal" and isinstance(value, Decimal) and owner != "MoneyInput":
        yield from _decimal(value, decimal_limit(owner, field.graphql_name), path)
    elif field.kind == "input":
        yield from input_problems(value, path)


def input_problems(value: Any, path: Path) -> Iterator[Problem]:
    """Every out-of-bounds part of the converted input object `value` at `path`."""
    if not has_object_definition(type(value)):
        return
    if isinstance(value, MoneyInput):
        yield from _money(value, path)
    owner, fields = _plan(type(value))
    for field in fields:
        element = getattr(value, field.python_name, None)
        yield from _value(owner, field, element, (*path, field.graphql_name))


class InputBounds(FieldExtension):
    """Refuses a mutation whose arguments break a bound, as its payload's userErrors."""

    def apply(self, field: StrawberryField) -> None:
        self.payload: Callable[..., Any] = field.type  # type: ignore[assignment]
        self.arguments = [
            _classify(a.python_name, a.graphql_name or to_camel_case(a.python_name), a.type)
            for a in field.arguments
        ]

    def _problems(self, kwargs: dict[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        for argument in self.arguments:
            value = kwargs.get(argument.python_name)
            path = (argument.graphql_name,)
            problems += _value("Mutation", argument, value, path)
        return problems

    def _refusal(self, problems: list[Problem]) -> Any:
        return self.payload(
            user_errors=[
                UserError(code="INVALID_INPUT", message=message, field=list(path))
                for message, path in problems
            ]
        )

    async def resolve_async(
        self,
        next_: Callable[..., Awaitable[Any]],
        source: Any,
        info: Any,
        **kwargs: Any,
    ) -> Any:
        problems = self._problems(kwargs)
        if problems:
            return self._refusal(problems)
        return await next_(source, info, **kwargs)


def install_input_bounds(mutation: type) -> int:
    """Put InputBounds on every field of the Mutation root (once); returns how many."""
    fields = mutation.__strawberry_definition__.fields  # type: ignore[attr-defined]
    for field in fields:
        if not any(isinstance(e, InputBounds) for e in field.extensions):
            field.extensions.append(InputBounds())
    return len(fields)
