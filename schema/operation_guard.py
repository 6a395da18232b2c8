"""One schema extension for what used to be seven: parse and validate each distinct query
text once, with the protective limits, and mask server faults in the result.

Strawberry runs every extension's hooks through a generator and a context manager per
phase, and its ValidationCache keys the cache on the parsed document, whose hash walks
every node of it. Together that was about a sixth of the GraphQL layer's own cost per
`requestQuote` (bench/RESULTS.md, issue 7). Here the caches are keyed on the query text
(hashed once per string by Python) and the limits are validation rules run inside the
cached validation:

- token limit (MaxTokensLimiter): a parse option, so a query over it never parses;
- depth (QueryDepthLimiter) and aliases (MaxAliasesLimiter): validation rules;
- introspection off for production keys (`NoSchemaIntrospectionCustomRule`);
- MaskErrors' masking, inherited: faults become "Unexpected error.", validation and
  coercion errors stay readable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, QueryDepthLimiter

CACHE_SIZE = 512  # distinct query texts kept per schema; partners send a handful each


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
            *QueryDepthLimiter(max_depth=max_depth).validation_rules,
            *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
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
            context.pre_execution_errors = self._validated(
                context.schema._schema, context.query, rules
            )
        yield
