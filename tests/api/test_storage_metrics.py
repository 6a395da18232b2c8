"""GET /metrics reports each partner's stored document bytes (the SUM its storage quota
counts), labelled by partner id and mode, and the quota of each mode."""

from __future__ import annotations

from pathlib import Path

from domain.services import document_quota, document_storage
from domain.services.document_quota import Quotas
from domain.services.document_storage import LocalFileStorage
from domain.services.principals import authenticate
from tests.api.test_metrics import scrape, value
from tests.support.documents import pdf, store_document

STORED = "tradecover_document_stored_bytes"


async def test_metrics_report_stored_document_bytes_per_partner_and_mode(
    api, jobs, make_partner, tmp_path: Path, monkeypatch
):
    monkeypatch.setattr(document_storage, "_storage", LocalFileStorage(tmp_path / "documents"))
    monkeypatch.setattr(document_quota, "_quotas", Quotas(live=5000, sandbox=700))
    live = await make_partner(kind="freight_exchange", sandbox=False)
    sandbox = await make_partner(kind="freight_exchange", sandbox=True)
    idle = await make_partner(kind="freight_exchange", sandbox=True)
    await store_document(live, pdf(1, 300))
    await store_document(live, pdf(2, 123))
    await store_document(sandbox, pdf(3, 250))
    live_id = (await authenticate(live)).partner_id
    sandbox_id = (await authenticate(sandbox)).partner_id
    idle_id = (await authenticate(idle)).partner_id

    samples = await scrape(api)

    assert value(samples, STORED, partner=live_id, mode="live") == 423
    assert value(samples, STORED, partner=sandbox_id, mode="sandbox") == 250
    assert (STORED, (("mode", "sandbox"), ("partner", idle_id))) not in samples  # nothing stored
    assert value(samples, "tradecover_document_quota_bytes", mode="live") == 5000
    assert value(samples, "tradecover_document_quota_bytes", mode="sandbox") == 700
