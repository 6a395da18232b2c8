"""Top-up losses (TU-N1, TU-E1, TU-E2, TU-C1, TU-C2, TU-R1, TU-P1):

notifyInsolvency (within 30 days of learning of it) -> NOTIFIED -> the first layer pays
its indemnity: the insured event (TU-E2) -> INSURED_EVENT with the TU-C1 indemnity ->
staff approve and pay (PAID) or reject -> recoveries recalculate the indemnity; an
overpayment is the insured's to refund (TU-R1).

The insurance year's remaining sum insured and aggregate deductible are read from the
year's other claims (TU-C2, top_up_account), so each loss consumes the aggregate
deductible once and each amount is counted once. The calculation stored on the claim is
a preview: the payment recalculates it on the state at that moment, in the paying
transaction, and is refused (TU-P1) while the premium owed is not fully paid.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from tortoise.transactions import in_transaction

from domain.rules import contract_terms
from domain.rules.money import round_cents
from domain.rules.tu import clients as tu_clients
from domain.rules.tu import eligibility as tu_eligibility
from domain.rules.tu import indemnity as tu_indemnity
from domain.rules.tu import premium as tu_premium
from domain.services import top_up, top_up_account
from domain.services.compare_and_set import compare_and_set
from domain.services.errors import DomainError, not_found
from domain.services.principals import Principal
from domain.services.top_up_account import calculate as _calculate
from domain.services.top_up_account import lines_of as _lines
from domain.store.ids import new_id
from domain.store.topup_models import TopUpClaim, TopUpLimit, TopUpPolicy

ZERO = Decimal("0.00")


async def visible_claim(principal: Principal, claim_id: str) -> TopUpClaim | None:
    claim = await TopUpClaim.get_or_none(id=claim_id)
    if claim is None:
        return None
    if principal.is_staff:
        return claim
    policy = await TopUpPolicy.get(id=claim.policy_id)
    return claim if policy.partner_id == principal.partner_id else None


async def year_account(
    policy: TopUpPolicy, year: int, *, excluding: str | None = None
) -> tuple[Decimal, Decimal]:
    """(remaining annual sum insured, aggregate deductible not yet borne) of a year, TU-C2."""
    return await top_up_account.year_account(policy, year, excluding=excluding)


async def notify_insolvency(
    principal: Principal,
    policy_id: str,
    buyer_key: str,
    learned_on: date,
    covered_loss: Decimal,
    first_unpaid_invoice_date: date,
    admitted: bool,
    real_now: datetime,
    *,
    insolvency_declared_on: date | None = None,
) -> TopUpClaim:
    """TU-N1: notified within 30 days of learning of the insolvency; TU-E1: admitted in
    the proceedings and above the non-indemnifiable threshold of the loss's year; TU-C2:
    the year of the first unpaid invoice; TU-E5: declared (default: the day learned) at
    most a year after the policy expired; TU-E7: a client not overdue at signing."""
    policy = await top_up.partner_policy(principal, policy_id)
    now = await top_up.policy_now(policy, real_now)
    late = tu_eligibility.check_notification(learned_on, now.date())
    if late is not None:
        raise DomainError(late.rule, late.message, ("input", "learnedOn"))
    if not policy.period_start <= first_unpaid_invoice_date <= policy.period_end:
        raise DomainError(
            "TU-E1",
            "The first unpaid invoice is outside the policy period.",
            ("input", "firstUnpaidInvoiceDate"),
        )
    year = tu_eligibility.insurance_year_of(first_unpaid_invoice_date, policy.period_start)
    barred = contract_terms.tu_time_bar(policy.period_start, year, now.date())  # TU-C5
    if barred is not None:
        raise DomainError(barred.rule, barred.message, barred.field)
    terms = top_up.terms_for_year(policy, year)
    declared_on = insolvency_declared_on or learned_on
    found = [
        v
        for v in (
            tu_clients.check_insolvency_date(policy.period_end, declared_on),
            *tu_eligibility.check_loss(terms, covered_loss, admitted, recoveries_exhausted=True),
        )
        if v is not None
    ]
    limit = await TopUpLimit.filter(policy_id=policy.id, buyer_key=buyer_key).first()
    if limit is None:
        raise DomainError("TU-E1", "No top-up limit for this buyer.", ("input", "buyer"))
    excluded = top_up.client_excluded(policy, limit)
    if excluded is not None:
        found.append(excluded)
    if found:
        field = found[0].field if found[0].rule != "TU-E1" else ("input", "coveredLoss")
        raise DomainError(found[0].rule, found[0].message, field)
    async with in_transaction():
        claim = await TopUpClaim.create(
            id=new_id("tuc"),
            policy_id=policy.id,
            buyer_key=buyer_key,
            status="NOTIFIED",
            learned_of_insolvency_on=learned_on,
            insolvency_declared_on=declared_on,
            limit_at_insolvency=top_up_account.limit_on(limit, declared_on),
            notified_on=now.date(),
            insurance_year=year,
            covered_loss=round_cents(covered_loss),
            admitted_in_proceedings=admitted,
            created_at=now,
        )
        await top_up.emit(policy, "claim.opened", now, {"claimId": claim.id, "buyer": buyer_key})
    return claim


async def record_first_layer_indemnity(
    principal: Principal,
    claim_id: str,
    paid_on: date,
    amount: Decimal,
    owed: bool,
    real_now: datetime,
) -> TopUpClaim:
    """TU-E2: the insured event is the first layer's payment, if it owed it."""
    claim = await visible_claim(principal, claim_id)
    if claim is None or principal.partner_id is None:
        raise not_found("top-up claim", claim_id, ("input", "claimId"))
    policy = await TopUpPolicy.get(id=claim.policy_id)
    now = await top_up.policy_now(policy, real_now)
    event_on = tu_eligibility.insured_event_on(paid_on, owed)
    async with in_transaction():
        if event_on is None:
            rejection = {"rule": "TU-E2", "message": "The first layer paid what it did not owe."}
            moved = await TopUpClaim.filter(id=claim.id, status="NOTIFIED").update(
                status="REJECTED",
                rejection=rejection,
                first_layer_paid_on=paid_on,
                first_layer_indemnity=round_cents(amount),
            )
            event = "claim.rejected"
        else:
            moved = await TopUpClaim.filter(id=claim.id, status="NOTIFIED").update(
                first_layer_paid_on=paid_on, first_layer_indemnity=round_cents(amount)
            )
            if moved:
                await top_up_account.lock_year(policy, claim.insurance_year)
                await claim.refresh_from_db()
                result = await _calculate(policy, claim)
                await TopUpClaim.filter(id=claim.id).update(
                    status="INSURED_EVENT",
                    indemnity_amount=result.amount,
                    indemnity_lines=_lines(result),
                    aggregate_deductible_used=result.aggregate_deductible_used,
                )
            event = "claim.indemnity_calculated"
        if moved != 1:
            raise DomainError(
                "INVALID_STATE", f"Claim {claim.id} is {claim.status}.", ("input", "claimId")
            )
        await claim.refresh_from_db()
        await top_up.emit(
            policy,
            event,
            now,
            {"claimId": claim.id, "amount": str(claim.indemnity_amount or ZERO), "rule": "TU-E2"},
        )
    return claim


