"""The buyers list and the buyer page as staff see them: live and sandbox exposure in
figures of their own, never one total of both (LIFECYCLE 2: separate worlds)."""

from __future__ import annotations

import re

from tests.console.test_console_http import fi_cover


def cells(html: str, cls: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(rf'class="num {cls}">(.*?)</t[dh]>', html, re.S)
    ]


async def test_buyer_views_show_live_and_sandbox_exposure_apart(
    console, gql, jobs, make_partner, make_staff
):
    live = await make_partner(name="Liveplat", sandbox=False)
    sandbox = await make_partner(name="Sandplat", sandbox=True)
    await fi_cover(gql, jobs, live, "12000.00", "L-1", "B55555555")
    await fi_cover(gql, jobs, sandbox, "3000.00", "S-1", "B55555555")
    await console.sign_in(await make_staff())

    listed = (await console.get("/buyers", params={"q": "B5555"})).text
    assert cells(listed, "live-exposure") == ["12,000.00 EUR"]
    assert cells(listed, "sandbox-exposure") == ["3,000.00 EUR"]
    assert "15,000.00" not in listed  # never the sum of both modes

    page = (await console.get("/buyers/ES:B55555555")).text
    assert 'data-mode="live"' in page and 'data-mode="sandbox"' in page
    assert cells(page, "exposure-total") == ["12,000.00 EUR", "3,000.00 EUR"]
    assert "15,000.00" not in page
