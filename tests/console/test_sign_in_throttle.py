"""Console sign-in throttling (tradecover/console/throttle.py): failures counted in the
database per client address and per key prefix; after MAX_FAILURES the scope's attempts
are answered 429 with Retry-After, FIRST_BLOCK doubling with each further failure up to
MAX_BLOCK; a scope quiet for WINDOW starts again, and a success clears its scopes.
Time is the console's clock set by the test (no sleeps)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from domain.store.console_models import SignInThrottle
from tests.console.conftest import Clock
from tests.console.support import Console
from tradecover.console import throttle
from tradecover.console.throttle import FIRST_BLOCK, MAX_BLOCK, MAX_FAILURES, WINDOW

#: Client addresses of the tests: loopback, seen only by the in-process app.
HERE, ELSEWHERE = "127.0.0.10", "127.0.0.20"


def _wrong(prefix: str = "tc_staff_") -> str:
    return prefix + secrets.token_urlsafe(24)[: 32 - len(prefix)]


async def _fail(console: Console, key: str | None = None) -> None:
    refused = await console.sign_in(key or _wrong())
    assert refused.status_code == 401, refused.text


def _retry_after(response) -> int:
    assert response.status_code == 429, response.text
    assert 'data-code="RATE_LIMITED"' in response.text
    return int(response.headers["retry-after"])


async def test_an_address_is_refused_429_after_max_failures_and_others_are_not(
    clients, make_staff, console_clock: Clock
):
    key = await make_staff()
    here = Console(clients(HERE))
    for _ in range(MAX_FAILURES):  # each with another key prefix: only the address counts
        await _fail(here)
    refused = await here.sign_in(key)  # even the right key: not checked while refused
    assert _retry_after(refused) == FIRST_BLOCK.total_seconds()
    assert "Try again in 30 s." in refused.text
    assert (await here.get("/referrals")).status_code == 303
    elsewhere = Console(clients(ELSEWHERE))
    assert (await elsewhere.sign_in(key)).status_code == 303


async def test_a_key_prefix_is_refused_429_after_max_failures_from_any_addresses(
    clients, make_staff, console_clock: Clock
):
    key = await make_staff()
    prefix = key[:13]  # the part of a staff key its display prefix shows
    for n in range(MAX_FAILURES):  # one guess from each of five addresses
        await _fail(Console(clients(f"127.0.1.{n + 1}")), _wrong(prefix))
    owner = Console(clients(ELSEWHERE))  # a fresh address, the real key of that prefix
    assert _retry_after(await owner.sign_in(key)) == FIRST_BLOCK.total_seconds()
    other_key = await make_staff()  # another prefix from the same address is not blocked
    assert (await owner.sign_in(other_key)).status_code == 303


async def test_the_block_doubles_with_each_failure_after_the_limit_up_to_the_cap(
    clients, sqlite_db, console_clock: Clock
):
    here = Console(clients(HERE))
    for _ in range(MAX_FAILURES):
        await _fail(here)
    waits = []
    for _ in range(4):
        wait = _retry_after(await here.sign_in(_wrong()))
        waits.append(wait)
        console_clock.advance(seconds=wait - 1)
        assert _retry_after(await here.sign_in(_wrong())) == 1  # not counted while refused
        console_clock.advance(seconds=1)
        await _fail(here)  # the block is over: checked, wrong, counted
    assert waits == [30, 60, 120, 240]
    assert _retry_after(await here.sign_in(_wrong())) == 480
    assert throttle.block_for(MAX_FAILURES + 20) == MAX_BLOCK


async def test_a_correct_key_once_the_block_passes_signs_in_and_clears_the_count(
    clients, make_staff, console_clock: Clock
):
    key = await make_staff()
    here = Console(clients(HERE))
    for _ in range(MAX_FAILURES):
        await _fail(here, _wrong(key[:13]))
    assert _retry_after(await here.sign_in(key)) == 30
    console_clock.advance(seconds=30)
    assert (await here.sign_in(key)).status_code == 303
    assert await SignInThrottle.all().count() == 0  # address and prefix both cleared
    assert (await here.get("/referrals")).status_code == 200
    later = Console(clients(HERE))
    for _ in range(MAX_FAILURES - 1):  # a fresh allowance after the success
        await _fail(later, _wrong(key[:13]))
    assert (await later.sign_in(key)).status_code == 303


async def test_failures_spread_wider_than_the_window_never_block(
    clients, make_staff, console_clock: Clock
):
    key = await make_staff()
    here = Console(clients(HERE))
    for _ in range(3):
        for _ in range(MAX_FAILURES - 1):
            await _fail(here)
        console_clock.advance(seconds=WINDOW.total_seconds())
    row = await SignInThrottle.get(scope=f"address:{HERE}")
    assert row.failures == MAX_FAILURES - 1 and row.blocked_until is None
    assert (await here.sign_in(key)).status_code == 303


async def test_the_window_restarts_only_after_the_block_and_a_quiet_window(
    clients, sqlite_db, console_clock: Clock
):
    """A long block is not a free reset: the count restarts WINDOW after the block ends."""
    here = Console(clients(HERE))
    for _ in range(MAX_FAILURES + 5):  # blocks 30, 60, 120, 240, 480, then 960 s
        await _fail(here)
        wait = await throttle.retry_after([f"address:{HERE}"], console_clock())
        console_clock.advance(seconds=wait or 0)
    # The 960 s block (longer than the window) just ended: one more failure doubles it.
    await _fail(here)
    assert _retry_after(await here.sign_in(_wrong())) == 1920
    console_clock.advance(seconds=1920 + WINDOW.total_seconds())
    await _fail(here)  # quiet for a whole window after the block: counting from 1 again
    assert (await SignInThrottle.get(scope=f"address:{HERE}")).failures == 1


async def test_ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4():
    assert throttle.address_scope("2001:db8:1:2:aaaa::1") == "address:2001:db8:1:2::/64"
    assert throttle.address_scope("2001:db8:1:2:bbbb::9") == "address:2001:db8:1:2::/64"
    assert throttle.address_scope("::ffff:127.0.0.9") == "address:127.0.0.9"
    assert throttle.address_scope(None) == "address:unknown"
    assert throttle.prefix_scope("tc_staff_abcdEFGH") == "prefix:tc_staff_abcd"
    assert throttle.prefix_scope("tc_live_abcdEFGH") == "prefix:tc_live_abcd"
    assert throttle.prefix_scope("hunter2-my-password") is None  # never stored, not in part


async def test_blank_input_is_not_counted(clients, sqlite_db, console_clock: Clock):
    here = Console(clients(HERE))
    for _ in range(MAX_FAILURES + 1):
        assert (await here.sign_in("   ")).status_code == 401
    assert await SignInThrottle.all().count() == 0


@pytest.mark.parametrize("contenders", [25])
async def test_concurrent_failures_are_each_counted_once(db, contenders):
    """Failures racing on one scope (PostgreSQL: on separate connections) lose none: the
    count is compare-and-set, so the throttle holds whatever the number of processes."""
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    scopes = ["address:127.0.0.30", "prefix:tc_staff_race"]
    await asyncio.gather(*(throttle.record_failure(scopes, now) for _ in range(contenders)))
    rows = {row.scope: row for row in await SignInThrottle.all()}
    assert {scope: rows[scope].failures for scope in scopes} == dict.fromkeys(scopes, contenders)
    block = throttle.block_for(contenders)
    assert block == FIRST_BLOCK * 2 ** (contenders - MAX_FAILURES) or block == MAX_BLOCK
    assert rows[scopes[0]].blocked_until == now + block
    assert await throttle.retry_after(scopes, now) == int(block.total_seconds())
    assert await throttle.purge(now + WINDOW + MAX_BLOCK) == 0  # not stale yet
    stale = now + WINDOW + MAX_BLOCK + timedelta(seconds=1)
    assert await throttle.purge(stale) == 2
