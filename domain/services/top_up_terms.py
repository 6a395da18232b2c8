"""A top-up policy's underwriting terms belong to the insurer: a policy starts with the
product's default terms (domain.rules.tu.terms.DEFAULT_TERMS) and staff set its own with
`set_top_up_policy_terms`, for the whole policy or from a later insurance year (TU-C2:
each loss takes the conditions of its year).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from domain.rules.money import round_cents
from domain.rules.tu.terms import DEFAULT_TERMS, INSURER_TERMS, TopUpTerms
from domain.rules.tu.terms import terms_for_year as _for
from domain.services.errors import DomainError, InvalidInput, not_found
from domain.services.principals import Principal
from domain.store.topup_models import TopUpClaim, TopUpPolicy

MONEY_TERMS = frozenset(
    {
        "per_loss_deductible",
        "annual_aggregate_deductible",
        "annual_sum_insured",
        "pni_threshold",
        "minimum_premium",
    }
)
#: The GraphQL field name of each term, for field paths.
FIELD_NAMES = {
    "coverage_percent": "coveragePercent",
    "per_loss_deductible": "perLossDeductible",
    "annual_aggregate_deductible": "annualAggregateDeductible",
    "annual_sum_insured": "annualSumInsured",
    "pni_threshold": "pniThreshold",
    "max_payment_term_days": "maxPaymentTermDays",
    "supply_cutoff_days": "supplyCutoffDays",
    "covered_countries": "coveredCountries",
    "minimum_premium": "minimumPremium",
}


def base_terms(policy: TopUpPolicy) -> TopUpTerms:
    return TopUpTerms(
        coverage_percent=policy.coverage_percent,
        first_layer_coverage_percent=policy.first_layer_coverage_percent,
        per_loss_deductible=policy.per_loss_deductible,
        annual_aggregate_deductible=policy.annual_aggregate_deductible,
        annual_sum_insured=policy.annual_sum_insured,
        pni_threshold=policy.pni_threshold,
        max_payment_term_days=policy.max_payment_term_days,
        supply_cutoff_days=policy.supply_cutoff_days,
        first_layer_invoicing_days=policy.first_layer_invoicing_days,
        period_start=policy.period_start,
        period_end=policy.period_end,
    )


def _decoded(changes: dict[str, Any]) -> dict[str, object]:
    return {
        k: Decimal(v) if k in MONEY_TERMS or k == "coverage_percent" else v
        for k, v in changes.items()
    }


def terms_for_year(policy: TopUpPolicy, year: int) -> TopUpTerms:
    """TU-C2: the terms valid in the policy's insurance year `year`."""
    versions = [(int(v["from_year"]), _decoded(v["terms"])) for v in policy.terms_versions]
    return _for(base_terms(policy), versions, year)


def default_terms(first_layer_percent: Decimal, insured_country: str) -> dict[str, Any]:
    """The product's default terms for a new policy (*config*)."""
    terms: dict[str, Any] = dict(DEFAULT_TERMS)
    terms["coverage_percent"] = min(Decimal(str(terms["coverage_percent"])), first_layer_percent)
    terms["covered_countries"] = [insured_country.strip().upper()]
    return terms


def check_terms(terms: dict[str, Any], first_layer_percent: Decimal) -> dict[str, Any]:
    """The terms given, validated and normalised; InvalidInput lists every problem."""
    problems: list[tuple[str, tuple[str, ...]]] = []
    out: dict[str, Any] = {}
    for name, value in terms.items():
        path = ("input", FIELD_NAMES[name])
        if name == "coverage_percent":
            # TU-C1: above 0, not above the first layer's percentage (art. 7.2).
            if not Decimal(0) < value <= first_layer_percent:
                problems.append((f"In (0, {first_layer_percent}], the first layer's.", path))
            out[name] = value
        elif name in MONEY_TERMS:
            if name == "annual_sum_insured" and value <= 0:
                problems.append(("Must be positive.", path))
            elif value < 0:
                problems.append(("Must not be negative.", path))
            out[name] = round_cents(value)
        elif name == "covered_countries":
            countries = sorted({c.strip().upper() for c in value})
            if not countries:
                problems.append(("At least one covered country.", path))
            out[name] = countries
        else:
            if value <= 0:
                problems.append(("Must be positive.", path))
            out[name] = value
    if problems:
        raise InvalidInput(problems)
    return out


async def set_top_up_policy_terms(
    principal: Principal,
    policy_id: str,
    terms: dict[str, Any],
    from_year: int,
    real_now: datetime,
) -> TopUpPolicy:
    """Staff set a policy's terms from insurance year `from_year` (0: the whole policy).
    The conditions of a year with a loss already paid do not change (TU-C2): refused."""
    if not principal.is_staff:
        raise DomainError("FORBIDDEN", "Policy terms are set by insurer staff keys.")
    unknown = set(terms) - set(INSURER_TERMS)
    if unknown:
        raise DomainError("INVALID_INPUT", f"Not a term: {sorted(unknown)}.", ("input",))
    if from_year < 0:
        raise DomainError("INVALID_INPUT", "An insurance year from 0.", ("input", "fromYear"))
    whole_policy = {"covered_countries", "minimum_premium"} & set(terms)
    if from_year > 0 and whole_policy:
        name = sorted(whole_policy)[0]
        raise DomainError(
            "INVALID_INPUT",
            "Set for the whole policy (fromYear 0), not per insurance year.",
            ("input", FIELD_NAMES[name]),
        )
    policy = await TopUpPolicy.get_or_none(id=policy_id)
    if policy is None:
        raise not_found("top-up policy", policy_id, ("input", "policyId"))
    clean = check_terms(terms, policy.first_layer_coverage_percent)
    async with in_transaction():
        if await TopUpClaim.filter(
            policy_id=policy.id, insurance_year__gte=from_year, status="PAID"
        ).exists():
            raise DomainError(
                "INVALID_STATE",
                f"A loss of insurance year {from_year} or later is paid: its conditions stay.",
                ("input", "fromYear"),
            )
        if from_year == 0:
            moved = await TopUpPolicy.filter(id=policy.id).update(**clean)
        else:
            stored = {k: str(v) if isinstance(v, Decimal) else v for k, v in clean.items()}
            versions = [v for v in policy.terms_versions if int(v["from_year"]) != from_year]
            versions.append({"from_year": from_year, "terms": stored})
            moved = await TopUpPolicy.filter(id=policy.id).update(
                terms_versions=sorted(versions, key=lambda v: int(v["from_year"]))
            )
        if moved != 1:
            raise DomainError("INVALID_STATE", "The policy changed meanwhile; retry.")
    await policy.refresh_from_db()
    return policy
