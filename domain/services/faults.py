"""Fault injection points for crash tests (issue: exactly once under at-least-once).

A process may be configured (from settings, at start) to pause at a named point and to
drop a marker file when it gets there, so a test can SIGKILL it at that exact moment.
Unconfigured, a checkpoint costs one dict lookup.

Points: `feasibility.in_transaction` (activation), `hold.capture.after_claim` (holds),
`outbox.enqueued` (a job row written, its transaction not yet committed),
`outbox.before_publish` (committed, not yet sent to Redis) and `outbox.after_send`
(sent, not yet marked published) in outbox.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

_pauses: dict[str, float] = {}
_marker_dir: Path | None = None


def configure(pauses: dict[str, float], marker_dir: Path | None) -> None:
    global _marker_dir
    _pauses.clear()
    _pauses.update(pauses)
    _marker_dir = marker_dir


def parse(spec: str) -> dict[str, float]:
    """ "a.b=30,c.d=5" -> {"a.b": 30.0, "c.d": 5.0}"""
    pauses: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, seconds = item.partition("=")
        pauses[name.strip()] = float(seconds or 60)
    return pauses


async def checkpoint(name: str) -> None:
    seconds = _pauses.get(name)
    if seconds is None:
        return
    if _marker_dir is not None:
        (_marker_dir / f"{name}.reached").write_text("1")
    await asyncio.sleep(seconds)
