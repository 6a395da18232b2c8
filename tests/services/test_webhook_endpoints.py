"""Webhook endpoints and events (LIFECYCLE 6; Standard Webhooks secrets and signatures):
registration and its URL guard, rotation, soft delete, partner isolation, and `emit`
writing event, deliveries and outbox rows in the caller's transaction."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from tortoise.transactions import in_transaction

from domain.services import webhook_endpoints, webhooks
from domain.services.errors import DomainError
from domain.services.principals import Principal, create_partner
from domain.store.models import OutboxMessage
from domain.store.webhook_models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from resolvers import webhooks as webhook_resolvers
from resolvers.context import RequestContext
from schema.contract_check import CONTRACT
from schema.inputs import RegisterWebhookEndpointInput

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PUBLIC_URL = "https://93.184.215.14/hooks"  # a literal public address: no DNS needed


async def partner(*, sandbox: bool) -> Principal:
    row, _ = await create_partner(
        name="Platform", kind="financing_platform", sandbox=sandbox, premium_rate=None, now=NOW
    )
    return Principal(partner_id=row.id, sandbox=sandbox)


async def register(principal: Principal, url: str = PUBLIC_URL, events: Any = ("*",)) -> Any:
    return await webhook_endpoints.register_endpoint(
        principal, url, list(events), NOW, allow_private=principal.sandbox
    )


def info_for(principal: Principal, *, dev: bool = False, now: datetime = NOW) -> Any:
    return SimpleNamespace(context=RequestContext(principal=principal, now=now, dev=dev))


async def test_register_returns_a_whsec_secret_once_and_stores_it_for_signing(db):
    live = await partner(sandbox=False)
    endpoint, secret = await register(live, events=["cover.activated", "claim.paid"])
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    stored = await WebhookEndpoint.get(id=endpoint.id)
    assert stored.secret == secret and stored.enabled and stored.url == PUBLIC_URL
    assert stored.events == ["cover.activated", "claim.paid"]
    listed = await webhook_endpoints.list_endpoints(live)
    assert [e.id for e in listed] == [endpoint.id]
    assert not hasattr(webhook_resolvers.endpoint_out(listed[0]), "secret")  # shown once


async def test_two_registrations_get_different_secrets(db):
    live = await partner(sandbox=False)
    (_, first), (_, second) = await register(live), await register(live)
    assert first != second


async def test_staff_keys_cannot_register_webhook_endpoints(db):
    with pytest.raises(DomainError) as refused:
        await webhook_endpoints.register_endpoint(
            Principal(staff_id="stf_1"), PUBLIC_URL, ["*"], NOW, allow_private=False
        )
    assert refused.value.code == "FORBIDDEN"


@pytest.mark.parametrize(
    "events", [[], ["cover.exploded"], ["*", "nope"], ["cover.activated", "Cover.Activated"]]
)
async def test_missing_or_unknown_event_types_are_refused(db, events):
    live = await partner(sandbox=False)
    with pytest.raises(DomainError) as refused:
        await register(live, events=events)
    assert refused.value.code == "INVALID_INPUT"
    assert refused.value.field == ("input", "events")
    assert await WebhookEndpoint.all().count() == 0


async def test_every_contract_event_type_and_the_wildcard_are_accepted(db):
    live = await partner(sandbox=False)
    endpoint, _ = await register(live, events=[*webhook_endpoints.EVENT_TYPES, "*"])
    assert len(endpoint.events) == len(webhook_endpoints.EVENT_TYPES) + 1
    assert set(contract_event_types()) <= set(webhook_endpoints.EVENT_TYPES)
    # TR-X2 (3), U-4 cover.referred (1), whole-turnover (8, WT-P4 policy.terminated),
    # rule facts (1) and top-up (2, top_up_policy.changed) policies add
    # theirs to the contract's 18.
    assert len(webhook_endpoints.EVENT_TYPES) == 33


def contract_event_types() -> list[str]:
    """The event types listed in the contract's comment above WebhookEndpoint."""
    text = CONTRACT.read_text()  # the repository's copy of the public contract
    listing = text.split("# Event types:", 1)[1].split("type WebhookEndpoint", 1)[0]
    names = listing.replace("#", " ").split(",")
    found = [" ".join(name.split()).rstrip(".") for name in names]
    assert len(found) == 18
    return found


@pytest.mark.parametrize("url", ["http://93.184.215.14/hooks", "ftp://example.com/x", "nope"])
async def test_live_keys_need_an_https_url(db, url):
    live = await partner(sandbox=False)
    with pytest.raises(DomainError) as refused:
        await register(live, url=url)
    assert (refused.value.code, refused.value.field) == ("INVALID_INPUT", ("input", "url"))


