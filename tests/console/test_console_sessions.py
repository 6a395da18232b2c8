"""Console sessions are server-side (tradecover/console/session_store.py): the cookie
carries a random session id, the database its SHA-256 only. A cookie copied before
sign-out, before its key's revocation or past SESSION_SECONDS opens no console page of
any kind afterwards (full page, htmx fragment, document file, action): each sends it to
the sign-in page."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
import sys
from base64 import b64decode
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from starlette.routing import Route

from domain.services.errors import DomainError
from domain.services.principals import hash_key, revoke_staff_keys
from domain.store.console_models import ConsoleSession
from domain.store.models import ApiKey
from tests.console.conftest import Clock
from tests.console.support import Console
from tradecover.console.routes import SESSION_COOKIE, console_routes
from tradecover.console.session_store import SESSION_SECONDS

#: Path parameters of the console's routes, filled with ids that need not exist: a
#: signed-out visitor is sent to sign in before anything is looked up.
PLACEHOLDERS = {
    "{cover_id}": "cov_x",
    "{claim_id}": "clm_x",
    "{document_id}": "doc_x",
    "{buyer_key}": "ES:B1",
}
#: Not behind a session: the sign-in page and the form it posts, and the root redirect.
OPEN_PATHS = {"/", "/sign-in"}


def _routes(method: str) -> list[str]:
    paths = []
    for route in console_routes():
        if not isinstance(route, Route) or method not in (route.methods or ()):
            continue
        if route.path in OPEN_PATHS:
            continue
        path = route.path
        for placeholder, value in PLACEHOLDERS.items():
            path = path.replace(placeholder, value)
        paths.append(path)
    return paths


def _cookie_value(console: Console) -> str:
    value = console.http.cookies.get(SESSION_COOKIE, path="/console")
    assert value, "no console cookie"
    return str(value)


def _cookie_content(console: Console) -> dict[str, Any]:
    """What the signed cookie carries (itsdangerous: base64 JSON, timestamp, signature)."""
    payload = _cookie_value(console).split(".")[0]
    return dict(json.loads(b64decode(payload + "=" * (-len(payload) % 4))))


class Copy(Console):
    """Another browser holding a copy of the cookie (and the CSRF token it goes with),
    that sends that copy with every request whatever the server answers (a browser would
    drop the cookie when told to; a thief need not)."""

    def __init__(self, console: Console, clients: Any) -> None:
        super().__init__(clients())
        self.kept = [copy.copy(cookie) for cookie in console.http.cookies.jar]
        self.csrf = console.csrf
        self._restore()

    def _restore(self) -> None:
        self.http.cookies.clear()
        for cookie in self.kept:
            self.http.cookies.jar.set_cookie(copy.copy(cookie))

    async def get(self, path: str, **kwargs: Any) -> Any:
        self._restore()
        return await super().get(path, **kwargs)

    async def post(self, path: str, data: dict[str, str], **kwargs: Any) -> Any:
        self._restore()
        return await super().post(path, data, **kwargs)


async def _assert_every_page_refused(visitor: Console) -> None:
    gets, posts = _routes("GET"), _routes("POST")
    assert len(gets) == 11 and len(posts) == 5  # every page kind below, sign-out included
    for path in gets:
        page = await visitor.get(path)
        assert page.status_code == 303, path
        assert page.headers["location"] == f"/console/sign-in?next={quote('/console' + path)}"
        fragment = await visitor.get(path, headers={"HX-Request": "true"})
        assert fragment.status_code == 204, path
        assert fragment.headers["HX-Redirect"].startswith("/console/sign-in"), path
    for path in posts:
        for htmx in (True, False):
            answer = await visitor.post(path, {"decision": "APPROVE", "reason": "x"}, htmx=htmx)
            if htmx:
                assert answer.headers["HX-Redirect"] == "/console/sign-in", path
            else:
                assert answer.status_code == 303, path
                assert answer.headers["location"] == "/console/sign-in", path


async def _assert_signed_in(visitor: Console) -> None:
    page = await visitor.get("/referrals")
    assert page.status_code == 200 and "Sign out" in page.text


async def test_a_cookie_copied_before_sign_out_opens_no_page_after_it(
    console: Console, clients, make_staff
):
    await console.sign_in(await make_staff())
    thief = Copy(console, clients)
    await _assert_signed_in(thief)  # the copy is as good as the original until sign-out
    out = await console.post("/sign-out", {}, htmx=False)
    assert out.status_code == 303
    assert await ConsoleSession.all().count() == 0
    await _assert_every_page_refused(thief)
    await _assert_every_page_refused(console)


async def test_sign_out_ends_only_its_own_session(console: Console, clients, make_staff):
    key = await make_staff()
    await console.sign_in(key)
    other = Console(clients())
    await other.sign_in(key)  # the same staff member in another browser
    assert await ConsoleSession.all().count() == 2
    await console.post("/sign-out", {})
    await _assert_signed_in(other)
    assert (await console.get("/referrals")).status_code == 303


async def _staff_id(key: str) -> str:
    return str((await ApiKey.get(key_hash=hash_key(key))).staff_id)  # type: ignore[attr-defined]


async def test_revoking_a_staff_key_ends_its_sessions_at_once(
    console: Console, clients, make_staff, console_clock: Clock
):
    key, colleague_key = await make_staff(), await make_staff()
    await console.sign_in(key)
    thief = Copy(console, clients)
    colleague = Console(clients())
    await colleague.sign_in(colleague_key)

    revoked = await revoke_staff_keys(await _staff_id(key), console_clock())
    assert revoked.console_sessions == 1 and len(revoked.key_ids) == 1
    assert await ConsoleSession.filter(api_key_id=revoked.key_ids[0]).count() == 0
    await _assert_every_page_refused(thief)
    await _assert_every_page_refused(console)
    await _assert_signed_in(colleague)  # another member's key, another session
    again = await console.sign_in(key)
    assert again.status_code == 401 and "Unknown or revoked API key." in again.text


async def test_revoking_names_a_live_key_or_answers_not_found(make_staff, sqlite_db):
    from datetime import UTC, datetime

    key = await make_staff()
    staff_id = await _staff_id(key)
    with pytest.raises(DomainError) as unknown:
        await revoke_staff_keys("stf_missing", datetime.now(UTC))
    assert unknown.value.code == "NOT_FOUND" and unknown.value.field == ("staffId",)
    with pytest.raises(DomainError) as other_prefix:
        await revoke_staff_keys(staff_id, datetime.now(UTC), display_prefix="tc_staff_zzzz")
    assert other_prefix.value.code == "NOT_FOUND"
    assert (await ApiKey.get(key_hash=hash_key(key))).revoked_at is None
    done = await revoke_staff_keys(staff_id, datetime.now(UTC), display_prefix=key[:13])
    assert len(done.key_ids) == 1
    with pytest.raises(DomainError):  # nothing live is left to revoke
        await revoke_staff_keys(staff_id, datetime.now(UTC))


async def test_tradecover_staff_revoke_ends_the_console_session(
    console: Console, make_staff, app_settings
):
    key = await make_staff()
    await console.sign_in(key)
    staff_id = await _staff_id(key)
    command = Path(sys.executable).parent / "tradecover"
    env = {**os.environ, "TRADECOVER_DATABASE_URL": app_settings.database_url}
    done = subprocess.run(
        [str(command), "staff", "revoke", staff_id, "--prefix", key[:13]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"revoked 1 key(s) of {staff_id}; ended 1 console session(s)" in done.stdout
    assert (await console.get("/claims")).status_code == 303
    missing = subprocess.run(
        [str(command), "staff", "revoke", "stf_missing"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2 and "No staff member with id stf_missing." in missing.stderr


async def test_a_session_ends_session_seconds_after_sign_in_on_the_server(
    console: Console, clients, make_staff, console_clock: Clock
):
    """The cookie's own Max-Age is the browser's business; the row's expiry is the
    server's, so a cookie kept (or re-sent) past it is refused."""
    key = await make_staff()
    await console.sign_in(key)
    console_clock.advance(seconds=SESSION_SECONDS - 1)
    await _assert_signed_in(console)
    console_clock.advance(seconds=1)
    await _assert_every_page_refused(console)
    # The next sign-in purges expired rows (no sweep needed).
    late = Console(clients())
    assert await ConsoleSession.all().count() == 1
    await late.sign_in(key)
    assert await ConsoleSession.all().count() == 1  # the expired one gone, the new one in


