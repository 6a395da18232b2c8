"""Webhooks end to end through GraphQL (LIFECYCLE 6, C-6): register an endpoint, bind and
activate a TR cover, and every state change reaches the receiver once, signed per
Standard Webhooks and verified by the standardwebhooks package as a receiver would."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from domain.services import webhooks
from tests.api.cover_helpers import bind, quote_id
from tests.builders import tr_input

REGISTER = """
mutation($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) {
    endpoint { id url events enabled }
    secret
    userErrors { code message field }
  }
}
"""
DELIVERIES = (
    "{ webhookDeliveries(first: 10) { edges { node { eventType status attempts "
    "lastResponseCode } } } }"
)


async def test_cover_activation_webhooks_arrive_signed_once_each(api, jobs, make_partner):
    key = await make_partner(kind="freight_exchange")
    registered = await api.execute(
        REGISTER,
        {"input": {"url": "http://127.0.0.1:9/hooks", "events": ["*"]}},
        key=key,
    )
    payload = registered["data"]["registerWebhookEndpoint"]
    assert payload["userErrors"] == []
    secret = payload["secret"]
    assert secret.startswith("whsec_")

    qid = await quote_id(api, key, tr_input())
    await bind(api, key, quoteId=qid, paymentMethodToken="tok_visa")
    await jobs.run_all()

    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
        for _ in range(2):  # every job delivered twice: still one POST per event
            for delivery_id in await webhooks.due_deliveries(datetime.now(UTC)):
                await webhooks.deliver(delivery_id, datetime.now(UTC), http, allow_private=True)

    verifier = Webhook(secret)
    types = []
    for request in received:
        body = request.content.decode()
        verified = verifier.verify(body, dict(request.headers))
        types.append(verified["type"])
        assert json.loads(body)["data"]["cover"]["product"] == "TRANSPORT_INVOICE"
    assert sorted(types) == sorted(
        ["cover.pending_confirmation", "cover.activated", "payment_hold.captured"]
    )
    assert len({r.headers["webhook-id"] for r in received}) == 3

    listed = await api.execute(DELIVERIES, key=key)
    nodes = [e["node"] for e in listed["data"]["webhookDeliveries"]["edges"]]
    assert {(n["status"], n["attempts"], n["lastResponseCode"]) for n in nodes} == {
        ("SUCCEEDED", 1, 204)
    }


async def test_live_keys_cannot_register_loopback_webhook_urls(api, make_partner):
    key = await make_partner(sandbox=False)
    registered = await api.execute(
        REGISTER,
        {"input": {"url": "https://127.0.0.1/hooks", "events": ["cover.activated"]}},
        key=key,
    )
    errors = registered["data"]["registerWebhookEndpoint"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("WEBHOOK_URL_NOT_ALLOWED", ["input", "url"])
    ]


async def test_lifecycle_5a_deliveries_list_in_the_cover_sequence(api, jobs, make_partner):
    """Deliveries list oldest first and each carries its cover event's sequence, the
    same number as `data.sequence` in the payload."""
    key = await make_partner(kind="freight_exchange")
    await api.execute(
        REGISTER, {"input": {"url": "http://127.0.0.1:9/hooks", "events": ["*"]}}, key=key
    )
    qid = await quote_id(api, key, tr_input())
    await bind(api, key, quoteId=qid, paymentMethodToken="tok_visa")
    await jobs.run_all()
    listed = await api.execute(
        "{ webhookDeliveries(first: 10) { edges { node { eventType sequence } } } }", key=key
    )
    nodes = [e["node"] for e in listed["data"]["webhookDeliveries"]["edges"]]
    cover_nodes = [n for n in nodes if n["eventType"].startswith("cover.")]
    assert [n["eventType"] for n in cover_nodes] == [
        "cover.pending_confirmation",
        "cover.activated",
    ]
    sequences = [n["sequence"] for n in cover_nodes]
    assert sequences[0] == 1 and sequences == sorted(sequences)
