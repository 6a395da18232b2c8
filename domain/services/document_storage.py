"""Where received documents' bytes live: content addressed by their sha256.

The storage is a port configured once per process (API, worker), like the card gateways:
`configure(storage)` at start, `current()` in services. Storing the same content twice
keeps one copy; the rows that name it (Document) are the database's business.

Storing is two steps when a decision sits between the write and the rename: `stage`
writes the bytes (the slow part, outside any transaction) to a file only this upload
knows, `place` renames it under its hash (cheap, inside the transaction that decides),
and `discard` removes a staged file that was refused. A refused upload so leaves
nothing, and never deletes a blob another upload of the same bytes may be naming.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Staged:
    """Bytes written to a temporary file of their own, not yet under their hash."""

    sha256: str
    size: int
    temp: Path


class DocumentStorage(Protocol):
    async def put(self, content: bytes) -> str:
        """Store the bytes under their hash (once) and return the sha256 hex digest."""
        ...

    async def stage(self, content: bytes) -> Staged:
        """Write the bytes, durably, where no reader looks for them yet."""
        ...

    async def place(self, staged: Staged) -> None:
        """Rename staged bytes under their hash (or drop them when already there)."""
        ...

    async def discard(self, staged: Staged) -> None:
        """Remove staged bytes that were not placed (nothing when already placed)."""
        ...

    async def get(self, sha256: str) -> bytes:
        """The stored bytes; FileNotFoundError when nothing is stored under that hash."""
        ...

    async def exists(self, sha256: str) -> bool: ...


def _checked(sha256: str) -> str:
    """A hash is a path component: only 64 lowercase hex digits are accepted."""
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return sha256


class LocalFileStorage:
    """Files under root/ab/cd/<sha256>. A file appears whole or not at all: bytes go to a
    temporary file in the same directory, are flushed to disk, then renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, sha256: str) -> Path:
        digest = _checked(sha256)
        return self.root / digest[:2] / digest[2:4] / digest

    async def put(self, content: bytes) -> str:
        staged = await self.stage(content)
        try:
            await self.place(staged)
        except BaseException:
            await self.discard(staged)
            raise
        return staged.sha256

    async def stage(self, content: bytes) -> Staged:
        digest = hashlib.sha256(content).hexdigest()
        temp = await asyncio.to_thread(self._write_temp, self.path_of(digest), content)
        return Staged(digest, len(content), temp)

    async def place(self, staged: Staged) -> None:
        await asyncio.to_thread(self._rename, staged.temp, self.path_of(staged.sha256))

    async def discard(self, staged: Staged) -> None:
        await asyncio.to_thread(_unlink, staged.temp)

    async def get(self, sha256: str) -> bytes:
        return await asyncio.to_thread(self.path_of(sha256).read_bytes)

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path_of(sha256).is_file)

    @staticmethod
    def _write_temp(target: Path, content: bytes) -> Path:
        """A temporary file in the target's directory (so the rename stays on one disk)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as temp:
                temp.write(content)
                temp.flush()
                os.fsync(temp.fileno())
        except BaseException:
            _unlink(Path(temp_name))
            raise
        return Path(temp_name)

    @staticmethod
    def _rename(temp: Path, target: Path) -> None:
        if target.is_file():
            _unlink(temp)  # content addressed: the same bytes are already there
            return
        # Atomic on POSIX and Windows; concurrent writers of one hash write equal bytes.
        os.replace(temp, target)
        _fsync_directory(target.parent)


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every platform opens directories)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


_storage: DocumentStorage | None = None


def configure(storage: DocumentStorage) -> None:
    global _storage
    _storage = storage


def current() -> DocumentStorage:
    if _storage is None:
        raise RuntimeError("document storage is not configured in this process")
    return _storage
