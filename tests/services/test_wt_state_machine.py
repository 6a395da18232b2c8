"""The whole-turnover state machine: hypothesis drives the WT services on a test clock
with random valid sequences (limits, declarations, collections, premium payments,
extensions, non-payment notices, documents, decisions, payments, recoveries, clock
advances) and checks after every step:

- WT-C6/WT-C9: the indemnities paid on a buyer <= coverage% x its largest limit;
- WT-C6: a period's indemnities <= minimum premium x multiple, and the policy's paid
  total is exactly the sum of the claims paid;
- LIFECYCLE 5a: an amount paid equals the rules recomputed on the state at payment;
- every collection counted once (WT-N2/WT-C8), every recovery recorded once (WT-R1);
- claim and policy states change only through allowed transitions (WT-P4 included).

Short by default (tests/support/stateful.py), TRADECOVER_STATEFUL=long for depth.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from domain.rules.wt.terms import PremiumRate
from domain.services import (
    clocks,
    credit_limits,
    document_storage,
    outbox,
    policies,
    policy_claims,
    policy_declarations,
    policy_extensions,
    policy_omissions,
)
from domain.services import policy_claim_amounts as amounts
from domain.services.document_storage import LocalFileStorage
from domain.services.errors import DomainError
from domain.services.principals import authenticate, create_partner, create_staff
from domain.store.database import close_db, init_db, migrate
from domain.store.policy_models import (
    Collection,
    CreditLimit,
    Policy,
    PolicyClaim,
    PolicyEvent,
    PremiumInvoice,
    Sale,
)
from tests.support.jobs import InlineJobs
from tests.support.stateful import machine_settings

D = Decimal
ZERO = D("0.00")
BUYERS = ("1", "2", "3")
START = datetime(2026, 12, 15, 9, tzinfo=UTC)
MINIMUM, MULTIPLE, COVERAGE = D("100.00"), D("40"), D("90")
#: Claim transitions the services may make (one step may make two: a document that
#: completes the file and the job that follows do not change the status twice).
ALLOWED = {
    ("DOCUMENTS_PENDING", "UNDER_REVIEW"),
    ("DOCUMENTS_PENDING", "SUSPENDED"),
    ("DOCUMENTS_PENDING", "REJECTED"),
    ("BELOW_THRESHOLD", "REJECTED"),
    ("UNDER_REVIEW", "APPROVED"),
    ("UNDER_REVIEW", "SUSPENDED"),
    ("UNDER_REVIEW", "REJECTED"),
    ("SUSPENDED", "APPROVED"),
    ("SUSPENDED", "UNDER_REVIEW"),
    ("SUSPENDED", "DOCUMENTS_PENDING"),
    ("SUSPENDED", "REJECTED"),
    ("APPROVED", "PAID"),
}
OPEN = ("DOCUMENTS_PENDING", "UNDER_REVIEW", "SUSPENDED")
POLICY_ALLOWED = {("PENDING_PREMIUM", "ACTIVE"), ("ACTIVE", "TERMINATED")}

_template: dict[str, str] = {}


def template_database() -> str:
    if "path" not in _template:
        path = Path(tempfile.mkdtemp(prefix="tc-wt-sm-")) / "template.sqlite3"
        asyncio.run(migrate(f"sqlite://{path}"))
        _template["path"] = str(path)
    return _template["path"]


class st_data_for:  # noqa: N801 - stands in for st.DataObject in `progress`
    """Draws that pick the given claim (and wait for its settlement when told)."""

    def __init__(self, claim_id: str, wait: bool = False) -> None:
        self.claim_id, self.wait = claim_id, wait

    def draw(self, strategy: Any, label: str | None = None) -> Any:
        return self.wait if label == "wait for the settlement" else self.claim_id


def buyer_key(code: str) -> str:
    return f"ES:B0000000{code}"


class WholeTurnoverMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="tc-wt-run-"))
        shutil.copyfile(template_database(), self.dir / "db.sqlite3")
        self.loop = asyncio.new_event_loop()
        self.jobs = InlineJobs()
        outbox.set_sender(self.jobs.send)
        document_storage.configure(LocalFileStorage(self.dir / "documents"))
        self.now = START
        self.claims: dict[str, str] = {}
        self.policy_status = "PENDING_PREMIUM"
        self.recoveries = 0
        self.invoice_seq = 0
        self.paid_checks = 0
        try:
            self.run(self._setup())
        except BaseException:
            self.teardown()  # hypothesis only tears down a machine that was built
            raise

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    async def _setup(self) -> None:
        await init_db(f"sqlite://{self.dir / 'db.sqlite3'}")
        _, key = await create_partner(
            name="Platform", kind="financing_platform", sandbox=True, premium_rate=None, now=START
        )
        _, staff_key = await create_staff(name="Underwriter", now=START)
        self.partner = await authenticate(key)
        self.staff = await authenticate(staff_key)
        clock = await clocks.create_test_clock(self.partner, START, START)
        self.clock_id = clock.id
        draft = policies.PolicyDraft(
            insured={"country": "ES", "registration_number": "B12345678", "name": "Ins SL"},
            currency="EUR",
            period_start=date(2027, 1, 1),
            period_end=date(2027, 12, 31),
            minimum_premium=MINIMUM,
            premium_rates=(PremiumRate(60, D("0.20")), PremiumRate(120, D("0.40"))),
            coverage_percent=COVERAGE,
            max_indemnity_multiple=MULTIPLE,
            minimum_unpaid_threshold=D("500.00"),
            waiting_period_days=60,
            max_extension_amount=D("50000.00"),
            test_clock_id=clock.id,
            partner_id=self.partner.partner_id,
        )
        # The terms are the insurer's: staff create the policy for the partner.
        policy = await policies.create_policy(self.staff, draft, START)
        self.policy_id = policy.id
        await self._advance_to(datetime(2027, 1, 1, 9, tzinfo=UTC))
        minimum = await PremiumInvoice.get(policy_id=policy.id, kind="MINIMUM")
        await policies.record_premium_payment(
            self.staff, minimum.id, minimum.amount, date(2027, 1, 1), self.now
        )

    async def _advance_to(self, to: datetime) -> None:
        await clocks.advance_test_clock(self.partner, self.clock_id, to)
        self.now = to

    def teardown(self) -> None:
        try:
            self.run(close_db())
        finally:
            outbox.set_sender(None)
            self.loop.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def today(self) -> date:
        return self.now.date()

    def attempt(self, coro: Any) -> Any:
        """A refusal is a business answer (DomainError), never a crash."""
        try:
            return self.run(coro)
        except DomainError:
            return None

    def attempt_noting(self, what: str, coro: Any) -> Any:
        try:
            return self.run(coro)
        except DomainError as refused:
            event(f"{what} refused {refused.code}")
            return None

    # -- operations -------------------------------------------------------------------

    @initialize(
        limits=st.lists(
            st.sampled_from(["2000.00", "6000.00", "10000.00"]), min_size=3, max_size=3
        ),
        sales=st.lists(
            st.tuples(
                st.sampled_from(BUYERS),
                st.sampled_from(["900.00", "3000.00", "7000.00"]),
                st.integers(1, 28),
                st.sampled_from([30, 45, 60]),
            ),
            min_size=2,
            max_size=5,
        ),
        march=st.integers(1, 25),
    )
    def january(
        self, limits: list[str], sales: list[tuple[str, str, int, int]], march: int
    ) -> None:
        """Limits on every buyer from the start, January's sales declared on 1 February,
        then the clock on a day of March when most of them are overdue."""
        for code, amount in zip(BUYERS, limits, strict=True):
            self.limit(code, amount)
        self.run(self._advance_to(datetime(2027, 2, 1, 9, tzinfo=UTC)))
        for code, amount, day, term in sales:
            self.declare_sale(code, amount, day, term)
        self.run(self._advance_to(datetime(2027, 3, march, 9, tzinfo=UTC)))

    @rule(code=st.sampled_from(BUYERS), amount=st.sampled_from(["2000.00", "6000.00"]))
    def limit(self, code: str, amount: str) -> None:
        async def go() -> None:
            row = await credit_limits.request_credit_limit(
                self.partner,
                self.policy_id,
                {
                    "country": "ES",
                    "registration_number": f"B0000000{code}",
                    "name": f"Comprador {code}",
                    "legal_form": "COMPANY",
                    "sector": "47.11",
                },
                D(amount),
                90,
                self.now,
            )
            await credit_limits.decide_credit_limit(
                self.staff, row.id, credit_limits.LimitDecision("GRANT"), self.now
            )

        self.attempt(go())

    @rule(
        code=st.sampled_from(BUYERS),
        amount=st.sampled_from(["400.00", "1500.00", "3000.00", "5000.00"]),
        day=st.integers(1, 28),
        term=st.sampled_from([30, 45, 60]),
    )
    def declare_sale(self, code: str, amount: str, day: int, term: int) -> None:
        month = (self.today.replace(day=1) - timedelta(days=1)).replace(day=1)
        issued = month.replace(day=day)
        self.invoice_seq += 1
        line = policy_declarations.SaleLine(
            buyer_key(code),
            f"S{self.invoice_seq}",
            issued,
            issued + timedelta(days=term),
            D(amount),
            "EUR",
        )
        self.attempt(
            policy_declarations.declare_sales(self.partner, self.policy_id, month, [line], self.now)
        )

    @rule(
        code=st.sampled_from(BUYERS),
        amount=st.sampled_from(["100.00", "700.00", "2500.00"]),
        assigned=st.booleans(),
    )
    def declare_collection(self, code: str, amount: str, assigned: bool) -> None:
        async def go() -> None:
            sale = await Sale.filter(policy_id=self.policy_id, buyer_key=buyer_key(code)).first()
            line = policy_declarations.CollectionLine(
                buyer_key(code),
                D(amount),
                "EUR",
                self.today,
                sale.invoice_number if assigned and sale else None,
            )
            await policy_declarations.declare_collections(
                self.partner, self.policy_id, self.today, [line], self.now
            )

        self.attempt(go())

    @rule(full=st.booleans())
    def pay_premium(self, full: bool) -> None:
        async def go() -> None:
            invoice = (
                await PremiumInvoice.filter(policy_id=self.policy_id, paid_on__isnull=True)
                .order_by("issued_on", "id")
                .first()
            )
            if invoice is None:
                return
            due = invoice.amount - invoice.paid_amount
            amount = due if full or due < D("0.02") else (due / 2).quantize(D("0.01"))
            await policies.record_premium_payment(
                self.staff, invoice.id, amount, self.today, self.now
            )

        self.attempt(go())

    @rule(code=st.sampled_from(BUYERS), days=st.sampled_from([20, 45]))
    def extend(self, code: str, days: int) -> None:
        async def go() -> None:
            sale = (
                await Sale.filter(policy_id=self.policy_id, buyer_key=buyer_key(code))
                .order_by("-due_date")
                .first()
            )
            if sale is None:
                return
            await policy_extensions.declare_extension(
                self.partner,
                self.policy_id,
                sale.buyer_key,
                sale.invoice_number,
                sale.due_date + timedelta(days=days),
                self.now,
            )

        self.attempt(go())

    @rule(code=st.sampled_from(BUYERS), insolvency=st.booleans())
    def notify(self, code: str, insolvency: bool) -> None:
        claim = self.attempt_noting(
            "notify",
            policy_claims.notify_non_payment(
                self.partner,
                self.policy_id,
                buyer_key(code),
                "INSOLVENCY" if insolvency else "NON_PAYMENT",
                self.today if insolvency else None,
                [],
                self.now,
            ),
        )
        if claim is not None:
            event(f"claim notified {claim.status}")
            self.claims[claim.id] = claim.status

    @precondition(lambda self: "DOCUMENTS_PENDING" in self.claims.values())
    @rule(data=st.data())
    def documents(self, data: st.DataObject) -> None:
        pending = sorted(c for c, s in self.claims.items() if s == "DOCUMENTS_PENDING")
        claim_id = data.draw(st.sampled_from(pending))
        for kind in ("ACCOUNT_STATEMENT", "INVOICE"):
            self.attempt(
                policy_claims.submit_policy_document(
                    self.partner,
                    claim_id,
                    kind,
                    f"{kind}.pdf",
                    "application/pdf",
                    b"%PDF-1.4\n% wt\n",
                    self.now,
                )
            )
        self.run(self.jobs.run_all())

    @rule()
    def pay_premium_in_full(self) -> None:
        self.pay_premium(True)

    @rule(code=st.sampled_from(BUYERS))
    def notify_overdue(self, code: str) -> None:
        self.notify(code, False)

    @precondition(lambda self: any(s in (*OPEN, "APPROVED") for s in self.claims.values()))
    @rule(data=st.data())
    def progress(self, data: st.DataObject) -> None:
        """Moves one claim a step on its usual path: documents, approval, payment."""
        live = sorted(c for c, s in self.claims.items() if s in (*OPEN, "APPROVED"))
        claim_id = data.draw(st.sampled_from(live))
        steps = data.draw(st.integers(1, 3), label="steps")
        for _ in range(steps):
            status = self.run(PolicyClaim.get(id=claim_id)).status
            self.check_transition(claim_id, status)
            if status == "DOCUMENTS_PENDING":
                self.documents(st_data_for(claim_id))
            elif status in ("UNDER_REVIEW", "SUSPENDED"):
                self.run(self.jobs.run_all())
                self.attempt(
                    policy_claims.decide_policy_claim(
                        self.staff, claim_id, "APPROVE", None, self.now
                    )
                )
            elif status == "APPROVED" and data.draw(st.booleans(), label="pay now"):
                self.mark_paid(st_data_for(claim_id, wait=True))
            else:
                return

    @rule()
    def run_jobs(self) -> None:
        self.run(self.jobs.run_all())

    @precondition(lambda self: any(s in OPEN for s in self.claims.values()))
    @rule(data=st.data(), decision=st.sampled_from(["APPROVE"] * 4 + ["REJECT", "SUSPEND"]))
    def decide(self, data: st.DataObject, decision: str) -> None:
        open_claims = sorted(c for c, s in self.claims.items() if s in OPEN)
        claim_id = data.draw(st.sampled_from(open_claims))
        done = self.attempt(
            policy_claims.decide_policy_claim(self.staff, claim_id, decision, None, self.now)
        )
        if done is not None:
            event(f"claim {done.status}")

    @precondition(lambda self: "APPROVED" in self.claims.values())
    @rule(data=st.data())
    def mark_paid(self, data: st.DataObject) -> None:
        approved = sorted(c for c, s in self.claims.items() if s == "APPROVED")
        claim_id = data.draw(st.sampled_from(approved))
        settles = self.run(PolicyClaim.get(id=claim_id)).settlement_on
        if settles > self.today and data.draw(st.booleans(), label="wait for the settlement"):
            # A clock advance to the end of the waiting period (WT-C3), then the payment.
            self.run(self._advance_to(datetime.combine(settles, self.now.timetz())))
        before = self.run(self._independent(claim_id))
        paid = self.attempt_noting(
            "payment",
            policy_claims.mark_policy_indemnity_paid(self.staff, claim_id, self.today, self.now),
        )
        if paid is None:
            event("payment refused")
            return
        event("indemnity paid" + (" 0.00" if paid.indemnity_amount == 0 else ""))
        # Independent bounds, from the state just before the payment: never more than
        # coverage% x the claim's credits at face, or than the period or buyer maximum
        # left (WT-C6, WT-C9); nothing paid with an adjustment or minimum invoice unpaid
        # after its due date (WT-P3), or on a claim notified once the policy ended (WT-P4).
        assert paid.indemnity_amount is not None
        assert paid.indemnity_amount <= before["bound"], (paid.indemnity_amount, before)
        assert not before["all_or_nothing_overdue"], before
        assert not before["after_termination"], before

        async def recomputed() -> Decimal:
            claim = await PolicyClaim.get(id=claim_id)
            policy = await Policy.get(id=self.policy_id)
            return (await amounts.compute(claim, policy, self.today)).result.amount

        # LIFECYCLE 5a: what was paid is what the rules give on the state at payment.
        assert paid.indemnity_amount == self.run(recomputed()), claim_id
        self.paid_checks += 1

    async def _independent(self, claim_id: str) -> dict[str, Any]:
        claim = await PolicyClaim.get(id=claim_id)
        policy = await Policy.get(id=self.policy_id)
        face = sum((s.policy_amount for s in await Sale.filter(id__in=list(claim.sale_ids))), ZERO)
        paid = await PolicyClaim.filter(policy_id=self.policy_id, status="PAID")
        period_left = MINIMUM * MULTIPLE - sum((c.indemnity_amount or ZERO for c in paid), ZERO)
        limits = await CreditLimit.filter(policy_id=self.policy_id, buyer_key=claim.buyer_key)
        largest = max((x.amount for x in limits if x.amount), default=ZERO)
        buyer_left = largest * COVERAGE / 100 - sum(
            (c.indemnity_amount or ZERO for c in paid if c.buyer_key == claim.buyer_key), ZERO
        )
        invoices = await PremiumInvoice.filter(policy_id=self.policy_id)
        overdue = [
            i
            for i in invoices
            if i.kind in ("MINIMUM", "ADJUSTMENT")
            and i.paid_amount < i.amount
            and i.due_on is not None
            and i.due_on < self.today
        ]
        late = [
            i.due_on + timedelta(days=1)
            for i in invoices
            if i.kind != "MINIMUM"
            and i.due_on is not None
            and i.due_on < self.today
            and (i.paid_on is None or i.paid_on > i.due_on)
        ]
        return {
            "bound": min(
                face * COVERAGE / 100, max(period_left, ZERO), max(buyer_left, ZERO)
            ).quantize(D("0.01")),
            "all_or_nothing_overdue": bool(overdue),
            "after_termination": bool(late) and claim.notified_on >= min(late),
            "terminated_on": policy.terminated_on,
        }

    @rule(code=st.sampled_from(BUYERS), amount=st.sampled_from(["500.00", "4000.00"]))
    def omitted_sale(self, code: str, amount: str) -> None:
        """WT-N4: staff find a sale of last month left out of the declarations."""
        self.invoice_seq += 1
        month = (self.today.replace(day=1) - timedelta(days=1)).replace(day=1)
        line = policy_omissions.OmittedLine(
            buyer_key(code),
            f"Z{self.invoice_seq}",
            month.replace(day=10),
            month.replace(day=10) + timedelta(days=45),
            D(amount),
            "EUR",
        )
        self.attempt(
            policy_omissions.record_omitted_sales(self.staff, self.policy_id, [line], self.now)
        )

    @precondition(lambda self: "PAID" in self.claims.values())
    @rule(data=st.data(), amount=st.sampled_from(["300.00", "1000.00"]))
    def recovery(self, data: st.DataObject, amount: str) -> None:
        claim_id = data.draw(
            st.sampled_from(sorted(c for c, s in self.claims.items() if s == "PAID"))
        )
        done = self.attempt(
            policy_claims.record_recovery(
                self.staff, claim_id, D(amount), ZERO, self.today, self.now
            )
        )
        if done is not None:
            event("recovery recorded")
            self.recoveries += 1

    @rule(days=st.sampled_from([1, 7, 30, 61]))
    def advance(self, days: int) -> None:
        self.run(self._advance_to(self.now + timedelta(days=days)))

    def check_transition(self, claim_id: str, status: str) -> None:
        before = self.claims.get(claim_id, status)
        assert before == status or (before, status) in ALLOWED, (before, status)
        self.claims[claim_id] = status

    # -- invariants -------------------------------------------------------------------

    def _snapshot(self) -> dict[str, Any]:
        async def go() -> dict[str, Any]:
            return {
                "policy": await Policy.get(id=self.policy_id),
                "claims": await PolicyClaim.filter(policy_id=self.policy_id),
                "limits": await CreditLimit.filter(policy_id=self.policy_id),
                "sales": await Sale.filter(policy_id=self.policy_id),
                "collections": await Collection.filter(policy_id=self.policy_id),
                "recoveries": await PolicyEvent.filter(
                    policy_id=self.policy_id, type="recovery.recorded"
                ).count(),
            }

        return dict(self.run(go()))

    @invariant()
    def money_and_states_hold(self) -> None:
        seen = self._snapshot()
        policy, claims = seen["policy"], seen["claims"]
        paid = [c for c in claims if c.status == "PAID"]
        total = sum((c.indemnity_amount or ZERO for c in paid), ZERO)
        # WT-C6: the period cap, and one figure for what the period paid.
        assert total <= MINIMUM * MULTIPLE
        assert policy.indemnities_paid == total
        # WT-C6/WT-C9: per buyer, at most coverage% x the largest limit granted.
        for code in BUYERS:
            amounts_granted = [
                x.amount for x in seen["limits"] if x.buyer_key == buyer_key(code) and x.amount
            ]
            cap = max(amounts_granted, default=ZERO) * COVERAGE / 100
            on_buyer = sum(
                (c.indemnity_amount or ZERO for c in paid if c.buyer_key == buyer_key(code)),
                ZERO,
            )
            assert on_buyer <= cap, (code, on_buyer, cap)
        # WT-N2: each collection counted once, never more on a credit than its amount.
        collected = sum((s.collected for s in seen["sales"]), ZERO)
        assert collected <= sum((c.amount for c in seen["collections"]), ZERO)
        assert all(ZERO <= s.collected <= s.policy_amount for s in seen["sales"])
        # WT-R1: each recovery recorded once.
        assert seen["recoveries"] == self.recoveries
        # States only through allowed transitions.
        for claim in claims:
            self.check_transition(claim.id, claim.status)
        if policy.status != self.policy_status:
            assert (self.policy_status, policy.status) in POLICY_ALLOWED
            self.policy_status = policy.status
        assert (policy.status == "TERMINATED") == (policy.terminated_on is not None)


WholeTurnoverMachine.TestCase.settings = machine_settings(examples=20, steps=40)
test_wt_state_machine = WholeTurnoverMachine.TestCase
