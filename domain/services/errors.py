"""The one family of refusals services raise; resolvers map it to `userErrors`."""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    """A business refusal with a stable code (a rule id, NOT_FOUND, INVALID_STATE, ...)."""

    def __init__(self, code: str, message: str, field: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = tuple(field) if field else None


class InvalidInput(DomainError):
    """Several malformed fields at once; `problems` holds each as (message, field)."""

    def __init__(self, problems: Sequence[tuple[str, Sequence[str] | None]]) -> None:
        first_message, first_field = problems[0]
        super().__init__("INVALID_INPUT", first_message, first_field)
        self.problems = [(m, tuple(f) if f else None) for m, f in problems]


def not_found(kind: str, object_id: str, field: Sequence[str] | None = None) -> DomainError:
    """Another partner's id answers exactly like a missing one."""
    return DomainError("NOT_FOUND", f"No {kind} with id {object_id}.", field)
