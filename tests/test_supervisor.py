"""`tradecover dev` restarts a crashed process after a backoff (tradecover/supervisor.py):
the delays it chooses are checked here with an explicit clock, never by waiting."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tradecover.supervisor import (
    MAX_DELAY,
    STABLE_SECONDS,
    Supervised,
    crashes_in_a_row,
    restart_delay,
)


def test_restart_delays_double_from_half_a_second_up_to_the_cap() -> None:
    assert [restart_delay(n) for n in range(1, 10)] == [
        0.5, 1.0, 2.0, 4.0, 8.0, 16.0, MAX_DELAY, MAX_DELAY, MAX_DELAY
    ]  # fmt: skip
    assert restart_delay(10_000) == MAX_DELAY  # no overflow, no give-up


def test_a_process_that_stayed_up_long_enough_starts_the_backoff_again() -> None:
    assert crashes_in_a_row(5, uptime=STABLE_SECONDS) == 1
    assert crashes_in_a_row(5, uptime=STABLE_SECONDS - 0.1) == 6
    assert crashes_in_a_row(0, uptime=0.0) == 1


def _crashing() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"])


def _crash_and_check(child: Supervised, now: float) -> float:
    """Lets the child's process exit, then returns the delay `check(now)` chose."""
    assert child.process is not None
    child.process.wait()
    child.check(now)
    assert child.restart_at is not None
    return child.restart_at - now


def test_repeated_crashes_back_off_and_each_restart_is_a_new_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    child = Supervised("worker", _crashing)
    child.launch(now=0.0)
    pids = [child.process.pid] if child.process else []
    delays = []
    now = 0.0
    for _ in range(4):
        delays.append(_crash_and_check(child, now))
        now += delays[-1] - 0.1
        child.check(now)  # not yet due: still waiting
        assert child.process is not None and child.process.pid == pids[-1]
        now += 0.1
        child.check(now)  # due: a new process
        assert child.process is not None and child.process.pid not in pids
        pids.append(child.process.pid)
    assert delays == [0.5, 1.0, 2.0, 4.0]
    # A crash after a long healthy run starts from the shortest delay again.
    assert _crash_and_check(child, now + STABLE_SECONDS) == 0.5
    messages = [r.getMessage() for r in caplog.records if r.name == "tradecover.devstack"]
    assert f"tradecover dev: worker (pid {pids[0]}) exited with 3; restarting it in 0.5 s" in (
        messages
    )
    assert f"tradecover dev: restarted worker (pid {pids[1]}, crash 1 in a row)" in messages


def test_a_child_that_cannot_start_is_retried_with_the_next_delay() -> None:
    attempts = 0

    def start() -> subprocess.Popen[bytes]:
        nonlocal attempts
        attempts += 1
        if attempts > 1:
            raise RuntimeError("redis-server did not answer")
        return _crashing()

    child = Supervised("redis", start)
    child.launch(now=0.0)
    assert _crash_and_check(child, 0.0) == 0.5
    child.check(0.5)  # the restart fails: scheduled again, backing off
    assert attempts == 2 and child.restart_at == 0.5 + 1.0
