"""The staff console's server-side state: its sign-in sessions and its sign-in throttle.

A session row exists from sign-in until sign-out, its expiry or its key's revocation, and
the cookie only names it. The row keeps the SHA-256 of the cookie's session id, never the
id, so reading the database gives no usable cookie (as API keys are kept).

No semicolons or quotes in docstrings or `#:` comments here (see models.py).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from domain.store.models import ApiKey, StaffMember


class ConsoleSession(Model):
    """A signed-in console session of a staff member, started with one of their keys."""

    id = fields.CharField(pk=True, max_length=40)
    #: SHA-256 hex of the session id the cookie carries
    token_hash = fields.CharField(max_length=64, unique=True)
    staff: fields.ForeignKeyRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="console_sessions", on_delete=fields.CASCADE
    )
    staff_id: str  # set by Tortoise from `staff`
    #: the key signed in with - revoking it deletes the session
    api_key: fields.ForeignKeyRelation[ApiKey] = fields.ForeignKeyField(
        "models.ApiKey", related_name="console_sessions", on_delete=fields.CASCADE
    )
    api_key_id: str  # set by Tortoise from `api_key`
    created_at = fields.DatetimeField()
    #: created_at plus the session length - refused from then on and purged at a sign-in
    expires_at = fields.DatetimeField(index=True)

    class Meta:
        table = "console_session"


class SignInThrottle(Model):
    """Failed console sign-ins of one client address or key prefix, for every API process."""

    #: address - a client address (an IPv6 /64) - or prefix - the display prefix of a key
    scope = fields.CharField(pk=True, max_length=80)
    #: failures since the window last restarted
    failures = fields.IntField()
    last_failure_at = fields.DatetimeField(index=True)
    blocked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "console_sign_in_throttle"
