"""submitDocument (LIFECYCLE 5): any time after bind, a partner sends a file for a cover.

The bytes are staged first (document_storage); then one transaction decides the
partner's storage quota (document_quota), places the bytes under their content hash and
records the Document row, the cover event and the claim checklist tick. A refusal leaves
nothing stored; a failure after the placement leaves only an unreferenced blob, never a
row without its file.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from tortoise.transactions import in_transaction

from domain.services import claims, cover_events, document_quota, event_sequence
from domain.services.clock_time import now_on_clock
from domain.services.errors import DomainError, not_found
from domain.services.principals import Principal
from domain.store.claim_models import Document
from domain.store.cover_models import Cover
from domain.store.ids import new_id

MAX_BYTES = 20 * 1024 * 1024
ALLOWED_TYPES = frozenset(
    {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/tiff",
        "text/plain",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/xml",
    }
)
#: Declared types whose first bytes are fixed by their format: the declaration must match.
MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
    # Office Open XML files are ZIP packages.
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
}
MAX_FILENAME = 255
DEFAULT_FILENAME = "document"
DECLINED = "DECLINED"
FILE_FIELD = ("input", "file")
#: Declared types whose bytes must be text: UTF-8 (US-ASCII is a subset, a BOM is
#: allowed) without control characters other than tab, line feed, carriage return and
#: form feed. Binary content (an ELF header starts with DEL, then NUL bytes) is refused.
TEXT_TYPES = frozenset({"text/plain"})
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]|\xc2[\x80-\x9f]")  # C0, DEL, C1
#: Format characters a filename keeps: the zero-width (non-)joiners that Persian, Indic
#: scripts and emoji sequences need. Every other Cf character goes (the bidirectional
#: controls U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C that make
#: "invoice\u202efdp.exe" read as "invoiceexe.pdf", the BOM, soft hyphens, tags).
_KEPT_FORMAT = frozenset({"\u200c", "\u200d"})
#: Categories removed: controls (C0, DEL and C1), format characters, surrogates,
#: line and paragraph separators.
_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def normalise_content_type(content_type: str | None) -> str:
    """`Application/PDF; charset=binary` -> `application/pdf`; missing -> empty."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _visible(text: str) -> str:
    """Without control and invisible format characters (see _REMOVED_CATEGORIES)."""
    return "".join(
        c for c in text if c in _KEPT_FORMAT or unicodedata.category(c) not in _REMOVED_CATEGORIES
    )


def sanitise_filename(filename: str | None) -> str:
    """The base name only (either path separator), without control or bidirectional
    characters, at most MAX_FILENAME characters with the extension kept."""
    name = _visible((filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if name in ("", ".", ".."):
        return DEFAULT_FILENAME
    if len(name) <= MAX_FILENAME:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and stem and len(extension) < 16:
        return stem[: MAX_FILENAME - len(extension) - 1] + "." + extension
    return name[:MAX_FILENAME]


def check_content(content_type: str, content: bytes) -> None:
    """Refuse an empty, oversize, unlisted or mislabelled file (INVALID_INPUT on input.file)."""
    if not content:
        raise DomainError("INVALID_INPUT", "The file is empty.", FILE_FIELD)
    if len(content) > MAX_BYTES:
        raise DomainError(
            "INVALID_INPUT", f"The file is over {MAX_BYTES} bytes (the limit).", FILE_FIELD
        )
    if content_type not in ALLOWED_TYPES:
        raise DomainError(
            "INVALID_INPUT",
            f"Content type {content_type or '(none)'} is not accepted; send one of "
            + ", ".join(sorted(ALLOWED_TYPES))
            + ".",
            FILE_FIELD,
        )
    signatures = MAGIC.get(content_type)
    if signatures is not None and not content.startswith(signatures):
        raise DomainError(
            "INVALID_INPUT", f"The file content is not {content_type} as declared.", FILE_FIELD
        )
    if content_type in TEXT_TYPES and not is_text(content):
        raise DomainError(
            "INVALID_INPUT",
            f"The file content is not {content_type} as declared: send UTF-8 text "
            "without control characters.",
            FILE_FIELD,
        )


def is_text(content: bytes) -> bool:
    """UTF-8 text without NUL or other control bytes (tab, newlines, form feed allowed)."""
    if _BINARY_BYTES.search(content):
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


async def _bound_cover(principal: Principal, cover_id: str) -> Cover:
    if principal.partner_id is None:
        raise DomainError("FORBIDDEN", "Documents are submitted by partner keys.")
    cover = await Cover.filter(id=cover_id, partner_id=principal.partner_id).first()
    if cover is None:
        raise not_found("cover", cover_id, ("input", "coverId"))
    if cover.status == DECLINED:
        raise DomainError(
            "INVALID_STATE",
            f"Cover {cover.id} is {cover.status}: it takes no documents.",
            ("input", "coverId"),
        )
    return cover


async def submit_document(
    principal: Principal,
    cover_id: str,
    kind: str,
    filename: str,
    content_type: str,
    content: bytes,
    real_now: datetime,
) -> tuple[Document, Cover]:
    cover = await _bound_cover(principal, cover_id)
    declared = normalise_content_type(content_type)
    check_content(declared, content)
    name = sanitise_filename(filename)
    now = await now_on_clock(cover.test_clock_id, real_now)

    partner_id = cover.partner_id
    await document_quota.check(partner_id, len(content), FILE_FIELD)
    async with (
        document_quota.staged_upload(partner_id, content) as upload,
        in_transaction(),
    ):
        await event_sequence.lock_owner(Cover, cover.id)  # LIFECYCLE 5a: the cover first
        await upload.admit(FILE_FIELD)
        sha256 = upload.sha256
        document = await Document.create(
            id=new_id("doc"),
            cover_id=cover.id,
            kind=kind,
            filename=name,
            content_type=declared,
            size_bytes=len(content),
            sha256=sha256,
            received_at=now,
        )
        await cover_events.record(
            cover,
            "document.received",
            actor=cover_events.partner_actor(principal.partner_id or ""),
            now=now,
            data={
                "documentId": document.id,
                "kind": kind,
                "filename": name,
                "sizeBytes": len(content),
                "sha256": sha256,
            },
            webhook=False,
        )
        await claims.document_received(cover, kind, now)
    await cover.refresh_from_db()
    return document, cover
