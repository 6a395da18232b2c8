"""C-1 (who may be a buyer) and C-2 (related buyers) per product, at their boundaries
(000; 002 exclusion 4; 003 art. 1.2.2, 1.3 b, c, e; 004 art. 3.3.1-3.3.3, 9.2), and
TU-E6 (client countries, 004 art. 3.3.2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.rules import buyer_scope as bs
from domain.rules.buyer_scope import Party

INSURED = Party("ES", "B12345678", "COMPANY", group="Grupo Levante")
FOREIGN_PUBLIC = Party("PE", "20100000001", "PUBLIC_BODY")
CO_PUBLIC = Party("CO", "899999001", "PUBLIC_BODY")


def buyer(**overrides: object) -> Party:
    fields: dict[str, object] = {
        "country": "FR",
        "registration_number": "552100554",
        "legal_form": "COMPANY",
    }
    fields.update(overrides)
    return Party(**fields)  # type: ignore[arg-type]


def rules(found: list) -> list[tuple[str, tuple[str, ...] | None]]:
    return [(v.rule, v.field) for v in found]


C1 = [("C-1", ("input", "buyer", "legalForm"))]


# C-1 FI and TR: legal entities only


@pytest.mark.parametrize("check", [bs.fi_buyer_scope, bs.tr_buyer_scope], ids=["FI", "TR"])
@pytest.mark.parametrize("form", ["SOLE_TRADER", "PUBLIC_BODY", "PRIVATE_INDIVIDUAL"])
def test_c1_fi_tr_only_legal_entities_are_insurable(check, form):
    assert rules(check(buyer(legal_form=form))) == C1
    assert check(buyer(legal_form="COMPANY")) == []


# C-1 WT


def test_c1_wt_sole_trader_with_merchant_status_is_insurable():
    assert (
        bs.wt_buyer_scope(buyer(legal_form="SOLE_TRADER"), political_risks_contracted=False) == []
    )


def test_c1_wt_private_individual_and_consumer_are_excluded():
    found = bs.wt_buyer_scope(
        buyer(legal_form="PRIVATE_INDIVIDUAL"), political_risks_contracted=True
    )
    assert rules(found) == C1


def test_c1_wt_public_buyer_excluded_without_political_risks():
    assert rules(bs.wt_buyer_scope(FOREIGN_PUBLIC, political_risks_contracted=False)) == C1


def test_c1_wt_public_buyer_outside_colombia_insurable_with_political_risks():
    assert bs.wt_buyer_scope(FOREIGN_PUBLIC, political_risks_contracted=True) == []


def test_c1_wt_public_buyer_in_colombia_excluded_even_with_political_risks():
    found = bs.wt_buyer_scope(CO_PUBLIC, political_risks_contracted=True)
    assert rules(found) == C1
    assert "outside Colombia" in found[0].message


# C-1 TU: registered merchants


def test_c1_tu_company_is_presumed_registered_unless_said_otherwise():
    assert bs.tu_buyer_scope(buyer()) == []
    assert bs.tu_buyer_scope(buyer(merchant_registered=True)) == []
    assert rules(bs.tu_buyer_scope(buyer(merchant_registered=False))) == [
        ("C-1", ("input", "buyer", "merchantRegistered"))
    ]


def test_c1_tu_sole_trader_only_when_declared_registered():
    assert bs.tu_buyer_scope(buyer(legal_form="SOLE_TRADER", merchant_registered=True)) == []
    for flag in (None, False):
        found = bs.tu_buyer_scope(buyer(legal_form="SOLE_TRADER", merchant_registered=flag))
        assert rules(found) == [("C-1", ("input", "buyer", "merchantRegistered"))]


@pytest.mark.parametrize("form", ["PRIVATE_INDIVIDUAL", "PUBLIC_BODY"])
def test_c1_tu_non_merchant_individuals_and_public_bodies_are_excluded(form):
    assert rules(bs.tu_buyer_scope(buyer(legal_form=form, merchant_registered=True))) == C1


# C-2 per product

RELATED = [r for r in bs.RELATIONSHIPS if r != bs.NONE]
REL = [("C-2", ("input", "buyer", "relationship"))]
GROUP = [("C-2", ("input", "buyer", "group"))]


def test_c2_tr_only_a_subsidiary_of_the_carrier_is_related():
    assert rules(bs.tr_related_buyer(INSURED, buyer(relationship="SUBSIDIARY"))) == REL
    for other in [r for r in bs.RELATIONSHIPS if r != bs.SUBSIDIARY]:
        assert bs.tr_related_buyer(INSURED, buyer(relationship=other)) == [], other


def test_c2_tr_same_group_that_is_not_a_subsidiary_is_insurable():
    assert bs.tr_related_buyer(INSURED, buyer(group=" grupo levante ")) == []


@pytest.mark.parametrize("check", [bs.wt_related_buyer, bs.fi_related_buyer], ids=["WT", "FI"])
@pytest.mark.parametrize("relationship", RELATED)
def test_c2_wt_and_fi_every_link_either_direction_is_related(check, relationship):
    assert rules(check(INSURED, buyer(relationship=relationship))) == REL


@pytest.mark.parametrize("check", [bs.wt_related_buyer, bs.fi_related_buyer], ids=["WT", "FI"])
def test_c2_wt_and_fi_same_group_is_a_link_and_none_is_not(check):
    assert rules(check(INSURED, buyer(group="GRUPO LEVANTE"))) == GROUP
    assert check(INSURED, buyer(relationship="NONE", group="Otro")) == []
    assert check(INSURED, buyer()) == []


@pytest.mark.parametrize("relationship", sorted(bs.TU_RELATED))
def test_c2_tu_not_independent_or_controlled_or_co_managed_is_related(relationship):
    assert rules(bs.tu_related_buyer(INSURED, buyer(relationship=relationship))) == REL


@pytest.mark.parametrize("relationship", ["FAMILY", "SHAREHOLDING", "OTHER_LINK", "NONE"])
def test_c2_tu_links_that_leave_independence_are_insurable(relationship):
    assert bs.tu_related_buyer(INSURED, buyer(relationship=relationship)) == []


def test_c2_tu_same_group_is_financial_dependence():
    assert rules(bs.tu_related_buyer(INSURED, buyer(group="Grupo Levante"))) == GROUP


@pytest.mark.parametrize(
    "check",
    [bs.fi_related_buyer, bs.tr_related_buyer, bs.wt_related_buyer, bs.tu_related_buyer],
    ids=["FI", "TR", "WT", "TU"],
)
def test_c2_every_product_refuses_the_insured_itself_but_not_the_same_number_abroad(check):
    assert rules(check(INSURED, buyer(country="es", registration_number=" b12345678 "))) == GROUP
    assert check(INSURED, buyer(country="PT", registration_number="B12345678")) == []


# TU-E6


def test_tu_e6_client_in_a_listed_country_is_covered_and_elsewhere_not():
    assert bs.tu_client_country(buyer(country="es"), ("ES", "PT")) == []
    assert rules(bs.tu_client_country(buyer(country="FR"), ("ES", "PT"))) == [
        ("TU-E6", ("input", "buyer", "country"))
    ]


def test_party_of_reads_a_stored_company():
    party = bs.party_of(
        {
            "country": "ES",
            "registration_number": "X",
            "legal_form": "SOLE_TRADER",
            "relationship": "FAMILY",
            "merchant_registered": True,
        }
    )
    assert party == Party("ES", "X", "SOLE_TRADER", None, "FAMILY", True)
    assert bs.party_of({"country": "ES", "registration_number": "X"}).legal_form == "COMPANY"


# Properties across products (hypothesis)


parties = st.builds(
    Party,
    country=st.sampled_from(["ES", "CO", "PE", "FR"]),
    registration_number=st.sampled_from(["B12345678", "552100554", "X1"]),
    legal_form=st.sampled_from(["COMPANY", "SOLE_TRADER", "PUBLIC_BODY", "PRIVATE_INDIVIDUAL"]),
    group=st.sampled_from([None, "", "Grupo Levante", "Otro"]),
    relationship=st.sampled_from([None, *bs.RELATIONSHIPS]),
    merchant_registered=st.sampled_from([None, True, False]),
)


@given(parties)
def test_c1_a_buyer_fi_insures_wt_insures_too_and_tu_unless_unregistered(party: Party):
    if not bs.fi_buyer_scope(party):
        assert bs.wt_buyer_scope(party, political_risks_contracted=False) == []
        assert (bs.tu_buyer_scope(party) == []) == (party.merchant_registered is not False)


@given(parties)
def test_c1_wt_political_risks_only_ever_widen_the_scope(party: Party):
    if not bs.wt_buyer_scope(party, political_risks_contracted=False):
        assert bs.wt_buyer_scope(party, political_risks_contracted=True) == []


@given(parties)
def test_c2_related_for_tr_or_tu_means_related_for_wt_and_fi(party: Party):
    for narrower in (bs.tr_related_buyer, bs.tu_related_buyer):
        if narrower(INSURED, party):
            assert bs.wt_related_buyer(INSURED, party)
            assert bs.fi_related_buyer(INSURED, party)
