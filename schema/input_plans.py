"""Input objects built from a plan made once per schema, not by re-reading annotations on
every request.

Strawberry turns a coerced argument into input objects with `convert_argument`, which for
each field of each input resolves the field's annotation, checks it against the scalar
registry and recurses: 42 calls per `requestQuote`, about a quarter of the GraphQL layer's
own cost (bench/RESULTS.md). graphql-core has already validated and coerced the
value by then (scalars parsed, enums mapped, required fields present), so what is left is
pure reshaping. `StrawberryObjectDefinition.from_input` is strawberry's hook for an input
type that builds its own value: `install_input_plans` sets it, for every input type of a
schema, to a converter whose per-field steps were decided at start-up. Types the plan does
not know (Maybe, relay GlobalID) keep strawberry's own conversion.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

import strawberry
from strawberry.relay.types import GlobalID
from strawberry.types.arguments import InputContext, _is_leaf_type, convert_argument
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

# (coerced value, the call's InputContext) -> Python value
Convert = Callable[[Any, InputContext], Any]


def _same(value: Any, context: InputContext) -> Any:
    return value


def _optional(inner: Convert) -> Convert:
    if inner is _same:
        return _same

    def convert(value: Any, context: InputContext) -> Any:
        return value if value is None or value is UNSET else inner(value, context)

    return convert


def _list_of(inner: Convert) -> Convert:
    def convert(value: Any, context: InputContext) -> Any:
        if value is None:
            return None
        if inner is _same:
            return list(value)  # a copy even of leaves: graphql-core shares defaults
        return [inner(item, context) for item in value]

    return convert


def _nested(type_: type) -> Convert:
    definition: StrawberryObjectDefinition = type_.__strawberry_definition__  # type: ignore[attr-defined]

    def convert(value: Any, context: InputContext) -> Any:
        return definition.from_input(type_, value, context)  # type: ignore[misc]

    return convert


def _generic(type_: Any) -> Convert:
    def convert(value: Any, context: InputContext) -> Any:
        return convert_argument(value, type_, context.scalar_registry, context.config, context.info)

    return convert


def _converter(type_: Any, registry: Mapping[object, Any]) -> Convert:
    """The conversion `convert_argument` would do for `type_`, decided once."""
    if isinstance(type_, StrawberryMaybe) or type_ is GlobalID:
        return _generic(type_)
    if isinstance(type_, StrawberryOptional):
        return _optional(_converter(type_.of_type, registry))
    if isinstance(type_, StrawberryList):
        return _list_of(_converter(type_.of_type, registry))
    if isinstance(type_, LazyType):
        return _converter(type_.resolve_type(), registry)
    if has_enum_definition(type_) or _is_leaf_type(type_, registry):
        return _same  # graphql-core already parsed scalars and mapped enum values
    if has_object_definition(type_) and type_.__strawberry_definition__.is_input:
        return _nested(type_)
    return _generic(type_)


def _plan(
    type_: type, definition: StrawberryObjectDefinition, schema: strawberry.Schema
) -> Callable[[type, Mapping[str, Any], InputContext], Any]:
    registry = schema.schema_converter.scalar_registry
    name_of = schema.config.name_converter.from_field
    defaults = {
        field.python_name: None
        for field in definition.fields
        if field.default_value is MISSING and field.default_factory is MISSING
    }
    steps = [
        (
            name_of(field),
            field.python_name,
            _converter(field.resolve_type(type_definition=definition), registry),
        )
        for field in definition.fields
    ]

    def from_input(cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
        kwargs = dict(defaults)
        for graphql_name, python_name, convert in steps:
            if graphql_name in value:
                kwargs[python_name] = convert(value[graphql_name], context)
        return cls(**kwargs)

    return from_input


def install_input_plans(schema: strawberry.Schema) -> int:
    """Give every input type of `schema` its planned `from_input`; returns how many."""
    inputs = [
        (definition.origin, definition)
        for concrete in schema.schema_converter.type_map.values()
        if isinstance(definition := concrete.definition, StrawberryObjectDefinition)
        and definition.is_input
        and definition.from_input is None
    ]
    for type_, definition in inputs:
        definition.from_input = _plan(type_, definition, schema)
    return len(inputs)
