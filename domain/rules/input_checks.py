"""Well-formedness of a quote request (INVALID_INPUT), checked before any business rule.

These are not insurance rules: a request that fails them is malformed and no quote is
stored. Each problem names the input field at fault.
"""

from __future__ import annotations

import re
from decimal import Decimal

from domain.rules.catalogue import ProductSpec
from domain.rules.money import Money, amount_problem
from domain.rules.quote_request import Company, QuoteRequest
from domain.rules.violations import Violation

#: ISO 4217 active currency codes accepted anywhere in the API (a product may accept fewer).
ISO_CURRENCIES: frozenset[str] = frozenset(
    (
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL "
        "BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP "
        "ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR "
        "IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL "
        "LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR "
        "NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD "
        "SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX "
        "USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL "
    ).split()
)

_COUNTRY = re.compile(r"[A-Z]{2}", re.ASCII)
_NACE = re.compile(r"(\d{2})(\.\d{1,2})?", re.ASCII)
_MAX_AMOUNT = Decimal("1000000000")


def nace_division(sector: str) -> int | None:
    """The two-digit NACE rev.2 division of a code such as "49.41", or None if malformed."""
    match = _NACE.fullmatch(sector.strip())
    return int(match.group(1)) if match else None


def _check_money(
    money: Money, path: tuple[str, ...], product: ProductSpec, *, allow_zero: bool
) -> list[Violation]:
    problems: list[Violation] = []
    if money.currency not in ISO_CURRENCIES:
        problems.append(
            Violation(
                "INVALID_INPUT",
                f"Unknown currency {money.currency!r}: use an ISO 4217 code such as EUR.",
                (*path, "currency"),
            )
        )
    elif money.currency not in product.currencies:
        offered = ", ".join(product.currencies)
        problems.append(
            Violation(
                "INVALID_INPUT",
                f"{product.code} is offered in {offered} only, not {money.currency}.",
                (*path, "currency"),
            )
        )
    amount = money.amount
    refused = amount_problem(amount)  # the one money parser (parse_amount)
    if refused is not None:
        problems.append(Violation("INVALID_INPUT", refused, (*path, "amount")))
    if not amount.is_finite():
        return problems
    if amount < 0 or (amount == 0 and not allow_zero):
        problems.append(
            Violation("INVALID_INPUT", "Amount must be greater than zero.", (*path, "amount"))
        )
    if amount >= _MAX_AMOUNT:
        problems.append(Violation("INVALID_INPUT", "Amount is out of range.", (*path, "amount")))
    return problems


def _check_company(company: Company, path: tuple[str, ...]) -> list[Violation]:
    problems: list[Violation] = []
    if not _COUNTRY.fullmatch(company.country):
        problems.append(
            Violation(
                "INVALID_INPUT",
                "Country must be an ISO 3166-1 alpha-2 code in capitals, e.g. ES.",
                (*path, "country"),
            )
        )
    if nace_division(company.sector) is None:
        problems.append(
            Violation(
                "INVALID_INPUT",
                "Sector must be a NACE rev.2 code such as 49.41.",
                (*path, "sector"),
            )
        )
    for name, value in (
        ("registrationNumber", company.registration_number),
        ("name", company.name),
    ):
        if not value.strip():
            problems.append(Violation("INVALID_INPUT", f"{name} must not be empty.", (*path, name)))
    return problems


def input_problems(request: QuoteRequest, product: ProductSpec) -> list[Violation]:
    """Every malformed part of the request, each with the input path at fault."""
    problems = _check_company(request.seller, ("input", "seller"))
    problems += _check_company(request.buyer, ("input", "buyer"))
    if product.code == "FINANCED_INVOICE":
        if request.invoice is None:
            problems.append(
                Violation(
                    "INVALID_INPUT", "FINANCED_INVOICE needs an invoice.", ("input", "invoice")
                )
            )
    elif request.shipment is None:
        problems.append(
            Violation("INVALID_INPUT", "TRANSPORT_INVOICE needs a shipment.", ("input", "shipment"))
        )
    invoice = request.invoice
    if invoice is not None:
        path = ("input", "invoice")
        problems += _check_money(invoice.amount, (*path, "amount"), product, allow_zero=False)
        problems += _check_money(invoice.vat_amount, (*path, "vatAmount"), product, allow_zero=True)
        if invoice.due_date < invoice.issue_date:
            problems.append(
                Violation(
                    "INVALID_INPUT", "The due date is before the issue date.", (*path, "dueDate")
                )
            )
        if not invoice.number.strip():
            problems.append(
                Violation("INVALID_INPUT", "number must not be empty.", (*path, "number"))
            )
    if request.financing is not None:
        problems += _check_money(
            request.financing.financed_amount,
            ("input", "financing", "financedAmount"),
            product,
            allow_zero=True,  # a zero financed amount is refused by FI-E4, not malformed
        )
    if request.shipment is not None:
        problems += _check_money(
            request.shipment.guaranteed_amount,
            ("input", "shipment", "guaranteedAmount"),
            product,
            allow_zero=False,
        )
    return problems
