"""Prefixed, time-ordered ids: `quo_0193a0c2f1b2_9f1c2e...` sort by creation time.

Within one process they are strictly increasing (monotonic, like ULID): two ids made in
the same millisecond keep their order of creation, so events and webhook deliveries
written by one transaction list in the order they were written (LIFECYCLE 5a).
"""

from __future__ import annotations

import secrets
import threading
import time

_lock = threading.Lock()
_last_millis = 0
_last_random = 0
_RANDOM_BITS = 64


def new_id(prefix: str) -> str:
    global _last_millis, _last_random
    with _lock:
        millis = time.time_ns() // 1_000_000
        if millis > _last_millis:
            _last_millis, _last_random = millis, secrets.randbits(_RANDOM_BITS - 8)
        else:
            # Same (or an earlier, clock stepped back) millisecond: count on from the last.
            _last_random += 1 + secrets.randbelow(256)
            if _last_random >= 1 << _RANDOM_BITS:
                _last_millis, _last_random = _last_millis + 1, secrets.randbits(_RANDOM_BITS - 8)
        return f"{prefix}_{_last_millis:012x}{_last_random:016x}"
