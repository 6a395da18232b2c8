"""Common buyer rules for both single-invoice products (FI via FI-E5, TR via TR-X1):
C-1 (only companies registered as merchants), C-2 (no buyer related to the insured)
and C-4 (buyer sector in the product's validated list: every NACE division except
64-66, 84, 97-99).
"""

from __future__ import annotations

import pytest

from domain.rules.catalogue import (
    DEFAULT_EXCLUDED_NACE_DIVISIONS,
    FI,
    TR,
    ProductSpec,
)
from domain.rules.eligibility import quote_violations, related

PRODUCTS = pytest.mark.parametrize("spec", [FI, TR], ids=["FI", "TR"])

SELLER = {"country": "ES", "registration_number": "B12345678", "group": "Grupo Levante"}


def found(any_request, spec: ProductSpec, *, seller=None, buyer=None):
    overrides = {}
    if seller is not None:
        overrides["seller"] = seller
    if buyer is not None:
        overrides["buyer"] = buyer
    req = any_request(spec.code, **overrides)
    return [(v.rule, v.field) for v in quote_violations(req, spec)]


# C-1


@PRODUCTS
@pytest.mark.parametrize(
    ("legal_form", "kind"),
    [
        ("SOLE_TRADER", "sole trader"),
        ("PUBLIC_BODY", "public body"),
        ("PRIVATE_INDIVIDUAL", "private individual"),
    ],
)
def test_c1_buyer_that_is_not_a_company_is_refused(
    any_request, company, spec: ProductSpec, legal_form: str, kind: str
):
    req = any_request(spec.code, buyer=company(legal_form=legal_form))
    violations = quote_violations(req, spec)
    assert [(v.rule, v.field) for v in violations] == [("C-1", ("input", "buyer", "legalForm"))]
    assert kind in violations[0].message


@PRODUCTS
def test_c1_buyer_that_is_a_company_is_eligible(any_request, company, spec: ProductSpec):
    assert found(any_request, spec, buyer=company(legal_form="COMPANY")) == []


@PRODUCTS
def test_c1_only_the_buyer_legal_form_matters(any_request, company, spec: ProductSpec):
    seller = company(**SELLER, legal_form="SOLE_TRADER")
    assert found(any_request, spec, seller=seller) == []


# C-2

C2 = [("C-2", ("input", "buyer", "group"))]


@pytest.mark.parametrize(
    "buyer_group", ["Grupo Levante", "GRUPO LEVANTE", "grupo levante", "  Grupo Levante "]
)
def test_c2_fi_buyer_in_the_same_group_case_insensitive_is_refused(
    any_request, company, buyer_group: str
):
    spec = FI
    seller = company(**SELLER)
    buyer = company(group=buyer_group)
    assert found(any_request, spec, seller=seller, buyer=buyer) == C2


@PRODUCTS
@pytest.mark.parametrize("buyer_number", ["B12345678", "b12345678", " B12345678 "])
def test_c2_buyer_with_same_country_and_registration_number_is_refused(
    any_request, company, spec: ProductSpec, buyer_number: str
):
    seller = company(**SELLER)
    buyer = company(country="ES", registration_number=buyer_number, group=None)
    assert found(any_request, spec, seller=seller, buyer=buyer) == C2


@PRODUCTS
def test_c2_same_registration_number_in_another_country_is_eligible(
    any_request, company, spec: ProductSpec
):
    seller = company(**SELLER)
    buyer = company(country="PT", registration_number="B12345678", group=None)
    assert found(any_request, spec, seller=seller, buyer=buyer) == []


@PRODUCTS
def test_c2_buyer_in_a_different_group_is_eligible(any_request, company, spec: ProductSpec):
    seller = company(**SELLER)
    buyer = company(group="Groupe Durand")
    assert found(any_request, spec, seller=seller, buyer=buyer) == []


