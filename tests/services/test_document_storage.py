"""LocalFileStorage: content addressed, idempotent, atomic writes; the process registry."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import pytest

from domain.services import document_storage
from domain.services.document_storage import DocumentStorage, LocalFileStorage


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


async def test_put_stores_under_the_sha256_in_two_level_fan_out(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path)
    content = b"%PDF-1.7 hello"
    digest = await storage.put(content)
    assert digest == hashlib.sha256(content).hexdigest()
    path = tmp_path / digest[:2] / digest[2:4] / digest
    assert path.read_bytes() == content
    assert _files(tmp_path) == [path]
    assert await storage.get(digest) == content
    assert await storage.exists(digest)


async def test_same_content_is_stored_once(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path)
    first = await storage.put(b"same bytes")
    path = storage.path_of(first)
    mtime = path.stat().st_mtime_ns
    second = await storage.put(b"same bytes")
    assert first == second
    assert _files(tmp_path) == [path]
    assert path.stat().st_mtime_ns == mtime  # not rewritten
    other = await storage.put(b"other bytes")
    assert other != first
    assert len(_files(tmp_path)) == 2


async def test_concurrent_puts_of_the_same_content_leave_one_whole_file(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path)
    content = os.urandom(256 * 1024)
    digests = await asyncio.gather(*(storage.put(content) for _ in range(8)))
    assert len(set(digests)) == 1
    assert _files(tmp_path) == [storage.path_of(digests[0])]
    assert await storage.get(digests[0]) == content


async def test_missing_hash_does_not_exist_and_get_raises(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path)
    absent = hashlib.sha256(b"never stored").hexdigest()
    assert not await storage.exists(absent)
    with pytest.raises(FileNotFoundError):
        await storage.get(absent)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABC", "g" * 64, "A" * 64, ""])
async def test_only_hex_digests_name_files(tmp_path: Path, bad: str) -> None:
    storage = LocalFileStorage(tmp_path)
    with pytest.raises(ValueError):
        await storage.exists(bad)
    with pytest.raises(ValueError):
        await storage.get(bad)


async def test_a_crash_before_the_rename_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = LocalFileStorage(tmp_path)
    content = b"interrupted"
    digest = hashlib.sha256(content).hexdigest()

    def crash(*args: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        await storage.put(content)
    assert not await storage.exists(digest)
    assert _files(tmp_path) == []  # the temporary file is removed too
    monkeypatch.undo()
    assert await storage.put(content) == digest
    assert await storage.get(digest) == content


async def test_a_crash_while_writing_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = LocalFileStorage(tmp_path)

    def crash(fd: int) -> None:
        raise OSError("fsync failed")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="fsync failed"):
        await storage.put(b"half written")
    assert _files(tmp_path) == []


async def test_the_final_file_only_appears_by_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bytes are written to a temporary file in the target directory, then renamed."""
    storage = LocalFileStorage(tmp_path)
    renames: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def spy(src: str, dst: Path) -> None:
        source = Path(src)
        assert source.parent == Path(dst).parent
        assert source.read_bytes() == b"atomic"
        assert not Path(dst).exists()
        renames.append((source, Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    digest = await storage.put(b"atomic")
    assert renames == [(renames[0][0], storage.path_of(digest))]
    assert not renames[0][0].exists()


def test_registry_configure_and_current(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document_storage, "_storage", None)
    with pytest.raises(RuntimeError):
        document_storage.current()
    storage = LocalFileStorage(tmp_path)
    document_storage.configure(storage)
    assert document_storage.current() is storage
    as_port: DocumentStorage = storage  # LocalFileStorage satisfies the protocol
    assert as_port is storage


def test_storage_wiring_uses_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tradecover.settings import Settings
    from tradecover.storage_wiring import configure_storage

    monkeypatch.setattr(document_storage, "_storage", None)
    storage = configure_storage(Settings(env="test", data_dir=tmp_path))
    assert storage.root == tmp_path / "documents"
    assert document_storage.current() is storage