async def decide_top_up_claim(
    principal: Principal,
    claim_id: str,
    approve: bool,
    paid_on: date | None,
    reason: str | None,
    real_now: datetime,
) -> TopUpClaim:
    """Staff: pay the indemnity or reject the claim with the rule.

    Paying recalculates the indemnity (TU-C1) on the year's state now, in the paying
    transaction: the stored calculation is only a preview. TU-P1: refused with that rule
    while the premium owed on the payment day is not fully paid, never paid as 0."""
    if not principal.is_staff:
        raise DomainError("FORBIDDEN", "Claim decisions are for insurer staff keys.")
    claim = await TopUpClaim.get_or_none(id=claim_id)
    if claim is None:
        raise not_found("top-up claim", claim_id, ("input", "claimId"))
    if approve and paid_on is None:
        raise DomainError("INVALID_INPUT", "The payment date.", ("input", "paidOn"))
    async with in_transaction():
        policy = await TopUpPolicy.get(id=claim.policy_id)
        now = await top_up.policy_now(policy, real_now)
        await top_up_account.lock_year(policy, claim.insurance_year)
        await claim.refresh_from_db()
        if approve:
            assert paid_on is not None
            if claim.status != "INSURED_EVENT":
                raise DomainError(
                    "INVALID_STATE", f"Claim {claim.id} is {claim.status}.", ("input", "claimId")
                )
            unpaid = tu_premium.check_premium_paid(
                policy.minimum_premium, policy.period_start, policy.premium_paid_total, paid_on
            )
            if unpaid is not None:
                raise DomainError(unpaid.rule, unpaid.message, unpaid.field)
            result = await _calculate(policy, claim)
            sum_left, aggregate_left = await top_up_account.year_account(
                policy, claim.insurance_year, excluding=claim.id
            )
            moved = await TopUpClaim.filter(id=claim.id, status="INSURED_EVENT").update(
                status="PAID",
                sum_left_at_payment=sum_left,
                aggregate_left_at_payment=aggregate_left,
                paid_on=paid_on,
                paid_amount=result.amount,
                indemnity_amount=result.amount,
                indemnity_lines=_lines(result),
                aggregate_deductible_used=result.aggregate_deductible_used,
            )
            event = "claim.paid"
        else:
            rule = (reason or "").split(":")[0].strip() or "TU-E1"
            moved = await TopUpClaim.filter(
                id=claim.id, status__in=("NOTIFIED", "INSURED_EVENT")
            ).update(status="REJECTED", rejection={"rule": rule, "message": reason or rule})
            event = "claim.rejected"
        if moved != 1:
            raise DomainError(
                "INVALID_STATE", f"Claim {claim.id} is {claim.status}.", ("input", "claimId")
            )
        await claim.refresh_from_db()
        await top_up.emit(
            policy,
            event,
            now,
            {"claimId": claim.id, "cause": reason or ""},
        )
    return claim


