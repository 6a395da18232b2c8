"""A broken rule, as a value (C-5): quotes list them, services turn them into userErrors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    field: tuple[str, ...] | None = None
