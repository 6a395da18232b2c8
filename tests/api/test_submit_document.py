"""submitDocument over real GraphQL multipart requests (LIFECYCLE 5).

Requests follow the GraphQL multipart request spec: `operations` (the query with
`file: null`), `map` (part "0" -> variables.input.file) and the file part "0".
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.services import document_storage
from domain.services import documents as document_service
from domain.services.document_storage import LocalFileStorage
from domain.store.claim_models import Document as DocumentRow
from domain.store.cover_models import CoverEvent
from tests.api.cover_helpers import CONFIRM_FINANCING, bind, cover, quote_id
from tests.builders import fi_input, tr_input

SUBMIT = """
mutation Submit($input: SubmitDocumentInput!) {
  submitDocument(input: $input) {
    document { id kind filename sizeBytes sha256 receivedAt }
    cover { id status }
    userErrors { code message field }
  }
}
"""
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def storage(api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalFileStorage:
    """Documents stored under the test's tmp_path (after the app's own wiring)."""
    local = LocalFileStorage(tmp_path / "documents")
    monkeypatch.setattr(document_storage, "_storage", local)
    return local


async def upload(
    api: Any,
    key: str,
    cover_id: str,
    content: bytes,
    *,
    kind: str = "CMR",
    filename: str = "cmr.pdf",
    content_type: str = "application/pdf",
    idempotency_key: str | None = None,
) -> httpx.Response:
    operations = {
        "query": SUBMIT,
        "variables": {"input": {"coverId": cover_id, "kind": kind, "file": None}},
    }
    headers = {"Authorization": f"Bearer {key}"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return await api.http.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": (filename, content, content_type)},
        headers=headers,
    )


async def submit(api: Any, key: str, cover_id: str, content: bytes, **options: Any) -> Any:
    response = await upload(api, key, cover_id, content, **options)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["submitDocument"]


async def active_tr_cover(api: Any, jobs: Any, key: str) -> str:
    qid = await quote_id(api, key, tr_input())
    bound = (await bind(api, key, quoteId=qid, paymentMethodToken="tok_visa"))["cover"]
    await jobs.run_all()
    assert (await cover(api, key, bound["id"]))["status"] == "ACTIVE"
    return str(bound["id"])


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


def stored_files(storage: LocalFileStorage) -> list[Path]:
    if not storage.root.exists():
        return []
    return sorted(p for p in storage.root.rglob("*") if p.is_file())


async def test_a_pdf_for_an_active_tr_cover_is_stored_by_content_hash(
    api, jobs, make_partner, storage
):
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)

    payload = await submit(api, key, cover_id, PDF, filename="cmr-2026.pdf")

    assert payload["userErrors"] == []
    document = payload["document"]
    digest = hashlib.sha256(PDF).hexdigest()
    assert document["sha256"] == digest
    assert document["sizeBytes"] == len(PDF)
    assert document["kind"] == "CMR"
    assert document["filename"] == "cmr-2026.pdf"
    assert document["id"].startswith("doc_")
    assert payload["cover"] == {"id": cover_id, "status": "ACTIVE"}
    assert stored_files(storage) == [storage.root / digest[:2] / digest[2:4] / digest]
    assert await storage.get(digest) == PDF

    row = await DocumentRow.get(id=document["id"])
    assert (row.cover_id, row.content_type, row.size_bytes) == (  # type: ignore[attr-defined]
        cover_id,
        "application/pdf",
        len(PDF),
    )
    event = await CoverEvent.filter(cover_id=cover_id, type="document.received").get()
    assert event.actor.startswith("partner:")
    assert event.data == {
        "documentId": document["id"],
        "kind": "CMR",
        "filename": "cmr-2026.pdf",
        "sizeBytes": len(PDF),
        "sha256": digest,
    }


async def test_the_same_content_twice_is_one_file_and_two_documents(
    api, jobs, make_partner, storage
):
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)
    first = await submit(api, key, cover_id, PDF, kind="CMR", filename="a.pdf")
    second = await submit(api, key, cover_id, PDF, kind="TRANSPORT_ORDER", filename="b.pdf")

    assert first["document"]["sha256"] == second["document"]["sha256"]
    assert first["document"]["id"] != second["document"]["id"]
    assert len(stored_files(storage)) == 1
    rows = await DocumentRow.filter(cover_id=cover_id).order_by("id")
    assert [(r.kind, r.filename) for r in rows] == [("CMR", "a.pdf"), ("TRANSPORT_ORDER", "b.pdf")]


async def test_a_file_over_the_limit_is_refused(
    api, jobs, make_partner, storage, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(document_service, "MAX_BYTES", 1024)
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)
    at_limit = PDF + b"%" * (1024 - len(PDF))
    over = at_limit + b"%"

    refused = await submit(api, key, cover_id, over)
    assert refused["document"] is None
    assert codes(refused) == [("INVALID_INPUT", ["input", "file"])]
    assert stored_files(storage) == []
    assert await DocumentRow.all().count() == 0

    accepted = await submit(api, key, cover_id, at_limit)
    assert accepted["document"]["sizeBytes"] == 1024


async def test_an_oversize_upload_is_read_only_to_one_byte_past_the_limit(
    monkeypatch: pytest.MonkeyPatch,
):
    from resolvers.documents import _read_upload

    monkeypatch.setattr(document_service, "MAX_BYTES", 10)
    asked: list[int] = []

    class FakeUpload:
        filename = "big.pdf"
        content_type = "application/pdf"

        async def read(self, size: int = -1) -> bytes:
            asked.append(size)
            return b"x" * size

    content, filename, content_type = await _read_upload(FakeUpload())
    assert asked == [11]
    assert (len(content), filename, content_type) == (11, "big.pdf", "application/pdf")


async def test_an_empty_file_is_refused(api, jobs, make_partner, storage):
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)
    payload = await submit(api, key, cover_id, b"")
    assert codes(payload) == [("INVALID_INPUT", ["input", "file"])]
    assert stored_files(storage) == []


@pytest.mark.parametrize(
    ("content_type", "filename"),
    [("text/html", "page.html"), ("application/zip", "a.zip"), ("application/octet-stream", "x")],
)
async def test_a_type_not_on_the_list_is_refused(
    api, jobs, make_partner, storage, content_type: str, filename: str
):
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)
    payload = await submit(
        api, key, cover_id, b"<html></html>", filename=filename, content_type=content_type
    )
    assert payload["document"] is None
    assert codes(payload) == [("INVALID_INPUT", ["input", "file"])]
    assert stored_files(storage) == []
    assert await DocumentRow.all().count() == 0


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"MZ\x90\x00 not a pdf at all", "application/pdf"),
        (b" %PDF-1.7 leading space", "application/pdf"),
        (PDF, "image/png"),
        (PNG, "image/jpeg"),
    ],
)
async def test_content_that_does_not_match_its_declared_type_is_refused(
    api, jobs, make_partner, storage, content: bytes, content_type: str
):
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)
    payload = await submit(api, key, cover_id, content, content_type=content_type)
    assert codes(payload) == [("INVALID_INPUT", ["input", "file"])]
    assert stored_files(storage) == []


async def test_other_allowed_types_are_accepted(api, jobs, make_partner, storage):
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)
    png = await submit(api, key, cover_id, PNG, content_type="image/png", filename="id.png")
    csv = await submit(
        api,
        key,
        cover_id,
        b"date,amount\n2026-11-23,1500.00\n",
        kind="DEBTOR_LEDGER",
        content_type="text/csv; charset=utf-8",
        filename="ledger.csv",
    )
    assert png["userErrors"] == [] and csv["userErrors"] == []
    row = await DocumentRow.get(id=csv["document"]["id"])
    assert row.content_type == "text/csv"


async def test_the_filename_keeps_only_its_base_name(api, jobs, make_partner, storage):
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)
    unix = await submit(api, key, cover_id, PDF, filename="../../etc/cmr.pdf")
    windows = await submit(api, key, cover_id, PDF, filename="C:\\Users\\me\\cmr.pdf")
    long = await submit(api, key, cover_id, PDF, filename="x" * 300 + ".pdf")
    assert unix["document"]["filename"] == "cmr.pdf"
    assert windows["document"]["filename"] == "cmr.pdf"
    assert long["document"]["filename"] == "x" * 251 + ".pdf"


async def test_a_bound_cover_pending_confirmation_takes_documents(api, jobs, make_partner, storage):
    key = await make_partner(kind="freight_exchange")
    qid = await quote_id(api, key, tr_input())
    bound = (await bind(api, key, quoteId=qid, paymentMethodToken="tok_visa"))["cover"]
    payload = await submit(api, key, bound["id"], PDF)
    assert payload["userErrors"] == []
    assert payload["cover"]["status"] == "PENDING_CONFIRMATION"


async def test_a_declined_cover_takes_no_documents(api, jobs, make_partner, storage):
    key = await make_partner()
    qid = await quote_id(api, key, fi_input())
    bound = (await bind(api, key, quoteId=qid, signatureReference="env_1"))["cover"]
    body = await api.execute(
        CONFIRM_FINANCING, {"input": {"coverId": bound["id"], "financed": False}}, key=key
    )
    assert body["data"]["confirmFinancing"]["cover"]["status"] == "DECLINED"
    payload = await submit(api, key, bound["id"], PDF, kind="INVOICE")
    assert codes(payload) == [("INVALID_STATE", ["input", "coverId"])]
    assert stored_files(storage) == []


async def test_another_partners_cover_is_not_found(api, jobs, make_partner, storage):
    owner = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, owner)
    intruder = await make_partner(name="Other", kind="freight_exchange")
    payload = await submit(api, intruder, cover_id, PDF)
    assert payload["document"] is None
    assert codes(payload) == [("NOT_FOUND", ["input", "coverId"])]
    missing = await submit(api, intruder, "cov_doesnotexist", PDF)
    assert codes(missing) == codes(payload)  # answered exactly like a missing one
    assert stored_files(storage) == []
    assert await DocumentRow.all().count() == 0


async def test_staff_keys_are_forbidden(api, jobs, make_partner, make_staff, storage):
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)
    staff = await make_staff()
    payload = await submit(api, staff, cover_id, PDF)
    assert [e["code"] for e in payload["userErrors"]] == ["FORBIDDEN"]
    assert stored_files(storage) == []


async def test_a_file_sent_as_json_instead_of_multipart_is_refused(
    api, jobs, make_partner, storage
):
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)
    body = await api.execute(
        SUBMIT, {"input": {"coverId": cover_id, "kind": "CMR", "file": "JVBERi0="}}, key=key
    )
    payload = body["data"]["submitDocument"]
    assert codes(payload) == [("INVALID_INPUT", ["input", "file"])]


async def test_received_at_is_the_cover_clock_time(api, jobs, make_partner, storage):
    key = await make_partner(kind="freight_exchange")
    clock = await api.execute(
        'mutation { createTestClock(input: {frozenTime: "2026-11-23T09:00:00+00:00"}) '
        "{ testClock { id } } }",
        key=key,
    )
    clock_id = clock["data"]["createTestClock"]["testClock"]["id"]
    qid = await quote_id(api, key, tr_input(testClockId=clock_id))
    bound = (await bind(api, key, quoteId=qid, paymentMethodToken="tok_visa"))["cover"]
    payload = await submit(api, key, bound["id"], PDF)
    assert payload["document"]["receivedAt"].startswith("2026-11-23T09:00:00")


async def test_a_replayed_multipart_mutation_answers_the_first_response(
    api, jobs, make_partner, storage
):
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)
    first = await upload(api, key, cover_id, PDF, idempotency_key="doc-key-1")
    replay = await upload(api, key, cover_id, PDF, idempotency_key="doc-key-1")
    assert first.status_code == replay.status_code == 200
    assert replay.json() == first.json()
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert first.json()["data"]["submitDocument"]["document"] is not None
    assert await DocumentRow.all().count() == 1
    assert len(stored_files(storage)) == 1


async def test_the_same_key_with_another_file_name_is_refused_as_reused(
    api, jobs, make_partner, storage
):
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)
    await upload(api, key, cover_id, PDF, idempotency_key="doc-key-2", filename="a.pdf")
    other = await upload(api, key, cover_id, PDF, idempotency_key="doc-key-2", filename="b.pdf")
    payload = other.json()["data"]["submitDocument"]
    assert [e["code"] for e in payload["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert await DocumentRow.all().count() == 1


async def test_the_same_key_with_other_content_of_the_same_size_is_refused_as_reused(
    api, jobs, make_partner, storage
):
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)
    other_pdf = PDF.replace(b"Catalog", b"Catalox")
    assert len(other_pdf) == len(PDF)
    await upload(api, key, cover_id, PDF, idempotency_key="doc-key-3")
    other = await upload(api, key, cover_id, other_pdf, idempotency_key="doc-key-3")
    payload = other.json()["data"]["submitDocument"]
    assert [e["code"] for e in payload["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
