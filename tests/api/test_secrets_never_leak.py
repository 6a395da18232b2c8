"""API keys and webhook secrets never leak: not in logs, not in error or other responses,
not in the database beyond the rows that must hold them.

One journey through the in-process API with every logger at DEBUG (SQL statements and
their parameters included): unknown, revoked and malformed keys, a key lookup failing
(503), failing requests (syntax, validation, user errors, a reused Idempotency-Key, a
server fault whose exception text carries secrets, as a database driver's would), webhook
registrations (one replayed by Idempotency-Key) and a rotation, a TR cover bound and
activated with its webhooks delivered, a whole-turnover policy activated, listings.
Then every captured log line, every response body and every text column of every table
is searched for each raw key, each key's non-public part (after the stored
`display_prefix`) and each `whsec_` secret (with and without the prefix).

Where a secret may be:
- the registerWebhookEndpoint / rotateWebhookSecret answer that shows it, once;
- `webhook_endpoint.secret` and `.previous_secret`: HMAC signing needs the secret itself
  (API keys, by contrast, are stored only as SHA-256 hashes);
- the `idempotency_record.response` of a registration or rotation sent with an
  Idempotency-Key. Decision: kept. The replay must return the secret: the key exists
  for the client whose first answer was lost, and that answer is the only time the
  secret is shown; without it the client would hold an endpoint whose secret it never
  saw, and a retry meant to be safe would force a rotation. The record is no wider
  exposure than `webhook_endpoint` (same database, same secret in clear), is scoped to
  the principal that received the answer, and is purged after 48 h. Every other
  record (quotes, binds, ...) must be free of secrets, and so must all event tables:
  cover_event, policy_event, webhook_event payloads, deliveries, attempts, outbox.

The leak found and fixed: at DEBUG, Tortoise logs each SQL statement with its
parameters, so the INSERT of an endpoint, the UPDATE of a rotation and the idempotency
record's UPDATE wrote the whsec_ secrets into the logs; a fault's traceback would too.
`tradecover.wiring.install_log_redaction` (run by `configure_process`) redacts
`tc_(live|test|staff)_...` and `whsec_...` in every record, messages and tracebacks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from tortoise import connections

from domain.services import principals, webhook_endpoints, webhooks
from domain.services.principals import hash_key
from domain.store.models import ApiKey
from tests.api.cover_helpers import bind, cover, quote_id
from tests.api.policy_helpers import active_policy
from tests.builders import tr_input
from tradecover.wiring import redact

REGISTER = """
mutation($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) {
    endpoint { id url events enabled } secret userErrors { code message field }
  }
}
"""
ROTATE = """
mutation($id: ID!) {
  rotateWebhookSecret(id: $id) {
    endpoint { id } secret userErrors { code message field }
  }
}
"""
ENDPOINTS = "{ webhookEndpoints { id url events enabled createdAt } }"
DELIVERIES = (
    "{ webhookDeliveries(first: 50) { edges { node { id eventType status attempts "
    "lastResponseCode } } } }"
)
PRODUCTS = "{ products { code } }"


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog at DEBUG for every logger, also those that set their own level or do not
    propagate (loggers made later inherit the root's DEBUG)."""
    caplog.set_level(logging.DEBUG)
    loggers = [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.propagate, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.propagate = True
        logger.disabled = False
    yield caplog
    for logger, level, propagate, disabled in saved:
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled


class Recorded:
    """The API client, keeping every response body."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.bodies: list[tuple[str, str]] = []
        self.secret_answers: list[str] = []  # the answers that must carry a whsec_

    async def post(self, label: str, query: str, variables: Any = None, **kwargs: Any) -> Any:
        response = await self.api.post(query, variables, **kwargs)
        self.bodies.append((label, response.text))
        return response

    async def execute(self, label: str, query: str, variables: Any = None, **kw: Any) -> Any:
        body: dict[str, Any] = (await self.post(label, query, variables, **kw)).json()
        return body

    async def raw(self, label: str, headers: dict[str, str]) -> httpx.Response:
        response: httpx.Response = await self.api.http.post(
            "/graphql", json={"query": PRODUCTS}, headers=headers
        )
        self.bodies.append((label, response.text))
        return response

    def shows_secret(self, label: str) -> None:
        self.secret_answers.append(label)


def needles(keys: list[str], secrets: list[str]) -> dict[str, str]:
    """What must not be found, by a name safe to print."""
    found: dict[str, str] = {}
    for n, key in enumerate(keys):
        public = 13 if key.startswith(principals.STAFF_PREFIX) else 12  # display_prefix
        found[f"api key {n}"] = key
        found[f"api key {n}, non-public part"] = key[public:]
    for n, secret in enumerate(secrets):
        found[f"whsec {n}"] = secret
        found[f"whsec {n}, base64 part"] = secret.removeprefix("whsec_")
    return found


def leaks(text: str, looked_for: dict[str, str]) -> list[str]:
    return [name for name, needle in looked_for.items() if needle in text]


async def database_text() -> dict[tuple[str, str], list[tuple[Any, str]]]:
    """Every non-empty value of every column of every table, as text, by (table, column),
    with the row's first column (its id) to tell rows apart."""
    conn = connections.get("default")
    tables = await conn.execute_query_dict(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    found: dict[tuple[str, str], list[tuple[Any, str]]] = {}
    for table in (t["name"] for t in tables):
        for row in await conn.execute_query_dict(f'SELECT * FROM "{table}"'):
            row_id = next(iter(row.values()))
            for column, value in row.items():
                if value is not None:
                    found.setdefault((table, column), []).append((row_id, str(value)))
    return found


async def deliver_all() -> None:
    """Delivers every due webhook (to a MockTransport: the receiver answers 204)."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(204))) as h:
        for delivery_id in await webhooks.due_deliveries(datetime.now(UTC)):
            await webhooks.deliver(delivery_id, datetime.now(UTC), h)


async def test_keys_and_webhook_secrets_never_leak(
    all_logs, api, jobs, make_partner, make_staff, monkeypatch
):
    sandbox_key = await make_partner(kind="freight_exchange")
    live_key = await make_partner(sandbox=False, name="Live")
    staff_key = await make_staff()
    revoked_key = await make_partner(name="Gone")
    await ApiKey.filter(key_hash=hash_key(revoked_key)).update(revoked_at=datetime.now(UTC))
    principals.forget_keys()
    unknown_key = "tc_live_" + "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0"
    keys = [sandbox_key, live_key, staff_key, revoked_key, unknown_key]
    calls = Recorded(api)

    # --- authentication that fails ------------------------------------------------------
    for label, key in (("revoked", revoked_key), ("unknown", unknown_key)):
        assert (await calls.post(label, PRODUCTS, key=key)).status_code == 401
    for label, header in (
        ("no bearer", f"Basic {sandbox_key}"),
        ("key with junk", f"Bearer {sandbox_key}x"),
        ("staff-looking", f"Bearer tc_staff_{sandbox_key[8:]}"),
    ):
        assert (await calls.raw(label, {"Authorization": header})).status_code == 401

    async def database_down(api_key: str, digest: str) -> Any:
        raise ConnectionError("the database is unreachable")

    with monkeypatch.context() as patched:
        patched.setattr(principals, "_principal_of", database_down)
        assert (await calls.post("lookup fails", PRODUCTS, key=unknown_key)).status_code == 503

    # --- webhook endpoints: registration (replayed), rotation ------------------------------
    registered = await calls.execute(
        "register",
        REGISTER,
        {"input": {"url": "http://127.0.0.1:9/hooks", "events": ["*"]}},
        key=sandbox_key,
        idempotency_key="register-1",
    )
    calls.shows_secret("register")
    first = registered["data"]["registerWebhookEndpoint"]
    sandbox_secret, endpoint_id = first["secret"], first["endpoint"]["id"]
    replay = await calls.post(
        "register replay",
        REGISTER,
        {"input": {"url": "http://127.0.0.1:9/hooks", "events": ["*"]}},
        key=sandbox_key,
        idempotency_key="register-1",
    )
    calls.shows_secret("register replay")
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json()["data"]["registerWebhookEndpoint"]["secret"] == sandbox_secret

    live = await calls.execute(
        "register live",
        REGISTER,
        {"input": {"url": "https://93.184.215.14/hooks", "events": ["cover.activated"]}},
        key=live_key,
    )
    calls.shows_secret("register live")
    live_secret = live["data"]["registerWebhookEndpoint"]["secret"]

    rotated = await calls.execute(
        "rotate", ROTATE, {"id": endpoint_id}, key=sandbox_key, idempotency_key="rotate-1"
    )
    calls.shows_secret("rotate")
    rotated_secret = rotated["data"]["rotateWebhookSecret"]["secret"]
    secrets = [sandbox_secret, live_secret, rotated_secret]
    assert all(s and s.startswith("whsec_") for s in secrets) and len(set(secrets)) == 3

    # --- failing requests -------------------------------------------------------------------
    await calls.post("syntax error", "mutation { registerWebhookEndpoint(", key=sandbox_key)
    await calls.post("validation error", "{ webhookEndpoints { secret } }", key=sandbox_key)
    refused = await calls.execute(
        "user error",
        REGISTER,
        {"input": {"url": "https://127.0.0.1/hooks", "events": ["*"]}},
        key=live_key,
    )
    assert refused["data"]["registerWebhookEndpoint"]["userErrors"]
    reused = await calls.execute(
        "key reused",
        REGISTER,
        {"input": {"url": "http://127.0.0.1:10/other", "events": ["*"]}},
        key=sandbox_key,
        idempotency_key="register-1",
    )
    assert reused["data"]["registerWebhookEndpoint"]["secret"] is None
    missing = await calls.execute("not found", ROTATE, {"id": "whe_missing"}, key=live_key)
    assert missing["data"]["rotateWebhookSecret"]["userErrors"][0]["code"] == "NOT_FOUND"

    async def driver_fault(principal: Any, endpoint_id: str, now: datetime) -> Any:
        """A database error quoting the statement's parameters, as drivers do."""
        row = await webhook_endpoints.WebhookEndpoint.get(id=endpoint_id)
        raise RuntimeError(
            f"UPDATE webhook_endpoint SET secret=$1, previous_secret=$2: parameters "
            f"({webhook_endpoints.new_secret()!r}, {row.secret!r}); caller {live_key}"
        )

    with monkeypatch.context() as patched:
        patched.setattr(webhook_endpoints, "rotate_secret", driver_fault)
        fault = await calls.execute("server fault", ROTATE, {"id": endpoint_id}, key=sandbox_key)
    assert fault["errors"][0]["message"] == "Unexpected error."
    assert "driver_fault" in all_logs.text  # the traceback was logged...
    assert f"caller {live_key[:8]}[REDACTED]" in all_logs.text  # ...redacted

    # --- a cover's life with webhooks, a policy, listings --------------------------------------
    qid = await quote_id(api, sandbox_key, tr_input())
    bound = await bind(api, sandbox_key, quoteId=qid, paymentMethodToken="tok_visa")
    assert bound["userErrors"] == [], bound
    await jobs.run_all()
    await deliver_all()
    activated = await cover(api, sandbox_key, bound["cover"]["id"])
    assert activated["status"] == "ACTIVE" and activated["events"]["edges"]
    calls.bodies.append(("cover", repr(activated)))
    await active_policy(api, sandbox_key, staff_key)
    for label, query, key in (
        ("endpoints", ENDPOINTS, sandbox_key),
        ("deliveries", DELIVERIES, sandbox_key),
        ("live endpoints", ENDPOINTS, live_key),
    ):
        assert not (await calls.execute(label, query, key=key)).get("errors")

    # --- the search ------------------------------------------------------------------------------
    looked_for = needles(keys, secrets)
    assert all(len(needle) >= 20 for needle in looked_for.values())

    log_text = all_logs.text + "\n".join(r.getMessage() for r in all_logs.records)
    assert "webhook_endpoint" in log_text  # the SQL debug log was captured
    assert leaks(log_text, looked_for) == []

    for label, body in calls.bodies:
        found = leaks(body, looked_for)
        if label in calls.secret_answers:
            assert len(found) == 2 and all(name.startswith("whsec") for name in found), label
        else:
            assert found == [], label

    allowed = {
        ("webhook_endpoint", "secret"),
        ("webhook_endpoint", "previous_secret"),
        ("idempotency_record", "response"),
    }
    rows = await database_text()
    for (table, column), values in rows.items():
        for row_id, text in values:
            found = leaks(text, looked_for)
            assert found == [] or (table, column) in allowed, (table, column, row_id, found)
    expected_tables = {"cover_event", "policy_event", "webhook_event", "webhook_delivery"}
    assert expected_tables <= {table for table, _ in rows}  # the journey filled them
    assert {(t, c) for (t, c), v in rows.items() if t == "idempotency_record"} != set()
    with_secrets = [
        text for row_id, text in rows[("idempotency_record", "response")] if leaks(text, looked_for)
    ]
    assert len(with_secrets) == 2  # the keyed registration and the keyed rotation
    assert all("registerWebhookEndpoint" in t or "rotateWebhookSecret" in t for t in with_secrets)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bearer tc_live_Ab-9_x", "Bearer tc_live_[REDACTED]"),
        ("key=tc_test_AAAA;", "key=tc_test_[REDACTED];"),
        ("['whsec_ab+/cd==', 'tc_staff_q']", "['whsec_[REDACTED]', 'tc_staff_[REDACTED]']"),
        ('{"secret": "whsec_a\\/b"}', '{"secret": "whsec_[REDACTED]"}'),
        ("tc_live_ alone, whsec_", "tc_live_ alone, whsec_"),
        ("nothing secret: tc_other_x", "nothing secret: tc_other_x"),
    ],
)
def test_redaction_patterns(text, expected):
    assert redact(text) == expected


def test_redaction_applies_to_every_logger_message_args_and_traceback(caplog, monkeypatch):
    from tradecover.wiring import install_log_redaction

    monkeypatch.setattr(logging, "_logRecordFactory", logging.getLogRecordFactory())
    install_log_redaction()
    installed = logging.getLogRecordFactory()
    install_log_redaction()  # idempotent: one wrapper
    assert logging.getLogRecordFactory() is installed
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("some.library")
    log.debug("values %r", ["whsec_c2VjcmV0c2VjcmV0", "tc_live_abcdefghijkl"])
    try:
        raise ValueError("bad key tc_test_abcdefghijkl")
    except ValueError:
        log.exception("failed for %s", "whsec_c2VjcmV0c2VjcmV0")
    text = caplog.text
    assert "c2VjcmV0c2VjcmV0" not in text and "abcdefghijkl" not in text
    assert text.count("[REDACTED]") == 5  # the message, its args, the traceback's line
    assert re.search(r"ValueError: bad key tc_test_\[REDACTED\]", text)
