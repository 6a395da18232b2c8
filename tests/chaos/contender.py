"""One contending process of the contention test (test_hold_contention.py), run as
`python -m tests.chaos.contender CONFIG.json`.

Opens the shared database and an in-process API (the app of `tradecover serve`, over
httpx's ASGI transport), then for each round (one referred cover, whose confirmation
window the test has just closed) waits for the test's go file and runs TASKS asyncio
tasks at once on that cover's hold, each in one role:

- `approve` / `decline`: insurer staff's `decideFeasibility` through GraphQL;
- `expiry`: the scheduler's `expire_confirmation_windows` (the window has passed);
- `worker`: the redelivered `cover.confirm_feasibility` job, then the outbox relay and
  the jobs it publishes (capture or release), each run a second time as a redelivery,
  until the hold is settled.

Prints one JSON summary: every task's outcome and everything a client would have seen go
wrong (non-200 answers, GraphQL errors, unexpected userErrors, exceptions).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from domain.services import activation, holds, outbox
from domain.store.cover_models import Cover, PaymentHold
from domain.store.database import close_db, init_db
from tests.api.cover_helpers import DECIDE
from tradecover.app import create_app
from tradecover.settings import Settings
from workers.jobs import JOBS

ROLES = ("approve", "decline", "expiry", "worker")
WORKER_DEADLINE = 20.0


async def _decide(http: httpx.AsyncClient, key: str, cover_id: str, approve: bool) -> str:
    response = await http.post(
        "/graphql",
        json={"query": DECIDE, "variables": {"input": {"coverId": cover_id, "approve": approve}}},
        headers={"Authorization": f"Bearer {key}"},
    )
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {json.dumps(body['errors'])[:300]}")
    payload = body["data"]["decideFeasibility"]
    codes = [error["code"] for error in payload["userErrors"]]
    if codes:
        if codes != ["INVALID_STATE"]:
            raise RuntimeError(f"unexpected userErrors: {payload['userErrors']}")
        return "lost"  # decided meanwhile: the answer a client gets, not a failure
    return f"won:{payload['cover']['status']}"


async def _work(cover_id: str) -> str:
    now = datetime.now(UTC)
    await JOBS["cover.confirm_feasibility"](cover_id)  # redelivered: referred, changes nothing
    deadline = time.monotonic() + WORKER_DEADLINE
    ran = 0
    while time.monotonic() < deadline:
        cover = await Cover.get(id=cover_id)
        hold = await PaymentHold.get(cover_id=cover_id)
        if hold.status in (holds.CAPTURED, holds.RELEASED):
            return f"settled:{hold.status}:ran={ran}"
        taken: list[tuple[str, dict[str, Any]]] = []

        def take(actor: str, payload: dict[str, Any], message_id: str, into=taken) -> None:
            into.append((actor, payload))

        await outbox.relay_once(take, datetime.now(UTC))
        for actor, payload in taken + taken:  # each job delivered twice
            await JOBS[actor](**{k: v for k, v in payload.items() if k != "outbox_id"})
            ran += 1
        if cover.status == activation.ACTIVE:
            await holds.capture_hold(cover_id, now)  # one more redelivery of the capture
        elif cover.status == activation.COVER_DECLINED:
            await holds.release_hold(cover_id, now)
        await asyncio.sleep(0.01)
    return "timeout"


async def _task(role: str, http: httpx.AsyncClient, key: str, cover_id: str) -> dict[str, Any]:
    await asyncio.sleep(random.uniform(0, 0.02))  # the roles interleave differently each round
    started = time.monotonic()
    try:
        if role in ("approve", "decline"):
            outcome = await _decide(http, key, cover_id, role == "approve")
        elif role == "expiry":
            declined = await activation.expire_confirmation_windows(datetime.now(UTC))
            outcome = "won:DECLINED" if declined else "lost"  # only this round's window closed
        else:
            outcome = await _work(cover_id)
        error = None
    except Exception as exc:
        outcome = "error"
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:500]
    return {
        "role": role,
        "outcome": outcome,
        "error": error,
        "ms": round((time.monotonic() - started) * 1000, 1),
    }


async def main(config: dict[str, Any]) -> dict[str, Any]:
    settings = Settings(
        env="test",
        database_url=config["database_url"],
        redis_url=config["redis_url"],
        data_dir=Path(config["data_dir"]),
        # 40 decisions a round from one staff key: the per-key rate limit (issue 7) would
        # answer 429 first; this test is about the database, not about rate limits.
        rate_limit_enabled=False,
    )
    app = create_app(settings, manage_database=False)
    outbox.set_sender(None)  # jobs stay in the outbox: the `worker` tasks relay them
    await init_db(config["database_url"])
    sync = Path(config["sync_dir"])
    me, index, tasks = config["name"], config["index"], config["tasks"]
    results: list[dict[str, Any]] = []
    try:
        transport = httpx.ASGITransport(app=app)
        base = "http://tradecover.test"
        async with httpx.AsyncClient(transport=transport, base_url=base) as http:
            (sync / f"ready-{me}").touch()
            for round_, cover_id in enumerate(config["cover_ids"]):
                go = sync / f"go-{round_}"
                deadline = time.monotonic() + 120
                while not go.exists():
                    if time.monotonic() > deadline:
                        raise SystemExit(f"no go for round {round_}")
                    await asyncio.sleep(0.002)
                batch = await asyncio.gather(
                    *(
                        _task(ROLES[(i + index) % len(ROLES)], http, config["staff_key"], cover_id)
                        for i in range(tasks)
                    )
                )
                results += [{**r, "round": round_, "cover_id": cover_id} for r in batch]
                (sync / f"done-{round_}-{me}").touch()
    finally:
        await close_db()
    return {"name": me, "results": results}


if __name__ == "__main__":
    summary = asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
    print(json.dumps(summary), flush=True)
