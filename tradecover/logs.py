"""Structured logs: one JSON object per line in production, readable lines in dev.

Every record, from structlog or from the standard library's `logging` (our modules,
uvicorn, dramatiq, tortoise), goes through the same processors, and carries the context
bound for the current request or job: `request_id`, `partner_id`, `cover_id`, `job_id`,
`actor`. Context lives in contextvars, so concurrent requests on one event loop do not mix.
Secrets never reach a log line: `redact` masks API keys and webhook secrets wherever they
appear in the event or its fields (tests/api/test_secrets_never_leak.py).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars, clear_contextvars, get_contextvars

#: API keys (`tc_live_`, `tc_test_`, `tc_staff_` + urlsafe base64), webhook secrets
#: (`whsec_` + base64, a backslash for JSON-escaped slashes), Stripe secret keys: the
#: prefix stays readable.
SECRET = re.compile(r"(tc_(?:live|test|staff)_|whsec_|sk_(?:live|test)_)[A-Za-z0-9_\-+/=\\]+")
REDACTED = "[REDACTED]"


def redact_text(text: str) -> str:
    return SECRET.sub(lambda m: m.group(1) + REDACTED, text)


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: secrets masked in the event and every string field."""
    for name, value in list(event.items()):
        if isinstance(value, str):
            event[name] = redact_text(value)
    return event


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time of the record (test capture swaps it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact,
    ]


def configure_logging(*, json_lines: bool, level: int = logging.INFO) -> None:
    """Route structlog and stdlib logging to stderr through the same processors."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared = _processors()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "dramatiq"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


@contextmanager
def log_context(**values: Any) -> Iterator[None]:
    """Bind request/job fields (None values are left out) for the block; whatever was bound
    inside it (`bind`) is gone after it too."""
    saved = get_contextvars()
    bind_contextvars(**{k: v for k, v in values.items() if v is not None})
    try:
        yield
    finally:
        clear_contextvars()
        bind_contextvars(**saved)


def bind(**values: Any) -> None:
    """Add fields to the current context (e.g. cover_id once a resolver knows it)."""
    bind_contextvars(**{k: v for k, v in values.items() if v is not None})
