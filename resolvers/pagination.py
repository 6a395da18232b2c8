"""Page sizes of every connection."""

from __future__ import annotations

#: `first` is capped at this page size on every connection.
MAX_PAGE = 100


def page_size(first: int | None) -> int:
    """Clamp a requested page size to 1..MAX_PAGE (default 50)."""
    return max(1, min(first if first is not None else 50, MAX_PAGE))