async def test_bad_url_and_bad_events_are_reported_together(db):
    live = await partner(sandbox=False)
    with pytest.raises(DomainError) as refused:
        await register(live, url="nope", events=[])
    problems = getattr(refused.value, "problems", [])
    assert [field for _, field in problems] == [("input", "url"), ("input", "events")]


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://localhost:8443/hooks",
        "https://10.0.0.1/hooks",
        "https://192.168.1.20/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "https://0.0.0.0/hooks",
        "https://224.0.0.1/hooks",
        "https://100.64.0.1/hooks",
    ],
)
async def test_private_loopback_and_link_local_urls_are_refused_for_live_keys(db, url):
    live = await partner(sandbox=False)
    with pytest.raises(DomainError) as refused:
        await register(live, url=url)
    assert refused.value.code == "WEBHOOK_URL_NOT_ALLOWED"
    assert refused.value.field == ("input", "url")
    assert await WebhookEndpoint.all().count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hooks",
        "http://localhost:9000/hooks",
        "http://10.0.0.1/hooks",
        "http://169.254.169.254/latest",
    ],
)
async def test_sandbox_keys_may_use_http_and_private_hosts(db, url):
    sandbox = await partner(sandbox=True)
    endpoint, _ = await register(sandbox, url=url)
    assert endpoint.url == url


async def test_an_unresolvable_host_is_refused_for_live_keys(db):
    live = await partner(sandbox=False)
    with pytest.raises(DomainError) as refused:
        await register(live, url="https://no-such-host.invalid/hooks")
    assert refused.value.code == "WEBHOOK_URL_NOT_ALLOWED"


async def test_another_partners_endpoint_answers_not_found(db):
    owner, other = await partner(sandbox=False), await partner(sandbox=False)
    endpoint, _ = await register(owner)
    for action in (webhook_endpoints.rotate_secret, webhook_endpoints.delete_endpoint):
        with pytest.raises(DomainError) as refused:
            await action(other, endpoint.id, NOW)
        assert (refused.value.code, refused.value.field) == ("NOT_FOUND", ("id",))
        with pytest.raises(DomainError) as missing:
            await action(other, "whe_missing", NOW)
        assert missing.value.message.replace("whe_missing", endpoint.id) == refused.value.message
    assert await webhook_endpoints.list_endpoints(other) == []
    async with in_transaction():
        await webhooks.emit(owner.partner_id, "cover.activated", {}, NOW)
    page = await webhook_endpoints.list_deliveries(other, 50, None, endpoint.id)
    assert page.rows == [] and not page.has_next
    assert len((await webhook_endpoints.list_deliveries(owner, 50, None, endpoint.id)).rows) == 1


async def test_delete_is_soft_and_a_deleted_endpoint_is_gone_for_the_partner(db):
    live = await partner(sandbox=False)
    endpoint, _ = await register(live)
    deleted = await webhook_endpoints.delete_endpoint(live, endpoint.id, NOW)
    assert deleted.deleted_at is not None and not deleted.enabled
    assert await WebhookEndpoint.filter(id=endpoint.id).exists()
    assert await webhook_endpoints.list_endpoints(live) == []
    with pytest.raises(DomainError) as again:
        await webhook_endpoints.delete_endpoint(live, endpoint.id, NOW)
    assert again.value.code == "NOT_FOUND"


async def test_rotate_keeps_both_secrets_signing_for_24_hours(db):
    live = await partner(sandbox=False)
    endpoint, old = await register(live)
    now = datetime.now(UTC)  # the verifier checks the timestamp against the wall clock
    rotated, new = await webhook_endpoints.rotate_secret(live, endpoint.id, now)
    assert new != old and new.startswith("whsec_") and rotated.secret == new
    assert rotated.previous_secret == old
    assert webhooks.signing_secrets(rotated, now + timedelta(hours=23)) == [new, old]
    assert webhooks.signing_secrets(rotated, now + timedelta(hours=24, seconds=1)) == [new]

    body = '{"type":"cover.activated"}'
    headers = webhooks.signed_headers("msg_1", body, now, webhooks.signing_secrets(rotated, now))
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(body, headers) == {"type": "cover.activated"}
    assert Webhook(new).verify(body, headers) == {"type": "cover.activated"}
    with pytest.raises(WebhookVerificationError):
        Webhook(webhook_endpoints.new_secret()).verify(body, headers)


async def test_emit_creates_deliveries_only_for_subscribed_enabled_endpoints(db):
    owner, other = await partner(sandbox=False), await partner(sandbox=False)
    exact, _ = await register(owner, events=["cover.activated"])
    wildcard, _ = await register(owner, events=["*"])
    await register(owner, events=["claim.opened"])  # not subscribed
    disabled, _ = await register(owner, events=["*"])
    await WebhookEndpoint.filter(id=disabled.id).update(enabled=False)
    deleted, _ = await register(owner, events=["*"])
    await webhook_endpoints.delete_endpoint(owner, deleted.id, NOW)
    await register(other, events=["*"])  # another partner's

    async with in_transaction():
        event = await webhooks.emit(
            owner.partner_id, "cover.activated", {"cover": {"id": "cov_1"}}, NOW
        )

    assert event.id.startswith("msg_")
    stored = await WebhookEvent.get(id=event.id)
    assert stored.payload == {
        "type": "cover.activated",
        "timestamp": NOW.isoformat(),
        "data": {"cover": {"id": "cov_1"}},
    }
    deliveries = await WebhookDelivery.filter(event_id=event.id).order_by("id")
    assert {d.endpoint_id for d in deliveries} == {exact.id, wildcard.id}
    assert all(d.status == "PENDING" and d.attempts == 0 for d in deliveries)
    jobs = await OutboxMessage.filter(actor="webhook.deliver").order_by("id")
    assert sorted(j.payload["delivery_id"] for j in jobs) == sorted(d.id for d in deliveries)


