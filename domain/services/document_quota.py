"""Stored document bytes per partner, and the quota an upload must stay under.

A partner's used bytes are the SUM of `size_bytes` over every stored-file row it owns
(cover documents and whole-turnover claim documents): the database is the count, so
nothing drifts from the rows. Each partner has its own quota, chosen by its mode
(`Partner.sandbox`, the same mode U-1 counts by): sandbox keys get a smaller one, so a
test integration cannot fill the disk.

The decision is race-safe: `Upload.admit` runs in the transaction that inserts the row,
after taking a per-partner lock (PostgreSQL advisory lock; SQLite write transactions are
serial under BEGIN IMMEDIATE), so two uploads that each fit but together do not cannot
both be stored. The bytes are staged before that transaction and only placed under
their hash once admitted; a refused upload's staged file is removed (nothing stored).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from tortoise.expressions import Subquery
from tortoise.functions import Sum

from domain.services import document_storage
from domain.services.document_storage import Staged
from domain.services.errors import DomainError
from domain.store.claim_models import Document
from domain.store.cover_models import Cover
from domain.store.locks import lock_for_transaction
from domain.store.models import Partner
from domain.store.policy_models import Policy, PolicyClaim, PolicyDocument

MIB = 1024 * 1024
GIB = 1024 * MIB
QUOTA_EXCEEDED = "STORAGE_QUOTA_EXCEEDED"


@dataclass(frozen=True)
class Quotas:
    """Bytes each partner may keep stored, by mode (TRADECOVER_DOCUMENT_QUOTA_BYTES_*)."""

    live: int = 10 * GIB
    sandbox: int = 200 * MIB

    def of(self, sandbox: bool) -> int:
        return self.sandbox if sandbox else self.live


_quotas = Quotas()


def configure(quotas: Quotas) -> None:
    global _quotas
    _quotas = quotas


def current() -> Quotas:
    return _quotas


async def used_bytes(partner_id: str) -> int:
    """The bytes of every document row the partner owns (cover and policy claims)."""
    covers = Cover.filter(partner_id=partner_id).values("id")
    policies = Policy.filter(partner_id=partner_id).values("id")
    claims = PolicyClaim.filter(policy_id__in=Subquery(policies)).values("id")
    total = 0
    # Subqueries, not joins: a join makes Tortoise group the sum by the joined column.
    for query in (
        Document.filter(cover_id__in=Subquery(covers)),
        PolicyDocument.filter(claim_id__in=Subquery(claims)),
    ):
        rows = await query.annotate(total=Sum("size_bytes")).values_list("total", flat=True)
        total += int(rows[0] or 0) if rows else 0  # type: ignore[arg-type]
    return total


@dataclass(frozen=True)
class Usage:
    """One partner's stored bytes against its quota (the console and /metrics)."""

    partner_id: str
    name: str
    sandbox: bool
    used: int
    quota: int

    @property
    def mode(self) -> str:
        return "sandbox" if self.sandbox else "live"


async def usage_by_partner() -> list[Usage]:
    """Every partner's used bytes, largest first: two grouped sums, whatever the count."""
    used: dict[str, int] = {}
    grouped = (
        (Document, "cover__partner_id"),
        (PolicyDocument, "claim__policy__partner_id"),
    )
    for model, owner in grouped:
        rows = (
            await model.annotate(total=Sum("size_bytes"))
            .group_by(owner)
            .values_list(owner, "total")
        )
        for partner_id, total in rows:
            used[str(partner_id)] = used.get(str(partner_id), 0) + int(total or 0)
    partners = await Partner.all().values_list("id", "name", "sandbox")
    usage = [
        Usage(str(pid), str(name), bool(sandbox), used.get(str(pid), 0), _quotas.of(bool(sandbox)))
        for pid, name, sandbox in partners
    ]
    return sorted(usage, key=lambda u: (-u.used, u.partner_id))


async def _refuse_over_quota(partner_id: str, size: int, field: Sequence[str]) -> None:
    modes = await Partner.filter(id=partner_id).values_list("sandbox", flat=True)
    quota = _quotas.of(bool(modes[0]) if modes else True)
    used = await used_bytes(partner_id)
    if used + size > quota:
        raise DomainError(
            QUOTA_EXCEEDED,
            f"This file ({size} bytes) does not fit in your document storage: "
            f"{used} of your {quota} bytes are used. Nothing was stored.",
            field,
        )


async def check(partner_id: str, size: int, field: Sequence[str]) -> None:
    """An early refusal, before any byte is written; `Upload.admit` decides for good."""
    await _refuse_over_quota(partner_id, size, field)


@dataclass
class Upload:
    """Staged bytes waiting for the quota decision of their row's transaction."""

    partner_id: str
    staged: Staged
    placed: bool = False

    @property
    def sha256(self) -> str:
        return self.staged.sha256

    async def admit(self, field: Sequence[str]) -> None:
        """Call inside the transaction that inserts the document row, before the insert:
        the partner's lock, the quota check, then the bytes placed under their hash."""
        await lock_for_transaction(f"document-quota:{self.partner_id}")
        await _refuse_over_quota(self.partner_id, self.staged.size, field)
        await document_storage.current().place(self.staged)
        self.placed = True


@asynccontextmanager
async def staged_upload(partner_id: str, content: bytes) -> AsyncIterator[Upload]:
    """Stage the bytes; on leaving, remove them unless `admit` placed them (a refusal,
    or any failure before the placement, leaves no file)."""
    storage = document_storage.current()
    upload = Upload(partner_id, await storage.stage(content))
    try:
        yield upload
    finally:
        if not upload.placed:
            await storage.discard(upload.staged)
