"""Issue 8, chaos 1: dramatiq workers SIGKILLed every 2 s while TR covers are bound.

200 TR covers are bound through the domain services over 40 s (each publishes its
feasibility job to Redis right after its commit) while two real worker processes run,
with the real scheduler (outbox relay) beside them. Every 2 s one worker's whole
process group is SIGKILLed and a new worker started in its place, so two keep running:
the one in the middle of a job if either is (the test reads the workers' job log lines),
else the older one; never one still booting (booting takes 2-4 s of this 2-core
machine's CPU, and a worker killed before it boots proves nothing). A killed worker's
messages come back after the broker's heartbeat timeout (2 s here); rows it committed
but did not publish go through the relay (after the outbox's 30 s claim lease when it
died between claiming a row and marking it published).

Covers: 20 buyers x 10 covers of 19,000.00 EUR: each fits U-1's 150,000.00 capacity on
its own and stays under U-4's referral threshold; at most 7 of a buyer's can be ACTIVE,
so the job decides both ways (ACTIVE then a capture, DECLINED then a release).

Pass: every cover ACTIVE or DECLINED with one decision; each hold CAPTURED or RELEASED
once, matching, in the hold table, the cover's events and the sandbox card ledger
(capture_count <= 1); no buyer over capacity; no outbox row unpublished, no message
left in Redis (queued, in flight, delayed or dead-lettered); all within 2 minutes of
the last bind, the kills going on until then; some kills cut jobs short, and each of
those jobs was finished by another worker. SQLite only: the multi-writer case on this
stack (PostgreSQL runs in the API-crash and contention tests).

Measured on the 2-core machine (N = 200, not reduced; 3 runs): 45-71 s for the test,
19-32 kills, 8-11 jobs cut short, 0 "database is locked"; a run takes ~25 s longer
when a kill strands a claimed outbox row for the relay's 30 s lease. Each run's figures
go to the summary file (tests/chaos/support.py, SUMMARY).
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from domain.services import outbox
from tests.chaos.support import (
    AMOUNT,
    Processes,
    RedisSender,
    assert_covers_settled_exactly_once,
    bind_tr,
    broker_backlog,
    freight_partner,
    in_flight,
    job_log,
    record,
    redis_db_url,
    stack_env,
    unsettled,
)

pytestmark = [pytest.mark.chaos, pytest.mark.slow]

COVERS = 200
BUYERS = 20
#: Binds are spread over this long, so that kills land while jobs keep arriving.
BIND_SECONDS = 40.0
KILL_EVERY = 2.0
#: At a kill tick, how long to wait for a worker to be in the middle of a job.
BUSY_WAIT = 0.5
#: Everything settled at most this long after the last bind (kills going on).
SETTLE_DEADLINE = 120.0
REDIS_DB = 12  # this test's own logical database on the session's Redis
ERROR_LINE = r"^\w+(?:\.\w+)*(?:Error|Exception): .*$"


async def _bind_all(principal, cover_ids: list[str]) -> None:
    started = time.monotonic()
    for n in range(COVERS):
        cover = await bind_tr(principal, f"B{n % BUYERS:03d}", AMOUNT, datetime.now(UTC))
        cover_ids.append(cover.id)
        ahead = started + BIND_SECONDS * (n + 1) / COVERS - time.monotonic()
        if ahead > 0:
            await asyncio.sleep(ahead)


def _open_jobs(log: Path) -> set[str]:
    """Jobs a worker's log shows started and not (yet) ended."""
    events = job_log(log)
    started = {e["job_id"] for e in events if e["event"] == "job.start"}
    return started - {e["job_id"] for e in events if e["event"] != "job.start"}


def _pick_victim(processes: Processes, workers: list[str], tick: float, now: float) -> str | None:
    """At a kill tick: a booted worker that is running a job if there is one (waiting up
    to BUSY_WAIT for one), else the older booted worker. A worker killed before it has
    booted would prove nothing (booting takes 2-4 s of this machine's CPU under load)."""
    booted = [name for name in workers if processes.ready(name)]
    busy = [name for name in booted if _open_jobs(processes.logs[name])]
    if busy:
        return busy[0]
    if booted and now - tick >= BUSY_WAIT:
        return booted[0]
    return None


