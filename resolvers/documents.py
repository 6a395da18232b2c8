"""submitDocument (a GraphQL multipart upload) and Cover.documents."""

from __future__ import annotations

from typing import Any

import strawberry

from domain.services import documents as document_service
from domain.services.errors import DomainError
from domain.store.claim_models import Document as DocumentRow
from resolvers.context import Info
from resolvers.covers import cover_out
from resolvers.errors import run_mutation
from schema import inputs
from schema.cover_types import Document, DocumentKind, DocumentPayload


def document_out(row: DocumentRow) -> Document:
    return Document(
        id=strawberry.ID(row.id),
        kind=DocumentKind(row.kind),
        filename=row.filename,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        received_at=row.received_at,
    )


async def cover_documents(cover_id: str) -> list[Document]:
    rows = await DocumentRow.filter(cover_id=cover_id).order_by("received_at", "id")
    return [document_out(row) for row in rows]


async def _read_upload(upload: Any) -> tuple[bytes, str, str]:
    """The upload's bytes (at most one byte over the limit: an oversize file is refused
    without reading it all), its file name and its declared content type."""
    if not callable(getattr(upload, "read", None)):
        raise DomainError(
            "INVALID_INPUT",
            "Send the file as a multipart upload (GraphQL multipart request spec).",
            ("input", "file"),
        )
    content = await upload.read(document_service.MAX_BYTES + 1)
    return bytes(content), upload.filename or "", upload.content_type or ""


async def submit_document(info: Info, input: inputs.SubmitDocumentInput) -> DocumentPayload:
    async def body() -> dict[str, Any]:
        content, filename, content_type = await _read_upload(input.file)
        row, cover = await document_service.submit_document(
            info.context.principal,
            str(input.cover_id),
            input.kind.value,
            filename,
            content_type,
            content,
            info.context.now,
        )
        return {"document": document_out(row), "cover": await cover_out(cover)}

    return await run_mutation(info, DocumentPayload, body)
