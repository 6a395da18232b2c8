"""LIFECYCLE 5a: one increasing sequence number per cover and per policy, taken inside
the transaction that records the event.

The owner row keeps the last number given (`event_sequence`). Taking the next one is a
compare-and-set on that counter: on PostgreSQL the update locks the owner row until the
transaction ends, so a concurrent writer waits, re-reads and takes the following number;
on SQLite write transactions are serial (BEGIN IMMEDIATE). The events' unique
(owner, sequence) constraint is the last guard: a number is never given twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

from domain.store.policy_models import Policy

#: A compare-and-set that loses this many times in a row means something else is wrong.
MAX_ATTEMPTS = 50


class SequenceUnavailable(RuntimeError):
    """The owner row is gone or its counter keeps moving under us."""


async def next_number(owner: type[Model], owner_id: str) -> int:
    """The next event number of `owner_id` (1 for its first event)."""
    for _ in range(MAX_ATTEMPTS):
        current = await owner.filter(id=owner_id).values_list("event_sequence", flat=True)
        if not current:
            raise SequenceUnavailable(f"{owner.__name__} {owner_id} does not exist")
        last: int = int(current[0])  # type: ignore[call-overload]
        taken = await owner.filter(id=owner_id, event_sequence=last).update(
            event_sequence=F("event_sequence") + 1
        )
        if taken == 1:
            return int(last + 1)
    raise SequenceUnavailable(f"{owner.__name__} {owner_id}: sequence contended")


async def lock_owner(owner: type[Model], owner_id: str) -> None:
    """Take the owner row's lock first, at the start of a transaction that writes other
    rows (a claim, a deadline, a hold) before it records an event. Every transaction
    then meets the owner's lock before the others, so two of them cannot wait on each
    other (PostgreSQL). On SQLite write transactions are serial and this reads nothing
    more than a row."""
    await owner.filter(id=owner_id).select_for_update().first()


@asynccontextmanager
async def policy_transaction(policy_id: str) -> AsyncIterator[None]:
    """A whole-turnover service transaction that takes the policy row's lock first
    (LIFECYCLE 5a). Recording a policy event locks that row until the end (the
    counter's compare-and-set); one transaction writing sales, limits, claims,
    deadlines or invoices before its event and another writing them after would take
    the locks in opposite orders and could deadlock on PostgreSQL. Taken first, every
    such transaction on the policy waits at the same row."""
    async with in_transaction():
        await lock_owner(Policy, policy_id)
        yield
