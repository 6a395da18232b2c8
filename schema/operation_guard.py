"""One schema extension for what used to be seven: parse and validate each distinct query
text once, with the protective limits, and mask server faults in the result.

Strawberry runs every extension's hooks through a generator and a context manager per
phase, and its ValidationCache keys the cache on the parsed document, whose hash walks
every node of it. Together that was about a sixth of the GraphQL layer's own cost per
`requestQuote` (bench/RESULTS.md). Here the caches are keyed on the query text
(hashed once per string by Python) and the limits are validation rules run inside the
cached validation:

- token limit (MaxTokensLimiter): a parse option, so a query over it never parses;
- depth and aliases: validation rules, strawberry's QueryDepthLimiter and
  MaxAliasesLimiter semantics (fragments expanded, `__` fields ignored for depth) but with
  each fragment measured once: theirs walk every path through the fragment
  spreads, so 22 fragments each spreading the next one twice (some 300 tokens) took 50 s
  of the event loop to validate;
- graphql-core's OverlappingFieldsCanBeMergedRule gets a tenth of its default work budget
  (`OVERLAP_BUDGET`): at the default, a 2,000-token query repeating one field (490 times
  `products { code }`) took a second of the event loop before "Validation aborted."; now
  about a tenth of that, while a selection of every field two levels down from any root
  field (tests/api/test_tenant_isolation_fuzz.py) needs under 5,000;
- no NUL character (U+0000) in any string, in the document or the variables: PostgreSQL
  cannot store or even compare one, so `cover(id: "cov_\\u0000")` was a server fault there;
- introspection off for production keys (`NoSchemaIntrospectionCustomRule`);
- MaskErrors' masking, inherited: faults become "Unexpected error.", validation and
  coercion errors stay readable. A value the store refuses (tortoise's ValidationError,
  e.g. a string longer than its column) is the caller's input, not a fault: it answers
  INVALID_INPUT, without the column or the value (resolvers/errors.py does the same for
  mutations, as a userError).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationContext,
    ValidationRule,
    parse,
    validate,
)
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from graphql.validation.rules import overlapping_fields_can_be_merged
from strawberry.extensions import MaskErrors
from tortoise.exceptions import ValidationError as StoreValidationError

CACHE_SIZE = 512  # distinct query texts kept per schema; partners send a handful each
INVALID_VALUE = "A value does not fit its field (too long, or out of range)."
OVERLAP_BUDGET = 50_000
NUL_IN_TEXT = "Text must not contain the NUL character (U+0000)."

# graphql-core's documented knob, read when each validation starts (process-wide).
overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = OVERLAP_BUDGET


class _Measure:
    """Height and alias count of selection sets, fragments expanded, each fragment once."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.heights: dict[str, int] = {}
        self.aliases: dict[str, int] = {}
        self.open: set[str] = set()  # a cycle is NoFragmentCyclesRule's to report

    def _fragment(self, name: str, memo: dict[str, int], measure: Callable[..., int]) -> int:
        if name in memo:
            return memo[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.open:
            return 0
        self.open.add(name)
        try:
            memo[name] = measure(fragment.selection_set)
        finally:
            self.open.discard(name)
        return memo[name]

    def height(self, selection_set: SelectionSetNode | None) -> int:
        """Fields on the longest path down (a leaf is 1); `__` fields count 0."""
        if selection_set is None:
            return 0
        best = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__"):
                    continue
                found = 1 + self.height(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                found = self.height(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                found = self._fragment(selection.name.value, self.heights, self.height)
            else:  # pragma: no cover
                continue
            best = max(best, found)
        return best

    def alias_count(self, selection_set: SelectionSetNode | None) -> int:
        """Aliased fields, a fragment counted as often as it is spread."""
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += (selection.alias is not None) + self.alias_count(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                total += self.alias_count(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value, self.aliases, self.alias_count)
        return total


def operation_limits(max_depth: int, max_aliases: int) -> type[ValidationRule]:
    """One rule for both limits, with strawberry's messages: a field nested more than
    `max_depth` fields below a root field, or more than `max_aliases` aliases in all."""

    class OperationLimits(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            definitions = context.document.definitions
            measure = _Measure(
                {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
            )
            aliases = 0
            for definition in definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                name = definition.name.value if definition.name else "anonymous"
                if measure.height(definition.selection_set) - 1 > max_depth:
                    context.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum operation depth of {max_depth}",
                            definition,
                        )
                    )
                aliases += measure.alias_count(definition.selection_set)
            if aliases > max_aliases:
                context.report_error(
                    GraphQLError(f"{aliases} aliases found. Allowed: {max_aliases}")
                )

    return OperationLimits


class NoNulInStrings(ValidationRule):
    """String literals of the document (variables are checked per request)."""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if "\x00" in node.value:
            self.report_error(GraphQLError(NUL_IN_TEXT, node, extensions={"code": "INVALID_INPUT"}))


def has_nul(value: Any) -> bool:
    """Whether a string anywhere in decoded JSON (keys too) holds a NUL character."""
    # orjson writes NUL as \u0000: without "u0000" in the dump, there is none (fast path).
    try:
        if b"u0000" not in orjson.dumps(value, default=lambda _: None):
            return False
    except orjson.JSONEncodeError:  # nested deeper than orjson writes: walk it
        pass
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class OperationGuard(MaskErrors):
    def __init__(
        self,
        *,
        max_depth: int,
        max_tokens: int,
        max_aliases: int,
        introspection: bool,
        should_mask_error: Callable[[GraphQLError], bool],
        error_message: str = "Unexpected error.",
    ) -> None:
        super().__init__(should_mask_error=should_mask_error, error_message=error_message)
        extra_rules: list[type[ASTValidationRule]] = [
            operation_limits(max_depth, max_aliases),
            NoNulInStrings,
        ]
        if not introspection:
            extra_rules.append(NoSchemaIntrospectionCustomRule)
        self.extra_rules = tuple(extra_rules)
        self.max_tokens = max_tokens

        @lru_cache(maxsize=CACHE_SIZE)
        def parsed(query: str) -> DocumentNode | GraphQLError:
            try:
                return parse(query, max_tokens=max_tokens)
            except GraphQLError as error:
                return error

        @lru_cache(maxsize=CACHE_SIZE)
        def validated(
            schema: GraphQLSchema, query: str, rules: Sequence[type[ASTValidationRule]]
        ) -> list[GraphQLError]:
            document = parsed(query)
            assert isinstance(document, DocumentNode)  # on_parse let only documents through
            return validate(schema, document, rules)

        self._parsed = parsed
        self._validated = validated

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens
        if context.query is not None:
            document = self._parsed(context.query)
            # On a syntax error strawberry parses again itself and reports the error.
            if isinstance(document, DocumentNode):
                context.graphql_document = document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is not None:
            rules: Any = (*context.validation_rules, *self.extra_rules)
            errors = self._validated(context.schema._schema, context.query, rules)
            if context.variables and has_nul(context.variables):
                nul = GraphQLError(NUL_IN_TEXT, extensions={"code": "INVALID_INPUT"})
                errors = [*errors, nul]  # a new list: the cached one is shared
            context.pre_execution_errors = errors
        yield

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if isinstance(error.original_error, StoreValidationError):
            return GraphQLError(
                INVALID_VALUE,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": "INVALID_INPUT"},
            )
        return super().anonymise_error(error)
