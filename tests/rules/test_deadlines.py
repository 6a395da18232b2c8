"""A cover's deadlines at their boundaries (LIFECYCLE 4): TR-T0..T7, TR-D1/D2 and TR-X1
(documents), FI-N1, FI-D1, FI-C2, and `missed`. Each deadline's last day is met; the day
after it is not.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.rules.deadlines import (
    CoverFacts,
    Deadline,
    check_invoice,
    check_loading,
    check_unloading,
    deadlines,
    expected_decision_on,
    missed,
    payable_by,
)

BOUND = date(2025, 3, 3)  # TR: the purchase date, day 0
UNLOADED = BOUND + timedelta(days=4)
ISSUED = UNLOADED + timedelta(days=6)
DUE = ISSUED + timedelta(days=30)
TR_COVER = CoverFacts(product="TRANSPORT_INVOICE", bound_on=BOUND)
INVOICED = replace(
    TR_COVER,
    loaded_on=BOUND,
    unloaded_on=UNLOADED,
    invoice_issue_date=ISSUED,
    invoice_due_date=DUE,
)
FI_DUE = date(2025, 5, 2)
FI_COVER = CoverFacts(product="FINANCED_INVOICE", bound_on=BOUND, invoice_due_date=FI_DUE)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def by_kind(facts: CoverFacts) -> dict[str, Deadline]:
    rows = deadlines(facts)
    assert len({d.kind for d in rows}) == len(rows), "one deadline per kind"
    return {d.kind: d for d in rows}


def kinds(facts: CoverFacts) -> list[str]:
    return [d.kind for d in deadlines(facts)]


def state(d: Deadline) -> tuple[date, bool | None, date | None]:
    return d.due_on, d.met, d.met_on


# TR-T0: loading on or after the purchase date.


def test_tr_t0_loading_on_the_purchase_date_is_allowed():
    assert check_loading(BOUND, BOUND) is None


def test_tr_t0_loading_the_day_before_the_purchase_breaks():
    broken = check_loading(BOUND, BOUND - days(1))
    assert broken is not None
    assert (broken.rule, broken.field) == ("TR-T0", ("input", "on"))
    assert "2025-03-02" in broken.message


# TR-T1: unloading by day 10.


def test_tr_t1_unloading_on_day_10_is_allowed():
    assert check_unloading(BOUND, BOUND + days(10)) is None
    facts = replace(TR_COVER, unloaded_on=BOUND + days(10))
    assert state(by_kind(facts)["UNLOADING"]) == (BOUND + days(10), True, BOUND + days(10))


def test_tr_t1_unloading_on_day_11_breaks():
    broken = check_unloading(BOUND, BOUND + days(11))
    assert broken is not None
    assert (broken.rule, broken.field) == ("TR-T1", ("input", "on"))
    assert "2025-03-13" in broken.message  # day 10
    facts = replace(TR_COVER, unloaded_on=BOUND + days(11))
    assert state(by_kind(facts)["UNLOADING"]) == (BOUND + days(10), False, BOUND + days(11))


def test_tr_t1_unloading_is_due_from_the_purchase_and_lapses_the_cover():
    [unloading] = deadlines(TR_COVER)
    assert unloading == Deadline("UNLOADING", "TR-T1", date(2025, 3, 13), None, None)
    assert unloading.lapses and not unloading.insurer_side


# TR-T2: invoice issued by unloading + 30.


def test_tr_t2_invoice_issued_30_days_after_unloading_is_allowed():
    issued = UNLOADED + days(30)
    assert check_invoice(UNLOADED, issued, issued + days(30)) == []
    facts = replace(INVOICED, invoice_issue_date=issued, invoice_due_date=issued + days(30))
    assert state(by_kind(facts)["INVOICING"]) == (issued, True, issued)


def test_tr_t2_invoice_issued_31_days_after_unloading_breaks():
    issued = UNLOADED + days(31)
    broken = check_invoice(UNLOADED, issued, issued + days(30))
    assert [(v.rule, v.field) for v in broken] == [("TR-T2", ("input", "invoice", "issueDate"))]
    facts = replace(INVOICED, invoice_issue_date=issued, invoice_due_date=issued + days(30))
    assert state(by_kind(facts)["INVOICING"]) == (UNLOADED + days(30), False, issued)


def test_tr_t2_invoicing_deadline_counts_from_the_unloading_not_day_40():
    # Unloaded on day 4: the invoice is due by day 34, earlier than the seed's day 40.
    facts = replace(TR_COVER, unloaded_on=UNLOADED)
    assert by_kind(facts)["INVOICING"].due_on == BOUND + days(34)


# TR-T3: invoice due date by invoice date + 90.


def test_tr_t3_due_date_90_days_after_the_invoice_is_allowed():
    assert check_invoice(UNLOADED, ISSUED, ISSUED + days(90)) == []
    facts = replace(INVOICED, invoice_due_date=ISSUED + days(90))
    due_date = by_kind(facts)["INVOICE_DUE_DATE"]
    assert (due_date.rule, *state(due_date)) == (
        "TR-T3",
        ISSUED + days(90),
        True,
        ISSUED + days(90),
    )


def test_tr_t3_due_date_91_days_after_the_invoice_breaks():
    broken = check_invoice(UNLOADED, ISSUED, ISSUED + days(91))
    assert [(v.rule, v.field) for v in broken] == [("TR-T3", ("input", "invoice", "dueDate"))]
    facts = replace(INVOICED, invoice_due_date=ISSUED + days(91))
    assert by_kind(facts)["INVOICE_DUE_DATE"].met is False


def test_tr_t2_and_t3_are_both_reported_when_both_break():
    issued = UNLOADED + days(31)
    broken = check_invoice(UNLOADED, issued, issued + days(91))
    assert [v.rule for v in broken] == ["TR-T2", "TR-T3"]


@given(issue_offset=st.integers(0, 60), term=st.integers(0, 150))
def test_tr_t2_t3_deadlines_agree_with_the_fact_checks(issue_offset: int, term: int):
    issued = UNLOADED + days(issue_offset)
    facts = replace(INVOICED, invoice_issue_date=issued, invoice_due_date=issued + days(term))
    rows = by_kind(facts)
    broken = {v.rule for v in check_invoice(UNLOADED, issued, issued + days(term))}
    assert rows["INVOICING"].met is ("TR-T2" not in broken)
    assert rows["INVOICE_DUE_DATE"].met is ("TR-T3" not in broken)


# TR-T4: payment incident declared by due date + 20, unless paid in full.


def test_tr_t4_incident_declared_20_days_after_the_due_date_is_in_time():
    facts = replace(INVOICED, incident_declared_on=DUE + days(20))
    declaration = by_kind(facts)["INCIDENT_DECLARATION"]
    assert (declaration.rule, *state(declaration)) == (
        "TR-T4",
        DUE + days(20),
        True,
        DUE + days(20),
    )


def test_tr_t4_incident_declared_21_days_after_the_due_date_is_late():
    facts = replace(INVOICED, incident_declared_on=DUE + days(21))
    assert state(by_kind(facts)["INCIDENT_DECLARATION"]) == (DUE + days(20), False, DUE + days(21))


def test_tr_t4_paid_in_full_removes_the_incident_declaration():
    for paid_on in (DUE - days(3), DUE + days(20)):
        facts = replace(INVOICED, paid_in_full_on=paid_on)
        assert "INCIDENT_DECLARATION" not in kinds(facts)


def test_tr_t4_paid_in_full_after_an_undeclared_deadline_stays_missed():
    facts = replace(INVOICED, paid_in_full_on=DUE + days(21))
    assert state(by_kind(facts)["INCIDENT_DECLARATION"]) == (DUE + days(20), False, None)


# TR-T5: claim file opened by invoice date + 140, once an incident is declared.


def test_tr_t5_claim_opened_140_days_after_the_invoice_is_in_time():
    facts = replace(
        INVOICED, incident_declared_on=DUE + days(1), claim_opened_on=ISSUED + days(140)
    )
    claim = by_kind(facts)["CLAIM_OPENING"]
    assert (claim.rule, *state(claim)) == ("TR-T5", ISSUED + days(140), True, ISSUED + days(140))


def test_tr_t5_claim_opened_141_days_after_the_invoice_is_late():
    facts = replace(
        INVOICED, incident_declared_on=DUE + days(1), claim_opened_on=ISSUED + days(141)
    )
    assert state(by_kind(facts)["CLAIM_OPENING"]) == (ISSUED + days(140), False, ISSUED + days(141))


def test_tr_t5_claim_opening_is_due_only_once_an_incident_is_declared():
    assert "CLAIM_OPENING" not in kinds(INVOICED)
    facts = replace(INVOICED, incident_declared_on=DUE + days(1))
    assert state(by_kind(facts)["CLAIM_OPENING"]) == (ISSUED + days(140), None, None)


def test_tr_t5_paid_in_full_after_the_incident_removes_the_claim_opening():
    facts = replace(INVOICED, incident_declared_on=DUE + days(1), paid_in_full_on=DUE + days(30))
    assert "CLAIM_OPENING" not in kinds(facts)


# TR-T7: expected decision = claim opening + 5 months.


def test_tr_t7_expected_decision_five_months_after_opening():
    assert expected_decision_on(date(2025, 6, 10)) == date(2025, 11, 10)
    assert expected_decision_on(date(2025, 9, 30)) == date(2026, 2, 28)


# DOCUMENTS (TR-D1, TR-D2, TR-T6), missed as TR-X1: one deadline, the earliest owed.

DECLARED = DUE + days(5)
DEFAULTED = replace(INVOICED, incident_declared_on=DECLARED)
CLAIM_BY = ISSUED + days(140)


DECLARE_BY = DUE + days(20)


def test_tr_d1_incident_documents_are_due_by_the_incident_declaration_deadline():
    documents = by_kind(DEFAULTED)["DOCUMENTS"]
    assert (documents.rule, *state(documents)) == ("TR-X1", DECLARE_BY, None, None)
    assert documents.lapses


def test_tr_d1_incident_documents_on_due_plus_20_are_in_time():
    facts = replace(DEFAULTED, incident_documents_complete_on=DECLARE_BY)
    # TR-D1 met; TR-D2 (claim opening) is what is still owed.
    assert state(by_kind(facts)["DOCUMENTS"]) == (CLAIM_BY, None, None)


def test_tr_d1_incident_documents_on_due_plus_21_are_late():
    facts = replace(DEFAULTED, incident_documents_complete_on=DECLARE_BY + days(1))
    assert state(by_kind(facts)["DOCUMENTS"]) == (DECLARE_BY, False, DECLARE_BY + days(1))


def test_tr_d2_claim_documents_are_due_by_the_claim_opening_deadline():
    facts = replace(DEFAULTED, incident_documents_complete_on=DECLARED)
    assert state(by_kind(facts)["DOCUMENTS"]) == (CLAIM_BY, None, None)
    in_time = replace(facts, claim_opened_on=CLAIM_BY, claim_documents_complete_on=CLAIM_BY)
    assert state(by_kind(in_time)["DOCUMENTS"]) == (CLAIM_BY, True, CLAIM_BY)
    late = replace(in_time, claim_documents_complete_on=CLAIM_BY + days(1))
    assert state(by_kind(late)["DOCUMENTS"]) == (CLAIM_BY, False, CLAIM_BY + days(1))


def test_documents_are_due_only_once_an_incident_or_insolvency_is_known():
    assert "DOCUMENTS" not in kinds(INVOICED)


def test_tr_t6_documents_10_days_after_the_insolvency_are_in_time():
    insolvent = DUE - days(20)
    facts = replace(
        INVOICED,
        insolvency_on=insolvent,
        incident_documents_complete_on=insolvent + days(10),
        claim_documents_complete_on=insolvent + days(10),
    )
    assert state(by_kind(facts)["DOCUMENTS"]) == (insolvent + days(10), True, insolvent + days(10))


def test_tr_t6_documents_11_days_after_the_insolvency_are_late():
    insolvent = DUE - days(20)
    facts = replace(
        INVOICED,
        insolvency_on=insolvent,
        incident_documents_complete_on=insolvent + days(10),
        claim_documents_complete_on=insolvent + days(11),
    )
    assert state(by_kind(facts)["DOCUMENTS"]) == (insolvent + days(10), False, insolvent + days(11))


def test_tr_t6_insolvency_brings_the_claim_documents_forward():
    insolvent = DECLARED + days(3)
    facts = replace(DEFAULTED, incident_documents_complete_on=DECLARED, insolvency_on=insolvent)
    assert state(by_kind(facts)["DOCUMENTS"]) == (insolvent + days(10), None, None)


def test_tr_t6_insolvency_declared_before_any_document_gives_10_days_for_both_stages():
    """The defect: the declaration day was the due date, so the cover lapsed next day."""
    facts = replace(INVOICED, incident_declared_on=DECLARED, insolvency_on=DECLARED)
    assert state(by_kind(facts)["DOCUMENTS"]) == (DECLARED + days(10), None, None)


@pytest.mark.parametrize(("delivered_after", "met"), [(10, True), (11, False)])
def test_tr_t6_both_stages_documents_by_insolvency_plus_10(delivered_after, met):
    facts = replace(
        INVOICED,
        incident_declared_on=DECLARED,
        insolvency_on=DECLARED,
        incident_documents_complete_on=DECLARED + days(delivered_after),
        claim_documents_complete_on=DECLARED + days(delivered_after),
    )
    documents = by_kind(facts)["DOCUMENTS"]
    assert state(documents) == (DECLARED + days(10), met, DECLARED + days(delivered_after))


@pytest.mark.parametrize(("delivered_after", "met"), [(10, None), (11, False)])
def test_tr_t6_incident_stage_documents_alone_by_insolvency_plus_10(delivered_after, met):
    """TR-D1 late at +11 though its own deadline (due + 20) is later: TR-T6 replaces it."""
    insolvent = DUE - days(20)
    facts = replace(
        INVOICED,
        incident_declared_on=insolvent,
        insolvency_on=insolvent,
        incident_documents_complete_on=insolvent + days(delivered_after),
    )
    documents = by_kind(facts)["DOCUMENTS"]
    if met is None:  # TR-D1 in time; TR-D2 still owed by insolvency + 10
        assert state(documents) == (insolvent + days(10), None, None)
    else:
        assert state(documents) == (insolvent + days(10), False, insolvent + days(11))


def test_tr_t6_insolvency_can_give_a_stage_more_time_than_its_own_deadline():
    """Insolvency on due + 18: the incident documents are due on insolvency + 10 (due + 28)
    instead of due + 20."""
    insolvent = DUE + days(18)
    facts = replace(INVOICED, incident_declared_on=insolvent, insolvency_on=insolvent)
    assert by_kind(facts)["DOCUMENTS"].due_on == insolvent + days(10)


def test_tr_t6_a_stage_deadline_missed_before_the_insolvency_stays_missed():
    insolvent = DECLARE_BY + days(1)
    facts = replace(DEFAULTED, insolvency_on=insolvent)
    assert state(by_kind(facts)["DOCUMENTS"]) == (DECLARE_BY, None, None)
    assert missed(by_kind(facts)["DOCUMENTS"], insolvent)
    late = replace(facts, incident_documents_complete_on=insolvent + days(2))
    assert state(by_kind(late)["DOCUMENTS"]) == (DECLARE_BY, False, insolvent + days(2))


def test_tr_t6_a_stage_complete_before_the_insolvency_stays_met():
    insolvent = DECLARED + days(3)
    facts = replace(
        DEFAULTED,
        incident_documents_complete_on=DECLARED,
        insolvency_on=insolvent,
        claim_documents_complete_on=insolvent + days(10),
    )
    assert state(by_kind(facts)["DOCUMENTS"]) == (
        insolvent + days(10),
        True,
        insolvent + days(10),
    )


# FI-N1: non-payment notified by due date + 60, unless paid in full. Notification = claim.


def test_fi_n1_notification_60_days_after_the_due_date_is_in_time():
    facts = replace(FI_COVER, notification_on=FI_DUE + days(60))
    notification = by_kind(facts)["INCIDENT_DECLARATION"]
    assert (notification.rule, *state(notification)) == (
        "FI-N1",
        FI_DUE + days(60),
        True,
        FI_DUE + days(60),
    )
    assert notification.lapses


def test_fi_n1_notification_61_days_after_the_due_date_is_late():
    facts = replace(FI_COVER, notification_on=FI_DUE + days(61))
    assert state(by_kind(facts)["INCIDENT_DECLARATION"]) == (
        FI_DUE + days(60),
        False,
        FI_DUE + days(61),
    )


def test_fi_n1_a_declared_incident_is_the_notification():
    facts = replace(FI_COVER, incident_declared_on=FI_DUE + days(10))
    assert by_kind(facts)["INCIDENT_DECLARATION"].met_on == FI_DUE + days(10)
    assert by_kind(facts)["DOCUMENTS"].due_on == FI_DUE + days(40)


def test_fi_n1_paid_in_full_removes_the_notification_deadline():
    facts = replace(FI_COVER, paid_in_full_on=FI_DUE + days(2))
    assert kinds(facts) == []


def test_fi_has_no_transport_deadlines():
    assert kinds(FI_COVER) == ["INCIDENT_DECLARATION"]
    assert kinds(replace(FI_COVER, invoice_due_date=None)) == []


# FI-D1: documents by notification + 30; missed, the claim is rejected (not a lapse).

NOTIFIED = FI_DUE + days(15)
NOTIFIED_COVER = replace(FI_COVER, notification_on=NOTIFIED)


def test_fi_d1_documents_30_days_after_the_notification_are_in_time():
    facts = replace(NOTIFIED_COVER, claim_documents_complete_on=NOTIFIED + days(30))
    documents = by_kind(facts)["DOCUMENTS"]
    assert (documents.rule, *state(documents)) == (
        "FI-D1",
        NOTIFIED + days(30),
        True,
        NOTIFIED + days(30),
    )
    assert not documents.lapses


def test_fi_d1_documents_31_days_after_the_notification_are_late():
    facts = replace(NOTIFIED_COVER, claim_documents_complete_on=NOTIFIED + days(31))
    assert state(by_kind(facts)["DOCUMENTS"]) == (NOTIFIED + days(30), False, NOTIFIED + days(31))


# FI-C2: payable by notification + 2 months + 10 days (insurer side).


@pytest.mark.parametrize(
    ("notified", "payable"),
    [
        (date(2026, 12, 31), date(2027, 3, 10)),  # 28 Feb 2027 + 10
        (date(2027, 12, 31), date(2028, 3, 10)),  # 29 Feb 2028 (leap) + 10
        (date(2026, 12, 29), date(2027, 3, 10)),  # 28 Feb 2027 (clamped) + 10
        (date(2025, 5, 15), date(2025, 7, 25)),  # 15 Jul + 10
        (date(2025, 8, 31), date(2025, 11, 10)),  # 31 Oct + 10
        (date(2025, 11, 20), date(2026, 1, 30)),  # across the year end
    ],
)
def test_fi_c2_payable_by(notified: date, payable: date):
    assert payable_by(notified) == payable


def test_fi_c2_indemnity_payment_is_the_insurers_deadline():
    payment = by_kind(NOTIFIED_COVER)["INDEMNITY_PAYMENT"]
    assert payment == Deadline(
        "INDEMNITY_PAYMENT", "FI-C2", payable_by(NOTIFIED), None, None, True, False
    )
    paid = replace(NOTIFIED_COVER, indemnity_paid_on=payable_by(NOTIFIED))
    assert by_kind(paid)["INDEMNITY_PAYMENT"].met is True
    late = replace(NOTIFIED_COVER, indemnity_paid_on=payable_by(NOTIFIED) + days(1))
    assert by_kind(late)["INDEMNITY_PAYMENT"].met is False


# Deadlines appear once the fact they count from is known (LIFECYCLE 4).


def test_tr_deadlines_appear_fact_by_fact():
    steps = [
        (TR_COVER, ["UNLOADING"]),
        (replace(TR_COVER, unloaded_on=UNLOADED), ["UNLOADING", "INVOICING"]),
        (
            replace(TR_COVER, unloaded_on=UNLOADED, invoice_issue_date=ISSUED),
            ["UNLOADING", "INVOICING", "INVOICE_DUE_DATE"],
        ),
        (INVOICED, ["UNLOADING", "INVOICING", "INVOICE_DUE_DATE", "INCIDENT_DECLARATION"]),
        (
            DEFAULTED,
            [
                "UNLOADING",
                "INVOICING",
                "INVOICE_DUE_DATE",
                "INCIDENT_DECLARATION",
                "CLAIM_OPENING",
                "DOCUMENTS",
            ],
        ),
    ]
    for facts, expected in steps:
        assert kinds(facts) == expected


def test_fi_deadlines_appear_with_the_notification():
    assert kinds(NOTIFIED_COVER) == ["INCIDENT_DECLARATION", "DOCUMENTS", "INDEMNITY_PAYMENT"]


def test_confirmation_deadline_while_pending_then_met_or_not():
    due = datetime(2025, 3, 5, 9, 30, tzinfo=UTC)
    pending = replace(TR_COVER, confirmation_due=due, status="PENDING_CONFIRMATION")
    confirmation = deadlines(pending)[0]
    assert confirmation == Deadline(
        "CONFIRMATION", "TR-P2", date(2025, 3, 5), None, None, False, False
    )
    assert deadlines(replace(pending, status="ACTIVE"))[0].met is True
    fi = replace(FI_COVER, confirmation_due=due, status="DECLINED")
    assert [(d.kind, d.rule, d.met) for d in deadlines(fi)] == [("CONFIRMATION", "FI-A1", False)]


def test_a_closed_cover_keeps_only_the_deadlines_already_met_or_missed():
    facts = replace(INVOICED, status="LAPSED", invoice_issue_date=UNLOADED + days(31))
    assert kinds(facts) == ["UNLOADING", "INVOICING", "INVOICE_DUE_DATE"]
    assert kinds(replace(TR_COVER, status="SETTLED")) == []


def test_unknown_product_is_refused():
    with pytest.raises(ValueError, match="unknown product"):
        deadlines(replace(TR_COVER, product="WHOLE_TURNOVER"))


# missed(deadline, today)

OPEN = Deadline("UNLOADING", "TR-T1", date(2025, 3, 13), None, None)


def test_missed_is_false_up_to_and_on_the_due_date():
    assert not missed(OPEN, date(2025, 3, 12))
    assert not missed(OPEN, date(2025, 3, 13))


def test_missed_the_day_after_the_due_date():
    assert missed(OPEN, date(2025, 3, 14))


def test_missed_never_for_a_met_deadline_always_for_a_late_one():
    met = replace(OPEN, met=True, met_on=date(2025, 3, 13))
    late = replace(OPEN, met=False, met_on=date(2025, 3, 14))
    assert not missed(met, date(2026, 1, 1))
    assert missed(late, date(2025, 3, 14))
