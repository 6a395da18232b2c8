"""The console's charts page lists each partner's stored document bytes against its
quota, live and sandbox partners apart (document_quota)."""

from __future__ import annotations

import re
from pathlib import Path

from domain.services import document_quota, document_storage
from domain.services.document_quota import Quotas
from domain.services.document_storage import LocalFileStorage
from domain.services.principals import authenticate
from tests.console.support import Console
from tests.support.documents import pdf, store_document
from tradecover.console.read_storage import human_bytes


def row_of(html: str, partner_id: str) -> str:
    found = re.search(rf'<tr data-partner="{partner_id}"[^>]*>.*?</tr>', html, re.S)
    assert found, partner_id
    return found.group(0)


def table_of(html: str, mode: str) -> str:
    found = re.search(rf'<table class="list storage storage-{mode}">.*?</table>', html, re.S)
    assert found, mode
    return found.group(0)


async def test_console_shows_stored_bytes_and_quota_per_partner_by_mode(
    console: Console, jobs, make_partner, make_staff, tmp_path: Path, monkeypatch
):
    monkeypatch.setattr(document_storage, "_storage", LocalFileStorage(tmp_path / "documents"))
    monkeypatch.setattr(document_quota, "_quotas", Quotas(live=10 * 1024**3, sandbox=2000))
    live = await make_partner(name="Livefreight", kind="freight_exchange", sandbox=False)
    sandbox = await make_partner(name="Testfreight", kind="freight_exchange", sandbox=True)
    await store_document(live, pdf(1, 1536))
    await store_document(sandbox, pdf(2, 1900))
    live_id = (await authenticate(live)).partner_id
    sandbox_id = (await authenticate(sandbox)).partner_id
    await console.sign_in(await make_staff())

    page = await console.get("/charts")

    assert page.status_code == 200
    live_row = row_of(table_of(page.text, "live"), live_id)
    assert 'data-stored-bytes="1536"' in live_row
    assert f'data-quota-bytes="{10 * 1024**3}"' in live_row
    assert "Livefreight" in live_row and "1.5 KiB" in live_row and "10.0 GiB" in live_row
    sandbox_row = row_of(table_of(page.text, "sandbox"), sandbox_id)
    assert 'data-stored-bytes="1900"' in sandbox_row and 'data-quota-bytes="2000"' in sandbox_row
    assert "95%" in sandbox_row  # near the quota: flagged
    assert live_id not in table_of(page.text, "sandbox")


def test_human_bytes_uses_binary_units() -> None:
    assert human_bytes(0) == "0 bytes"
    assert human_bytes(1023) == "1023 bytes"
    assert human_bytes(1536) == "1.5 KiB"
    assert human_bytes(200 * 1024**2) == "200.0 MiB"
    assert human_bytes(10 * 1024**3) == "10.0 GiB"
