"""Which GraphQL errors are the server's and which the client's, for masking and logging.

A server fault (an exception that is not a GraphQLError, escaping a resolver) is masked as
"Unexpected error." and logged at ERROR with its traceback: someone must look at it. The
rest is the client's: a parse or validation error, a coercion error, or a typed refusal a
resolver raises with an `extensions.code` (a query has no userErrors). Those are answered
readably and logged at INFO with their code and no traceback: strawberry's default logs
each at ERROR (the refusals with a traceback), so one partner's fuzzer or one bad client
filled the error log with hundreds of entries that were no fault of ours.
"""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.utils.logging import StrawberryLogger

LOG = logging.getLogger("tradecover.graphql")


def is_fault(error: GraphQLError) -> bool:
    """A server fault: mask it and log it as an error."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class Schema(strawberry.Schema):
    """strawberry's schema, logging client errors as what they are (module docstring)."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        for error in errors:
            if is_fault(error):
                StrawberryLogger.error(error, execution_context)
            else:
                code = (error.extensions or {}).get("code")
                LOG.info("GraphQL error answered to the client (code %s): %s", code, error.message)
