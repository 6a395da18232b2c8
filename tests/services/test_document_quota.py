"""Per-partner document storage quota (STORAGE_QUOTA_EXCEEDED), on SQLite and, with
TRADECOVER_TEST_POSTGRES=1, PostgreSQL: used bytes are the SUM of the partner's document
rows, the quota is chosen by the partner's mode, a refused upload leaves no row and no
file, and uploads racing at the boundary store only what fits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.services import document_quota, document_storage, documents
from domain.services.document_quota import Quotas
from domain.services.document_storage import LocalFileStorage
from domain.services.errors import DomainError
from domain.services.principals import Principal, authenticate
from domain.store.claim_models import Document
from domain.store.cover_models import Cover
from tests.services.test_activation_races import tr_cover
from tests.support.documents import pdf as support_pdf
from tradecover.settings import Settings

NOW = datetime.now(UTC)
SIZE = 100


def pdf(tag: int, size: int = SIZE) -> bytes:
    return support_pdf(tag, size)


@pytest.fixture
def storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalFileStorage:
    local = LocalFileStorage(tmp_path / "documents")
    monkeypatch.setattr(document_storage, "_storage", local)
    return local


def quotas(monkeypatch: pytest.MonkeyPatch, *, live: int, sandbox: int) -> None:
    monkeypatch.setattr(document_quota, "_quotas", Quotas(live=live, sandbox=sandbox))


def files(storage: LocalFileStorage) -> list[Path]:
    """Every file under the storage root, temporary ones included."""
    if not storage.root.exists():
        return []
    return sorted(p for p in storage.root.rglob("*") if p.is_file())


async def cover_of(key: str) -> Cover:
    """A bound transport cover of the key's partner (bound covers take documents)."""

    async def same_key(**options: object) -> str:
        return key

    return await tr_cover(same_key)


async def partner_and_cover(make_partner, *, sandbox: bool = True) -> tuple[Principal, Cover]:
    key = await make_partner(kind="freight_exchange", sandbox=sandbox)
    principal = await authenticate(key)
    assert principal is not None
    return principal, await cover_of(key)


async def submit(principal: Principal, cover: Cover, content: bytes) -> Document:
    document, _ = await documents.submit_document(
        principal, cover.id, "CMR", "cmr.pdf", "application/pdf", content, NOW
    )
    return document


async def test_quota_boundary_exactly_at_quota_is_stored_one_byte_over_is_refused(
    db, gateways, make_partner, storage, monkeypatch
):
    quotas(monkeypatch, live=10 * SIZE, sandbox=3 * SIZE)
    principal, cover = await partner_and_cover(make_partner)
    await submit(principal, cover, pdf(1))
    await submit(principal, cover, pdf(2))
    at_quota = await submit(principal, cover, pdf(3))  # 300 of 300 bytes: still fits
    assert await document_quota.used_bytes(principal.partner_id or "") == 3 * SIZE
    stored = files(storage)

    with pytest.raises(DomainError) as refused:
        await submit(principal, cover, pdf(4, size=1 + len(b"%PDF-1.7\n%4\n")))

    assert refused.value.code == "STORAGE_QUOTA_EXCEEDED"
    assert refused.value.field == ("input", "file")
    assert "300 of your 300 bytes are used" in refused.value.message
    assert await Document.filter(cover_id=cover.id).count() == 3  # no row
    assert files(storage) == stored  # no file, no temporary file left
    assert await storage.exists(at_quota.sha256)


async def test_one_byte_over_the_quota_stores_nothing_even_for_known_content(
    db, gateways, make_partner, storage, monkeypatch
):
    """Refused bytes that another row already names: the shared blob stays, no row."""
    quotas(monkeypatch, live=10 * SIZE, sandbox=SIZE)
    principal, cover = await partner_and_cover(make_partner)
    first = await submit(principal, cover, pdf(1))
    with pytest.raises(DomainError) as refused:
        await submit(principal, cover, pdf(1))
    assert refused.value.code == "STORAGE_QUOTA_EXCEEDED"
    assert await Document.filter(cover_id=cover.id).count() == 1
    assert files(storage) == [storage.path_of(first.sha256)]


async def test_a_refusal_decided_in_the_transaction_removes_the_staged_file(
    db, gateways, make_partner, storage, monkeypatch
):
    """The early check passes (another upload is not counted yet); the transaction's own
    check refuses, after the bytes were staged: the staged file is removed."""
    quotas(monkeypatch, live=10 * SIZE, sandbox=SIZE)
    principal, cover = await partner_and_cover(make_partner)

    async def early_check_passes(*args: object) -> None:
        return None

    await submit(principal, cover, pdf(1))
    monkeypatch.setattr(document_quota, "check", early_check_passes)
    with pytest.raises(DomainError) as refused:
        await submit(principal, cover, pdf(2))
    assert refused.value.code == "STORAGE_QUOTA_EXCEEDED"
    assert [p.name for p in files(storage)] == [(await Document.get()).sha256]