async def test_the_cookie_carries_a_session_id_whose_hash_only_is_stored(
    console: Console, make_staff, sqlite_db
):
    key = await make_staff()
    await console.get("/sign-in")
    before = _cookie_content(console)
    assert set(before) == {"csrf"}  # the sign-in form's token, nothing else
    await console.sign_in(key)
    content = _cookie_content(console)
    assert set(content) == {"sid", "csrf"}
    session_id = content["sid"]
    assert len(session_id) >= 43  # 32 random bytes, URL-safe base64
    assert content["csrf"] != before["csrf"]  # a new token with the new session
    row = await ConsoleSession.get()
    stored = json.dumps(list((await ConsoleSession.all().values())[0].values()), default=str)
    assert session_id not in stored and key not in stored
    assert row.token_hash == hashlib.sha256(session_id.encode()).hexdigest()
    # Nothing in the cookie names the staff member or the key.
    staff_id = await _staff_id(key)
    raw = json.dumps(content)
    assert staff_id not in raw and "Underwriter" not in raw and row.api_key_id not in raw  # type: ignore[attr-defined]


async def test_signing_in_again_replaces_the_session_it_was_in(console: Console, make_staff):
    key = await make_staff()
    await console.sign_in(key)
    first = _cookie_content(console)["sid"]
    again = await console.http.post(
        "/console/sign-in", data={"csrf_token": console.csrf, "api_key": key, "next": ""}
    )
    assert again.status_code == 303
    assert _cookie_content(console)["sid"] != first
    assert await ConsoleSession.all().count() == 1


