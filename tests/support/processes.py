"""Process trees from /proc (Linux), to check that a stopped stack leaves no process behind.

A process is identified by (pid, start time) so that a recycled pid is not mistaken for
a survivor.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Proc:
    pid: int
    start_time: int
    command: str


def _stat(pid: int) -> tuple[int, int, str] | None:
    """(ppid, start time, state) of a live process, None when it is gone."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name is in parentheses and may contain spaces: split after the last ")".
    fields = raw[raw.rindex(")") + 2 :].split()
    state, ppid, start_time = fields[0], int(fields[1]), int(fields[19])
    return ppid, start_time, state


def _command(pid: int) -> str:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return "?"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def descendants(pid: int) -> list[Proc]:
    """Every live descendant of pid (children, grandchildren, ...)."""
    parents: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        stat = _stat(int(entry.name))
        if stat is not None:
            parents.setdefault(stat[0], []).append(int(entry.name))
    found: list[Proc] = []
    stack = list(parents.get(pid, []))
    while stack:
        child = stack.pop()
        stat = _stat(child)
        if stat is not None:
            found.append(Proc(child, stat[1], _command(child)))
        stack.extend(parents.get(child, []))
    return found


def children(pid: int) -> list[Proc]:
    """The live direct children of pid."""
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[0] == pid and stat[2] != "Z":
                found.append(Proc(int(entry.name), stat[1], _command(int(entry.name))))
    return found


def is_running(proc: Proc) -> bool:
    """True while the same process (not a recycled pid) exists and is not a zombie."""
    stat = _stat(proc.pid)
    return stat is not None and stat[1] == proc.start_time and stat[2] != "Z"


def wait_gone(procs: list[Proc], timeout: float) -> list[Proc]:
    """Waits up to timeout for procs to end; returns those still running."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [proc for proc in procs if is_running(proc)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.1)


def kill_group(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """Last-resort cleanup for a process started with start_new_session=True: SIGKILL its
    process group (only processes this test started are in it)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def kill_procs(procs: list[Proc]) -> None:
    """SIGKILLs recorded processes that still run (the same process, not a recycled pid)."""
    for proc in procs:
        if is_running(proc):
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
