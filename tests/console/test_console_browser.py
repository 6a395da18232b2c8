"""The staff console in a real browser (issue 10): Debian's chromium driven by Playwright
against the real stack (browser_stack.py: API, worker and scheduler processes), on data
partners made over GraphQL (browser_seed.py).

Proven in the browser: partner keys are refused at sign-in and staff keys accepted; a
U-4 referral is approved with a reason and the cover is ACTIVE (GraphQL agrees), another
declined; the claims desk shows the FI-D1 checklist, opens a document inline, shows the
FI-C3 indemnity lines, approves and marks paid (GraphQL: PAID, cover INDEMNIFIED), and
shows an approval refused inline (INVALID_STATE) before a rejection under FI-D1; the buyer
view sums exposure across partners and products (U-1); the deadline board lists the FI-A1
window due this week and the TR-T1 deadline the sweep missed, with links; webhook health
replays a FAILED delivery (re-enabling its endpoint) and the scheduler delivers it with
the same webhook-id; the charts are SVG bars and lines; a POST without the CSRF token is
refused with 403. A screenshot of each page is saved under tests/artifacts/.

Chromium: /usr/bin/chromium, installed by tests/console/install_browser.sh when missing;
the tests are skipped, saying why, only when it cannot be installed.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.browser_seed import Seeded, seed
from tests.console.browser_stack import Receiver, Stack, start_stack, stop_stack
from tests.console.support import CLAIM, COVER

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
INSTALLER = Path(__file__).with_name("install_browser.sh")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
INSTALL_TIMEOUT = 900
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium() -> Path:
    """The project's setup step installs Debian's chromium when it is missing."""
    if not CHROMIUM.exists():
        try:
            done = subprocess.run(
                ["sh", str(INSTALLER)], capture_output=True, text=True, timeout=INSTALL_TIMEOUT
            )
            output = (done.stdout + done.stderr).strip().splitlines()[-5:]
        except (OSError, subprocess.TimeoutExpired) as error:
            output = [str(error)]
        if not CHROMIUM.exists():
            pytest.skip(
                "browser tests need Debian's chromium at /usr/bin/chromium and "
                f"{INSTALLER.name} could not install it: " + " | ".join(output)
            )
    return CHROMIUM


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def stack(
    chromium: Path, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    stack = start_stack(tmp_path_factory.mktemp("console"), redis_url)
    try:
        yield stack
    finally:
        stop_stack(stack)


@pytest.fixture(scope="module")
def seeded(stack: Stack, receiver: Receiver) -> Seeded:
    staff_key = stack.cli("staff", "create", "--name", "Ana Underwriter")
    return seed(stack, receiver, staff_key)


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(browser: Any, stack: Stack, seeded: Seeded) -> Iterator[Any]:
    """One signed-in staff session for the module's tests, in order."""
    context = browser.new_context(base_url=stack.base, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/console/referrals")
    page.fill("input[name=api_key]", seeded.staff_key)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/referrals")
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_partner_key_is_refused_at_sign_in(browser: Any, stack: Stack, seeded: Seeded):
    context = browser.new_context(base_url=stack.base)
    page = context.new_page()
    page.goto("/console/claims")
    assert "/console/sign-in" in page.url
    page.fill("input[name=api_key]", seeded.finplat)
    page.click("button[type=submit]")
    assert "partner key" in page.locator("[role=alert]").inner_text()
    shot(page, "sign_in_refused")
    page.goto("/console/referrals")
    assert "/console/sign-in" in page.url  # still not signed in
    context.close()


def test_u4_referral_is_approved_with_a_reason_and_the_cover_is_active(
    page: Any, stack: Stack, seeded: Seeded
):
    page.goto("/console/referrals")
    card = page.locator(f"#referral-{seeded.referral_approve}")
    assert "25,000.00 EUR" in card.inner_text()
    assert re.search(r"\d d \d+ h left", card.locator(".time-left").inner_text())
    assert "51,500.00 EUR" in card.locator(".exposure").inner_text()  # 5,000 + 25,000 + 21,500
    shot(page, "referrals")

    card.locator("input[name=reason]").fill("Buyer financials reviewed, exposure acceptable")
    card.locator("button.approve").click()
    page.locator(f"#referral-{seeded.referral_approve} [data-status=ACTIVE]").wait_for()
    assert "now ACTIVE" in page.locator(f"#referral-{seeded.referral_approve}").inner_text()
    cover = stack.graphql(COVER, {"id": seeded.referral_approve}, seeded.finplat)["cover"]
    assert cover["status"] == "ACTIVE"

    other = page.locator(f"#referral-{seeded.referral_decline}")
    other.locator("input[name=reason]").fill("Concentration on this buyer too high")
    other.locator("button.decline").click()
    page.locator(f"#referral-{seeded.referral_decline} [data-status=DECLINED]").wait_for()
    shot(page, "referrals_decided")
    declined = stack.graphql(COVER, {"id": seeded.referral_decline}, seeded.finplat)["cover"]
    assert declined["declineReason"].startswith("U-4: declined by the insurer.")


def test_claims_desk_opens_a_document_then_approves_and_marks_the_indemnity_paid(
    page: Any, stack: Stack, seeded: Seeded
):
    page.goto("/console/claims?status=UNDER_REVIEW")
    shot(page, "claims")
    page.click(f"a[href='/console/claims/{seeded.claim_review}']")
    claim = page.locator("#claim")
    assert claim.locator("tr[data-kind=INVOICE] a.open-document").count() == 1
    # FI-C3 with C-3: 90% x 9,500.00 unpaid net of its VAT share (8,550.00)
    assert "7,695.00 EUR" in claim.locator(".indemnity-total").inner_text()
    assert "INDEMNITY PAYMENT" in claim.inner_text().upper()  # FI-C2 deadline listed
    claim.locator("tr[data-kind=ACCOUNT_STATEMENT] a.open-document").click()
    frame = page.frame_locator("#viewer iframe")
    assert "9,500.00 EUR unpaid" in frame.locator("body").inner_text()
    shot(page, "claim")

    claim.locator("form.approve-form button").click()
    page.locator("#claim [data-status=APPROVED]").wait_for()
    page.locator("#claim form.paid-form button").click()
    page.locator("#claim [data-status=PAID]").wait_for()
    shot(page, "claim_paid")
    paid = stack.graphql(CLAIM, {"id": seeded.claim_review}, seeded.finplat)["claim"]
    assert paid["status"] == "PAID" and paid["cover"]["status"] == "INDEMNIFIED"


def test_claims_desk_shows_a_refusal_inline_then_rejects_under_fi_d1(
    page: Any, stack: Stack, seeded: Seeded
):
    page.goto(f"/console/claims/{seeded.claim_pending}")
    assert page.locator("#claim span.missing").count() == 2
    page.locator("#claim form.approve-form button").click()
    refusal = page.locator("#claim .outcomes li.refused")
    refusal.wait_for()
    assert "INVALID_STATE" in refusal.inner_text() and "DOCUMENTS_PENDING" in refusal.inner_text()
    shot(page, "claim_refused")
    form = page.locator("#claim form.reject-form")
    form.locator("select[name=rule]").select_option("FI-D1")
    form.locator("input[name=reason]").fill("Account statement never received")
    form.locator("button").click()
    page.locator("#claim [data-status=REJECTED]").wait_for()
    rejected = stack.graphql(CLAIM, {"id": seeded.claim_pending}, seeded.finplat)["claim"]
    assert rejected["rejection"]["rule"] == "FI-D1"


def test_buyer_view_sums_exposure_across_partners_and_products(page: Any, seeded: Seeded):
    page.goto("/console/buyers")
    page.click("a[href='/console/buyers/ES%3AB10000001']")
    exposure = page.locator("table.exposure").inner_text()
    assert "Finplat" in exposure and "Hookplat" in exposure
    # The approved 25,000.00 and Hookplat's pending 5,000.00; declined and lapsed count not.
    assert "30,000.00 EUR" in page.locator(".exposure-total").inner_text()
    assert "Freightx" in page.locator("table.covers").inner_text()
    shot(page, "buyer")


def test_deadline_board_lists_what_falls_due_this_week_and_what_was_missed(
    page: Any, seeded: Seeded
):
    page.goto("/console/deadlines")
    upcoming = page.locator("table.upcoming")
    assert seeded.hook_cover in upcoming.inner_text() and "FI-A1" in upcoming.inner_text()
    missed = page.locator("table.missed tr", has_text=seeded.lapsed_cover)
    assert "TR-T1" in missed.inner_text() and "LAPSED" in missed.inner_text()
    shot(page, "deadlines")
    missed.locator("a").click()
    page.wait_for_url(f"**/console/covers/{seeded.lapsed_cover}")
    assert page.locator("[data-status=LAPSED]").count() == 1
    shot(page, "cover")


def test_webhook_health_replays_a_failed_delivery_with_the_same_webhook_id(
    page: Any, stack: Stack, seeded: Seeded, receiver: Receiver
):
    page.goto("/console/webhooks")
    endpoint = page.locator("table.endpoints tr", has_text="Hookplat")
    assert "410 Gone" in endpoint.inner_text()
    row = page.locator("table.failed tr[data-delivery]").first
    assert "HTTP 410" in row.inner_text()
    shot(page, "webhooks")
    refused_id = receiver.webhook_ids[0][1]
    receiver.status = 204  # the partner fixed its receiver
    row.locator("input[name=reenable]").check()
    row.locator("button").click()
    page.locator("#webhooks .outcomes li.ok", has_text="Requeued 1 delivery").wait_for()

    def delivered() -> int:
        page.goto("/console/webhooks")
        cells = page.locator("table.endpoints tr", has_text="Hookplat").locator("td.num")
        return int(cells.first.inner_text())

    stack.poll("the replayed delivery to succeed", delivered, lambda n: n >= 1)
    assert (204, refused_id) in receiver.webhook_ids
    shot(page, "webhooks_replayed")


def test_charts_are_server_rendered_svg(page: Any):
    page.goto("/console/charts")
    assert page.locator("svg.chart").count() == 3
    assert page.locator("#chart-bound rect.bar").count() >= 1
    assert page.locator("#chart-claims rect.bar").count() >= 2  # PAID and REJECTED at least
    assert page.locator("#chart-paid circle.point").count() == 12
    assert "7,695.00" in page.locator("#chart-paid").inner_html()
    shot(page, "charts")


def test_a_post_without_the_csrf_token_is_refused(page: Any, seeded: Seeded):
    url = f"/console/referrals/{seeded.hook_cover}/decide"
    refused = page.request.post(url, form={"decision": "approve", "reason": "forged"})
    assert refused.status == 403
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    accepted = page.request.post(
        url, form={"decision": "approve", "reason": "x"}, headers={"X-CSRF-Token": token}
    )
    assert accepted.status == 200  # through: refused by the service (not referred)
