"""Transaction-scoped locks for decisions that read before they write across rows.

SQLite needs none: write transactions start with BEGIN IMMEDIATE, so they are serial.
PostgreSQL reads committed data only, so two transactions could each miss the other's
uncommitted insert; an advisory lock per key makes them take turns.
"""

from __future__ import annotations

import hashlib

from tortoise.connection import connections


async def lock_for_transaction(key: str) -> None:
    """Call inside a transaction; released at its end."""
    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres":
        return
    lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
    await connection.execute_query("SELECT pg_advisory_xact_lock($1)", [lock_id])
