"""Prefixed, time-ordered ids: `quo_0193a0c2f1b2_9f1c2e...` sort by creation time."""

from __future__ import annotations

import secrets
import time


def new_id(prefix: str) -> str:
    millis = time.time_ns() // 1_000_000
    return f"{prefix}_{millis:012x}{secrets.token_hex(8)}"
