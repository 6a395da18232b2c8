"""A whole-turnover policy's underwriting terms belong to the insurer: the partner asks
for a policy (insured, currency, period), it starts with the product's configured
default terms, and insurer staff set its terms (`set_policy_terms`) before it takes
effect (WT-P1: once the provisional premium is paid, the contract's terms are fixed).

The terms: the minimum (provisional) premium and the premium rates (WT-P1), the default
coverage percentage (WT-L1, WT-C6), the indemnity multiple (WT-C6), the minimum unpaid
threshold (WT-C5), the waiting period (WT-C3) and the optional-extension maximum (WT-X1).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.rules.money import round_cents
from domain.rules.wt.terms import PremiumRate
from domain.services import event_sequence, policies, policy_events
from domain.services.errors import DomainError, InvalidInput
from domain.services.principals import Principal
from domain.store.policy_models import Policy, PremiumInvoice

#: The error a partner gets for sending a term (on that field's path).
TERMS_SET_BY_INSURER = "TERMS_SET_BY_INSURER"


@dataclass(frozen=True)
class PolicyTermsChange:
    """Terms to set; None leaves a term as it is."""

    minimum_premium: Decimal | None = None
    premium_rates: tuple[PremiumRate, ...] | None = None
    coverage_percent: Decimal | None = None
    max_indemnity_multiple: Decimal | None = None
    minimum_unpaid_threshold: Decimal | None = None
    waiting_period_days: int | None = None
    max_extension_amount: Decimal | None = None


#: Each term and its input field.
FIELD_OF = {
    "minimum_premium": "minimumPremium",
    "premium_rates": "premiumRates",
    "coverage_percent": "coveragePercent",
    "max_indemnity_multiple": "maxIndemnityMultiple",
    "minimum_unpaid_threshold": "minimumUnpaidThreshold",
    "waiting_period_days": "waitingPeriodDays",
    "max_extension_amount": "maxExtensionAmount",
}

#: The product's configured default terms (product decision, docs/products/whole-turnover.md):
#: a policy starts with them until staff set its own.
DEFAULT_TERMS = PolicyTermsChange(
    minimum_premium=Decimal("1000.00"),
    premium_rates=(
        PremiumRate(60, Decimal("0.20")),
        PremiumRate(90, Decimal("0.30")),
        PremiumRate(120, Decimal("0.40")),
    ),
    coverage_percent=Decimal("90"),
    max_indemnity_multiple=Decimal("20"),
    minimum_unpaid_threshold=Decimal("0.00"),
    waiting_period_days=180,
    max_extension_amount=Decimal("0.00"),
)


def given_terms(change: PolicyTermsChange) -> list[str]:
    """The terms a change sets, in field order."""
    return [f.name for f in fields(change) if getattr(change, f.name) is not None]


def refuse_partner_terms(change: PolicyTermsChange) -> None:
    """A partner asks for a policy; it does not choose its terms."""
    given = given_terms(change)
    if given:
        raise DomainError(
            TERMS_SET_BY_INSURER,
            f"{FIELD_OF[given[0]]} is an underwriting term set by the insurer "
            "(setPolicyTerms); the policy starts with the product's default terms.",
            ("input", FIELD_OF[given[0]]),
        )


def check_terms(terms: PolicyTermsChange) -> None:
    """Every term present and within its bounds."""
    problems: list[tuple[str, tuple[str, ...]]] = []

    def bad(message: str, name: str, *more: str) -> None:
        problems.append((message, ("input", FIELD_OF[name], *more)))

    assert all(getattr(terms, name) is not None for name in FIELD_OF)
    for name in ("minimum_premium", "max_indemnity_multiple"):
        if getattr(terms, name) <= 0:
            bad("Must be positive.", name)
    for name in ("minimum_unpaid_threshold", "max_extension_amount"):
        if getattr(terms, name) < 0:
            bad("Must not be negative.", name)
    percent = terms.coverage_percent
    if percent is not None and not Decimal(0) < percent <= Decimal(100):
        bad("A percentage in (0, 100].", "coverage_percent")
    if terms.waiting_period_days is not None and terms.waiting_period_days < 0:
        bad("Must not be negative.", "waiting_period_days")
    rates = terms.premium_rates or ()
    if not rates:
        bad("At least one premium rate.", "premium_rates")
    for n, rate in enumerate(rates):
        if rate.max_term_days <= 0 or not Decimal(0) < rate.rate_percent < Decimal(100):
            bad("Term in days > 0 and a rate in (0, 100).", "premium_rates", str(n))
    if len({r.max_term_days for r in rates}) != len(rates):
        bad("One rate per payment term.", "premium_rates")
    if problems:
        raise InvalidInput(problems)


def row_values(terms: PolicyTermsChange) -> dict[str, Any]:
    """The Policy columns of complete terms."""
    assert terms.minimum_premium is not None and terms.premium_rates is not None
    assert terms.minimum_unpaid_threshold is not None and terms.max_extension_amount is not None
    return {
        "minimum_premium": round_cents(terms.minimum_premium),
        "premium_rates": [
            {"max_term_days": r.max_term_days, "rate_percent": str(r.rate_percent)}
            for r in sorted(terms.premium_rates, key=lambda r: r.max_term_days)
        ],
        "coverage_percent": terms.coverage_percent,
        "max_indemnity_multiple": terms.max_indemnity_multiple,
        "minimum_unpaid_threshold": round_cents(terms.minimum_unpaid_threshold),
        "waiting_period_days": terms.waiting_period_days,
        "max_extension_amount": round_cents(terms.max_extension_amount),
    }


def terms_of_row(policy: Policy) -> PolicyTermsChange:
    terms = policies.terms_of(policy)
    return PolicyTermsChange(**{name: getattr(terms, name) for name in FIELD_OF})


async def set_policy_terms(
    principal: Principal, policy_id: str, change: PolicyTermsChange, real_now: datetime
) -> Policy:
    """Staff: set a policy's terms while it waits for its minimum premium (WT-P1). A new
    minimum premium re-prices the unpaid MINIMUM invoice (never below what was paid)."""
    policy = await policies.staff_policy(principal, policy_id)
    if not given_terms(change):
        raise DomainError("INVALID_INPUT", "No term to set.", ("input",))
    if policy.status != policies.PENDING_PREMIUM:
        raise DomainError(
            "INVALID_STATE",
            f"Policy {policy.id} took effect on {policy.activated_on}: its terms are fixed.",
            ("input", "policyId"),
        )
    merged = replace(
        terms_of_row(policy), **{name: getattr(change, name) for name in given_terms(change)}
    )
    check_terms(merged)
    values = row_values(merged)
    now = await policies.policy_now(policy, real_now)
    async with event_sequence.policy_transaction(policy.id):
        invoice = await PremiumInvoice.get(policy_id=policy.id, kind="MINIMUM")
        if values["minimum_premium"] != invoice.amount:
            if invoice.paid_amount >= values["minimum_premium"]:
                raise DomainError(
                    "INVALID_INPUT",
                    f"Above the {invoice.paid_amount} already paid on the minimum premium.",
                    ("input", "minimumPremium"),
                )
            moved = await PremiumInvoice.filter(
                id=invoice.id, paid_amount=invoice.paid_amount
            ).update(amount=values["minimum_premium"])
            if moved != 1:
                raise DomainError("INVALID_STATE", "The premium changed meanwhile; retry.")
        moved = await Policy.filter(id=policy.id, status=policies.PENDING_PREMIUM).update(**values)
        if moved != 1:
            raise DomainError(
                "INVALID_STATE", f"Policy {policy.id} changed meanwhile; retry.", ("input",)
            )
        await policy.refresh_from_db()
        await policy_events.record(
            policy,
            "policy.terms_set",
            actor=policies.actor_of(principal),
            now=now,
            data={FIELD_OF[name]: _text(getattr(merged, name)) for name in given_terms(change)},
            webhook=False,
        )
    return policy


def _text(value: Any) -> Any:
    if isinstance(value, tuple):
        return [{"maxTermDays": r.max_term_days, "ratePercent": str(r.rate_percent)} for r in value]
    return value if isinstance(value, int) else str(value)