async def test_workers_sigkilled_every_2s_leave_every_cover_decided_and_charged_once(
    sqlite_db: str, gateways: None, redis_url: str, tmp_path: Path
) -> None:
    url = redis_db_url(redis_url, REDIS_DB)
    redis.Redis.from_url(url).flushdb()
    env = stack_env(sqlite_db, url, tmp_path / "var")
    processes = Processes(tmp_path)
    sender = RedisSender(url)
    outbox.set_sender(sender)
    cover_ids: list[str] = []
    kill_times: list[float] = []
    killed_logs: list[Path] = []
    taken_at_kills: list[int] = []
    started = time.monotonic()
    try:
        workers = ["worker-a", "worker-b"]  # the older first
        for name in workers:
            processes.worker(name, env)
        processes.scheduler(env)
        principal = await freight_partner()
        binding = asyncio.create_task(_bind_all(principal, cover_ids))
        next_kill = time.monotonic() + KILL_EVERY
        last_bind: float | None = None
        while True:
            now = time.monotonic()
            if binding.done():
                binding.result()  # a bind that failed fails the test here
                last_bind = last_bind or now
            left = await unsettled()
            backlog = broker_backlog(url)
            if last_bind is not None and not any(left.values()) and not backlog["pending"]:
                break
            if last_bind is not None and now - last_bind > SETTLE_DEADLINE:
                raise AssertionError(
                    f"not settled {SETTLE_DEADLINE:.0f} s after the last bind: {left}, "
                    f"Redis {backlog}\n{processes.diagnostics()}"
                )
            assert not processes.exited(), processes.diagnostics()
            victim = _pick_victim(processes, workers, next_kill, now) if now >= next_kill else None
            if victim is not None:
                taken_at_kills.append(in_flight(url))  # both workers' unacked messages
                killed_logs.append(processes.logs[victim])
                processes.sigkill(victim)
                workers.remove(victim)
                workers.append(victim)  # restarted: now the younger one
                processes.worker(victim, env)
                kill_times.append(now)
                next_kill = max(next_kill + KILL_EVERY, now)
            await asyncio.sleep(0.05)
        settle_seconds = time.monotonic() - last_bind
        chaos_seconds = time.monotonic() - started
    finally:
        outbox.set_sender(None)
        stopping = time.monotonic()
        processes.stop_all()
        stop_seconds = time.monotonic() - stopping
        sender.close()

    outcomes = await assert_covers_settled_exactly_once(cover_ids)
    assert len(cover_ids) == COVERS
    assert await unsettled() == {"covers": 0, "holds": 0, "outbox": 0, "webhooks": 0}
    assert broker_backlog(url) == {"pending": 0, "dead": 0}
    assert outcomes["active"] and outcomes["declined"], outcomes  # both paths exercised

    # The workers' job lines: which jobs the kills cut short, and that each was finished
    # by another worker (the same dramatiq message, redelivered).
    all_logs = sorted(tmp_path.glob("worker-*.log"))
    events = [e for log in all_logs for e in job_log(log)]
    assert events, "no job lines in the worker logs (workers/broker.py, JobLogMiddleware)"
    interrupted = set().union(*(_open_jobs(log) for log in killed_logs))
    finished = {e["job_id"] for e in events if e["event"] == "job.done"}
    texts = [log.read_text(errors="replace") for log in all_logs]
    kills = len(kill_times)
    intervals = [b - a for a, b in zip(kill_times, kill_times[1:], strict=False)]
    record(
        "worker_sigkill",
        {
            "covers": COVERS,
            **outcomes,
            "worker_kills": kills,
            "kill_interval_mean_s": round(sum(intervals) / len(intervals), 2),
            "kill_interval_max_s": round(max(intervals), 2),
            "jobs_cut_short_by_kills": len(interrupted),
            "done_lines_lost_with_the_pipe": len(interrupted - finished),
            "kills_cutting_a_job_short": sum(bool(_open_jobs(log)) for log in killed_logs),
            "unacked_messages_at_kills": sum(taken_at_kills),
            "jobs_started": sum(e["event"] == "job.start" for e in events),
            "jobs_failed_and_retried": sum(e["event"] == "job.failed" for e in events),
            "worker_processes_started": len(all_logs),
            "jobs_published_by_test_process": sender.sent,
            "database_locked_in_worker_logs": sum(t.count("database is locked") for t in texts),
            "error_kinds_in_worker_logs": sorted(
                {m[:160] for t in texts for m in re.findall(ERROR_LINE, t, re.M)}
            ),
            "settled_after_last_bind_s": round(settle_seconds, 1),
            "chaos_s": round(chaos_seconds, 1),
            "graceful_stop_s": round(stop_seconds, 1),
            "wall_s": round(time.monotonic() - started, 1),
        },
    )
    # A kill about every 2 s once a worker had booted, and kills that cut jobs short.
    assert kills >= 6 and sum(intervals) / len(intervals) < 2.5, intervals
    assert interrupted, "no kill landed while a job was running"
    # A worker's log lines reach its file through the dramatiq supervisor's pipe, and the
    # SIGKILL takes the whole group: a job that had finished (and was acked) when the kill
    # landed can lose its `job.done` line in the pipe and look cut short. Such a job left
    # no message behind (the broker backlog is empty, asserted above) and its cover was
    # decided exactly once (asserted above). Jobs really cut short were finished by
    # another worker: most of them show that, and at least one always does.
    lost_lines = interrupted - finished
    assert interrupted & finished, f"no cut-short job was finished elsewhere: {interrupted}"
    assert len(lost_lines) <= len(interrupted) // 2, f"cut short, never finished: {lost_lines}"
