"""Recorded, not computed (rules v2): which ids each product records, who may record
them, and the boundaries of a fact's date and note."""

from __future__ import annotations

from datetime import date

import pytest

from domain.rules import rule_facts as rf

TODAY = date(2027, 3, 1)


def check(product: str, rule: str, **kw):
    args = {"by_staff": True, "occurred_on": TODAY, "today": TODAY, "note": "n", "has_limit": False}
    args.update(kw)
    spec, found = rf.check_fact(product, rule, **args)
    return spec, [(v.rule, v.field) for v in found]


@pytest.mark.parametrize(
    "rule",
    ["WT-L9", "WT-L10", "WT-X2", "WT-C11", "WT-C12", "WT-C14", "WT-R3", "WT-R4", "WT-R5",
     "WT-P6", "WT-P7"],
)  # fmt: skip
def test_every_recorded_wt_id_is_recordable_on_a_wt_policy_only(rule):
    assert rule in rf.rules_of(rf.WHOLE_TURNOVER)
    assert rule not in rf.rules_of(rf.TOP_UP)


@pytest.mark.parametrize(
    "rule",
    ["TU-L4", "TU-E4", "TU-E8", "TU-N1", "TU-N2", "TU-N3", "TU-C3", "TU-C4", "TU-R2",
     "TU-P2", "TU-P3", "TU-P5"],
)  # fmt: skip
def test_every_recorded_tu_id_is_recordable_on_a_tu_policy_only(rule):
    assert rule in rf.rules_of(rf.TOP_UP)
    assert rule not in rf.rules_of(rf.WHOLE_TURNOVER)


def test_an_id_the_system_computes_is_not_recordable():
    spec, found = check(rf.WHOLE_TURNOVER, "WT-C6")
    assert spec is None and found == [("INVALID_INPUT", ("input", "rule"))]


def test_rule_ids_are_read_case_insensitively():
    spec, found = check(rf.TOP_UP, " tu-n2 ")
    assert spec is not None and spec.rule == "TU-N2" and found == []


def test_the_partner_records_information_it_gives_not_the_insurers_findings():
    assert check(rf.TOP_UP, "TU-N3", by_staff=False)[1] == []
    assert check(rf.WHOLE_TURNOVER, "WT-C12", by_staff=False)[1] == []
    assert check(rf.TOP_UP, "TU-P5", by_staff=False)[1] == [("FORBIDDEN", ("input", "rule"))]
    assert check(rf.WHOLE_TURNOVER, "WT-C11", by_staff=False)[1] == [
        ("FORBIDDEN", ("input", "rule"))
    ]


def test_wt_l9_by_the_partner_is_a_disclosure_by_staff_a_breach_that_voids_the_limit():
    spec, found = check(rf.WHOLE_TURNOVER, "WT-L9", by_staff=False)
    assert found == [] and spec is not None and spec.consequence is None
    spec, found = check(rf.WHOLE_TURNOVER, "WT-L9", has_limit=True)
    assert found == [] and spec is not None and spec.consequence == rf.LIMIT_VOID


def test_a_fact_occurs_today_at_the_latest():
    assert check(rf.TOP_UP, "TU-N2", occurred_on=TODAY)[1] == []
    assert check(rf.TOP_UP, "TU-N2", occurred_on=date(2027, 3, 2))[1] == [
        ("INVALID_INPUT", ("input", "occurredOn"))
    ]


def test_a_note_has_1_to_2000_characters():
    assert check(rf.TOP_UP, "TU-N2", note="x" * rf.NOTE_MAX)[1] == []
    for note in ("", "   ", "x" * (rf.NOTE_MAX + 1)):
        assert check(rf.TOP_UP, "TU-N2", note=note)[1] == [("INVALID_INPUT", ("input", "note"))]


def test_wt_l9_names_the_limit_tu_c3_the_claim_wt_p6_the_invoice():
    assert check(rf.WHOLE_TURNOVER, "WT-L9")[1] == [("INVALID_INPUT", ("input", "limitId"))]
    assert check(rf.WHOLE_TURNOVER, "WT-L9", has_limit=True)[1] == []
    assert check(rf.TOP_UP, "TU-C3")[1] == [("INVALID_INPUT", ("input", "claimId"))]
    assert check(rf.TOP_UP, "TU-C3", has_claim=True)[1] == []
    assert check(rf.WHOLE_TURNOVER, "WT-P6")[1] == [("INVALID_INPUT", ("input", "documentId"))]
    assert check(rf.WHOLE_TURNOVER, "WT-P6", has_document=True)[1] == []


def test_tu_p5_rescinded_contract_refuses_everything_after():
    assert rf.rescinded(None) is None
    refusal = rf.rescinded(date(2027, 6, 25))
    assert refusal is not None and refusal.rule == "TU-P5"


def test_an_overlong_rule_is_refused_without_echoing_it():
    spec, found = rf.check_fact(
        rf.TOP_UP, "X" * 10_000, by_staff=True, occurred_on=TODAY, today=TODAY, note="n",
        has_limit=False,
    )  # fmt: skip
    assert spec is None and len(found) == 1 and len(found[0].message) < 400
