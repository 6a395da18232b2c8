"""submitDocument's checks over real multipart requests: the partner's storage quota
(STORAGE_QUOTA_EXCEEDED on input.file, this partner's figures only, nothing stored),
text/plain content that must be UTF-8 text, and filenames without bidirectional or
other invisible control characters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from domain.services import document_quota, document_storage
from domain.services import documents as document_service
from domain.services.document_quota import Quotas
from domain.services.document_storage import LocalFileStorage
from domain.store.claim_models import Document as DocumentRow
from tests.api.test_submit_document import (
    PDF,
    active_tr_cover,
    codes,
    stored_files,
    submit,
)


@pytest.fixture
def storage(api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalFileStorage:
    """Documents stored under the test's tmp_path (after the app's own wiring)."""
    local = LocalFileStorage(tmp_path / "documents")
    monkeypatch.setattr(document_storage, "_storage", local)
    return local


#: The first bytes of an x86-64 ELF executable (header and the start of its padding).
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00"


async def test_storage_quota_exceeded_is_a_user_error_with_this_partners_figures(
    api, jobs, make_partner, storage, monkeypatch: pytest.MonkeyPatch
):
    quota = 2 * len(PDF)
    monkeypatch.setattr(document_quota, "_quotas", Quotas(live=10 * quota, sandbox=quota))
    other = await make_partner(kind="freight_exchange")
    other_cover = await active_tr_cover(api, jobs, other)
    assert (await submit(api, other, other_cover, PDF + b"%other"))["userErrors"] == []
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)
    assert (await submit(api, key, cover_id, PDF))["userErrors"] == []
    at_quota = await submit(api, key, cover_id, PDF)  # the same bytes count again
    assert at_quota["userErrors"] == [] and at_quota["document"] is not None
    files_before = stored_files(storage)
    rows_before = await DocumentRow.all().count()

    refused = await submit(api, key, cover_id, PDF + b"%")

    assert refused["document"] is None
    assert codes(refused) == [("STORAGE_QUOTA_EXCEEDED", ["input", "file"])]
    message = refused["userErrors"][0]["message"]
    # This partner's bytes only: the other partner's document is not in the figure.
    assert f"{2 * len(PDF)} of your {quota} bytes are used" in message
    assert f"({len(PDF) + 1} bytes)" in message
    assert stored_files(storage) == files_before
    assert await DocumentRow.all().count() == rows_before


async def test_text_plain_with_an_elf_binary_is_refused_as_mislabelled(
    api, jobs, make_partner, storage
):
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)
    for content in (ELF, b"\x7fELF", b"notes\x00more notes"):
        payload = await submit(
            api, key, cover_id, content, content_type="text/plain", filename="notes.txt"
        )
        assert codes(payload) == [("INVALID_INPUT", ["input", "file"])], content
        assert "not text/plain as declared" in payload["userErrors"][0]["message"]
    assert stored_files(storage) == []
    assert await DocumentRow.all().count() == 0


async def test_text_plain_that_is_valid_utf8_text_is_accepted(api, jobs, make_partner, storage):
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)
    text = "Entrega: 23/11/2026\tAlbarán nº 7\r\nRecibido — ok ✓\n\fpágina 2\n".encode()
    with_bom = b"\xef\xbb\xbf" + b"plain ascii\n"
    for content in (text, with_bom):
        payload = await submit(
            api, key, cover_id, content, content_type="text/plain", filename="nota.txt"
        )
        assert payload["userErrors"] == []
        assert payload["document"]["sizeBytes"] == len(content)


@pytest.mark.parametrize(
    "content",
    [b"caf\xe9 latin-1\n", b"\xc2\x85 a C1 control\n", b"vertical\x0btab\n"],
)
def test_text_plain_refuses_invalid_utf8_and_control_characters(content: bytes) -> None:
    assert not document_service.is_text(content)


async def test_a_right_to_left_override_is_stripped_from_the_stored_filename(
    api, jobs, make_partner, storage
):
    key = await make_partner(kind="freight_exchange")
    cover_id = await active_tr_cover(api, jobs, key)
    payload = await submit(api, key, cover_id, PDF, filename="invoice\u202efdp.exe")
    assert payload["document"]["filename"] == "invoicefdp.exe"
    row = await DocumentRow.get(id=payload["document"]["id"])
    assert row.filename == "invoicefdp.exe"


@pytest.mark.parametrize(
    "control",
    [
        "\u202a",
        "\u202b",
        "\u202c",
        "\u202d",
        "\u202e",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\u200e",
        "\u200f",
        "\u061c",
        "\ufeff",
        "\u0085",
        "\u2028",
        "\x1b",
    ],
)
def test_bidi_and_control_characters_are_stripped_from_filenames(control: str) -> None:
    assert document_service.sanitise_filename(f"cmr{control}-2026.pdf") == "cmr-2026.pdf"


def test_joiners_that_scripts_need_are_kept_in_filenames() -> None:
    persian = "می\u200cخواهم.pdf"  # ZWNJ inside a Persian word
    assert document_service.sanitise_filename(persian) == persian
    assert document_service.sanitise_filename("\u202e\u202e") == "document"
