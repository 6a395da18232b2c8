"""The partners' verification helper, `tradecover/webhook_verify.py` (Standard Webhooks).

Interoperability first: the published Standard Webhooks test vector (the reference
libraries' `test_sign_function`, standard-webhooks/standard-webhooks
libraries/python/tests/test_webhooks.py) is reproduced and verified, and real deliveries
signed by our own sender (`domain/services/webhooks.py`, through `deliver`) verify. Then
every way a forged or replayed request can differ is refused with a typed reason: body,
id, timestamp, secret, a stale or future timestamp. Rotation: both secrets verify while
the sender signs with both, and the old one stops verifying once the overlap is over.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook
from tortoise.transactions import in_transaction

from domain.services import webhook_endpoints, webhooks
from domain.services.principals import Principal, create_partner
from domain.store.webhook_models import WebhookDelivery, WebhookEndpoint
from tradecover.webhook_verify import TOLERANCE, WebhookVerificationError, sign, verify

# The Standard Webhooks test vector.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_PAYLOAD = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
SPEC_NOW = datetime.fromtimestamp(SPEC_TIMESTAMP, UTC)


def spec_headers(**changes: str) -> dict[str, str]:
    headers = {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": SPEC_SIGNATURE,
    }
    headers.update({k.replace("_", "-"): v for k, v in changes.items()})
    return headers


def refused(reason: str, payload: Any, headers: Any, secrets: Any, **kwargs: Any) -> None:
    with pytest.raises(WebhookVerificationError) as error:
        verify(payload, headers, secrets, **kwargs)
    assert error.value.reason == reason, error.value


# --- the published vector -----------------------------------------------------------------


def test_the_spec_vector_signs_and_verifies():
    assert sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_PAYLOAD, SPEC_SECRET) == SPEC_SIGNATURE
    assert verify(SPEC_PAYLOAD, spec_headers(), [SPEC_SECRET], now=SPEC_NOW) == {"test": 2432232314}
    # the whsec_ prefix is optional (reference libraries), and str bodies are accepted
    bare = SPEC_SECRET.removeprefix("whsec_")
    assert verify(SPEC_PAYLOAD.decode(), spec_headers(), [bare], now=SPEC_NOW)["test"]


def test_the_spec_vector_among_other_signatures_verifies():
    """The reference libraries' multi-signature case: other versions and wrong v1s are
    skipped, and so are malformed entries (which crash `standardwebhooks`)."""
    signatures = " ".join(
        [
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            "v1",
            "v1,not*base64",
            SPEC_SIGNATURE,
            "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8E==",
        ]
    )
    headers = spec_headers(webhook_signature=signatures)
    assert verify(SPEC_PAYLOAD, headers, [SPEC_SECRET], now=SPEC_NOW) == {"test": 2432232314}


def test_header_names_are_case_insensitive():
    headers = {k.title(): v for k, v in spec_headers().items()}  # Webhook-Id, ...
    assert verify(SPEC_PAYLOAD, headers, [SPEC_SECRET], now=SPEC_NOW)
    assert verify(SPEC_PAYLOAD, httpx.Headers(spec_headers()), [SPEC_SECRET], now=SPEC_NOW)


def test_the_reference_invalid_signature_is_refused():
    bad = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="  # last byte changed
    refused(
        "no_matching_signature",
        SPEC_PAYLOAD,
        spec_headers(webhook_signature=bad),
        [SPEC_SECRET],
        now=SPEC_NOW,
    )


@pytest.mark.parametrize(
    "signature", ["v1", "v1,", "garbage", "v1,not*base64 v2,abc", "v1a,AAAA", " "]
)
def test_a_malformed_signature_header_is_a_typed_refusal(signature):
    headers = spec_headers(webhook_signature=signature)
    reason = "missing_header" if not signature.strip() else "no_matching_signature"
    refused(reason, SPEC_PAYLOAD, headers, [SPEC_SECRET], now=SPEC_NOW)


@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_refused(header):
    headers = spec_headers()
    del headers[header]
    refused("missing_header", SPEC_PAYLOAD, headers, [SPEC_SECRET], now=SPEC_NOW)
    refused(
        "missing_header", SPEC_PAYLOAD, {**spec_headers(), header: ""}, [SPEC_SECRET], now=SPEC_NOW
    )


@pytest.mark.parametrize(
    "stamp", ["hello", "1614265330.0", "1e9", "-1614265330", " 1614265330", "１６１４", "9" * 40]
)
def test_a_timestamp_that_is_not_integer_seconds_is_refused(stamp):
    refused(
        "invalid_timestamp",
        SPEC_PAYLOAD,
        spec_headers(webhook_timestamp=stamp),
        [SPEC_SECRET],
        now=SPEC_NOW,
    )


def test_five_minutes_either_way_is_the_limit():
    limit = TOLERANCE
    assert limit == timedelta(minutes=5)
    for now in (SPEC_NOW + limit, SPEC_NOW - limit):
        assert verify(SPEC_PAYLOAD, spec_headers(), [SPEC_SECRET], now=now)
    second = timedelta(seconds=1)
    refused(
        "timestamp_too_old",
        SPEC_PAYLOAD,
        spec_headers(),
        [SPEC_SECRET],
        now=SPEC_NOW + limit + second,
    )
    refused(
        "timestamp_too_new",
        SPEC_PAYLOAD,
        spec_headers(),
        [SPEC_SECRET],
        now=SPEC_NOW - limit - second,
    )
    # without `now`, the wall clock: the 2021 vector is long stale
    refused("timestamp_too_old", SPEC_PAYLOAD, spec_headers(), [SPEC_SECRET])
    # a wider tolerance is the receiver's choice
    assert verify(
        SPEC_PAYLOAD,
        spec_headers(),
        [SPEC_SECRET],
        now=SPEC_NOW + timedelta(hours=1),
        tolerance=timedelta(hours=2),
    )


def test_a_properly_signed_body_that_is_not_a_json_object_is_refused():
    for body in (b"not json", b"[1, 2]", b"\xff\xfe"):
        headers = spec_headers(webhook_signature=sign(SPEC_ID, SPEC_TIMESTAMP, body, SPEC_SECRET))
        refused("invalid_payload", body, headers, [SPEC_SECRET], now=SPEC_NOW)


def test_configuration_mistakes_are_value_errors_not_refusals():
    with pytest.raises(ValueError):
        verify(SPEC_PAYLOAD, spec_headers(), [], now=SPEC_NOW)
    with pytest.raises(ValueError):
        verify(SPEC_PAYLOAD, spec_headers(), ["whsec_not base64!"], now=SPEC_NOW)
    with pytest.raises(ValueError):
        verify(SPEC_PAYLOAD, spec_headers(), [SPEC_SECRET], now=SPEC_NOW.replace(tzinfo=None))
    # a lone string is one secret, not a list of one-character secrets
    assert verify(SPEC_PAYLOAD, spec_headers(), SPEC_SECRET, now=SPEC_NOW)  # type: ignore[arg-type]


# --- deliveries made by our own sender ------------------------------------------------------


async def sandbox_partner(now: datetime) -> Principal:
    row, _ = await create_partner(
        name="Platform", kind="financing_platform", sandbox=True, premium_rate=None, now=now
    )
    return Principal(partner_id=row.id, sandbox=True)


async def delivered(
    principal: Principal, endpoint: WebhookEndpoint, now: datetime
) -> httpx.Request:
    """Emits an event and delivers it through `webhooks.deliver`: the request sent."""
    async with in_transaction():
        event = await webhooks.emit(
            str(principal.partner_id), "cover.activated", {"cover": {"id": "cov_1"}}, now
        )
    delivery = await WebhookDelivery.get(event_id=event.id, endpoint_id=endpoint.id)
    sent: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
        assert await webhooks.deliver(delivery.id, now, http) == "SUCCEEDED"
    [request] = sent
    assert request.headers["webhook-id"] == event.id
    return request


@pytest.fixture
async def endpoint(db) -> tuple[Principal, WebhookEndpoint, str]:
    now = datetime.now(UTC)
    principal = await sandbox_partner(now)
    row, secret = await webhook_endpoints.register_endpoint(
        principal, "http://127.0.0.1:9/hooks", ["*"], now, allow_private=True
    )
    return principal, row, secret


async def test_a_real_delivery_verifies_and_returns_the_event(endpoint):
    principal, row, secret = endpoint
    now = datetime.now(UTC).replace(microsecond=0)
    request = await delivered(principal, row, now)

    event = verify(request.content, request.headers, [secret], now=now)

    assert event["type"] == "cover.activated"
    assert event["data"] == {"cover": {"id": "cov_1"}}
    assert event == json.loads(request.content)
    # what the reference library accepts, the helper accepts (and vice versa here)
    assert Webhook(secret).verify(request.content, dict(request.headers)) == event
    assert verify(request.content, request.headers, [secret]) == event  # wall clock


async def test_tampering_with_body_id_or_timestamp_is_refused(endpoint):
    principal, row, secret = endpoint
    now = datetime.now(UTC).replace(microsecond=0)
    request = await delivered(principal, row, now)
    body, headers = request.content, dict(request.headers)

    reformatted = json.dumps(json.loads(body), indent=1).encode()  # same JSON, other bytes
    changed = body.replace(b"cov_1", b"cov_2")
    for tampered in (changed, reformatted, body + b" ", body[:-1]):
        refused("no_matching_signature", tampered, headers, [secret], now=now)

    other_id = {**headers, "webhook-id": "msg_someotherevent"}
    refused("no_matching_signature", body, other_id, [secret], now=now)

    shifted = {**headers, "webhook-timestamp": str(int(now.timestamp()) + 60)}  # in tolerance
    refused("no_matching_signature", body, shifted, [secret], now=now)

    assert verify(body, headers, [secret], now=now)  # the untouched request still does


async def test_a_stale_or_future_delivery_is_refused(endpoint):
    principal, row, secret = endpoint
    now = datetime.now(UTC).replace(microsecond=0)
    request = await delivered(principal, row, now)
    body, headers = request.content, request.headers

    late = now + timedelta(minutes=5, seconds=1)
    refused("timestamp_too_old", body, headers, [secret], now=late)
    early = now - timedelta(minutes=5, seconds=1)
    refused("timestamp_too_new", body, headers, [secret], now=early)
    assert verify(body, headers, [secret], now=now + timedelta(minutes=5))

    # signed by us with a timestamp 10 minutes old or ahead: a correct signature, refused
    for offset in (timedelta(minutes=-10), timedelta(minutes=10)):
        stamp = now + offset
        signed = webhooks.signed_headers(headers["webhook-id"], body.decode(), stamp, [secret])
        reason = "timestamp_too_old" if offset < timedelta(0) else "timestamp_too_new"
        refused(reason, body, signed, [secret], now=now)
        assert verify(body, signed, [secret], now=stamp)


async def test_a_wrong_secret_is_refused(endpoint):
    principal, row, secret = endpoint
    now = datetime.now(UTC).replace(microsecond=0)
    request = await delivered(principal, row, now)
    other = webhook_endpoints.new_secret()
    refused("no_matching_signature", request.content, request.headers, [other], now=now)
    refused("no_matching_signature", request.content, request.headers, [SPEC_SECRET], now=now)
    assert verify(request.content, request.headers, [other, secret], now=now)


async def test_rotation_old_and_new_secrets_verify_during_the_overlap_only(endpoint):
    principal, row, old = endpoint
    now = datetime.now(UTC).replace(microsecond=0)
    _, new = await webhook_endpoints.rotate_secret(principal, row.id, now)
    rotated = await WebhookEndpoint.get(id=row.id)

    request = await delivered(principal, rotated, now)
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    body, headers = request.content, request.headers
    for secrets in ([old], [new], [old, new], [new, old]):
        assert verify(body, headers, secrets, now=now)["type"] == "cover.activated"
    refused("no_matching_signature", body, headers, [webhook_endpoints.new_secret()], now=now)
    # the same holds for the reference library, one secret at a time
    Webhook(old).verify(body, dict(headers))
    Webhook(new).verify(body, dict(headers))

    # the 24 h overlap is over: only the new secret signs
    await WebhookEndpoint.filter(id=row.id).update(
        previous_secret_expires_at=now - timedelta(seconds=1)
    )
    after = await delivered(principal, await WebhookEndpoint.get(id=row.id), now)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert verify(after.content, after.headers, [new], now=now)
    assert verify(after.content, after.headers, [old, new], now=now)  # receiver may keep both
    refused("no_matching_signature", after.content, after.headers, [old], now=now)
