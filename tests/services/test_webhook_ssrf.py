"""SSRF guard of webhook endpoints, the cases tests/services/test_webhook_endpoints.py and
tests/workers/test_webhook_delivery.py leave out: IPv6 unique-local, site-local and
IPv4 embedded in IPv6 (mapped, 6to4, NAT64), the unspecified address, the numeric host
forms resolvers accept for 127.0.0.1 (`2130706433`, `0177.0.0.1`, `0x7f.0.0.1`, `127.1`),
redirects (never followed, even by a client that follows them by default), and DNS
rebinding: the request goes to the address that was checked, not to a second lookup.

Live partners, in every environment (dev and test included: `private_hosts_allowed`);
sandbox keys may use private hosts outside production by design.
No test here needs the internet: public hosts are literal addresses behind a
MockTransport, and name resolution is replaced where a name is needed.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from tortoise.transactions import in_transaction

from domain.services import webhook_endpoints, webhooks
from domain.services.errors import DomainError
from domain.services.principals import Principal, create_partner
from domain.store.ids import new_id
from domain.store.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from workers import webhook_actors

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PUBLIC = "93.184.215.14"

#: Hosts that are, or resolve to, a loopback, private, link-local, unspecified or
#: otherwise non-public address.
NON_PUBLIC_HOSTS = [
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::]",
    "[fd00::1]",  # IPv6 unique local (fc00::/7)
    "[fc00::1]",
    "[fd12:3456:789a::1]",
    "[fe80::1]",  # IPv6 link-local
    "[fec0::1]",  # IPv6 site-local (deprecated, never global)
    "[ff02::1]",  # multicast
    "[::ffff:7f00:1]",  # IPv4-mapped 127.0.0.1, hex form
    "[::ffff:169.254.169.254]",
    "[::127.0.0.1]",  # IPv4-compatible (deprecated)
    "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
    "[2002:a9fe:a9fe::1]",  # 6to4 of 169.254.169.254
    "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
    "[2001:db8::1]",  # documentation
    "0.0.0.0",
    "0",
    "2130706433",  # 127.0.0.1, decimal
    "017700000001",  # 127.0.0.1, octal
    "0x7f000001",  # 127.0.0.1, hex
    "0177.0.0.1",
    "0x7f.0.0.1",
    "127.1",
    "127.0.0.1",
    "127.255.255.254",
    "2852039166",  # 169.254.169.254, decimal
    "0xa9fea9fe",
    "10.1",  # 10.0.0.1
    "192.168.0.1",
    "172.16.0.1",
    "100.64.0.1",  # carrier-grade NAT
    "198.18.0.1",  # benchmarking
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "localhost",
]


async def partner(*, sandbox: bool = False) -> Principal:
    row, _ = await create_partner(
        name="Platform", kind="financing_platform", sandbox=sandbox, premium_rate=None, now=NOW
    )
    return Principal(partner_id=row.id, sandbox=sandbox)


async def endpoint_row(principal: Principal, url: str) -> WebhookEndpoint:
    """An endpoint stored as is, as if its host resolved publicly when it was registered."""
    return await WebhookEndpoint.create(
        id=new_id("whe"),
        partner_id=principal.partner_id,
        url=url,
        events=["*"],
        secret=webhook_endpoints.new_secret(),
        created_at=NOW,
    )


async def one_delivery(principal: Principal, endpoint: WebhookEndpoint) -> WebhookDelivery:
    async with in_transaction():
        await webhooks.emit(str(principal.partner_id), "claim.paid", {}, NOW)
    return await WebhookDelivery.get(endpoint_id=endpoint.id)


class Recorder:
    """A MockTransport receiver: records each request, answers `answer(request)`."""

    def __init__(self, answer: Any = None) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer or (lambda request: httpx.Response(204))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response: httpx.Response = self.answer(request)
        return response


# --- the address check --------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "::1",
        "::",
        "fd00::1",
        "fc00::1",
        "fe80::1",
        "fe80::1%eth0",
        "fec0::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::127.0.0.1",
        "2002:7f00:1::",
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
        "64:ff9b::7f00:1",
        "0.0.0.0",
        "127.0.0.1",
        "10.0.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "224.0.0.1",
    ],
)
def test_non_public_addresses_are_not_public(address):
    assert not webhook_endpoints.is_public_address(address)


@pytest.mark.parametrize(
    "address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"]
)
def test_public_addresses_stay_public(address):
    assert webhook_endpoints.is_public_address(address)


# --- at registration ----------------------------------------------------------------------


@pytest.mark.parametrize("host", NON_PUBLIC_HOSTS)
async def test_live_keys_cannot_register_a_non_public_host_in_any_spelling(db, host):
    live = await partner()
    with pytest.raises(DomainError) as refusal:
        await webhook_endpoints.register_endpoint(
            live, f"https://{host}/hooks", ["*"], NOW, allow_private=False
        )
    assert refusal.value.code == "WEBHOOK_URL_NOT_ALLOWED"
    assert refusal.value.field == ("input", "url")
    assert await WebhookEndpoint.all().count() == 0


async def test_a_name_with_one_private_address_among_public_ones_is_refused(db, monkeypatch):
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "mixed.example":
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port)),
                (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fd00::1", port, 0, 0)),
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(DomainError) as refusal:
        await webhook_endpoints.register_endpoint(
            await partner(), "https://mixed.example/hooks", ["*"], NOW, allow_private=False
        )
    assert refusal.value.code == "WEBHOOK_URL_NOT_ALLOWED"


# --- at send time ---------------------------------------------------------------------------


@pytest.mark.parametrize("host", NON_PUBLIC_HOSTS)
async def test_a_stored_non_public_endpoint_of_a_live_partner_is_never_called(db, host):
    live = await partner()
    endpoint = await endpoint_row(live, f"https://{host}/hooks")
    delivery = await one_delivery(live, endpoint)
    recorder = Recorder()
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as http:
        assert await webhooks.deliver(delivery.id, NOW, http) == "PENDING"
    assert recorder.requests == []
    row = await WebhookDelivery.get(id=delivery.id)
    assert row.attempts == 1 and row.last_response_code is None
    assert "non-public address" in (row.last_error or "") or "resolve" in (row.last_error or "")


# --- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
async def test_a_redirect_to_a_private_host_is_not_followed(db, code):
    """Even with a client whose default is to follow redirects: the attempt is a
    failure (Standard Webhooks: 3xx is a failure), retried later to the same URL."""
    live = await partner()
    endpoint = await endpoint_row(live, f"https://{PUBLIC}/hooks")
    delivery = await one_delivery(live, endpoint)
    metadata = "http://169.254.169.254/latest/meta-data/"
    recorder = Recorder(lambda request: httpx.Response(code, headers={"location": metadata}))
    transport = httpx.MockTransport(recorder)
    async with httpx.AsyncClient(transport=transport, follow_redirects=True) as http:
        assert await webhooks.deliver(delivery.id, NOW, http) == "PENDING"
    assert len(recorder.requests) == 1
    assert recorder.requests[0].url.host == PUBLIC
    row = await WebhookDelivery.get(id=delivery.id)
    assert (row.last_response_code, row.last_error) == (code, f"HTTP {code}")
    [attempt] = await WebhookAttempt.filter(delivery_id=delivery.id)
    assert attempt.response_code == code


def test_the_workers_client_does_not_follow_redirects(monkeypatch):
    monkeypatch.setattr(webhook_actors, "_http", None)
    client = webhook_actors.http_client()
    try:
        assert client.follow_redirects is False
    finally:
        monkeypatch.setattr(webhook_actors, "_http", None)


class _Receiver:
    """A real HTTP server on a loopback address; `redirect_to` makes it answer 307."""

    def __init__(self, host: str, port: int = 0, redirect_to: str | None = None) -> None:
        self.hits: list[str] = []
        received = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("content-length", 0)))
                received.append(self.headers.get("host", ""))
                if redirect_to:
                    self.send_response(307)
                    self.send_header("location", redirect_to)
                else:
                    self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def internal() -> Iterator[_Receiver]:
    """An internal service on 127.0.0.1 that must never receive a webhook."""
    receiver = _Receiver("127.0.0.1")
    yield receiver
    receiver.close()


async def test_a_real_redirect_to_an_internal_service_is_not_followed(db, internal):
    """Over real sockets: the partner's server (a sandbox endpoint, allowed to be
    local) answers 307 to the internal service, which receives nothing."""
    sandbox = await partner(sandbox=True)
    outside = _Receiver("127.0.0.1", redirect_to=f"http://127.0.0.1:{internal.port}/admin")
    try:
        endpoint = await endpoint_row(sandbox, f"http://127.0.0.1:{outside.port}/hooks")
        delivery = await one_delivery(sandbox, endpoint)
        async with httpx.AsyncClient(trust_env=False, follow_redirects=True) as http:
            assert await webhooks.deliver(delivery.id, NOW, http) == "PENDING"
    finally:
        outside.close()
    assert len(outside.hits) == 1
    assert internal.hits == []
    assert (await WebhookDelivery.get(id=delivery.id)).last_response_code == 307


# --- DNS rebinding --------------------------------------------------------------------------


@pytest.fixture
def vetted(internal: _Receiver) -> Iterator[_Receiver]:
    """The partner's server on 127.0.0.2 (all of 127/8 is loopback on Linux), on the
    internal service's port: the two differ only by the address a lookup answers."""
    try:
        receiver = _Receiver("127.0.0.2", internal.port)
    except OSError:
        pytest.skip("cannot listen on 127.0.0.2 with the same port")
    yield receiver
    receiver.close()


