"""Documents stored for tests through the service (no GraphQL): a bound transport cover
of a partner key and a PDF of an exact size."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.services import documents
from domain.services.principals import authenticate
from domain.store.claim_models import Document
from tests.services.test_activation_races import tr_cover


def pdf(tag: int, size: int) -> bytes:
    """A PDF of exactly `size` bytes, distinct per tag (its own content hash)."""
    head = b"%PDF-1.7\n%" + str(tag).encode() + b"\n"
    return head + b"x" * (size - len(head))


async def store_document(key: str, content: bytes) -> Document:
    """`content` submitted by the key's partner for a new bound cover of it."""

    async def same_key(**options: object) -> str:
        return key

    cover = await tr_cover(same_key)
    principal = await authenticate(key)
    assert principal is not None
    document, _ = await documents.submit_document(
        principal, cover.id, "CMR", "cmr.pdf", "application/pdf", content, datetime.now(UTC)
    )
    return document