async def test_an_event_emitted_in_a_rolled_back_transaction_leaves_nothing(db):
    owner = await partner(sandbox=False)
    await register(owner)
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await webhooks.emit(owner.partner_id, "cover.declined", {}, NOW)
            raise RuntimeError("business failure")
    assert await WebhookEvent.all().count() == 0
    assert await WebhookDelivery.all().count() == 0
    assert await OutboxMessage.all().count() == 0


async def test_emit_refuses_an_event_type_outside_the_contract(db):
    owner = await partner(sandbox=False)
    with pytest.raises(ValueError):
        await webhooks.emit(owner.partner_id, "cover.feasibility_confirmed", {}, NOW)


async def test_deliveries_page_by_cursor_oldest_first(db):
    owner = await partner(sandbox=False)
    await register(owner)
    for _ in range(3):
        await webhooks.emit(owner.partner_id, "claim.opened", {}, NOW)
    first = await webhook_endpoints.list_deliveries(owner, 2, None, None)
    assert len(first.rows) == 2 and first.has_next
    rest = await webhook_endpoints.list_deliveries(owner, 2, first.rows[-1].id, None)
    assert len(rest.rows) == 1 and not rest.has_next
    ids = [d.id for d in first.rows + rest.rows]
    assert ids == sorted(ids) and len(set(ids)) == 3


# --- the resolvers' mapping (the GraphQL wiring is tested with the schema) ------------


async def test_register_resolver_answers_endpoint_and_secret_once(db):
    live = await partner(sandbox=False)
    payload = await webhook_resolvers.register_webhook_endpoint(
        info_for(live),
        RegisterWebhookEndpointInput(url=PUBLIC_URL, events=["cover.activated"]),
    )
    assert payload.user_errors == [] and payload.secret and payload.endpoint
    assert payload.endpoint.events == ["cover.activated"] and payload.endpoint.enabled
    assert [e.id for e in await webhook_resolvers.webhook_endpoints(info_for(live))] == [
        payload.endpoint.id
    ]


async def test_register_resolver_refusals_are_user_errors(db):
    live = await partner(sandbox=False)
    payload = await webhook_resolvers.register_webhook_endpoint(
        info_for(live), RegisterWebhookEndpointInput(url="http://127.0.0.1/x", events=["*"])
    )
    assert payload.endpoint is None and payload.secret is None
    assert [(e.code, e.field) for e in payload.user_errors] == [("INVALID_INPUT", ["input", "url"])]


async def test_dev_settings_do_not_allow_private_urls_for_live_keys(db, monkeypatch):
    """Live endpoints are https on public addresses in every environment, dev included."""
    from tradecover.settings import Settings

    monkeypatch.setattr(webhook_resolvers, "get_settings", lambda: Settings(env="dev"))
    live = await partner(sandbox=False)
    payload = await webhook_resolvers.register_webhook_endpoint(
        info_for(live, dev=True),
        RegisterWebhookEndpointInput(url="https://localhost:9000/x", events=["*"]),
    )
    assert payload.endpoint is None
    assert [e.code for e in payload.user_errors] == ["WEBHOOK_URL_NOT_ALLOWED"]


async def test_rotate_and_delete_resolvers_map_the_endpoint(db):
    live = await partner(sandbox=False)
    endpoint, secret = await register(live)
    rotated = await webhook_resolvers.rotate_webhook_secret(info_for(live), endpoint.id)
    assert rotated.secret and rotated.secret != secret and rotated.endpoint is not None
    deleted = await webhook_resolvers.delete_webhook_endpoint(info_for(live), endpoint.id)
    assert deleted.secret is None and deleted.endpoint is not None
    assert deleted.endpoint.enabled is False
    missing = await webhook_resolvers.rotate_webhook_secret(info_for(live), endpoint.id)
    assert [e.code for e in missing.user_errors] == ["NOT_FOUND"]


async def test_deliveries_resolver_maps_rows_and_page_info(db):
    owner = await partner(sandbox=False)
    await register(owner)
    for _ in range(3):
        await webhooks.emit(owner.partner_id, "claim.paid", {}, NOW)
    page = await webhook_resolvers.webhook_deliveries(info_for(owner), first=2)
    assert [e.node.event_type for e in page.edges] == ["claim.paid", "claim.paid"]
    assert page.edges[0].node.status.value == "PENDING" and page.edges[0].node.attempts == 0
    assert page.page_info.has_next_page and page.page_info.end_cursor == page.edges[-1].cursor
    rest = await webhook_resolvers.webhook_deliveries(
        info_for(owner), first=2, after=page.page_info.end_cursor
    )
    assert len(rest.edges) == 1 and not rest.page_info.has_next_page