def test_sandbox_default_quota_is_smaller_than_live() -> None:
    settings = Settings(env="test")
    assert settings.document_quota_bytes_sandbox == 200 * 1024**2
    assert settings.document_quota_bytes_live == 10 * 1024**3
    assert Quotas().sandbox < Quotas().live
    assert Quotas().of(sandbox=True) == Quotas().sandbox
    assert Quotas().of(sandbox=False) == Quotas().live


def test_the_quotas_come_from_the_settings(tmp_path: Path, monkeypatch) -> None:
    from tradecover.storage_wiring import configure_storage

    monkeypatch.setattr(document_storage, "_storage", None)
    monkeypatch.setattr(document_quota, "_quotas", Quotas())
    configure_storage(
        Settings(
            env="test",
            data_dir=tmp_path,
            document_quota_bytes_live=5000,
            document_quota_bytes_sandbox=700,
        )
    )
    assert document_quota.current() == Quotas(live=5000, sandbox=700)


async def test_the_quota_follows_the_partners_mode(
    db, gateways, make_partner, storage, monkeypatch
):
    quotas(monkeypatch, live=2 * SIZE, sandbox=SIZE)
    live, live_cover = await partner_and_cover(make_partner, sandbox=False)
    await submit(live, live_cover, pdf(1))
    await submit(live, live_cover, pdf(2))  # 200 bytes: within the live quota
    sandbox, sandbox_cover = await partner_and_cover(make_partner, sandbox=True)
    await submit(sandbox, sandbox_cover, pdf(3))
    with pytest.raises(DomainError) as refused:
        await submit(sandbox, sandbox_cover, pdf(4))  # 200 bytes: over the sandbox quota
    assert refused.value.code == "STORAGE_QUOTA_EXCEEDED"
    assert "of your 100 bytes" in refused.value.message


async def test_two_partners_quotas_are_independent(
    db, gateways, make_partner, storage, monkeypatch
):
    quotas(monkeypatch, live=10 * SIZE, sandbox=2 * SIZE)
    full, full_cover = await partner_and_cover(make_partner)
    other, other_cover = await partner_and_cover(make_partner)
    await submit(full, full_cover, pdf(1))
    await submit(full, full_cover, pdf(2))
    with pytest.raises(DomainError) as refused:
        await submit(full, full_cover, pdf(3))
    assert "200 of your 200 bytes are used" in refused.value.message  # its own figures

    await submit(other, other_cover, pdf(3))
    await submit(other, other_cover, pdf(4))
    assert await document_quota.used_bytes(full.partner_id or "") == 2 * SIZE
    assert await document_quota.used_bytes(other.partner_id or "") == 2 * SIZE


async def test_concurrent_uploads_racing_at_the_boundary_store_only_what_fits(
    db, gateways, make_partner, storage, monkeypatch
):
    """Eight uploads that each fit, racing for room for three: exactly three rows and
    three files, five clean refusals, used bytes exactly at the quota."""
    quotas(monkeypatch, live=10 * SIZE, sandbox=3 * SIZE)
    key = await make_partner(kind="freight_exchange")
    principal = await authenticate(key)
    assert principal is not None
    # Four covers of one partner: their cover locks do not make the uploads take turns.
    covers = [await cover_of(key) for _ in range(4)]

    results = await asyncio.gather(
        *(submit(principal, covers[n % len(covers)], pdf(n)) for n in range(8)),
        return_exceptions=True,
    )

    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, DomainError) for r in refused), refused
    assert sorted(r.code for r in refused) == ["STORAGE_QUOTA_EXCEEDED"] * 5  # type: ignore[union-attr]
    rows = await Document.filter(cover_id__in=[c.id for c in covers])
    assert len(rows) == 3
    assert await document_quota.used_bytes(principal.partner_id or "") == 3 * SIZE
    assert sorted(files(storage)) == sorted(storage.path_of(r.sha256) for r in rows)


async def test_usage_by_partner_sums_each_partners_rows_with_its_mode_and_quota(
    db, gateways, make_partner, storage, monkeypatch
):
    quotas(monkeypatch, live=10 * SIZE, sandbox=5 * SIZE)
    live, live_cover = await partner_and_cover(make_partner, sandbox=False)
    sandbox, sandbox_cover = await partner_and_cover(make_partner, sandbox=True)
    await submit(live, live_cover, pdf(1))
    await submit(live, live_cover, pdf(1))  # the same bytes twice count twice
    await submit(sandbox, sandbox_cover, pdf(2, size=SIZE + 7))

    usage = {u.partner_id: u for u in await document_quota.usage_by_partner()}

    assert usage[live.partner_id or ""].used == 2 * SIZE
    assert usage[live.partner_id or ""].mode == "live"
    assert usage[live.partner_id or ""].quota == 10 * SIZE
    assert usage[sandbox.partner_id or ""].used == SIZE + 7
    assert usage[sandbox.partner_id or ""].mode == "sandbox"
    assert usage[sandbox.partner_id or ""].quota == 5 * SIZE
    assert all(
        u.used == 0 for pid, u in usage.items() if pid not in {live.partner_id, sandbox.partner_id}
    )
