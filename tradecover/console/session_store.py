"""Console sessions kept in the database (domain/store/console_models.py).

The cookie carries a random session id; the row keeps only its SHA-256, so a copy of the
database opens no console. A session is valid while its row exists, has not expired and
its key is not revoked: signing out and revoking the key (principals.revoke_staff_keys)
delete the row, so a cookie copied before either opens nothing after it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.services.principals import Principal, hash_key
from domain.store.console_models import ConsoleSession
from domain.store.ids import new_id

#: A console session lasts a working day from sign-in; signing in again starts a new one.
SESSION_SECONDS = 10 * 60 * 60
#: Bytes of randomness in a session id (256 bits: not guessable, so not throttled).
SESSION_ID_BYTES = 32


@dataclass(frozen=True)
class Staff:
    id: str
    name: str

    @property
    def principal(self) -> Principal:
        return Principal(staff_id=self.id)


def hash_session_id(session_id: str) -> str:
    """Stored as API keys are (principals.hash_key: SHA-256 hex)."""
    return hash_key(session_id)


async def start(staff_id: str, key_id: str, now: datetime) -> str:
    """A new session for a staff member signed in with a key; returns the session id the
    cookie carries (the database keeps its hash). Expired sessions are purged first: a
    sign-in is rare enough to pay for that, and no sweep is needed."""
    await purge_expired(now)
    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    await ConsoleSession.create(
        id=new_id("css"),
        token_hash=hash_session_id(session_id),
        staff_id=staff_id,
        api_key_id=key_id,
        created_at=now,
        expires_at=now + timedelta(seconds=SESSION_SECONDS),
    )
    return session_id


async def staff_of(session_id: str, now: datetime) -> Staff | None:
    """The staff member of a live session: its row exists, has not expired, and the key it
    was started with is not revoked (also when revoked by hand, without the hook)."""
    row = (
        await ConsoleSession.filter(
            token_hash=hash_session_id(session_id),
            expires_at__gt=now,
            api_key__revoked_at__isnull=True,
        )
        .select_related("staff")
        .first()
    )
    if row is None:
        return None
    return Staff(id=row.staff.id, name=row.staff.name)


async def end(session_id: str) -> None:
    """Sign-out: the row goes, and with it every copy of the cookie."""
    await ConsoleSession.filter(token_hash=hash_session_id(session_id)).delete()


async def purge_expired(now: datetime) -> int:
    return await ConsoleSession.filter(expires_at__lte=now).delete()
