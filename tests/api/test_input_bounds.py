"""Every money and string input is bounded where it enters (schema/input_bounds.py).

The walk follows the schema: every mutation, every String/ID leaf and every MoneyInput
under its arguments, however deep (lists included). A field added later is walked too:
- a money amount with three decimals (10.005) is INVALID_INPUT on its path, never stored
  as 10.00; two decimals (10.01) pass the parser;
- a string one character over its limit (schema/input_limits.py, the storage column) is
  INVALID_INPUT on its path; at the limit it passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
)

from domain.services.principals import Principal
from resolvers.context import RequestContext
from schema.build import build_schema
from schema.input_limits import ID_LIMIT, decimal_limit, string_limit

SCHEMA = build_schema()
GRAPHQL = SCHEMA._schema
MUTATIONS = GRAPHQL.mutation_type.fields  # type: ignore[union-attr]

_SCALARS = {
    "String": "x",
    "ID": "x",
    "Decimal": "1.00",
    "Date": "2026-11-23",
    "DateTime": "2026-11-23T09:00:00+00:00",
    "Boolean": False,
    "Int": 1,
    "Upload": "x",
}

#: Decimal inputs that are not money (percentages, multiples, rates): money is MoneyInput.
NOT_MONEY = {"coveragePercent", "firstLayerCoveragePercent", "maxIndemnityMultiple"}
NOT_MONEY |= {"rate", "ratePercent"}


def _sample(type_: GraphQLInputType) -> Any:
    """A value of `type_` the bounds accept: every list has one element."""
    if isinstance(type_, GraphQLNonNull):
        return _sample(type_.of_type)
    if isinstance(type_, GraphQLList):
        return [_sample(type_.of_type)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLScalarType):
        return _SCALARS[type_.name]
    assert isinstance(type_, GraphQLInputObjectType)
    return {name: _sample(field.type) for name, field in type_.fields.items()}


Leaf = tuple[tuple[str, ...], str, str]  # path, owner type, kind ("ID", "String", "Money")


def _leaves(type_: GraphQLInputType, owner: str, path: tuple[str, ...]) -> Iterator[Leaf]:
    if isinstance(type_, GraphQLNonNull):
        yield from _leaves(type_.of_type, owner, path)
    elif isinstance(type_, GraphQLList):
        yield from _leaves(type_.of_type, owner, (*path, "0"))
    elif isinstance(type_, GraphQLScalarType) and type_.name in ("ID", "String"):
        yield path, owner, type_.name
    elif isinstance(type_, GraphQLScalarType) and type_.name == "Decimal":
        if owner != "MoneyInput":
            yield path, owner, "Decimal"
    elif isinstance(type_, GraphQLInputObjectType):
        if type_.name == "MoneyInput":
            yield path, owner, "Money"
        for name, field in type_.fields.items():
            yield from _leaves(field.type, type_.name, (*path, name))


def _cases() -> Iterator[tuple[str, tuple[str, ...], str, str]]:
    for mutation, field in MUTATIONS.items():
        for argument, arg in field.args.items():
            for path, owner, kind in _leaves(arg.type, "Mutation", (argument,)):
                yield mutation, path, owner, kind


CASES = list(_cases())
STRING_CASES = [c for c in CASES if c[3] in ("ID", "String")]
MONEY_CASES = [c for c in CASES if c[3] == "Money"]
DECIMAL_CASES = [c for c in CASES if c[3] == "Decimal"]


def _document(mutation: str) -> str:
    field = MUTATIONS[mutation]
    params = ", ".join(f"${name}: {arg.type}" for name, arg in field.args.items())
    args = ", ".join(f"{name}: ${name}" for name in field.args)
    return f"mutation({params}) {{ {mutation}({args}) {{ userErrors {{ code message field }} }} }}"


def _variables(mutation: str, *changes: tuple[tuple[str, ...], Any]) -> dict[str, Any]:
    variables = {name: _sample(arg.type) for name, arg in MUTATIONS[mutation].args.items()}
    for path, value in changes:
        target: Any = variables
        for part in path[:-1]:
            target = target[int(part)] if isinstance(target, list) else target[part]
        last = path[-1]
        target[int(last) if isinstance(target, list) else last] = value
    return variables


async def _user_errors(mutation: str, *changes: tuple[tuple[str, ...], Any]) -> list[Any]:
    context = RequestContext(
        principal=Principal(staff_id="stf_bounds"), now=datetime(2026, 11, 23, tzinfo=UTC)
    )
    result = await SCHEMA.execute(
        _document(mutation), variable_values=_variables(mutation, *changes), context_value=context
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    return [(e["code"], tuple(e["field"] or ())) for e in result.data[mutation]["userErrors"]]


def _limit(owner: str, path: tuple[str, ...], kind: str) -> int:
    if kind == "ID":
        return ID_LIMIT.limit
    name = path[-1] if not path[-1].isdigit() else path[-2]
    return string_limit(owner, name)


def _another(mutation: str, path: tuple[str, ...]) -> tuple[tuple[str, ...], str, str] | None:
    """Some other String/ID leaf of the mutation, to refuse the call before it runs."""
    for m, other, owner, kind in STRING_CASES:
        if m == mutation and other != path and other[: len(path)] != path:
            return other, owner, kind
    return None


def test_the_walk_finds_every_mutation_input():
    assert len(STRING_CASES) > 100
    assert {c[0] for c in MONEY_CASES} >= {
        "requestQuote",
        "recordInvoice",
        "recordPayment",
        "declareIncident",
        "createPolicy",
        "declareSales",
        "recordFirstLayerIndemnity",
        "recordTopUpRecovery",
        "recordCollectionCosts",
    }


def test_every_money_input_is_a_money_input_not_a_bare_decimal():
    """Money enters only as MoneyInput, so the parser sees every amount."""
    bare = [
        (type_.name, name)
        for type_ in GRAPHQL.type_map.values()
        if isinstance(type_, GraphQLInputObjectType) and type_.name != "MoneyInput"
        for name, field in type_.fields.items()
        if get_named_type(field.type).name == "Decimal" and name not in NOT_MONEY
    ]
    assert bare == []


@pytest.mark.parametrize(
    ("mutation", "path"), [(c[0], c[1]) for c in MONEY_CASES], ids=lambda v: str(v)
)
async def test_money_with_three_decimals_is_invalid_input_on_its_path(mutation, path):
    errors = await _user_errors(mutation, ((*path, "amount"), "10.005"))
    assert ("INVALID_INPUT", (*path, "amount")) in errors


@pytest.mark.parametrize(
    ("mutation", "path"), [(c[0], c[1]) for c in MONEY_CASES], ids=lambda v: str(v)
)
async def test_money_with_two_decimals_passes_the_parser(mutation, path):
    other = _another(mutation, path)
    assert other is not None
    other_path, owner, kind = other
    too_long = "x" * (_limit(owner, other_path, kind) + 1)
    errors = await _user_errors(mutation, ((*path, "amount"), "10.01"), (other_path, too_long))
    assert ("INVALID_INPUT", other_path) in errors
    assert ("INVALID_INPUT", (*path, "amount")) not in errors


@pytest.mark.parametrize(("mutation", "path", "owner", "kind"), STRING_CASES, ids=lambda v: str(v))
async def test_string_one_over_its_limit_is_invalid_input_on_its_path(mutation, path, owner, kind):
    limit = _limit(owner, path, kind)
    errors = await _user_errors(mutation, (path, "x" * (limit + 1)))
    assert ("INVALID_INPUT", path) in errors


@pytest.mark.parametrize(("mutation", "path", "owner", "kind"), STRING_CASES, ids=lambda v: str(v))
async def test_string_at_its_limit_passes(mutation, path, owner, kind):
    other = _another(mutation, path)
    if other is None:
        pytest.skip("the mutation's only string: at its limit the mutation runs")
    other_path, other_owner, other_kind = other
    too_long = "x" * (_limit(other_owner, other_path, other_kind) + 1)
    at_limit = "x" * _limit(owner, path, kind)
    errors = await _user_errors(mutation, (path, at_limit), (other_path, too_long))
    assert ("INVALID_INPUT", other_path) in errors
    assert ("INVALID_INPUT", path) not in errors


def test_every_id_column_is_as_long_as_the_id_limit():
    from tortoise import fields

    from domain.store import (
        claim_models,
        cover_models,
        models,
        policy_models,
        topup_models,
        webhook_models,
    )

    lengths = {
        (model.__name__, field.max_length)
        for module in (
            models,
            cover_models,
            claim_models,
            policy_models,
            topup_models,
            webhook_models,
        )
        for model in vars(module).values()
        if isinstance(model, type)
        and getattr(model, "__module__", "") == module.__name__
        and hasattr(model, "_meta")
        for name, field in model._meta.fields_map.items()
        if name == "id" and isinstance(field, fields.CharField)
    }
    assert {length for _, length in lengths} == {ID_LIMIT.limit}


@pytest.mark.parametrize(("mutation", "path", "owner", "kind"), DECIMAL_CASES, ids=str)
async def test_a_percentage_or_rate_with_too_many_places_or_digits_is_invalid_input(
    mutation, path, owner, kind
):
    """Never rounded on the way in: one place more than the column, or one digit more."""
    limit = decimal_limit(owner, path[-1])
    too_fine = "1." + "0" * limit.places + "1"
    too_big = "1" + "0" * limit.digits
    for value in (too_fine, too_big):
        errors = await _user_errors(mutation, (path, value))
        assert ("INVALID_INPUT", path) in errors, value


@pytest.mark.parametrize(("mutation", "path", "owner", "kind"), DECIMAL_CASES, ids=str)
async def test_a_percentage_or_rate_at_its_column_passes(mutation, path, owner, kind):
    limit = decimal_limit(owner, path[-1])
    other = _another(mutation, path)
    assert other is not None
    other_path, other_owner, other_kind = other
    too_long = "x" * (_limit(other_owner, other_path, other_kind) + 1)
    at_limit = "9" * limit.digits + "." + "9" * limit.places
    errors = await _user_errors(mutation, (path, at_limit), (other_path, too_long))
    assert ("INVALID_INPUT", other_path) in errors
    assert ("INVALID_INPUT", path) not in errors