@PRODUCTS
@pytest.mark.parametrize(
    ("seller_group", "buyer_group"),
    [("Grupo Levante", None), (None, "Grupo Levante"), (None, None), ("", "")],
)
def test_c2_group_missing_on_one_side_is_eligible(
    any_request, company, spec: ProductSpec, seller_group, buyer_group
):
    seller = company(**{**SELLER, "group": seller_group})
    buyer = company(group=buyer_group)
    assert found(any_request, spec, seller=seller, buyer=buyer) == []


@PRODUCTS
def test_c2_blank_groups_on_both_sides_are_not_a_shared_group(
    any_request, company, spec: ProductSpec
):
    seller = company(**{**SELLER, "group": "  "})
    buyer = company(group=" ")
    assert found(any_request, spec, seller=seller, buyer=buyer) == []


def test_c2_related_is_symmetric(company):
    a = company(**SELLER)
    b = company(group="grupo LEVANTE")
    c = company(group="Other")
    assert related(a, b) and related(b, a)
    assert not related(a, c) and not related(c, a)


# C-4

C4 = [("C-4", ("input", "buyer", "sector"))]


def test_c4_default_exclusions_are_the_documented_divisions():
    assert frozenset({64, 65, 66, 84, 97, 98, 99}) == DEFAULT_EXCLUDED_NACE_DIVISIONS
    assert FI.excluded_nace_divisions == DEFAULT_EXCLUDED_NACE_DIVISIONS
    assert TR.excluded_nace_divisions == DEFAULT_EXCLUDED_NACE_DIVISIONS


@PRODUCTS
@pytest.mark.parametrize("sector", ["64.19", "65.12", "66.22", "84.11", "97.00", "98.10", "99.00"])
def test_c4_buyer_in_an_excluded_nace_division_is_refused(
    any_request, company, spec: ProductSpec, sector: str
):
    req = any_request(spec.code, buyer=company(sector=sector))
    violations = quote_violations(req, spec)
    assert [(v.rule, v.field) for v in violations] == C4
    assert f"NACE division {sector[:2]}" in violations[0].message


@PRODUCTS
@pytest.mark.parametrize("sector", ["64", "66.1", "99"])
def test_c4_excluded_division_is_refused_at_any_nace_level(
    any_request, company, spec: ProductSpec, sector: str
):
    assert found(any_request, spec, buyer=company(sector=sector)) == C4


@PRODUCTS
@pytest.mark.parametrize(
    "sector",
    # 67 and 83 are not NACE rev.2 divisions, but C-4 is checked by division number, so the
    # numeric neighbours must pass; 68 and 82 are the real neighbours of 66 and 84.
    ["63.11", "67", "68.10", "82.11", "83.00", "85.59", "96.02", "01.11", "49.41"],
)
def test_c4_buyer_next_to_an_excluded_division_is_eligible(
    any_request, company, spec: ProductSpec, sector: str
):
    assert found(any_request, spec, buyer=company(sector=sector)) == []


@PRODUCTS
def test_c4_only_the_buyer_sector_matters(any_request, company, spec: ProductSpec):
    seller = company(**SELLER, sector="64.19")
    assert found(any_request, spec, seller=seller) == []


@pytest.mark.parametrize(
    "buyer_group", ["Grupo Levante", "GRUPO LEVANTE", "grupo levante", "  Grupo Levante "]
)
def test_c2_tr_buyer_in_the_same_group_that_is_not_a_subsidiary_is_eligible(
    any_request, company, buyer_group: str
):
    """C-2 TR: only a subsidiary of the carrier (002 exclusion 4), not any group member."""
    seller = company(**SELLER)
    assert found(any_request, TR, seller=seller, buyer=company(group=buyer_group)) == []
    subsidiary = company(group=buyer_group, relationship="SUBSIDIARY")
    assert found(any_request, TR, seller=seller, buyer=subsidiary) == [
        ("C-2", ("input", "buyer", "relationship"))
    ]
