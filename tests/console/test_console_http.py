"""The staff console over HTTP, without a browser (issue 10): sign-in with staff keys only,
the session cookie, the CSRF check on every POST, and each action's success and refusal
paths (U-4 decideFeasibility, decideClaim, markIndemnityPaid, webhook replay), refusals
shown inline as code + message, never as an error page."""

from __future__ import annotations

import os
import re
import stat
from datetime import UTC, datetime
from typing import Any

from starlette.routing import Mount, Route

from domain.services import claims as claim_service
from domain.services import documents
from domain.services.principals import authenticate, forget_keys
from domain.store.models import ApiKey
from domain.store.webhook_models import WebhookDelivery, WebhookEndpoint
from tests.console.support import (
    BIND,
    CLAIM,
    CONFIRM_FINANCING,
    COVER,
    DECLARE,
    QUOTE,
    REGISTER,
    Console,
    fi_request,
    today,
)

PDF = b"%PDF-1.4\n% console test\n%%EOF\n"


async def _data(gql: Any, query: str, variables: dict[str, Any], key: str) -> dict[str, Any]:
    body = await gql.execute(query, variables, key=key)
    assert "errors" not in body, body
    return dict(body["data"])


async def fi_cover(gql: Any, jobs: Any, key: str, financed: str, invoice: str, reg: str) -> str:
    """A bound FI cover, feasibility job run, financing confirmed by the platform."""
    quote = await _data(
        gql, QUOTE, {"input": fi_request(reg, f"Buyer {reg}", financed, invoice)}, key
    )
    quote_id = quote["requestQuote"]["quote"]["id"]
    bound = await _data(
        gql, BIND, {"input": {"quoteId": quote_id, "signatureReference": "sig"}}, key
    )
    cover_id = str(bound["bindCover"]["cover"]["id"])
    await jobs.run_all()
    await _data(gql, CONFIRM_FINANCING, {"input": {"coverId": cover_id, "financed": True}}, key)
    return cover_id


async def fi_claim(gql: Any, jobs: Any, key: str, reg: str, *, documents_in: bool) -> str:
    """An FI claim (FI-N1: the notification opens it); with its FI-D1 documents in and the
    indemnity calculated (FI-C3) when `documents_in`."""
    cover_id = await fi_cover(gql, jobs, key, "9000.00", f"INV-{reg}", reg)
    declared = await _data(
        gql,
        DECLARE,
        {
            "input": {
                "coverId": cover_id,
                "kind": "NON_PAYMENT",
                "occurredOn": today().isoformat(),
                "unpaidAmount": {"amount": "9500.00", "currency": "EUR"},
            }
        },
        key,
    )
    claim_id = str(declared["declareIncident"]["cover"]["claim"]["id"])
    if documents_in:
        principal = await authenticate(key)
        now = datetime.now(UTC)
        await documents.submit_document(
            principal, cover_id, "INVOICE", "invoice.pdf", "application/pdf", PDF, now
        )
        await documents.submit_document(
            principal,
            cover_id,
            "ACCOUNT_STATEMENT",
            "statement.txt",
            "text/plain",
            b"Ledger of the buyer: 9,500.00 EUR unpaid.\n",
            now,
        )
        await claim_service.calculate_indemnity(claim_id, now)
    return claim_id


def outcome_codes(html: str) -> list[str]:
    return re.findall(r'<code class="code">([^<]+)</code>', html)


# --- sign-in and session -----------------------------------------------------------------