async def test_the_request_goes_to_the_address_that_was_checked(db, internal, vetted, monkeypatch):
    """A rebinding name: its first lookup answers an allowed address (127.0.0.2, taken as
    public here), every later one the internal 127.0.0.1. A sender that checks one lookup
    and connects after another reaches the internal service; ours pins the checked
    address, keeping the name in the Host header (and TLS server name)."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in ("rebind.example", b"rebind.example"):  # anyio passes bytes
            address = "127.0.0.2" if not lookups else "127.0.0.1"
            lookups.append(address)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(
        webhook_endpoints, "is_public_address", lambda address: address == "127.0.0.2"
    )
    live = await partner()
    endpoint = await endpoint_row(live, f"http://rebind.example:{internal.port}/hooks")
    delivery = await one_delivery(live, endpoint)

    async with httpx.AsyncClient(trust_env=False) as http:
        assert await webhooks.deliver(delivery.id, NOW, http) == "SUCCEEDED"

    assert internal.hits == []
    assert vetted.hits == [f"rebind.example:{internal.port}"]
    assert lookups == ["127.0.0.2"]  # one lookup: the one that was checked


async def test_a_pinned_https_request_keeps_the_name_for_tls_and_host(db, monkeypatch):
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.partner.example":
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2606:4700::1", port, 0, 0))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    live = await partner()
    endpoint = await endpoint_row(live, "https://hooks.partner.example:8443/in?x=1")
    delivery = await one_delivery(live, endpoint)
    recorder = Recorder()
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as http:
        assert await webhooks.deliver(delivery.id, NOW, http) == "SUCCEEDED"
    [request] = recorder.requests
    assert str(request.url) == "https://[2606:4700::1]:8443/in?x=1"
    assert request.headers["host"] == "hooks.partner.example:8443"
    assert request.extensions["sni_hostname"] == "hooks.partner.example"
    # a pinned connection is not pooled: it is bound to one name's TLS session
    assert request.headers["connection"] == "close"


# --- sandbox keys in production -----------------------------------------------------------


async def test_in_production_a_sandbox_endpoint_on_an_internal_host_is_never_called(db, internal):
    """Sandbox keys may use private hosts while integrating (dev, test), but not in
    production, where they would reach the insurer's own network."""
    sandbox = await partner(sandbox=True)
    endpoint = await endpoint_row(sandbox, f"http://127.0.0.1:{internal.port}/admin")
    delivery = await one_delivery(sandbox, endpoint)
    async with httpx.AsyncClient(trust_env=False) as http:
        status = await webhooks.deliver(delivery.id, NOW, http, sandbox_private=False)
    assert status == "PENDING"  # a failed attempt, retried later, never a POST
    assert internal.hits == []
    row = await WebhookDelivery.get(id=delivery.id)
    assert row.attempts == 1 and row.last_response_code is None


