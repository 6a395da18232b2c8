"""Failed console sign-ins, throttled per client address and per key prefix.

Counted in the database (console_sign_in_throttle), not in the process: the API runs as
several processes (deploy/), and a count per process would multiply the allowance by the
process count and forget it at each restart. The console needs the database anyway, and
does not need Redis; a failed sign-in costs a read and a compare-and-set update.

After MAX_FAILURES failures of one scope, the next attempts of that scope are refused
(HTTP 429, Retry-After) for FIRST_BLOCK, doubled with each further failure up to
MAX_BLOCK. A scope's count starts again once it has been quiet (no failure, no block)
for WINDOW, and a successful sign-in clears the scopes it came with. Attempts refused
while blocked are not checked and not counted.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from domain.services.principals import display_prefix
from domain.store.console_models import SignInThrottle

#: Failures of one address or key prefix before its attempts are refused.
MAX_FAILURES = 5
#: A scope quiet this long starts counting again from zero.
WINDOW = timedelta(minutes=15)
#: The refusal after the MAX_FAILURES-th failure; each further failure doubles it.
FIRST_BLOCK = timedelta(seconds=30)
MAX_BLOCK = timedelta(hours=1)
#: Compare-and-set rounds before a failure is counted with a plain increment.
CAS_ROUNDS = 20


def address_scope(host: str | None) -> str:
    """`address:` and the client address; an IPv6 address counts as its /64 (one host
    usually holds a whole /64, and would otherwise have 2**64 addresses to rotate)."""
    if not host:
        return "address:unknown"
    try:
        parsed = ipaddress.ip_address(host)
    except ValueError:
        return f"address:{host[:60]}"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:a.b.c.d is the IPv4 client a.b.c.d
            return f"address:{parsed.ipv4_mapped}"
        return f"address:{ipaddress.ip_network(f'{parsed}/64', strict=False)}"
    return f"address:{parsed}"


def prefix_scope(pasted: str) -> str | None:
    """`prefix:` and the display prefix of a key-shaped text (what `api_key.display_prefix`
    already stores in clear); None for text that is no key at all, so a mistyped password
    is never stored, not even in part."""
    shown = display_prefix(pasted)
    return f"prefix:{shown}" if shown else None


def scopes_of(host: str | None, pasted: str) -> list[str]:
    prefix = prefix_scope(pasted)
    return [address_scope(host)] + ([prefix] if prefix else [])


def block_for(failures: int) -> timedelta | None:
    """How long a scope is refused after its `failures`-th failure (None: not yet)."""
    if failures < MAX_FAILURES:
        return None
    doublings = min(failures - MAX_FAILURES, 32)  # 2**32 * 30 s is far past MAX_BLOCK
    block: timedelta = min(FIRST_BLOCK * 2**doublings, MAX_BLOCK)
    return block


def _restarts(row: SignInThrottle, now: datetime) -> bool:
    """The window restarts once the scope has been quiet for WINDOW since its last
    failure and since its block ended."""
    quiet_since = max(row.last_failure_at, row.blocked_until or row.last_failure_at)
    return now - quiet_since >= WINDOW


async def retry_after(scopes: list[str], now: datetime) -> int | None:
    """Whole seconds until none of these scopes is blocked, or None when none is."""
    rows = await SignInThrottle.filter(scope__in=scopes, blocked_until__gt=now)
    blocked = [row.blocked_until for row in rows if row.blocked_until is not None]
    if not blocked:
        return None
    return max(1, math.ceil((max(blocked) - now).total_seconds()))


async def record_failure(scopes: list[str], now: datetime) -> None:
    for scope in scopes:
        await _count(scope, now)


async def _count(scope: str, now: datetime) -> None:
    """One more failure of a scope, exact under concurrent failures of any process: the
    count is compare-and-set on the value read (a lost race reads again)."""
    for _ in range(CAS_ROUNDS):
        row = await SignInThrottle.filter(scope=scope).first()
        if row is None:
            try:
                await SignInThrottle.create(
                    scope=scope, failures=1, last_failure_at=now, blocked_until=_until(1, now)
                )
                return
            except IntegrityError:  # another process made the row first: count on it
                continue
        failures = 1 if _restarts(row, now) else row.failures + 1
        won = await SignInThrottle.filter(scope=scope, failures=row.failures).update(
            failures=failures, last_failure_at=now, blocked_until=_until(failures, now)
        )
        if won:
            return
    # Still losing races after CAS_ROUNDS: count it at least (its block waits for the next).
    await SignInThrottle.filter(scope=scope).update(failures=F("failures") + 1, last_failure_at=now)


def _until(failures: int, now: datetime) -> datetime | None:
    block = block_for(failures)
    return now + block if block is not None else None


async def clear(scopes: list[str]) -> None:
    """A successful sign-in: its address and key prefix start from zero."""
    await SignInThrottle.filter(scope__in=scopes).delete()


async def purge(now: datetime) -> int:
    """Rows past any block and window: nothing they hold changes a decision."""
    return await SignInThrottle.filter(last_failure_at__lt=now - WINDOW - MAX_BLOCK).delete()
