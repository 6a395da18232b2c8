"""Verifying tradecover webhooks on the receiving side (Standard Webhooks, `v1` HMAC-SHA256).

Standard library only, so a partner can import it or copy this one file. Typical use,
with the raw request body (bytes, before any JSON parsing) and its headers::

    from tradecover.webhook_verify import WebhookVerificationError, verify

    try:
        event = verify(body, request.headers, ["whsec_..."])   # both secrets while rotating
    except WebhookVerificationError as error:
        return 400, error.reason                             # never process it
    if already_seen(request.headers["webhook-id"]):           # retries reuse the id
        return 200
    handle(event["type"], event["data"])

What is checked (Standard Webhooks, "Verifying signatures"):

- `webhook-id`, `webhook-timestamp` and `webhook-signature` are present;
- the timestamp is an integer of seconds within `tolerance` (5 minutes) of `now`, older
  or newer, so a captured request cannot be replayed later;
- one of the space-separated `v1,<base64>` signatures is the HMAC-SHA256, under one of
  `secrets`, of `{webhook-id}.{webhook-timestamp}.{body}` (constant-time comparison).
  During a rotation tradecover signs with the new and the previous secret for 24 h:
  configure both and either matches. Entries of other versions (`v1a`, ...) and
  malformed entries are skipped, never an exception;
- the body is a JSON object, returned parsed.

Why not only `standardwebhooks.Webhook(secret).verify`: it reads the clock itself (no
`now`), takes one secret per verifier, accepts a fractional timestamp but signs its floor,
and raises ValueError or binascii.Error, not its own error, on a malformed signature entry.
What it accepts, this accepts too (tests/api/test_webhook_verify_helper.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

__all__ = ["TOLERANCE", "WebhookVerificationError", "sign", "verify"]

TOLERANCE = timedelta(minutes=5)
SECRET_PREFIX = "whsec_"
#: A unix time in seconds has 10 digits until 2286; more than 12 is not a timestamp.
_MAX_TIMESTAMP_DIGITS = 12

Reason = Literal[
    "missing_header",
    "invalid_timestamp",
    "timestamp_too_old",
    "timestamp_too_new",
    "no_matching_signature",
    "invalid_payload",
]


class WebhookVerificationError(Exception):
    """The request is not a genuine, fresh tradecover webhook: answer 4xx, process nothing.
    `reason` is one of `Reason`, for logs and metrics."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


def _secret_bytes(secret: str) -> bytes:
    """`whsec_` + base64 (the prefix is optional, as in the reference libraries)."""
    encoded = secret.strip().removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("A webhook secret is whsec_ followed by base64.") from None
    if not key:
        raise ValueError("A webhook secret may not be empty.")
    return key


def _signature(key: bytes, msg_id: str, timestamp: str, payload: bytes) -> bytes:
    return hmac.new(key, f"{msg_id}.{timestamp}.".encode() + payload, hashlib.sha256).digest()


def sign(msg_id: str, timestamp: int, payload: bytes | str, secret: str) -> str:
    """One `v1,<base64>` signature, as tradecover sends it (for the receiver's own tests)."""
    body = payload.encode() if isinstance(payload, str) else payload
    digest = _signature(_secret_bytes(secret), msg_id, str(int(timestamp)), body)
    return "v1," + base64.b64encode(digest).decode()


def _signatures(header: str) -> list[bytes]:
    """The decoded v1 signatures of the header; other versions and garbage are skipped."""
    found = []
    for entry in header.split():
        version, _, encoded = entry.partition(",")
        if version != "v1" or not encoded:
            continue
        try:
            found.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found


def verify(
    payload: bytes | str,
    headers: Mapping[str, str],
    secrets: Iterable[str],
    now: datetime | None = None,
    tolerance: timedelta = TOLERANCE,
) -> dict[str, Any]:
    """The webhook's JSON body if it is genuine and fresh, else WebhookVerificationError.

    `payload` is the raw body as received; `headers` any mapping (names in any case);
    `secrets` the endpoint's secret(s); `now` (aware) defaults to the current time.
    ValueError: no secret, or a secret that is not `whsec_` + base64 (configuration)."""
    keys = [_secret_bytes(s) for s in ([secrets] if isinstance(secrets, str) else secrets)]
    if not keys:
        raise ValueError("Give at least one webhook secret.")
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware.")
    body = payload.encode() if isinstance(payload, str) else bytes(payload)

    lowered = {str(k).lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "")
    header = lowered.get("webhook-signature", "")
    missing = [
        name
        for name, value in (
            ("webhook-id", msg_id),
            ("webhook-timestamp", stamp),
            ("webhook-signature", header),
        )
        if not value.strip()
    ]
    if missing:
        raise WebhookVerificationError(
            "missing_header", f"Missing header(s): {', '.join(missing)}."
        )

    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= _MAX_TIMESTAMP_DIGITS):
        raise WebhookVerificationError(
            "invalid_timestamp", "webhook-timestamp is not an integer of seconds."
        )
    age = now.timestamp() - int(stamp)  # seconds, negative when sent "in the future"
    if age > tolerance.total_seconds():
        raise WebhookVerificationError("timestamp_too_old", "webhook-timestamp is too old.")
    if -age > tolerance.total_seconds():
        raise WebhookVerificationError("timestamp_too_new", "webhook-timestamp is in the future.")

    expected = [_signature(key, msg_id, stamp, body) for key in keys]
    matched = False
    for given in _signatures(header):
        for wanted in expected:
            matched |= hmac.compare_digest(wanted, given)
    if not matched:
        raise WebhookVerificationError(
            "no_matching_signature", "No webhook-signature matches the secret(s)."
        )

    try:
        event = json.loads(body)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        raise WebhookVerificationError("invalid_payload", "The body is not JSON.") from None
    if not isinstance(event, dict):
        raise WebhookVerificationError("invalid_payload", "The body is not a JSON object.")
    return event