async def test_the_session_store_and_the_revocation_hook_on_each_backend(db):
    """Sessions start, end, expire and die with their key on SQLite and PostgreSQL."""
    from datetime import UTC, datetime, timedelta

    from domain.services.principals import create_staff
    from tradecover.console import session_store
    from tradecover.console.session_store import Staff

    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    member, key = await create_staff(name="Ana", now=now)
    key_id = (await ApiKey.get(key_hash=hash_key(key))).id
    first = await session_store.start(member.id, key_id, now)
    second = await session_store.start(member.id, key_id, now)
    assert await session_store.staff_of(first, now) == Staff(member.id, "Ana")
    assert await session_store.staff_of("not-a-session", now) is None
    expiry = now + timedelta(seconds=SESSION_SECONDS)
    assert await session_store.staff_of(first, expiry - timedelta(seconds=1)) is not None
    assert await session_store.staff_of(first, expiry) is None
    hashes = set(await ConsoleSession.all().values_list("token_hash", flat=True))
    assert hashes == {hashlib.sha256(s.encode()).hexdigest() for s in (first, second)}

    await session_store.end(first)
    assert await session_store.staff_of(first, now) is None
    assert await session_store.staff_of(second, now) is not None
    revoked = await revoke_staff_keys(member.id, now)
    assert revoked.console_sessions == 1
    assert await session_store.staff_of(second, now) is None
    assert await ConsoleSession.all().count() == 0
    assert (await ApiKey.get(id=key_id)).revoked_at == now

    other, other_key = await create_staff(name="Bea", now=now)
    other_key_id = (await ApiKey.get(key_hash=hash_key(other_key))).id
    await session_store.start(other.id, other_key_id, now)
    assert await session_store.purge_expired(expiry - timedelta(seconds=1)) == 0
    assert await session_store.purge_expired(expiry) == 1
