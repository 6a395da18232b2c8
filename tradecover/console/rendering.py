"""Templates and how values read on the console: money with 2 decimals and its currency,
dates as calendar dates, durations in days and hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from domain.services.errors import DomainError, InvalidInput

#: Where the console is mounted (tradecover/console/routes.py); links are built on it.
PREFIX = "/console"
TEMPLATES_DIR = Path(__file__).parent / "templates"
CENT = Decimal("0.01")


def money(amount: Any, currency: str | None = None) -> str:
    """25000 -> "25,000.00 EUR" (half-up to the cent, as the rules round)."""
    if amount is None:
        return "—"
    value = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    return f"{value:,.2f} {currency}" if currency else f"{value:,.2f}"


def day(value: date | datetime | str | None) -> str:
    """A calendar date, ISO 8601 (a datetime shows its UTC date)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value.isoformat()


def duration(delta: timedelta | None) -> str:
    """Time left: "1 d 23 h", "5 h 12 min"; a negative one is "overdue by ..."."""
    if delta is None:
        return "—"
    seconds = int(delta.total_seconds())
    overdue = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        text = f"{days} d {hours} h"
    elif hours:
        text = f"{hours} h {minutes} min"
    else:
        text = f"{minutes} min"
    return f"overdue by {text}" if overdue else text


def days_from(value: date, today: date) -> str:
    """Relative day: "today", "in 3 days", "2 days ago"."""
    diff = (value - today).days
    if diff == 0:
        return "today"
    if diff == 1:
        return "tomorrow"
    if diff > 0:
        return f"in {diff} days"
    return "yesterday" if diff == -1 else f"{-diff} days ago"


def percent(value: Any) -> str:
    return "—" if value is None else f"{Decimal(str(value)).quantize(CENT)} %"


@dataclass(frozen=True)
class Outcome:
    """What an action answered, shown next to the form that sent it: a success message,
    or the refusal's code and message (as GraphQL's userErrors would carry them)."""

    ok: bool
    message: str
    code: str | None = None
    field: str | None = None

    @classmethod
    def done(cls, message: str) -> Outcome:
        return cls(True, message)

    @classmethod
    def refused(cls, error: DomainError) -> list[Outcome]:
        if isinstance(error, InvalidInput):
            return [
                cls(False, message, "INVALID_INPUT", ".".join(field) if field else None)
                for message, field in error.problems
            ]
        field = ".".join(error.field) if error.field else None
        return [cls(False, error.message, error.code, field)]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=money, day=day, duration=duration, percent=percent)
    env.globals.update(prefix=PREFIX, days_from=days_from)
    return env


templates = Jinja2Templates(env=_environment())


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    """A template with what every page needs: the signed-in staff member, the CSRF token,
    the current path (for the navigation) and the flashed messages."""
    from tradecover.console import sessions

    session = request.scope.get("session")
    # Flashed messages wait for a whole page: fragments (htmx) have no place for them.
    flashes = session.pop("flash", []) if session is not None and not is_htmx(request) else []
    full = {
        "staff": sessions.current_staff(request),
        "csrf_token": sessions.csrf_token(request) if session is not None else "",
        "path": request.url.path,
        "flashes": [Outcome(**item) for item in flashes],
        "htmx": is_htmx(request),
        **(context or {}),
    }
    return templates.TemplateResponse(
        request, name, full, status_code=status_code, headers={"Cache-Control": "no-store"}
    )
