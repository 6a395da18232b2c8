"""FI state machine: random valid sequences of a financed-invoice cover's life on a test
clock, driven through the services (LIFECYCLE 2-5a; FI-A1, FI-N1, FI-D1, FI-C2, FI-C3,
FI-R1).

One cover per example: quote and bind, then any order of feasibility, staff decision on a
referral (U-4), financing confirmation, buyer payments (partial, in cents), the
notification of non-payment, claim documents, the indemnity job, staff decisions, the
indemnity payment, recoveries after it and clock advances. After every step:
- every payment counted once (paid + unpaid = invoice; a payment is a payment before the
  indemnity or a recovery after it, never both);
- the indemnity calculated and the indemnity paid equal FI-C3 recomputed on the model's
  state (declared unpaid amount less what the buyer paid after the notification);
- deadlines never both met and missed; every status change an allowed transition; no
  valid call ever answers "retry".
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule, run_state_machine_as_test

from domain.rules.indemnity import fi_indemnity
from domain.rules.money import CENT, Money, round_cents
from domain.rules.quote_request import FinancingFacts, InvoiceFacts
from domain.services import activation, claims, cover_life, covers, documents, quotes
from domain.services.quotes import QuoteDraft
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

FI_DOCUMENTS = ("INVOICE", "ACCOUNT_STATEMENT")
AMOUNTS = [Decimal("1000.00"), Decimal("9999.99"), Decimal("25000.00")]  # 25,000: U-4
FINANCED_SHARE = [Decimal("0.5"), Decimal("0.9"), Decimal("1")]
ACTIVATIONS = ["feasibility,financing"] * 3 + ["financing,feasibility"] * 2
ACTIVATIONS += ["feasibility", "financing", ""]


def _real_now() -> datetime:
    return datetime.now(UTC)


class FiMachine(SingleInvoiceMachine):
    partner_kind = "financing_platform"
    #: FI-C3 money checks (fresh calculation, fresh payment): off only in the variant
    #: that keeps the other invariants enforced while FI-C3 ordering is being fixed.

    @initialize(
        amount=st.sampled_from(AMOUNTS),
        share=st.sampled_from(FINANCED_SHARE),
        term=st.sampled_from([30, 60, 120]),
        start=st.sampled_from(ACTIVATIONS),
    )
    def bind(self, amount: Decimal, share: Decimal, term: int, start: str) -> None:
        vat = round_cents(amount * Decimal("0.21"))
        self.net, self.vat = amount, vat
        self.total = amount + vat
        self.due = self.today + timedelta(days=term)
        draft = QuoteDraft(
            product="FINANCED_INVOICE",
            seller=company("ES", "A87654321", "Seller SA", "25.11"),
            buyer=fi_buyer(),
            invoice=InvoiceFacts(
                "F-1", self.today, self.due, Money(amount, "EUR"), Money(vat, "EUR")
            ),
            financing=FinancingFacts("FIN-1", Money(round_cents(amount * share), "EUR")),
            test_clock_id=self.clock_id,
        )
        quote = self.run(quotes.request_quote(self.partner, draft, _real_now()))
        assert quote.eligible, quote.violations
        cover = self.run(
            covers.bind_cover(
                self.partner,
                quote.id,
                signature_reference="env-1",
                payment_method_token=None,
                now=_real_now(),
            )
        )
        self.cover_id = cover.id
        self.declared: Decimal | None = None
        self.paid_indemnity: Decimal | None = None
        # Most examples start active, either order (FI-A1); the others activate by rules.
        for step in start.split(","):
            if step == "feasibility":  # the worker answers within seconds (FI-P2)
                self.run_jobs()
            elif step == "financing":
                self.attempt(
                    activation.confirm_financing(
                        self.partner, self.cover_id, True, None, _real_now()
                    )
                )
        self.check_common()

    # Activation (LIFECYCLE 2)

    @rule()
    def run_jobs_rule(self) -> None:
        self.run_jobs()
        self.check_fresh_calculation()

    @precondition(lambda self: self.cover_status == "PENDING_CONFIRMATION")
    @rule(financed=st.sampled_from([True, True, True, False]))
    def confirm_financing(self, financed: bool) -> None:
        self.attempt(
            activation.confirm_financing(self.partner, self.cover_id, financed, None, _real_now())
        )

    @precondition(lambda self: self.feasibility == "REFERRED")
    @rule(approve=st.sampled_from([True, True, False]))
    def decide_feasibility(self, approve: bool) -> None:
        self.attempt(
            activation.decide_feasibility_by_staff(
                self.staff, self.cover_id, approve, None, _real_now()
            )
        )

    # Payments, notification, claim (LIFECYCLE 3, 5)

    @precondition(lambda self: self.cover_status in cover_life.PAYABLE_STATUSES)
    @rule(percent=st.integers(min_value=1, max_value=100))
    def pay(self, percent: int) -> None:
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
            self.record_payment(amount, phase)

    @precondition(lambda self: self.cover_status == "ACTIVE")
    @rule(percent=st.integers(min_value=1, max_value=99))
    def pay_part_then_notify(self, percent: int) -> None:
        """A partner's usual order on one day: the last payment, then the notification
        (LIFECYCLE 5a: the payment is before it, whatever the timestamps say)."""
        self.pay(percent)
        self.notify_non_payment()

    def record_payment(self, amount: Decimal, phase: str) -> None:
        self.payments.append(Payment(amount, phase, self.today))

    @precondition(lambda self: self.cover_status == "ACTIVE")
    @rule()
    def notify_non_payment(self) -> None:
        unpaid = self.total - self.paid()
        if unpaid <= ZERO:
            return
        answer = self.attempt(
            claims.declare_incident(
                self.partner,
                self.cover_id,
                "NON_PAYMENT",
                Money(unpaid, "EUR"),
                self.today,
                _real_now(),
            )
        )
        if answer is not None:
            self.declared = unpaid

    @precondition(lambda self: self.cover_status in ("IN_CLAIM", "DEFAULTED", "ACTIVE"))
    @rule(kind=st.sampled_from(FI_DOCUMENTS))
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
            # Fresh at payment: FI-C3 on the state at the moment it is paid.
            fresh = paid.indemnity_amount == expected
            assert fresh, (paid.indemnity_amount, expected)
            self.paid_indemnity = expected

    @rule(days=st.sampled_from([1, 3, 31, 61]))
    def advance(self, days: int) -> None:
        self.advance_days(days)
        self.check_fresh_calculation()

    # The model

    def status(self) -> str | None:
        cover = self.cover()
        return cover.status if cover else None

    def expected_indemnity(self) -> Decimal:
        """FI-C3: coverage x min(declared unpaid - paid after the notification, insured),
        the loss taken net of its VAT share (C-3)."""
        cover = self.cover()
        assert cover is not None and self.declared is not None
        return fi_indemnity(
            self.declared,
            self.paid(("during",)),
            cover.insured_amount,
            cover.coverage_percent,
            invoice_net=self.net,
            invoice_vat=self.vat,
        ).amount

    def check_fresh_calculation(self) -> None:
        """After the jobs ran, a calculated indemnity not yet paid is FI-C3 on the state."""
        claim = self.claim()
        if claim is None or claim.indemnity_amount is None or self.declared is None:
            return
        if claim.status in ("PAID", "REJECTED"):
            return
        assert claim.indemnity_amount == self.expected_indemnity(), (
            claim.indemnity_amount,
            self.expected_indemnity(),
            self.payments,
        )

    @invariant()
    def invariants(self) -> None:
        if self.cover_id is None:
            return
        self.check_common()
        claim = self.claim()
        if claim is not None and claim.status == "PAID":
            assert claim.indemnity_amount == self.paid_indemnity


def _run(machine: type[FiMachine], redis_url: str, examples: int) -> None:
    configure(redis_url)
    ENDINGS.clear()
    run_state_machine_as_test(machine, settings=fast_settings(examples=examples, steps=25))
    print(f"{machine.__name__}: {len(ENDINGS)} examples, endings {Counter(ENDINGS).most_common()}")


def test_fi_state_machine(redis_url):
    _run(FiMachine, redis_url, examples=30)
