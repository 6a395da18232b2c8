"""LIFECYCLE 5a and FI-C3 / TR-S2 / FI-R1: which recorded payments reduce an indemnity,
decided by the cover's event sequence and the payments' business dates, never by
timestamps; each payment is counted once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.rules.indemnity import PaymentFact, fi_indemnity, payments_at_payment

DAY = date(2027, 1, 22)
D = Decimal


def fact(sequence: int, amount: str, received_on: date = DAY) -> PaymentFact:
    return PaymentFact(sequence, D(amount), received_on)


def test_fi_c3_payment_before_the_notification_sequence_is_not_a_recovery():
    """Recorded as event 4, the notification is event 5: same day, same instant."""
    split = payments_at_payment([fact(4, "2000.00")], after_sequence=5, paid_on=None)
    assert (split.deducted, split.after_payment) == (D("0.00"), ())
    assert fi_indemnity(D("10100.00"), split.deducted, D("9000.00")).amount == D("8100.00")


def test_fi_c3_payment_just_after_the_notification_sequence_is_a_recovery():
    split = payments_at_payment([fact(6, "2000.00")], after_sequence=5, paid_on=None)
    assert split.deducted == D("2000.00")
    assert fi_indemnity(D("10100.00"), split.deducted, D("9000.00")).amount == D("7290.00")


def test_fi_c3_payment_received_on_the_indemnity_day_reduces_it():
    split = payments_at_payment([fact(6, "100.00", DAY)], after_sequence=5, paid_on=DAY)
    assert (split.deducted, split.after_payment) == (D("100.00"), ())


def test_fi_r1_payment_received_the_day_after_the_indemnity_day_is_a_recovery_after_it():
    late = fact(6, "100.00", DAY + timedelta(days=1))
    split = payments_at_payment([late], after_sequence=5, paid_on=DAY)
    assert (split.deducted, split.after_payment) == (D("0.00"), (late,))


def test_tr_s2_every_payment_the_client_made_counts():
    split = payments_at_payment(
        [fact(2, "200.00"), fact(9, "300.00")], after_sequence=0, paid_on=None
    )
    assert split.deducted == D("500.00")


payments = st.lists(
    st.tuples(
        st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2),
        st.integers(min_value=-5, max_value=5),
    ),
    max_size=12,
)


@given(payments, st.integers(min_value=0, max_value=13), st.booleans())
def test_lifecycle_5a_each_payment_is_counted_exactly_once(rows, notified_at, paid):
    """Before the notification, a reduction, or a recovery after the indemnity: exactly
    one of the three for every payment, whatever the order and dates."""
    facts = [
        PaymentFact(n + 1, amount, DAY + timedelta(days=shift))
        for n, (amount, shift) in enumerate(rows)
    ]
    split = payments_at_payment(facts, after_sequence=notified_at, paid_on=DAY if paid else None)
    before = sum((f.amount for f in facts if f.sequence <= notified_at), D("0"))
    after = sum((f.amount for f in split.after_payment), D("0"))
    assert before + split.deducted + after == sum((f.amount for f in facts), D("0"))
    assert all(f.sequence > notified_at for f in split.after_payment)
    if not paid:
        assert split.after_payment == ()
