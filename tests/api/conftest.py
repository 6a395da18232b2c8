"""Fixtures shared by the API tests."""

from __future__ import annotations

import pytest

from domain.services import document_storage
from domain.services.document_storage import LocalFileStorage


@pytest.fixture
def storage(tmp_path):
    """Claim documents stored under the test's own directory."""
    document_storage.configure(LocalFileStorage(tmp_path / "documents"))
