"""What a request's query text asks for: its operations, their type and root fields.

Parsed once per distinct text and shared by the idempotency check (is it a mutation?) and
the metrics (which operation to time), with the schema's own token limit, so a huge query
text the schema refuses is not parsed in full here either.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, parse

from schema.build import MAX_TOKENS


@dataclass(frozen=True)
class Operation:
    type: OperationType
    root_fields: tuple[str, ...]  # sorted


@lru_cache(maxsize=1024)
def operations(query: str) -> dict[str | None, Operation]:
    """Operations by name (None for an anonymous one); empty when the text does not parse."""
    try:
        document = parse(query, max_tokens=MAX_TOKENS, no_location=True)
    except GraphQLError:
        return {}
    found: dict[str | None, Operation] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            name = definition.name.value if definition.name else None
            fields = sorted(
                s.name.value
                for s in definition.selection_set.selections
                if isinstance(s, FieldNode)
            )
            found[name] = Operation(definition.operation, tuple(fields))
    return found


def is_mutation(query: str | None, operation_name: str | None) -> bool:
    if not query:
        return False
    found = operations(query)
    if operation_name is None and len(found) == 1:
        return next(iter(found.values())).type == OperationType.MUTATION
    operation = found.get(operation_name)
    return operation is not None and operation.type == OperationType.MUTATION