@pytest.mark.parametrize(("env", "allowed"), [("dev", True), ("test", True), ("production", False)])
def test_sandbox_keys_register_private_urls_only_outside_production(env, allowed, monkeypatch):
    from resolvers import webhooks as webhook_resolvers
    from tradecover.settings import Settings

    monkeypatch.setattr(webhook_resolvers, "get_settings", lambda: Settings(env=env))
    info = SimpleNamespace(
        context=SimpleNamespace(dev=env == "dev", principal=Principal(sandbox=True))
    )
    assert webhook_resolvers._allow_private(info) is allowed  # type: ignore[arg-type]


# --- live keys in every environment -----------------------------------------------------------

#: What a live key registered in dev before the guard held in every environment.
REPORTED_HOSTS = ["127.0.0.1", "[::1]", "10.0.0.1", "169.254.169.254"]


@pytest.mark.parametrize(("env", "dev"), [("dev", True), ("test", False)])
def test_live_keys_get_no_private_hosts_in_dev_or_test(env, dev, monkeypatch):
    """The README's promise (live endpoints are https on public addresses) holds outside
    production too: dev settings no longer open private hosts to live keys."""
    from resolvers import webhooks as webhook_resolvers
    from tradecover.settings import Settings

    monkeypatch.setattr(webhook_resolvers, "get_settings", lambda: Settings(env=env))
    info = SimpleNamespace(context=SimpleNamespace(dev=dev, principal=Principal(sandbox=False)))
    assert webhook_resolvers._allow_private(info) is False  # type: ignore[arg-type]