async def test_pages_send_a_visitor_without_a_session_to_the_sign_in_page(console: Console):
    page = await console.get("/referrals")
    assert page.status_code == 303
    assert page.headers["location"] == "/console/sign-in?next=/console/referrals"
    htmx = await console.get("/claims", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"].startswith("/console/sign-in")
    form = await console.get("/sign-in")
    assert form.status_code == 200 and 'name="api_key"' in form.text
    for root in ("/console", "/console/"):
        landed = await console.http.get(root, follow_redirects=True)
        assert landed.url.path == "/console/sign-in" and landed.status_code == 200


async def test_a_partner_key_is_refused_at_sign_in(console: Console, make_partner):
    key = await make_partner()
    refused = await console.sign_in(key)
    assert refused.status_code == 401
    assert "partner key" in refused.text
    assert (await console.get("/referrals")).status_code == 303


async def test_an_unknown_key_is_refused_at_sign_in(console: Console, sqlite_db):
    refused = await console.sign_in("tc_staff_not-a-real-key")
    assert refused.status_code == 401
    assert "Unknown or revoked API key." in refused.text


async def test_a_staff_key_signs_in_with_a_path_scoped_http_only_cookie_and_signs_out(
    console: Console, make_staff
):
    signed = await console.sign_in(await make_staff())
    assert signed.status_code == 303 and signed.headers["location"] == "/console/referrals"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("tc_console=")
    assert "path=/console" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    page = await console.get("/referrals")
    assert page.status_code == 200 and "Underwriter" in page.text
    out = await console.post("/sign-out", {}, htmx=False)
    assert out.status_code == 303 and out.headers["location"] == "/console/sign-in"
    assert (await console.get("/referrals")).status_code == 303


async def test_a_revoked_key_ends_its_console_session(console: Console, make_staff):
    await console.sign_in(await make_staff())
    assert (await console.get("/claims")).status_code == 200
    await ApiKey.filter(staff_id__isnull=False).update(revoked_at=datetime.now(UTC))
    forget_keys()
    assert (await console.get("/claims")).status_code == 303


async def test_the_session_secret_is_made_once_per_data_directory(tmp_path):
    from tradecover.console.sessions import SECRET_FILE, session_secret
    from tradecover.settings import Settings

    settings = Settings(env="test", data_dir=tmp_path / "var")
    first = session_secret(settings)
    assert session_secret(settings) == first and len(first) >= 32
    mode = os.stat(tmp_path / "var" / SECRET_FILE).st_mode
    assert stat.S_IMODE(mode) == 0o600


async def test_console_pages_forbid_framing_by_others_and_foreign_scripts(
    console: Console, make_staff
):
    await console.sign_in(await make_staff())
    page = await console.get("/referrals")
    assert page.headers["x-frame-options"] == "SAMEORIGIN"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert '<script src="/console/static/htmx.min.js"' in page.text
    script = await console.get("/static/htmx.min.js")
    assert script.status_code == 200 and "htmx" in script.text[:200]


# --- CSRF ----------------------------------------------------------------------------------


def _post_paths() -> list[str]:
    from tradecover.console.routes import console_routes

    paths = []
    for route in console_routes():
        if isinstance(route, Route) and route.methods and "POST" in route.methods:
            paths.append(route.path.replace("{cover_id}", "cov_x").replace("{claim_id}", "clm_x"))
        assert isinstance(route, Route | Mount)
    return paths


async def test_every_post_without_the_session_csrf_token_is_refused_403(
    console: Console, make_staff
):
    await console.sign_in(await make_staff())
    paths = _post_paths()
    assert len(paths) == 6
    for path in paths:
        missing = await console.post(path, {"decision": "approve", "reason": "x"}, token="")
        assert missing.status_code == 403, path
        assert missing.headers["HX-Refresh"] == "true"  # htmx reloads, then shows why
        wrong = await console.post(path, {"reason": "x"}, token="not-the-token")
        assert wrong.status_code == 403, path
    # The token in the form field works like the header; a foreign Origin does not.
    cross = await console.http.post(
        "/console/referrals/cov_x/decide",
        data={"csrf_token": console.csrf, "decision": "approve", "reason": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    same = await console.http.post(
        "/console/referrals/cov_x/decide",
        data={"csrf_token": console.csrf, "decision": "approve", "reason": "x"},
        headers={"Origin": "http://tradecover.test"},
    )
    assert same.status_code == 303  # accepted: refused by the service, flashed, redirected
    plain = await console.post(
        "/claims/clm_x/paid", {"paid_on": "2026-11-23"}, htmx=False, token=""
    )
    assert plain.status_code == 403 and "CSRF check" in plain.text


async def test_a_post_without_a_session_goes_to_the_sign_in_page(console: Console, sqlite_db):
    await console.get("/sign-in")  # a session with a token, but nobody signed in
    refused = await console.post("/claims/clm_x/paid", {"paid_on": "2026-11-23"}, htmx=False)
    assert refused.status_code == 303
    assert refused.headers["location"] == "/console/sign-in"


async def test_sign_in_needs_the_token_of_the_sign_in_page(console: Console, make_staff):
    key = await make_staff()
    await console.get("/sign-in")
    refused = await console.http.post("/console/sign-in", data={"api_key": key})
    assert refused.status_code == 403
    assert (await console.get("/referrals")).status_code == 303


# --- referrals (U-4) -------------------------------------------------------------------------


async def test_u4_referral_is_listed_then_approved_with_a_reason_and_activates(
    console: Console, gql, jobs, make_partner, make_staff
):
    key = await make_partner(name="Finplat")
    cover_id = await fi_cover(gql, jobs, key, "25000.00", "R-1", "B11111111")
    await console.sign_in(await make_staff())
    queue = await console.get("/referrals")
    assert f'data-cover="{cover_id}"' in queue.text
    assert "25,000.00 EUR" in queue.text  # insured amount and the buyer's exposure
    assert "150,000.00 EUR capacity" in queue.text
    assert re.search(r"\d d \d+ h left", queue.text)  # of the 48 h confirmation window

    no_reason = await console.post(f"/referrals/{cover_id}/decide", {"decision": "approve"})
    assert no_reason.status_code == 200 and outcome_codes(no_reason.text) == ["INVALID_INPUT"]

    approved = await console.post(
        f"/referrals/{cover_id}/decide", {"decision": "approve", "reason": "financials reviewed"}
    )
    assert approved.status_code == 200
    assert 'data-status="ACTIVE"' in approved.text and "now ACTIVE" in approved.text
    cover = (await _data(gql, COVER, {"id": cover_id}, key))["cover"]
    assert cover["status"] == "ACTIVE"

    again = await console.post(
        f"/referrals/{cover_id}/decide", {"decision": "decline", "reason": "second thoughts"}
    )
    assert again.status_code == 200 and outcome_codes(again.text) == ["INVALID_STATE"]
    assert f'data-cover="{cover_id}"' not in (await console.get("/referrals")).text


async def test_u4_decline_records_the_reason_and_unknown_covers_answer_not_found(
    console: Console, gql, jobs, make_partner, make_staff
):
    key = await make_partner()
    cover_id = await fi_cover(gql, jobs, key, "22000.00", "R-2", "B22222222")
    await console.sign_in(await make_staff())
    declined = await console.post(
        f"/referrals/{cover_id}/decide", {"decision": "decline", "reason": "buyer in arrears"}
    )
    assert 'data-status="DECLINED"' in declined.text
    cover = (await _data(gql, COVER, {"id": cover_id}, key))["cover"]
    assert cover["status"] == "DECLINED"
    assert cover["declineReason"] == "U-4: declined by the insurer. buyer in arrears"

    missing = await console.post(
        "/referrals/cov_missing/decide", {"decision": "approve", "reason": "x"}
    )
    assert missing.status_code == 200 and outcome_codes(missing.text) == ["NOT_FOUND"]
    # Without htmx: the refusal is flashed on the queue page.
    plain = await console.post(
        "/referrals/cov_missing/decide", {"decision": "approve", "reason": "x"}, htmx=False
    )
    assert plain.status_code == 303
    assert "No cover with id cov_missing." in (await console.get("/referrals")).text


# --- claims desk ---------------------------------------------------------------------------


async def test_claim_checklist_documents_deadlines_and_indemnity_lines_are_shown(
    console: Console, gql, jobs, make_partner, make_staff
):
    key = await make_partner()
    claim_id = await fi_claim(gql, jobs, key, "B33333333", documents_in=True)
    await console.sign_in(await make_staff())
    desk = await console.get("/claims")
    assert f'data-claim="{claim_id}"' in desk.text  # UNDER_REVIEW is the first tab with work
    page = await console.get(f"/claims/{claim_id}")
    assert page.status_code == 200
    assert 'data-kind="INVOICE"' in page.text and 'data-kind="ACCOUNT_STATEMENT"' in page.text
    # FI-C3 with C-3: 9,500.00 unpaid, 8,550.00 net of its VAT share (9,000.00 net of
    # 10,000.00), 90% x min(8,550.00, 9,000.00) = 7,695.00
    assert "7,695.00 EUR" in page.text
    assert "FI-C3" in page.text and "INDEMNITY PAYMENT".lower() in page.text.lower()
    doc_id = re.search(r'/console/documents/(doc_[^/"]+)/viewer', page.text).group(1)
    viewer = await console.get(f"/documents/{doc_id}/viewer", headers={"HX-Request": "true"})
    assert f'<iframe src="/console/documents/{doc_id}"' in viewer.text
    text_id = re.findall(r'/console/documents/(doc_[^/"]+)/viewer', page.text)[1]
    file = await console.get(f"/documents/{text_id}")
    assert file.headers["content-type"].startswith("text/plain")
    assert file.headers["content-disposition"].startswith("inline;")
    assert file.headers["content-security-policy"].startswith("sandbox")
    assert "9,500.00 EUR unpaid" in file.text


async def test_claim_suspend_approve_and_mark_paid_with_their_refusals(
    console: Console, gql, jobs, make_partner, make_staff
):
    key = await make_partner()
    claim_id = await fi_claim(gql, jobs, key, "B44444444", documents_in=True)
    await console.sign_in(await make_staff())
    path = f"/claims/{claim_id}"

    early = await console.post(f"{path}/paid", {"paid_on": today().isoformat()})
    assert outcome_codes(early.text) == ["INVALID_STATE"]  # not APPROVED yet
    no_reason = await console.post(f"{path}/decide", {"decision": "SUSPEND"})
    assert outcome_codes(no_reason.text) == ["INVALID_INPUT"]
    suspended = await console.post(f"{path}/decide", {"decision": "SUSPEND", "reason": "check"})
    assert 'data-status="SUSPENDED"' in suspended.text
    approved = await console.post(f"{path}/decide", {"decision": "APPROVE", "reason": ""})
    assert 'data-status="APPROVED"' in approved.text
    assert "Payable by" in approved.text  # FI-C2

    bad_date = await console.post(f"{path}/paid", {"paid_on": "2027-02-30"})
    assert outcome_codes(bad_date.text) == ["INVALID_INPUT"]
    paid = await console.post(f"{path}/paid", {"paid_on": today().isoformat()})
    assert 'data-status="PAID"' in paid.text
    claim = (await _data(gql, CLAIM, {"id": claim_id}, key))["claim"]
    assert claim["status"] == "PAID" and claim["cover"]["status"] == "INDEMNIFIED"
    twice = await console.post(f"{path}/paid", {"paid_on": today().isoformat()})
    assert outcome_codes(twice.text) == ["INVALID_STATE"] and twice.status_code == 200


async def test_claim_with_documents_missing_refuses_approval_and_is_rejected_with_a_rule(
    console: Console, gql, jobs, make_partner, make_staff
):
    key = await make_partner()
    claim_id = await fi_claim(gql, jobs, key, "B55555555", documents_in=False)
    await console.sign_in(await make_staff())
    path = f"/claims/{claim_id}"
    page = await console.get(path)
    assert page.text.count('<span class="missing">missing</span>') == 2
    refused = await console.post(f"{path}/decide", {"decision": "APPROVE"})
    assert outcome_codes(refused.text) == ["INVALID_STATE"]
    assert "is DOCUMENTS_PENDING" in refused.text
    bad_rule = await console.post(
        f"{path}/decide", {"decision": "REJECT", "rule": "nope", "reason": "x"}
    )
    assert outcome_codes(bad_rule.text) == ["INVALID_INPUT"]
    rejected = await console.post(
        f"{path}/decide", {"decision": "REJECT", "rule": "FI-D1", "reason": "statement forged"}
    )
    assert 'data-status="REJECTED"' in rejected.text
    claim = (await _data(gql, CLAIM, {"id": claim_id}, key))["claim"]
    assert claim["rejection"] == {"rule": "FI-D1", "message": "FI-D1: statement forged"}
    missing = await console.post("/claims/clm_missing/decide", {"decision": "APPROVE"})
    assert outcome_codes(missing.text) == ["NOT_FOUND"]
    assert (await console.get("/claims/clm_missing")).status_code == 404


# --- webhooks ------------------------------------------------------------------------------


async def _failed_delivery(gql: Any, jobs: Any, key: str) -> tuple[str, str]:
    """An endpoint and one delivery of it that ran out of attempts (set as the worker
    leaves it after its 8th failed attempt, LIFECYCLE 6)."""
    registered = await _data(
        gql, REGISTER, {"input": {"url": "http://127.0.0.1:9/hooks", "events": ["*"]}}, key
    )
    endpoint_id = registered["registerWebhookEndpoint"]["endpoint"]["id"]
    await fi_cover(gql, jobs, key, "5000.00", "W-1", "B66666666")
    delivery = await WebhookDelivery.filter(endpoint_id=endpoint_id).order_by("id").first()
    await WebhookDelivery.filter(id=delivery.id).update(
        status="FAILED", attempts=8, last_response_code=500, last_error="HTTP 500"
    )
    return endpoint_id, delivery.id


async def test_webhook_replay_requeues_a_failed_delivery_once(
    console: Console, gql, jobs, make_partner, make_staff
):
    key = await make_partner(name="Hookplat")
    endpoint_id, delivery_id = await _failed_delivery(gql, jobs, key)
    await console.sign_in(await make_staff())
    page = await console.get("/webhooks")
    assert f'data-endpoint="{endpoint_id}"' in page.text and "Hookplat" in page.text
    assert f'data-delivery="{delivery_id}"' in page.text and "HTTP 500" in page.text

    replayed = await console.post("/webhooks/replay", {"delivery_id": delivery_id})
    assert "Requeued 1 delivery" in replayed.text
    row = await WebhookDelivery.get(id=delivery_id)
    assert row.status == "PENDING" and row.attempts == 0
    assert ("webhook.deliver", {"delivery_id": delivery_id}) in jobs.sent  # sent at once
    again = await console.post("/webhooks/replay", {"delivery_id": delivery_id})
    assert outcome_codes(again.text) == ["NOT_REPLAYED"] and "no longer FAILED" in again.text
    unknown = await console.post("/webhooks/replay", {"delivery_id": "whd_missing"})
    assert outcome_codes(unknown.text) == ["NOT_FOUND"]
    nothing = await console.post("/webhooks/replay", {"endpoint_id": endpoint_id})
    assert outcome_codes(nothing.text) == ["NOTHING_TO_REPLAY"]


async def test_a_disabled_endpoint_is_replayed_only_when_re_enabled(
    console: Console, gql, jobs, make_partner, make_staff
):
    key = await make_partner()
    endpoint_id, delivery_id = await _failed_delivery(gql, jobs, key)
    await WebhookEndpoint.filter(id=endpoint_id).update(
        enabled=False, disabled_reason="endpoint answered 410 Gone"
    )
    await console.sign_in(await make_staff())
    kept = await console.post("/webhooks/replay", {"endpoint_id": endpoint_id})
    assert outcome_codes(kept.text) == ["NOT_REPLAYED"] and "endpoint disabled" in kept.text
    replayed = await console.post(
        "/webhooks/replay", {"endpoint_id": endpoint_id, "reenable": "on"}
    )
    assert "Requeued 1 delivery" in replayed.text and f"Re-enabled {endpoint_id}" in replayed.text
    assert (await WebhookEndpoint.get(id=endpoint_id)).enabled


# --- the other pages -----------------------------------------------------------------------


async def test_buyer_deadline_cover_and_chart_pages_render(
    console: Console, gql, jobs, make_partner, make_staff
):
    key = await make_partner(name="Finplat")
    referred = await fi_cover(gql, jobs, key, "25000.00", "P-1", "B77777777")
    pending_quote = await _data(
        gql, QUOTE, {"input": fi_request("B77777777", "Buyer B77777777", "4000.00", "P-2")}, key
    )
    await _data(
        gql,
        BIND,
        {
            "input": {
                "quoteId": pending_quote["requestQuote"]["quote"]["id"],
                "signatureReference": "s",
            }
        },
        key,
    )
    await console.sign_in(await make_staff())

    buyers = await console.get("/buyers", params={"q": "B7777"})
    assert "ES:B77777777" in buyers.text and "29,000.00 EUR" in buyers.text
    buyer = await console.get("/buyers/ES:B77777777")
    assert buyer.status_code == 200
    assert "Finplat" in buyer.text and "29,000.00 EUR" in buyer.text
    assert "No limit" in buyer.text and "No incident" in buyer.text
    assert (await console.get("/buyers/ES:NOBODY")).status_code == 404

    board = await console.get("/deadlines")
    assert board.status_code == 200
    assert f"{referred} · Buyer B77777777 (feasibility referred)" in board.text
    assert "U-4" in board.text and "FI-A1" in board.text  # both confirmation windows

    cover = await console.get(f"/covers/{referred}")
    assert cover.status_code == 200 and "cover.pending_confirmation" in cover.text

    charts = await console.get("/charts")
    assert charts.text.count("<svg") == 3
    assert 'data-category="' in charts.text and 'class="bar"' in charts.text
    assert (await console.get("/no-such-page")).status_code == 404
