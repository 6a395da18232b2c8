"""Runs outbox jobs inline in the test's event loop, through the same JOBS table the
dramatiq actors use (STACK_NOTES: actors' own tests use real worker processes)."""

from __future__ import annotations

from typing import Any

from workers.jobs import JOBS


class InlineJobs:
    def __init__(self) -> None:
        self.queue: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send(self, actor: str, payload: dict[str, Any], message_id: str) -> None:
        self.queue.append((actor, payload))
        self.sent.append((actor, payload))

    async def run_all(self, *, skip: tuple[str, ...] = ("webhook.deliver",)) -> list[str]:
        """Runs queued jobs (and the jobs they queue) until none is left."""
        ran: list[str] = []
        while self.queue:
            actor, payload = self.queue.pop(0)
            if actor in skip:
                continue
            await JOBS[actor](**{k: v for k, v in payload.items() if k != "outbox_id"})
            ran.append(actor)
        return ran

    def names(self) -> list[str]:
        return [actor for actor, _ in self.sent]