async def record_recovery(
    principal: Principal,
    claim_id: str,
    amount: Decimal,
    received_on: date,
    attributable: bool,
    real_now: datetime,
) -> TopUpClaim:
    """TU-R1: an unattributable recovery is shared pro rata between the insured, the
    first layer and the top-up by their part of the loss; the part that reduces the loss
    recalculates the indemnity, and after payment the overpayment is to be refunded.
    TU-C2: before the payment it only lowers the indemnity owed; after it, the insurer's
    share (the overpayment) comes back to the year's remaining sum insured, once."""
    claim = await visible_claim(principal, claim_id)
    if claim is None:
        raise not_found("top-up claim", claim_id, ("input", "claimId"))
    if claim.status not in ("INSURED_EVENT", "PAID"):
        raise DomainError(
            "INVALID_STATE", "Recoveries follow the insured event.", ("input", "claimId")
        )
    if amount <= 0:
        raise DomainError("INVALID_INPUT", "A positive amount.", ("input", "amount"))
    policy = await TopUpPolicy.get(id=claim.policy_id)
    now = await top_up.policy_now(policy, real_now)
    amount = round_cents(amount)
    if attributable:
        applied = amount
    else:
        first_layer = claim.first_layer_indemnity or ZERO
        top = claim.indemnity_amount or ZERO
        insured = max(claim.covered_loss - first_layer - top, ZERO)
        shares = tu_indemnity.tu_recovery_shares(amount, insured, first_layer, top)
        applied = shares.top_up
    async with in_transaction():
        await top_up_account.lock_year(policy, claim.insurance_year)
        expected = {"recoveries": claim.recoveries}
        changes = {"recoveries": round_cents(claim.recoveries + applied)}
        if not await compare_and_set(TopUpClaim, claim.id, expected, changes):
            raise DomainError("INVALID_STATE", "The claim changed meanwhile; retry.")
        await claim.refresh_from_db()
        result = await _calculate(policy, claim)
        refund = (
            tu_indemnity.recalculate_after_recovery(claim.paid_amount, result.amount)
            if claim.status == "PAID"
            else ZERO
        )
        await TopUpClaim.filter(id=claim.id).update(
            indemnity_amount=result.amount,
            indemnity_lines=_lines(result),
            aggregate_deductible_used=result.aggregate_deductible_used,
            refund_due=refund,
        )
        await claim.refresh_from_db()
        await top_up.emit(
            policy,
            "recovery.recorded",
            now,
            {
                "claimId": claim.id,
                "amount": str(amount),
                "appliedToLoss": str(applied),
                "receivedOn": received_on.isoformat(),
                "indemnity": str(result.amount),
                "refundDue": str(refund),
                "rule": "TU-R1",
            },
        )
    return claim
