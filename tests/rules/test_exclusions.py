"""C-3: VAT, late-payment interest, penalties and fines are never indemnified; the FI loss
is taken net of its VAT share (product decision), at its boundaries."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from domain.rules import exclusions
from domain.rules.indemnity import fi_indemnity


def test_c3_net_of_vat_takes_the_vat_share_out_in_proportion():
    assert exclusions.net_of_vat(D("12100.00"), D("10000.00"), D("2100.00")) == D("10000.00")
    # a part-payment pays VAT and net in the same proportion
    assert exclusions.net_of_vat(D("6050.00"), D("10000.00"), D("2100.00")) == D("5000.00")
    assert exclusions.net_of_vat(D("0.01"), D("10000.00"), D("2100.00")) == D("0.01")
    assert exclusions.net_of_vat(D("1000.00"), D("1000.00"), D("0.00")) == D("1000.00")


def test_c3_net_of_vat_rounds_half_up_to_the_cent():
    # 100.00 x 100 / 121 = 82.6446... -> 82.64; 0.05 x 100/121 = 0.0413 -> 0.04
    assert exclusions.net_of_vat(D("100.00"), D("100.00"), D("21.00")) == D("82.64")
    assert exclusions.net_of_vat(D("0.05"), D("100.00"), D("21.00")) == D("0.04")


def test_c3_negative_amounts_are_a_bug():
    with pytest.raises(ValueError):
        exclusions.net_of_vat(D("-1"), D("100"), D("21"))


def test_c3_fi_indemnity_excludes_vat_from_the_loss_before_the_cap():
    # unpaid 12,100.00 incl. VAT, nothing recovered, financed (insured) 12,100.00:
    # 90% x 10,000.00 = 9,000.00, not 90% x 12,100.00 = 10,890.00
    result = fi_indemnity(
        D("12100.00"), D("0.00"), D("12100.00"), invoice_net=D("10000.00"), invoice_vat=D("2100.00")
    )
    assert result.amount == D("9000.00")
    rules = [(line.rule, line.amount) for line in result.lines]
    assert ("C-3", D("-2100.00")) in rules


def test_c3_fi_indemnity_cap_still_applies_to_the_net_loss():
    # net loss 10,000.00 above the financed 9,000.00: capped at 9,000.00 -> 8,100.00
    result = fi_indemnity(
        D("12100.00"), D("0.00"), D("9000.00"), invoice_net=D("10000.00"), invoice_vat=D("2100.00")
    )
    assert result.amount == D("8100.00")


def test_c3_fi_indemnity_without_vat_is_unchanged():
    plain = fi_indemnity(D("5000.00"), D("0.00"), D("9000.00"))
    no_vat = fi_indemnity(
        D("5000.00"), D("0.00"), D("9000.00"), invoice_net=D("5000.00"), invoice_vat=D("0.00")
    )
    assert plain == no_vat and plain.amount == D("4500.00")


def test_c3_every_product_never_indemnifies_interest_penalties_fines_and_vat():
    assert set(exclusions.NEVER_INDEMNIFIED) == {
        "late-payment interest",
        "contractual penalties",
        "fines",
        "VAT",
    }
    assert "protest costs" in exclusions.ALSO_NEVER["WHOLE_TURNOVER"]
    assert "costs of litigation or disputes with clients" in exclusions.ALSO_NEVER["TOP_UP"]
