"""Per-process wiring of the document storage: files under the data directory, and the
per-partner quotas."""

from __future__ import annotations

from domain.services import document_quota, document_storage
from domain.services.document_storage import LocalFileStorage
from tradecover.settings import Settings


def configure_storage(settings: Settings) -> LocalFileStorage:
    """Configure this process's document storage at data_dir/documents and return it."""
    storage = LocalFileStorage(settings.data_dir / "documents")
    document_storage.configure(storage)
    document_quota.configure(
        document_quota.Quotas(
            live=settings.document_quota_bytes_live,
            sandbox=settings.document_quota_bytes_sandbox,
        )
    )
    return storage
