"""The top-up services driven by random valid sequences (hypothesis RuleBasedStateMachine):
first-layer limit grants, reductions and restorations (with and without further reductions
expected), deliveries, premium payments and instalments, insolvencies, first-layer
indemnities (owed or not), claim payments and rejections, recoveries (attributable or
shared) and clock advances with the TU-L3 sweep.

After every step (TU-C1, TU-C2, TU-R1, TU-P1, TU-L1..TU-L3):
- a top-up indemnity, preview or paid, never exceeds the first layer's for the same loss;
- the year's balance is initial - indemnities paid or owed + the insurer's share of
  recoveries after payment, within [0, initial], and what the year pays net of those
  recoveries never exceeds the annual sum insured;
- each recovery is counted once: the claim's recoveries are the sum of the parts applied,
  and a paid claim's recalculated indemnity is its payment less its refund;
- an amount paid equals the rules recomputed on the state at the payment, and nothing is
  paid while the premium owed is not fully paid;
- a top-up limit is within TU-L1 of its own amounts; every state change is allowed.

Each example runs on its own partner and policy in one migrated SQLite database. The
default run is short (tests/support/stateful.py); TRADECOVER_STATEFUL=long for depth.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from domain.rules.tu import limits as tu_limits
from domain.rules.tu import premium as tu_premium
from domain.services import (
    outbox,
    top_up,
    top_up_account,
    top_up_claims,
    top_up_contract,
    top_up_deliveries,
    top_up_terms,
)
from domain.services.errors import DomainError
from domain.services.principals import authenticate, create_partner, create_staff
from domain.store.topup_models import TopUpClaim, TopUpLimit, TopUpPolicy
from tests.support.stateful import machine_settings

D = Decimal
ZERO = D("0.00")
START = date(2027, 1, 2)
INSURED = {"country": "ES", "registration_number": "B12345678", "name": "Exportadora SL"}
BUYERS = ("1", "2", "3")
TERMS = {
    "coverage_percent": D("90"),
    "per_loss_deductible": D("500.00"),
    "annual_aggregate_deductible": D("2000.00"),
    "annual_sum_insured": D("100000.00"),
    "pni_threshold": D("1000.00"),
    "minimum_premium": D("3000.00"),
    "covered_countries": ["ES"],
}
#: Allowed claim moves (TU-E2, TU-C1, TU-P1).
CLAIM_MOVES = {
    "NOTIFIED": {"INSURED_EVENT", "REJECTED"},
    "INSURED_EVENT": {"PAID", "REJECTED"},
    "PAID": set(),
    "REJECTED": set(),
}
amounts = st.sampled_from(["5000.00", "10000.00", "15000.00", "20000.00", "30000.00"])


def key_of(code: str) -> str:
    return f"ES:B0000000{code}"


#: What the run did, across its examples (printed, and checked not to be vacuous).
SEEN: Counter[str] = Counter()


def event(name: str) -> None:
    SEEN[name] += 1


class TopUpMachine(RuleBasedStateMachine):
    loop: asyncio.AbstractEventLoop

    def __init__(self) -> None:
        super().__init__()
        self.today = START
        self.claims: list[str] = []
        self.statuses: dict[str, str] = {}
        self.applied: dict[str, Decimal] = {}
        self.policy_status = tu_premium.SIGNED
        self.run(self._setup())
        event("examples")

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    @property
    def now(self) -> datetime:
        return datetime(self.today.year, self.today.month, self.today.day, 9, tzinfo=UTC)

    async def _setup(self) -> None:
        _, key = await create_partner(
            name="SM", kind="financing_platform", sandbox=True, premium_rate=None, now=self.now
        )
        _, staff_key = await create_staff(name="Underwriter", now=self.now)
        self.partner = await authenticate(key)
        self.staff = await authenticate(staff_key)
        draft = top_up.TopUpDraft(
            insured=INSURED,
            first_layer_insurer="Primera Capa",
            first_layer_policy="PC-1",
            currency="EUR",
            period_start=date(2027, 1, 1),
            period_end=date(2027, 12, 31),
            first_layer_coverage_percent=D("90"),
        )
        policy = await top_up_contract.create_top_up_policy(self.partner, draft, self.now)
        await top_up_terms.set_top_up_policy_terms(self.staff, policy.id, TERMS, 0, self.now)
        self.policy_id = policy.id

    async def _policy(self) -> TopUpPolicy:
        return await TopUpPolicy.get(id=self.policy_id)

    # Rules

    @initialize(granted=amounts, premium=st.sampled_from(["all", "all", "short", "none"]))
    def first_limits(self, granted: str, premium: str) -> None:
        """Every buyer starts with a first-layer limit (requested twice the granted); the
        premium is paid at once, one cent short, or left for the sequence to pay."""
        for code in BUYERS:
            self.first_layer_decision(code, str(D(granted) * 2), granted, None)
        if premium != "none":
            self.pay_premium(None if premium == "all" else "2999.99")

    @rule(
        code=st.sampled_from(BUYERS),
        granted=st.sampled_from(["0.00", "5000.00", "10000.00", "15000.00", "20000.00"]),
        factor=st.sampled_from(["1", "1.5", "2", "2", "3"]),
        expected=st.sampled_from([None, None, True, False]),
    )
    def first_layer_change(
        self, code: str, granted: str, factor: str, expected: bool | None
    ) -> None:
        """A first-layer grant, reduction, cancellation (0) or restoration, requested at
        `factor` times the grant (TU-L1..TU-L3)."""
        requested = str(max(D(granted), D("5000.00")) * D(factor))
        self.first_layer_decision(code, requested, granted, expected)

    def first_layer_decision(
        self, code: str, requested: str, granted: str, expected: bool | None
    ) -> None:
        buyer = {**INSURED, "registration_number": f"B0000000{code}", "name": f"C {code}"}
        self.run(
            top_up.record_first_layer_decision(
                self.partner,
                self.policy_id,
                buyer,
                D(requested),
                D(granted),
                self.today,
                self.now,
                further_reductions_expected=expected,
            )
        )

    @rule(code=st.sampled_from(BUYERS), amount=amounts, n=st.integers(0, 10**6))
    def deliver(self, code: str, amount: str, n: int) -> None:
        line = top_up_deliveries.DeliveryLine(
            buyer_key=key_of(code),
            invoice_number=f"F{n}-{self.today.isoformat()}",
            delivered_on=self.today,
            invoiced_on=self.today,
            due_date=self.today + timedelta(days=60),
            amount=D(amount),
        )
        try:
            self.run(
                top_up_deliveries.declare_deliveries(self.partner, self.policy_id, [line], self.now)
            )
        except DomainError as error:
            assert error.code == "DUPLICATE_INVOICE"

    @rule(amount=st.sampled_from([None, "1000.00", "0.01", "1999.99"]))
    def pay_premium(self, amount: str | None) -> None:
        self.run(
            top_up_contract.record_premium(
                self.staff,
                self.policy_id,
                self.today,
                self.now,
                amount=None if amount is None else D(amount),
            )
        )

    @rule(
        code=st.sampled_from(BUYERS),
        loss=amounts,
        first_layer=st.sampled_from([None, "0.90", "0.90", "0.50"]),
    )
    def notify_insolvency(self, code: str, loss: str, first_layer: str | None) -> None:
        """An insolvency learned today; the first layer may pay at once (`first_layer`: its
        share of the loss) or later (first_layer_pays)."""
        invoice = min(self.today, date(2027, 12, 31))
        try:
            claim = self.run(
                top_up_claims.notify_insolvency(
                    self.partner,
                    self.policy_id,
                    key_of(code),
                    self.today,
                    D(loss),
                    invoice,
                    True,
                    self.now,
                )
            )
        except DomainError as error:
            assert error.code in {"TU-E1", "TU-E5"}, error.message
            return
        event("insolvency notified")
        self.claims.append(claim.id)
        self.statuses[claim.id] = claim.status
        self.applied[claim.id] = ZERO
        if first_layer is not None:
            self.first_layer_pays(len(self.claims) - 1, first_layer, True)

    @precondition(lambda self: self.claims)
    @rule(
        i=st.integers(0, 50),
        share=st.sampled_from(["0.50", "0.60", "0.90"]),
        owed=st.sampled_from([True, True, True, False]),
    )
    def first_layer_pays(self, i: int, share: str, owed: bool) -> None:
        claim = self.run(TopUpClaim.get(id=self.claims[i % len(self.claims)]))
        amount = (claim.covered_loss * D(share)).quantize(D("0.01"))
        try:
            self.run(
                top_up_claims.record_first_layer_indemnity(
                    self.partner, claim.id, self.today, amount, owed, self.now
                )
            )
        except DomainError as error:
            assert error.code == "INVALID_STATE" and claim.status != "NOTIFIED"
            return
        event("first layer paid" if owed else "first layer paid undue")

    @precondition(lambda self: self.claims)
    @rule(i=st.integers(0, 50), approve=st.sampled_from([True, True, True, False]))
    def decide_claim(self, i: int, approve: bool) -> None:
        """Staff pay a claim (mostly) or reject it."""
        if approve:
            self.pay_claim(i)
        else:
            self.reject_claim(i)

    def pay_claim(self, i: int) -> None:
        claim_id = self.claims[i % len(self.claims)]
        claim = self.run(TopUpClaim.get(id=claim_id))
        policy = self.run(self._policy())
        fresh = self.run(top_up_account.calculate(policy, claim)).amount
        unpaid = tu_premium.check_premium_paid(
            policy.minimum_premium, policy.period_start, policy.premium_paid_total, self.today
        )
        try:
            paid = self.run(
                top_up_claims.decide_top_up_claim(
                    self.staff, claim_id, True, self.today, None, self.now
                )
            )
        except DomainError as error:
            if claim.status != "INSURED_EVENT":
                assert error.code == "INVALID_STATE"
            else:
                # TU-P1: refused with the rule, never paid as 0.
                assert unpaid is not None and error.code == "TU-P1"
                event("payment refused: TU-P1")
            return
        event("claim paid" if paid.paid_amount > 0 else "claim paid 0 (caps)")
        assert unpaid is None, "TU-P1: paid while the premium owed is not fully paid"
        # The amount paid is the rules on the state at the payment, not a stored preview.
        assert paid.paid_amount == fresh
        assert paid.paid_amount == self.run(top_up_account.calculate(policy, paid)).amount

    def reject_claim(self, i: int) -> None:
        claim_id = self.claims[i % len(self.claims)]
        try:
            self.run(
                top_up_claims.decide_top_up_claim(
                    self.staff, claim_id, False, None, "TU-C4: breach", self.now
                )
            )
        except DomainError as error:
            assert error.code == "INVALID_STATE"

    @precondition(lambda self: self.claims)
    @rule(
        i=st.integers(0, 50),
        amount=st.sampled_from(["100.00", "999.99", "4000.00"]),
        attributable=st.booleans(),
    )
    def recovery(self, i: int, amount: str, attributable: bool) -> None:
        claim_id = self.claims[i % len(self.claims)]
        before = self.run(TopUpClaim.get(id=claim_id))
        try:
            after = self.run(
                top_up_claims.record_recovery(
                    self.staff, claim_id, D(amount), self.today, attributable, self.now
                )
            )
        except DomainError as error:
            assert error.code == "INVALID_STATE" and before.status not in ("INSURED_EVENT", "PAID")
            return
        self.applied[claim_id] += after.recoveries - before.recoveries
        event(f"recovery on a {before.status} claim")
        if attributable:
            assert after.recoveries - before.recoveries == D(amount)

    @rule(kind=st.sampled_from(["new", "rescind", "new", "rescind", "ended"]))
    def contract_change(self, kind: str) -> None:
        """TU-P4: a new first-layer contract, the insurer rescinding, or the first-layer
        contract ending (the policy ends today)."""
        if kind == "rescind":
            self.rescind()
        else:
            self.first_layer_contract(kind == "ended")

    def first_layer_contract(self, ended: bool) -> None:
        try:
            self.run(
                top_up_contract.record_first_layer_contract(
                    self.partner, self.policy_id, ended=ended, on=self.today, real_now=self.now
                )
            )
        except DomainError as error:
            assert error.code == "INVALID_STATE" and self.policy_status in ("ENDED", "RESCINDED")
            return
        event("first layer contract ended" if ended else "new first layer contract")

    def rescind(self) -> None:
        policy = self.run(self._policy())
        try:
            self.run(
                top_up_contract.rescind_top_up_policy(
                    self.staff, self.policy_id, self.today, self.now
                )
            )
        except DomainError as error:
            assert error.code in {"TU-P4", "INVALID_STATE", "INVALID_INPUT"}, error.message
            return
        assert policy.new_first_layer_contract_on is not None
        assert self.today <= tu_premium.rescission_deadline(policy.new_first_layer_contract_on)
        event("rescinded")

    @rule(days=st.sampled_from([1, 1, 7, 30, 60, 182]))
    def advance(self, days: int) -> None:
        self.today += timedelta(days=days)
        self.run(top_up.recompute_due_limits(self.now))

    # Invariants

    @invariant()
    def claims_hold(self) -> None:
        event("steps checked")
        claims = self.run(TopUpClaim.filter(policy_id=self.policy_id))
        for claim in claims:
            old = self.statuses.get(claim.id, claim.status)
            assert claim.status == old or claim.status in CLAIM_MOVES[old], (old, claim.status)
            self.statuses[claim.id] = claim.status
            first_layer = claim.first_layer_indemnity or ZERO
            if claim.indemnity_amount is not None:
                assert ZERO <= claim.indemnity_amount <= first_layer  # TU-C1
            assert claim.paid_amount <= first_layer
            assert claim.recoveries == self.applied.get(claim.id, ZERO)  # TU-R1 once
            if claim.status == "PAID":
                assert claim.paid_amount - claim.refund_due == claim.indemnity_amount
            else:
                assert claim.paid_amount == ZERO and claim.refund_due == ZERO

    @invariant()
    def year_balances(self) -> None:
        policy = self.run(self._policy())
        claims = self.run(TopUpClaim.filter(policy_id=self.policy_id, insurance_year=0))
        initial = policy.annual_sum_insured
        taken = sum((c.paid_amount for c in claims if c.status == "PAID"), ZERO) + sum(
            (c.indemnity_amount or ZERO for c in claims if c.status == "INSURED_EVENT"), ZERO
        )
        back = sum((c.refund_due for c in claims if c.status == "PAID"), ZERO)
        remaining, aggregate_left = self.run(top_up_account.year_account(policy, 0))
        assert remaining == min(max(initial - taken + back, ZERO), initial)  # TU-C2
        assert taken - back <= initial  # the year never pays more than its sum insured
        used = sum(
            (c.aggregate_deductible_used for c in claims if c.status in ("PAID", "INSURED_EVENT")),
            ZERO,
        )
        assert used <= policy.annual_aggregate_deductible
        assert aggregate_left == policy.annual_aggregate_deductible - used

    @invariant()
    def policy_and_limits_hold(self) -> None:
        policy = self.run(self._policy())
        assert policy.status == self.policy_status or tu_premium.can_move(
            self.policy_status, policy.status
        )
        self.policy_status = policy.status
        if policy.status in (tu_premium.SIGNED, tu_premium.IN_FORCE):
            in_force = policy.premium_paid_total >= policy.minimum_premium
            assert (policy.status == tu_premium.IN_FORCE) is in_force
        else:
            assert policy.ended_on is not None and policy.ending["rule"] == "TU-P4"
        for row in self.run(TopUpLimit.filter(policy_id=self.policy_id)):
            ceiling = tu_limits.top_up_limit(row.requested, row.first_layer_granted)
            assert ZERO <= row.top_up_limit <= ceiling  # TU-L1
            assert row.zero_locked is False or row.top_up_limit == ZERO  # TU-L2


@pytest.fixture
def machine_loop(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from domain.store.database import close_db, init_db
    from tests.conftest import _migrated_sqlite

    loop = asyncio.new_event_loop()
    url = loop.run_until_complete(
        _migrated_sqlite(tmp_path / "tu.sqlite3", tmp_path_factory.getbasetemp())
    )
    loop.run_until_complete(init_db(url))
    outbox.set_sender(None)
    yield loop
    loop.run_until_complete(close_db())
    loop.close()


def test_tu_state_machine(machine_loop: asyncio.AbstractEventLoop) -> None:
    SEEN.clear()
    TopUpMachine.loop = machine_loop
    TopUpMachine.TestCase.settings = machine_settings(examples=25, steps=40)
    TopUpMachine.TestCase().runTest()
    print(dict(SEEN))
    # Not vacuous: the sequences reached payments, TU-P1 refusals and recoveries.
    assert SEEN["claim paid"] and SEEN["payment refused: TU-P1"], SEEN
    assert SEEN["recovery on a PAID claim"] and SEEN["recovery on a INSURED_EVENT claim"], SEEN
