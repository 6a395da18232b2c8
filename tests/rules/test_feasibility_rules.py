"""Feasibility decision U-1..U-4 (LIFECYCLE 2) at its boundaries, in rule order."""

from __future__ import annotations

from decimal import Decimal

from domain.rules.catalogue import FI, TR
from domain.rules.feasibility import FeasibilityFacts, decide_feasibility


def facts(
    insured="1000.00", other="0", incident=False, duplicate=False, own="0"
) -> FeasibilityFacts:
    return FeasibilityFacts(Decimal(insured), Decimal(other), incident, duplicate, Decimal(own))


def test_u1_exposure_exactly_at_capacity_is_confirmed():
    assert decide_feasibility(facts("1000.00", "149000.00"), FI).outcome == "CONFIRMED"


def test_u1_exposure_one_cent_over_capacity_is_declined():
    decision = decide_feasibility(facts("1000.00", "149000.01"), TR)
    assert (decision.outcome, decision.rule) == ("DECLINED", "U-1")
    assert "150000.01" in decision.reason_for_staff


def test_u1_decline_reason_discloses_no_exposure_figure():
    """LIFECYCLE 2: the partner's reason carries no figure that includes other partners'
    covers, only what its own covers leave of the capacity (150,000.00 - 40,000.00); the
    staff reason keeps the exposure and the capacity."""
    decision = decide_feasibility(facts("1000.00", "149000.01", own="40000.00"), TR)
    assert decision.reason == (
        "The buyer's capacity for this cover is exceeded. This partner's covers on this "
        "buyer leave at most 110000.00 of its capacity; other business on the buyer may "
        "leave less."
    )
    assert "150000.01" in decision.reason_for_staff and "150000.00" in decision.reason_for_staff


def test_u1_partner_reason_does_not_depend_on_other_partners_exposure():
    """U-1: with the partner's own exposure fixed, any other partners' exposure that
    declines gives the partner the same reason, byte for byte."""
    reasons = {
        decide_feasibility(facts("1000.00", other, own="40000.00"), FI).reason
        for other in ("149000.01", "150000.00", "400000.00", "40000000.00")
    }
    assert len(reasons) == 1


def test_u1_capacity_left_by_partner_is_never_below_zero():
    decision = decide_feasibility(facts("1000.00", "160000.00", own="160000.00"), FI)
    assert "at most 0.00 of its capacity" in decision.reason


def test_u2_to_u4_reasons_are_the_same_for_staff():
    decision = decide_feasibility(facts(duplicate=True), FI)
    assert decision.reason_for_staff == decision.reason


def test_u2_recent_incident_declines():
    assert decide_feasibility(facts(incident=True), FI).rule == "U-2"


def test_u3_duplicate_invoice_declines():
    assert decide_feasibility(facts(duplicate=True), FI).rule == "U-3"


def test_u4_insured_at_threshold_is_confirmed_and_one_cent_above_is_referred():
    assert decide_feasibility(facts("20000.00"), FI).outcome == "CONFIRMED"
    decision = decide_feasibility(facts("20000.01"), FI)
    assert (decision.outcome, decision.rule) == ("REFERRED", "U-4")


def test_rules_apply_in_lifecycle_order_u1_before_u2_before_u3_before_u4():
    assert decide_feasibility(facts("25000", "149000", True, True), FI).rule == "U-1"
    assert decide_feasibility(facts("25000", "0", True, True), FI).rule == "U-2"
    assert decide_feasibility(facts("25000", "0", False, True), FI).rule == "U-3"
    assert decide_feasibility(facts("25000", "0", False, False), FI).rule == "U-4"
