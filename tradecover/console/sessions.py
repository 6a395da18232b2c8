"""Who is signed in to the console, sign-in throttling, and the CSRF check on every POST.

A staff member signs in by pasting a staff API key (`tradecover staff create`); partner
keys are refused. The session lives in the database (session_store.py): the cookie
(Starlette's SessionMiddleware, signed) carries its random id, the CSRF token and the
messages flashed for the next page; never the key, the staff member or the key's id.
Signing out or revoking the key deletes the row, so every copy of the cookie stops
opening pages at once. Failed sign-ins are counted per client address and key prefix
(throttle.py): a handful, then 429 with Retry-After, backing off.

CSRF: a random token per session, sent back in every form (`csrf_token`) and, for htmx,
in the `X-CSRF-Token` header (`hx-headers` on <body>). Every POST, sign-in included,
is refused with 403 unless it carries the session's token; a cross-site Origin is
refused too. (A POST with no session at all is sent to the sign-in page first.)
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from domain.services.principals import authenticate, hash_key
from domain.store.models import ApiKey, StaffMember
from tradecover.console import session_store, throttle
from tradecover.console.session_store import Staff as Staff  # pages and actions take it from here
from tradecover.settings import Settings

log = logging.getLogger("tradecover.console")

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SECRET_FILE = "console_session_secret"
#: The cookie's key for the session id (the database keeps its hash).
SESSION_ID = "sid"


def real_now() -> datetime:
    return datetime.now(UTC)


#: The console's clock for sessions and throttling (tests set their own: no sleeps).
clock: Callable[[], datetime] = real_now


def session_secret(settings: Settings) -> str:
    """The key that signs session cookies: a `console_session_secret` setting when the
    deployment has one, else a random secret kept in the data directory (created once,
    readable by its owner only), so every API process on that directory shares it."""
    configured = getattr(settings, "console_session_secret", None)
    if configured:
        return str(configured)
    path = Path(settings.data_dir) / SECRET_FILE
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole to a private temporary file, then linked into place: link() fails if
    # the name exists, so two processes starting at once never see a half-written file.
    draft = path.with_name(f"{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_urlsafe(48))
    try:
        os.link(draft, path)
    except FileExistsError:  # another process created it first: use theirs
        pass
    finally:
        draft.unlink()
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise RuntimeError(f"{path} holds no usable console secret; delete it to make one")
    return secret


def _session_id(request: Request) -> str | None:
    if "session" not in request.scope:
        return None
    found = request.session.get(SESSION_ID)
    return found if isinstance(found, str) else None


def current_staff(request: Request) -> Staff | None:
    """Who `signed_in` found for this request (for the page header), else nobody."""
    found = getattr(request.state, "console_staff", None)
    return found if isinstance(found, Staff) else None


async def signed_in(request: Request) -> Staff | None:
    """The staff member of the cookie's session while its row is live (not signed out,
    not expired, its key not revoked); a dead session is dropped from the cookie."""
    session_id = _session_id(request)
    if session_id is None:
        return None
    staff = await session_store.staff_of(session_id, clock())
    if staff is None:
        request.session.clear()
        return None
    request.state.console_staff = staff
    return staff


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in was refused, and how (401, or 429 with Retry-After)."""

    message: str
    status_code: int = 401
    retry_after: int | None = None

    @property
    def code(self) -> str:
        return "RATE_LIMITED" if self.status_code == 429 else "UNAUTHENTICATED"


def client_address(request: Request) -> str | None:
    """The peer's address. Behind a proxy, uvicorn puts the forwarded client here when
    the proxy is one it trusts (its FORWARDED_ALLOW_IPS, 127.0.0.1 by default)."""
    return request.client.host if request.client else None


