"""Keeps the processes of `tradecover dev` running: a child that exits while the stack is
not stopping is started again after a backoff, and each exit and restart is logged.

The policy is pure (`restart_delay`, `crashes_in_a_row`) so that tests can check the delays
it chooses without waiting for them. A process that stays up for `STABLE_SECONDS` is
healthy again: its next crash starts from the shortest delay. There is no give-up limit:
`make run` is a developer's stack, and a process that keeps crashing is retried every
`MAX_DELAY` seconds while its log says why, instead of stopping everything else.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("tradecover.devstack")

#: The delay before the first restart; it doubles with each crash in a row.
FIRST_DELAY = 0.5
#: The longest delay between restarts of a process that keeps crashing.
MAX_DELAY = 30.0
#: A process up this long is healthy again: its next crash is the first in a row.
STABLE_SECONDS = 60.0


def restart_delay(crashes: int) -> float:
    """Seconds to wait before restarting a process after its `crashes`-th crash in a row
    (1 for the first): 0.5, 1, 2, 4, ... up to MAX_DELAY."""
    if crashes < 1:
        return 0.0
    return min(MAX_DELAY, FIRST_DELAY * 2.0 ** min(crashes - 1, 32))


def crashes_in_a_row(previous: int, uptime: float) -> int:
    """The crash count after a process that ran `uptime` seconds exits."""
    return 1 if uptime >= STABLE_SECONDS else previous + 1


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL what is left of the child's process group (each child leads its own
    session): a SIGKILLed dramatiq supervisor leaves its forked worker behind, which
    would otherwise keep taking jobs next to its replacement and outlive Ctrl-C."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@dataclass
class Supervised:
    """One child of the dev stack, started by `start` and restarted by `check`."""

    name: str
    start: Callable[[], subprocess.Popen[bytes]]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    crashes: int = 0
    restart_at: float | None = None

    def launch(self, now: float) -> None:
        self.process = self.start()
        self.started_at = now
        self.restart_at = None

    def check(self, now: float) -> None:
        """Restarts the child when its delay is over; notices when it has exited."""
        if self.restart_at is not None:
            if now < self.restart_at:
                return
            try:
                self.launch(now)
            except Exception as error:  # e.g. Redis that would not start: try again later
                self._schedule(now, now, f"could not start ({error})")
                return
            assert self.process is not None
            log.warning(
                "tradecover dev: restarted %s (pid %d, crash %d in a row)",
                self.name,
                self.process.pid,
                self.crashes,
            )
            return
        if self.process is None or self.process.poll() is None:
            return
        kill_group(self.process)
        self._schedule(now, self.started_at, f"exited with {self.process.returncode}")

    def _schedule(self, now: float, started_at: float, why: str) -> None:
        self.crashes = crashes_in_a_row(self.crashes, now - started_at)
        delay = restart_delay(self.crashes)
        self.restart_at = now + delay
        pid = self.process.pid if self.process is not None else 0
        log.warning(
            "tradecover dev: %s (pid %d) %s; restarting it in %.1f s", self.name, pid, why, delay
        )