def _info(principal: Principal, env: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from resolvers import webhooks as webhook_resolvers
    from resolvers.context import RequestContext
    from tradecover.settings import Settings

    monkeypatch.setattr(webhook_resolvers, "get_settings", lambda: Settings(env=env))
    return SimpleNamespace(context=RequestContext(principal=principal, now=NOW, dev=env == "dev"))


@pytest.mark.parametrize("env", ["dev", "test"])
@pytest.mark.parametrize("host", NON_PUBLIC_HOSTS)
async def test_live_keys_cannot_register_a_non_public_host_in_dev_or_test(
    db, env, host, monkeypatch
):
    from resolvers import webhooks as webhook_resolvers
    from schema.inputs import RegisterWebhookEndpointInput

    live = await partner()
    payload = await webhook_resolvers.register_webhook_endpoint(
        _info(live, env, monkeypatch),
        RegisterWebhookEndpointInput(url=f"https://{host}/hooks", events=["*"]),
    )
    assert payload.endpoint is None and payload.secret is None
    assert [(e.code, e.field) for e in payload.user_errors] == [
        ("WEBHOOK_URL_NOT_ALLOWED", ["input", "url"])
    ]
    assert await WebhookEndpoint.all().count() == 0


@pytest.mark.parametrize("env", ["dev", "test"])
async def test_live_keys_need_https_in_dev_and_test(db, env, monkeypatch):
    from resolvers import webhooks as webhook_resolvers
    from schema.inputs import RegisterWebhookEndpointInput

    payload = await webhook_resolvers.register_webhook_endpoint(
        _info(await partner(), env, monkeypatch),
        RegisterWebhookEndpointInput(url=f"http://{PUBLIC}/hooks", events=["*"]),
    )
    assert [(e.code, e.field) for e in payload.user_errors] == [("INVALID_INPUT", ["input", "url"])]


@pytest.mark.parametrize("host", REPORTED_HOSTS)
async def test_sandbox_keys_may_register_private_hosts_in_dev(db, host, monkeypatch):
    from resolvers import webhooks as webhook_resolvers
    from schema.inputs import RegisterWebhookEndpointInput

    payload = await webhook_resolvers.register_webhook_endpoint(
        _info(await partner(sandbox=True), "dev", monkeypatch),
        RegisterWebhookEndpointInput(url=f"http://{host}:9/hooks", events=["*"]),
    )
    assert payload.user_errors == [] and payload.endpoint is not None


@pytest.fixture
def dev_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`webhook.deliver`'s body as a dev worker runs it."""
    from tradecover.settings import Settings

    monkeypatch.setattr(webhook_actors, "get_settings", lambda: Settings(env="dev"))
    monkeypatch.setattr(webhook_actors, "_http", None)
    yield


async def test_a_dev_worker_never_sends_a_live_partners_delivery_to_a_private_host(
    db, internal, dev_worker
):
    """A live endpoint stored on 127.0.0.1 (e.g. registered before the guard held in dev)
    is checked again at send time: the dev worker makes no request."""
    live = await partner()
    endpoint = await endpoint_row(live, f"https://127.0.0.1:{internal.port}/hooks")
    delivery = await one_delivery(live, endpoint)
    try:
        await webhook_actors.deliver_now(delivery.id)
    finally:
        await webhook_actors.http_client().aclose()
    assert internal.hits == []
    row = await WebhookDelivery.get(id=delivery.id)
    assert (row.status, row.attempts, row.last_response_code) == ("PENDING", 1, None)
    assert "non-public address" in (row.last_error or "")


async def test_a_dev_worker_delivers_a_sandbox_partners_webhook_to_its_local_receiver(
    db, internal, dev_worker
):
    sandbox = await partner(sandbox=True)
    endpoint = await endpoint_row(sandbox, f"http://127.0.0.1:{internal.port}/hooks")
    delivery = await one_delivery(sandbox, endpoint)
    try:
        await webhook_actors.deliver_now(delivery.id)
    finally:
        await webhook_actors.http_client().aclose()
    assert internal.hits == [f"127.0.0.1:{internal.port}"]
    assert (await WebhookDelivery.get(id=delivery.id)).status == "SUCCEEDED"