async def sign_in(request: Request, api_key: str) -> Refusal | None:
    """Starts a session for a staff key, unless its address or key prefix is throttled;
    returns why not otherwise. Every refusal of a pasted key counts as a failure."""
    api_key = api_key.strip()
    if not api_key:
        return Refusal("Paste your staff API key.")
    now = clock()
    scopes = throttle.scopes_of(client_address(request), api_key)
    wait = await throttle.retry_after(scopes, now)
    if wait is not None:
        log.warning("console sign-in throttled for %s s", wait)
        return Refusal(
            f"Too many failed sign-ins from here or for this key. Try again in {wait} s.",
            429,
            wait,
        )
    await throttle.purge(now)
    found = await _staff_key(api_key)
    if isinstance(found, str):
        await throttle.record_failure(scopes, now)
        return Refusal(found)
    await throttle.clear(scopes)
    staff_id, key_id = found
    previous = _session_id(request)
    if previous is not None:
        await session_store.end(previous)
    request.session.clear()  # no state carried over from before the sign-in
    request.session[SESSION_ID] = await session_store.start(staff_id, key_id, now)
    request.session["csrf"] = secrets.token_urlsafe(32)
    log.info("console sign-in by staff %s", staff_id)
    return None


async def _staff_key(api_key: str) -> tuple[str, str] | str:
    """(staff member id, key id) of a live staff key, or why it is refused."""
    principal = await authenticate(api_key)
    if principal is None:
        return "Unknown or revoked API key."
    if not principal.is_staff:
        return "This is a partner key: the console is for insurer staff keys (tc_staff_...)."
    row = await ApiKey.filter(key_hash=hash_key(api_key), revoked_at__isnull=True).first()
    member = await StaffMember.filter(id=principal.staff_id).first()
    if row is None or member is None:
        return "Unknown or revoked API key."
    return member.id, row.id


async def sign_out(request: Request) -> None:
    session_id = _session_id(request)
    if session_id is not None:
        await session_store.end(session_id)
    request.session.clear()


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def csrf_ok(request: Request, form: FormData) -> bool:
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(sent, str):
        return False
    return _same_origin(request) and hmac.compare_digest(expected, sent)


def flash(request: Request, *outcomes: Any) -> None:
    """Messages shown on the next page (for forms sent without htmx)."""
    request.session.setdefault("flash", [])
    request.session["flash"] = request.session["flash"] + [
        {"ok": o.ok, "message": o.message, "code": o.code, "field": o.field} for o in outcomes
    ]


def local_path(target: str | None, default: str) -> str:
    """`target` if it is a path of the console itself (no open redirects), else default."""
    from tradecover.console.rendering import PREFIX

    if not target or not target.startswith(PREFIX + "/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return default
    return target


def to_sign_in(request: Request) -> Response:
    from tradecover.console.rendering import PREFIX, is_htmx

    target = f"{PREFIX}/sign-in"
    if request.method == "GET":
        target += f"?next={quote(request.url.path)}"
    if is_htmx(request):  # htmx follows this header with a full page load
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


CSRF_REFUSAL = (
    "This form is out of date or came from another site (CSRF check). "
    "Reload the page and try again."
)


def forbidden(request: Request) -> Response:
    """403. htmx does not swap error answers: it reloads the page instead, which then
    shows why (flashed) and carries the session's current token."""
    from tradecover.console.rendering import Outcome, is_htmx, render

    if is_htmx(request):
        flash(request, Outcome(False, CSRF_REFUSAL, "CSRF"))
        return Response(status_code=403, headers={"HX-Refresh": "true"})
    return render(
        request, "error.html", {"title": "Refused", "message": CSRF_REFUSAL}, status_code=403
    )


Page = Callable[[Request, Staff], Awaitable[Response]]
Action = Callable[[Request, Staff, FormData], Awaitable[Response]]


def staff_page(handler: Page) -> Callable[[Request], Awaitable[Response]]:
    """GET handlers: signed-in staff only, else to the sign-in page."""

    @wraps(handler)
    async def page(request: Request) -> Response:
        staff = await signed_in(request)
        if staff is None:
            return to_sign_in(request)
        return await handler(request, staff)

    return page


def staff_action(handler: Action) -> Callable[[Request], Awaitable[Response]]:
    """POST handlers: a session (else to the sign-in page), its CSRF token (else 403),
    then a staff member whose key is still valid."""

    @wraps(handler)
    async def action(request: Request) -> Response:
        if _session_id(request) is None:
            return to_sign_in(request)
        form = await request.form()
        if not csrf_ok(request, form):
            return forbidden(request)
        staff = await signed_in(request)
        if staff is None:
            return to_sign_in(request)
        return await handler(request, staff, form)

    return action
