"""What the FI and TR state machines share: a database, a sandbox partner, insurer staff
and a test clock per example, the services driven directly, refusals taken as answers,
and the invariants both products keep (LIFECYCLE 2-5a).

Each example runs in its own event loop on its own copy of a migrated SQLite file
(Tortoise connections are bound to the loop that made them, STACK_NOTES). Jobs run
inline through the outbox (tests/support/jobs.py). A rule that calls a service accepts a
DomainError as a valid answer (the partner was refused); anything else fails the run.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import ClassVar, TypeVar

from hypothesis import Phase, settings
from hypothesis.stateful import RuleBasedStateMachine

from domain.rules.quote_request import Company
from domain.services import clocks, document_storage, outbox
from domain.services.document_storage import LocalFileStorage
from domain.services.errors import DomainError
from domain.services.principals import Principal, authenticate, create_partner, create_staff
from domain.store.claim_models import Claim, CoverDeadline
from domain.store.cover_models import Cover, CoverEvent
from domain.store.database import close_db, init_db, migrate
from tests.support.jobs import InlineJobs
from tests.support.stateful import LONG, machine_settings

T = TypeVar("T")
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ZERO = Decimal("0.00")

#: Cover statuses and the ones each may move to (LIFECYCLE 2-5); a step may take several.
COVER_MOVES: dict[str, set[str]] = {
    "PENDING_CONFIRMATION": {"ACTIVE", "DECLINED"},
    "ACTIVE": {"SETTLED", "DEFAULTED", "LAPSED"},
    "DEFAULTED": {"IN_CLAIM", "LAPSED"},
    "IN_CLAIM": {"INDEMNIFIED", "LAPSED"},
    "INDEMNIFIED": set(),
    "SETTLED": set(),
    "DECLINED": set(),
    "LAPSED": set(),
}
CLAIM_MOVES: dict[str, set[str]] = {
    "DOCUMENTS_PENDING": {"UNDER_REVIEW", "REJECTED", "SUSPENDED"},
    "UNDER_REVIEW": {"APPROVED", "REJECTED", "SUSPENDED"},
    "SUSPENDED": {"DOCUMENTS_PENDING", "UNDER_REVIEW", "APPROVED", "REJECTED"},
    "APPROVED": {"PAID"},
    "PAID": set(),
    "REJECTED": set(),
}
#: Deadline states that end it; an ended deadline never changes again.
DEADLINE_ENDS = {"MET", "MISSED", "VOID"}

PDF = b"%PDF-1.4\n% state machine document\n"


def reachable(moves: dict[str, set[str]], start: str) -> set[str]:
    """Every status `start` can reach in one or more allowed moves, and itself."""
    seen, todo = {start}, [start]
    while todo:
        for nxt in moves.get(todo.pop(), set()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def company(country: str, registration: str, name: str, sector: str) -> Company:
    return Company(country, registration, name, "COMPANY", sector)


@dataclass
class Payment:
    """A payment the buyer made, as the model saw it when it was accepted."""

    amount: Decimal
    phase: str  # "before" the notification, "during" the claim, "after" the indemnity
    received_on: date


@dataclass
class Observed:
    cover_status: str | None = None
    claim_status: str | None = None
    deadlines: dict[str, str] = field(default_factory=dict)


_TEMPLATE: dict[str, str] = {}
#: How each example ended (cover status, claim status): the runs' reach, for the report.
ENDINGS: list[tuple[str | None, str | None]] = []


def migrated_template() -> str:
    """A migrated SQLite file, made once per process and copied for each example."""
    if "path" not in _TEMPLATE:
        path = str(Path(tempfile.mkdtemp(prefix="tc-machine-")) / "template.sqlite3")
        asyncio.run(migrate(f"sqlite://{path}"))
        _TEMPLATE["path"] = path
    return _TEMPLATE["path"]


class SingleInvoiceMachine(RuleBasedStateMachine):
    """The harness; each product's machine adds its rules and its money invariants."""

    partner_kind: ClassVar[str] = "financing_platform"

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = Path(tempfile.mkdtemp(prefix="tc-example-"))
        shutil.copyfile(migrated_template(), self.dir / "db.sqlite3")
        self.jobs = InlineJobs()
        outbox.set_sender(self.jobs.send)
        document_storage.configure(LocalFileStorage(self.dir / "documents"))
        self.run(init_db(f"sqlite://{self.dir / 'db.sqlite3'}"))
        self.partner, self.staff = self.run(self._principals())
        self.clock_id = str(self.run(clocks.create_test_clock(self.partner, START, START)).id)
        self.now = START
        self.cover_id: str | None = None
        self.payments: list[Payment] = []
        self.seen = Observed()
        self.refusals: list[str] = []
        # What the preconditions read, refreshed after every step (check_common).
        self.cover_status: str | None = None
        self.feasibility: str | None = None
        self.claim_status: str | None = None

    async def _principals(self) -> tuple[Principal, Principal]:
        now = datetime.now(UTC)
        _, key = await create_partner(
            name="Machine", kind=self.partner_kind, sandbox=True, premium_rate=None, now=now
        )
        _, staff_key = await create_staff(name="Claims", now=now)
        partner, staff = await authenticate(key), await authenticate(staff_key)
        assert partner is not None and staff is not None
        return partner, staff

    def teardown(self) -> None:
        cover, claim = self.cover(), self.claim()
        ENDINGS.append((cover.status if cover else None, claim.status if claim else None))
        outbox.set_sender(None)
        document_storage._storage = None  # type: ignore[attr-defined]
        self.run(close_db())
        self.loop.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # Driving

    def run(self, coro: Awaitable[T]) -> T:
        return self.loop.run_until_complete(coro)

    def attempt(self, coro: Awaitable[T]) -> T | None:
        """The service's answer, or None when it refused (a valid answer)."""
        try:
            return self.run(coro)
        except DomainError as refused:
            self.refusals.append(refused.code)
            if "retry" in refused.message:
                raise AssertionError(f"a valid call answered retry: {refused.message}") from None
            return None

    @property
    def today(self) -> date:
        return self.now.date()

    def run_jobs(self) -> None:
        """What the relay and the workers would do: every job written, run to the end."""

        async def drain() -> None:
            while True:
                await outbox.relay_once(self.jobs.send, datetime.now(UTC) + timedelta(hours=1))
                if not self.jobs.queue:
                    return
                await self.jobs.run_all()

        self.run(drain())

    def advance_days(self, days: int) -> None:
        to = self.now + timedelta(days=days)
        self.attempt(clocks.advance_test_clock(self.partner, self.clock_id, to))
        self.now = to
        self.run_jobs()

    def cover(self) -> Cover | None:
        if self.cover_id is None:
            return None
        return self.run(Cover.get(id=self.cover_id))

    def claim(self) -> Claim | None:
        if self.cover_id is None:
            return None
        return self.run(Claim.filter(cover_id=self.cover_id).first())

    def phase(self) -> str:
        cover = self.cover()
        assert cover is not None
        if cover.status == "INDEMNIFIED":
            return "after"
        if cover.status in ("DEFAULTED", "IN_CLAIM"):
            return "during"
        return "before"

    def paid(self, phases: tuple[str, ...] = ("before", "during", "after")) -> Decimal:
        return sum((p.amount for p in self.payments if p.phase in phases), ZERO)

    # Invariants both products keep

    def check_payments_counted_once(self) -> None:
        """paid + unpaid = invoice: the stored paid amount is every accepted payment, each
        recorded once, as a payment before the indemnity or a recovery after, never both."""
        cover = self.cover()
        if cover is None:
            return
        assert cover.paid_amount == self.paid(), (cover.paid_amount, self.payments)
        events = self.run(
            CoverEvent.filter(
                cover_id=cover.id, type__in=("payment.recorded", "recovery.recorded")
            ).order_by("occurred_at", "id")
        )
        payments = [e for e in events if e.type == "payment.recorded"]
        recoveries = [e for e in events if e.type == "recovery.recorded"]
        assert len(payments) == len([p for p in self.payments if p.phase != "after"])
        assert len(recoveries) == len([p for p in self.payments if p.phase == "after"])
        for event in recoveries:
            data = event.data if isinstance(event.data, dict) else {}
            shares = Decimal(str(data["insurerShare"])) + Decimal(str(data["insuredShare"]))
            assert shares == Decimal(str(data["amount"])), data  # FI-R1: split, not doubled

    def check_transitions(self) -> None:
        cover, claim = self.cover(), self.claim()
        if cover is not None:
            before = self.seen.cover_status
            if before is not None:
                assert cover.status in reachable(COVER_MOVES, before), (before, cover.status)
            self.seen.cover_status = cover.status
        if claim is not None:
            before = self.seen.claim_status
            if before is not None:
                assert claim.status in reachable(CLAIM_MOVES, before), (before, claim.status)
            self.seen.claim_status = claim.status

    def check_deadlines(self) -> None:
        """Never both met and missed: an ended deadline keeps its end, its day agrees."""
        if self.cover_id is None:
            return
        rows = self.run(CoverDeadline.filter(cover_id=self.cover_id))
        for row in rows:
            assert row.state in {"OPEN", *DEADLINE_ENDS}, row.state
            # metOn is the day the fact came: a MISSED deadline's came late (or never), a
            # MET one's on time; anything else would be both met and missed.
            if row.state == "MISSED" and row.met_on is not None:
                assert row.met_on > row.due_on, (row.kind, row.due_on, row.met_on)
            if row.state == "MET" and row.met_on is not None:
                assert row.met_on <= row.due_on, (row.kind, row.due_on, row.met_on)
            before = self.seen.deadlines.get(row.kind)
            if before in DEADLINE_ENDS:
                assert row.state == before, (row.kind, before, row.state)
            self.seen.deadlines[row.kind] = row.state

    def check_common(self) -> None:
        self.check_payments_counted_once()
        self.check_transitions()
        self.check_deadlines()
        cover, claim = self.cover(), self.claim()
        self.cover_status = cover.status if cover else None
        self.feasibility = cover.feasibility if cover else None
        self.claim_status = claim.status if claim else None


def fi_buyer() -> Company:
    return company("ES", "B12345678", "Buyer SL", "46.90")


def configure(redis_url: str) -> None:
    """Gateways as the API process has them (the sandbox card gateway for TR holds)."""
    from tradecover.settings import Settings
    from tradecover.wiring import configure_gateways

    configure_gateways(Settings(env="test", redis_url=redis_url))


def fast_settings(*, examples: int, steps: int) -> settings:
    """machine_settings, without shrinking in the default run: a failing sequence is shown
    as found (shrinking one took minutes); TRADECOVER_STATEFUL=long shrinks it."""
    base = machine_settings(examples=examples, steps=steps)
    if LONG:
        return base
    return settings(base, phases=[Phase.explicit, Phase.reuse, Phase.generate])
