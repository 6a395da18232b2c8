"""TR state machine: random valid sequences of a transport-invoice guarantee's life on a
test clock, driven through the services (LIFECYCLE 2-5a; TR-P2, TR-T0..TR-T7, TR-D1,
TR-D2, TR-S1, TR-S2, TR-X1).

One cover per example: quote and bind with a card hold, then any order of feasibility,
staff decision on a referral, shipment events, the freight invoice, the client's
payments (partial, in cents), the incident (stage 1), the claim (stage 2), documents of
both stages, the indemnity job, staff decisions, the indemnity payment, recoveries after
it and clock advances. After every step:
- every payment counted once (paid + unpaid = invoice; a payment before the indemnity or
  a recovery after it, never both);
- the indemnity calculated and the indemnity paid equal TR-S2 recomputed on the model's
  state (invoice excl. VAT less what the client paid, capped at the guaranteed amount);
- the premium hold is never both captured and released, never captured twice;
- deadlines never both met and missed; every status change an allowed transition; no
  valid call ever answers "retry".
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule, run_state_machine_as_test

from domain.rules.indemnity import tr_indemnity
from domain.rules.money import CENT, Money, round_cents
from domain.rules.quote_request import ShipmentFacts
from domain.services import activation, claims, cover_life, covers, documents, quotes
from domain.services.quotes import QuoteDraft
from domain.store.cover_models import PaymentHold, SandboxCardAuthorization
from tests.services.single_invoice_machine import (
    ENDINGS,
    PDF,
    ZERO,
    Payment,
    SingleInvoiceMachine,
    company,
    configure,
    fast_settings,
    fi_buyer,
)

TR_DOCUMENTS = cover_life.TR_INCIDENT_DOCUMENTS + cover_life.TR_CLAIM_DOCUMENTS
GUARANTEED = [Decimal("1500.00"), Decimal("999.99"), Decimal("25000.00")]  # 25,000: U-4
INVOICE_SHARE = [Decimal("0.8"), Decimal("1"), Decimal("1.2")]  # invoice vs guaranteed


def _real_now() -> datetime:
    return datetime.now(UTC)


class TrMachine(SingleInvoiceMachine):
    partner_kind = "freight_exchange"
    #: The indemnity paid is TR-S2 recomputed at payment: off only in the variant that
    #: keeps the other invariants enforced while that fix is in flight.

    @initialize(
        guaranteed=st.sampled_from(GUARANTEED),
        share=st.sampled_from(INVOICE_SHARE),
        feasibility_first=st.sampled_from([True, True, True, False]),
        delivered=st.sampled_from([True, True, False]),
    )
    def bind(
        self, guaranteed: Decimal, share: Decimal, feasibility_first: bool, delivered: bool
    ) -> None:
        self.guaranteed = guaranteed
        self.invoice_net = round_cents(guaranteed * share)
        self.total: Decimal | None = None
        draft = QuoteDraft(
            product="TRANSPORT_INVOICE",
            seller=company("BG", "BG200300400", "Carrier EOOD", "49.41"),
            buyer=fi_buyer(),
            shipment=ShipmentFacts(Money(guaranteed, "EUR"), self.today, "Sofia", "Madrid"),
            test_clock_id=self.clock_id,
        )
        quote = self.run(quotes.request_quote(self.partner, draft, _real_now()))
        assert quote.eligible, quote.violations
        cover = self.run(
            covers.bind_cover(
                self.partner,
                quote.id,
                signature_reference=None,
                payment_method_token="tok_visa",
                now=_real_now(),
            )
        )
        self.cover_id = cover.id
        self.paid_indemnity: Decimal | None = None
        self.hold_seen: set[str] = set()
        if feasibility_first:  # the worker answers within seconds
            self.run_jobs()
            self.check_common()
            if delivered and self.cover_status == "ACTIVE":  # most carriers, the same day
                self.deliver_and_invoice(30, "0.21")
        self.check_common()

    # Activation (LIFECYCLE 2)

    @rule()
    def run_jobs_rule(self) -> None:
        self.run_jobs()
        self.check_fresh_calculation()

    @precondition(lambda self: self.feasibility == "REFERRED")
    @rule(approve=st.sampled_from([True, True, False]))
    def decide_feasibility(self, approve: bool) -> None:
        self.attempt(
            activation.decide_feasibility_by_staff(
                self.staff, self.cover_id, approve, None, _real_now()
            )
        )

    # Shipment and invoice (LIFECYCLE 3, TR-T0..TR-T3)

    @precondition(lambda self: self.cover_status == "ACTIVE")
    @rule(kind=st.sampled_from(["LOADED", "UNLOADED"]), back=st.sampled_from([0, 0, 1, 2]))
    def shipment_event(self, kind: str, back: int) -> None:
        on = self.today - timedelta(days=back)
        self.attempt(
            cover_life.record_shipment_event(self.partner, self.cover_id, kind, on, _real_now())
        )

    @precondition(lambda self: self.cover_status == "ACTIVE" and self.total is None)
    @rule(term=st.sampled_from([30, 60, 90, 91]), vat=st.sampled_from(["0.00", "0.21"]))
    def record_invoice(self, term: int, vat: str) -> None:
        vat_amount = round_cents(self.invoice_net * Decimal(vat))
        due = self.today + timedelta(days=term)
        stored: dict[str, Any] = {
            "number": "T-1",
            "issue_date": self.today.isoformat(),
            "due_date": due.isoformat(),
            "amount": {"amount": str(self.invoice_net), "currency": "EUR"},
            "vat_amount": {"amount": str(vat_amount), "currency": "EUR"},
        }
        answer = self.attempt(
            cover_life.record_invoice(
                self.partner, self.cover_id, stored, self.today, due, _real_now()
            )
        )
        if answer is not None:
            self.total = self.invoice_net + vat_amount

    @precondition(lambda self: self.cover_status == "ACTIVE" and self.total is None)
    @rule(term=st.sampled_from([30, 60, 90]), vat=st.sampled_from(["0.00", "0.21"]))
    def deliver_and_invoice(self, term: int, vat: str) -> None:
        """A carrier's usual day: loaded, unloaded and invoiced (TR-T0..TR-T3)."""
        for kind in ("LOADED", "UNLOADED"):
            self.shipment_event(kind, 0)
        self.record_invoice(term, vat)

    # Payments, incident, claim (LIFECYCLE 3, 5)

    @precondition(
        lambda self: self.cover_status in cover_life.PAYABLE_STATUSES and self.total is not None
    )
    @rule(percent=st.integers(min_value=1, max_value=100))
    def pay(self, percent: int) -> None:
        assert self.total is not None
        remaining = self.total - self.paid()
        if remaining <= ZERO:
            return
        amount = max(round_cents(remaining * percent / 100), CENT)
        phase = self.phase()
        answer = self.attempt(
            cover_life.record_payment(
                self.partner, self.cover_id, Money(amount, "EUR"), self.today, _real_now()
            )
        )
        if answer is not None:
            self.payments.append(Payment(amount, phase, self.today))

    @precondition(lambda self: self.cover_status == "ACTIVE" and self.total is not None)
    @rule(kind=st.sampled_from(["NON_PAYMENT", "INSOLVENCY"]))
    def declare_incident(self, kind: str) -> None:
        assert self.total is not None
        unpaid = self.total - self.paid()
        if unpaid <= ZERO:
            return
        self.attempt(
            claims.declare_incident(
                self.partner, self.cover_id, kind, Money(unpaid, "EUR"), self.today, _real_now()
            )
        )

    @precondition(lambda self: self.cover_status == "ACTIVE" and self.total is not None)
    @rule(kind=st.sampled_from(["NON_PAYMENT", "INSOLVENCY"]))
    def declare_and_claim(self, kind: str) -> None:
        """Both stages on one day, every document in (TR-S1, TR-D1, TR-D2)."""
        self.declare_incident(kind)
        self.submit_stage(cover_life.TR_INCIDENT_DOCUMENTS)
        self.open_claim()
        self.submit_stage(cover_life.TR_CLAIM_DOCUMENTS)

    @precondition(lambda self: self.cover_status == "DEFAULTED")
    @rule()
    def open_claim(self) -> None:
        self.attempt(claims.open_claim(self.partner, self.cover_id, _real_now()))

    @precondition(lambda self: self.cover_status in ("ACTIVE", "DEFAULTED", "IN_CLAIM"))
    @rule(kind=st.sampled_from(TR_DOCUMENTS))
    def submit_document(self, kind: str) -> None:
        self.attempt(
            documents.submit_document(
                self.partner,
                self.cover_id,
                kind,
                f"{kind}.pdf",
                "application/pdf",
                PDF,
                _real_now(),
            )
        )

    @precondition(lambda self: self.cover_status in ("DEFAULTED", "IN_CLAIM"))
    @rule(stage=st.sampled_from([cover_life.TR_INCIDENT_DOCUMENTS, cover_life.TR_CLAIM_DOCUMENTS]))
    def submit_stage(self, stage: tuple[str, ...]) -> None:
        """Every document of a stage at once (TR-D1, TR-D2)."""
        for kind in stage:
            self.submit_document(kind)

    @precondition(lambda self: self.claim_status in ("UNDER_REVIEW", "SUSPENDED"))
    @rule(decision=st.sampled_from(["APPROVE", "APPROVE", "REJECT"]))
    def decide_claim(self, decision: str) -> None:
        claim = self.claim()
        assert claim is not None
        self.attempt(claims.decide_claim(self.staff, claim.id, decision, None, _real_now()))

    @precondition(lambda self: self.claim_status == "UNDER_REVIEW")
    @rule(buyer_pays=st.sampled_from([None, None, 10, 50]))
    def review_and_pay(self, buyer_pays: int | None) -> None:
        """Staff's usual path: the calculation, the approval, the payment; the buyer may
        pay part in between (LIFECYCLE 5a: the amount paid is computed at payment)."""
        self.run_jobs()
        self.decide_claim("APPROVE")
        self.check_common()
        if buyer_pays is not None:
            self.pay(buyer_pays)
            self.check_common()
        if self.claim_status == "APPROVED":
            self.pay_indemnity()

    @precondition(lambda self: self.claim_status == "APPROVED")
    @rule()
    def pay_indemnity(self) -> None:
        claim = self.claim()
        assert claim is not None
        expected = self.expected_indemnity()
        paid = self.attempt(
            claims.mark_indemnity_paid(self.staff, claim.id, self.today, _real_now())
        )
        if paid is not None:
            # Fresh at payment: TR-S2 on the state at the moment it is paid.
            fresh = paid.indemnity_amount == expected
            assert fresh, (paid.indemnity_amount, expected)
            self.paid_indemnity = paid.indemnity_amount

    @rule(days=st.sampled_from([1, 1, 2, 9, 31]))
    def advance(self, days: int) -> None:
        self.advance_days(days)
        self.check_fresh_calculation()

    # The model

    def expected_indemnity(self) -> Decimal:
        """TR-S2: coverage x (invoice excl. VAT - paid by the client), capped at coverage x
        the guaranteed amount; VAT is never indemnified (C-3)."""
        cover = self.cover()
        assert cover is not None
        return tr_indemnity(
            self.invoice_net,
            self.paid(("before", "during")),
            cover.insured_amount,
            cover.coverage_percent,
        ).amount

    def check_fresh_calculation(self) -> None:
        """After the jobs ran, a calculated indemnity not yet paid is TR-S2 on the state."""
        claim = self.claim()
        if claim is None or claim.indemnity_amount is None or self.total is None:
            return
        if claim.status in ("PAID", "REJECTED"):
            return
        assert claim.indemnity_amount == self.expected_indemnity(), (
            claim.indemnity_amount,
            self.expected_indemnity(),
            self.payments,
        )

    def check_hold(self) -> None:
        """TR-P2: the premium hold is never both captured and released, never captured
        twice; an active cover's hold is captured once the jobs ran, a declined one's not."""
        hold = self.run(PaymentHold.filter(cover_id=self.cover_id).first())
        if hold is None:
            return
        self.hold_seen.add(hold.status)
        assert not {"CAPTURED", "RELEASED"} <= self.hold_seen, self.hold_seen
        ledger = self.run(SandboxCardAuthorization.get_or_none(id=hold.gateway_reference))
        if ledger is not None:
            assert ledger.capture_count <= 1, ledger.capture_count
            assert not (ledger.capture_count and ledger.cancel_count), (
                ledger.capture_count,
                ledger.cancel_count,
            )
        if self.cover_status == "DECLINED":
            assert hold.status != "CAPTURED"

    @invariant()
    def invariants(self) -> None:
        if self.cover_id is None:
            return
        self.check_common()
        self.check_hold()
        claim = self.claim()
        if claim is not None and claim.status == "PAID":
            assert claim.indemnity_amount == self.paid_indemnity


def _run(machine: type[TrMachine], redis_url: str, examples: int) -> None:
    configure(redis_url)
    ENDINGS.clear()
    run_state_machine_as_test(machine, settings=fast_settings(examples=examples, steps=30))
    print(f"{machine.__name__}: {len(ENDINGS)} examples, endings {Counter(ENDINGS).most_common()}")


def test_tr_state_machine(redis_url):
    _run(TrMachine, redis_url, examples=60)
