"""Who is signed in to the console, and the CSRF check on every POST.

A staff member signs in by pasting a staff API key (`tradecover staff create`); partner
keys are refused. The session (a signed cookie, Starlette's SessionMiddleware) keeps the
key's row id, never the key, and each request checks that the key is still not revoked.

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
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from domain.services.principals import Principal, authenticate, hash_key
from domain.store.models import ApiKey, StaffMember
from tradecover.settings import Settings

log = logging.getLogger("tradecover.console")

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SECRET_FILE = "console_session_secret"
#: A console session lasts a working day; signing in again starts a new one.
SESSION_SECONDS = 10 * 60 * 60


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


@dataclass(frozen=True)
class Staff:
    id: str
    name: str

    @property
    def principal(self) -> Principal:
        return Principal(staff_id=self.id)


def staff_in_session(request: Request) -> Staff | None:
    """The staff member the session names (not checked against the database)."""
    if "session" not in request.scope:
        return None
    found = request.session.get("staff")
    if not isinstance(found, dict):
        return None
    return Staff(id=str(found["id"]), name=str(found["name"]))


async def signed_in(request: Request) -> Staff | None:
    """The session's staff member while the key it signed in with is not revoked."""
    staff = staff_in_session(request)
    if staff is None:
        return None
    key_id = request.session["staff"].get("key_id")
    alive = await ApiKey.filter(id=key_id, staff_id=staff.id, revoked_at__isnull=True).exists()
    if not alive:
        request.session.clear()
        return None
    return staff


async def sign_in(request: Request, api_key: str) -> str | None:
    """Starts a session for a staff key; returns why not otherwise."""
    api_key = api_key.strip()
    if not api_key:
        return "Paste your staff API key."
    principal = await authenticate(api_key)
    if principal is None:
        return "Unknown or revoked API key."
    if not principal.is_staff:
        return "This is a partner key: the console is for insurer staff keys (tc_staff_...)."
    row = await ApiKey.filter(key_hash=hash_key(api_key), revoked_at__isnull=True).first()
    member = await StaffMember.filter(id=principal.staff_id).first()
    if row is None or member is None:
        return "Unknown or revoked API key."
    request.session.clear()  # no state carried over from before the sign-in
    request.session["staff"] = {"id": member.id, "name": member.name, "key_id": row.id}
    request.session["csrf"] = secrets.token_urlsafe(32)
    log.info("console sign-in by staff %s", member.id)
    return None


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
        if staff_in_session(request) is None:
            return to_sign_in(request)
        form = await request.form()
        if not csrf_ok(request, form):
            return forbidden(request)
        staff = await signed_in(request)
        if staff is None:
            return to_sign_in(request)
        return await handler(request, staff, form)

    return action
