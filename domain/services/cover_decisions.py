"""The cover of a buyer's declared credits, taken again from the whole state whenever a
fact it depends on changes: a limit version (grant, increase, reduction, cancellation,
WT-L1, WT-L2, WT-L4), a declaration (WT-L7 looks at the buyer's other credits) or a
collection (a payment date ends an aggravated risk, WT-L7; the buyer's arrears bar firm
orders, WT-L4). The result depends on the facts, never on the order of the calls.

Only the exclusions of `cover.DECIDED_HERE` are re-decided; WT-N1, WT-N5, WT-C1, WT-C4 and
the others come from their own facts and stay.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.rules.wt import claims as claim_rules
from domain.rules.wt import cover as cover_rules
from domain.rules.wt import exposure as exposure_rules
from domain.rules.wt import limits as limit_rules
from domain.rules.wt.terms import Credit
from domain.services import cover_events, policies, policy_events, policy_sweep
from domain.store.policy_models import CreditLimit, Policy, PolicyClaim, PolicyDeadline, Sale

#: Limit versions that may cover a sale on some day.
GRANTED_VERSIONS = ("GRANTED", "REDUCED", "CANCELLED", "SUPERSEDED")

#: The Sale columns a decision reads (and `apply_decisions` compares).
ROW_COLUMNS = (
    "id",
    "invoice_number",
    "issue_date",
    "due_date",
    "policy_amount",
    "collected",
    "paid_in_full_on",
    "extended_due_date",
    "excluded_by",
    "exclusion_reason",
    "firm_order",
    "firm_order_declared",
    "firm_order_signed_on",
)


def version_of(row: CreditLimit) -> cover_rules.LimitVersion:
    assert row.amount is not None and row.effective_from is not None
    return cover_rules.LimitVersion(
        id=row.id,
        amount=row.amount,
        max_payment_term_days=row.payment_term_days,
        effective_from=row.effective_from,
        ends_on=row.ends_on,
        cancelled=row.status == "CANCELLED",
        firm_orders_until=row.firm_orders_until if row.status == "CANCELLED" else None,
        firm_order_bars=tuple(row.firm_order_bars or ()),
    )


async def versions_for(
    policy_id: str, buyers: list[str]
) -> dict[str, list[cover_rules.LimitVersion]]:
    """The granted limit versions of several buyers, in one query."""
    found: dict[str, list[cover_rules.LimitVersion]] = defaultdict(list)
    rows = await CreditLimit.filter(
        policy_id=policy_id, buyer_key__in=buyers, status__in=GRANTED_VERSIONS
    ).order_by("effective_from", "created_at")
    for row in rows:
        if row.effective_from is not None:
            found[row.buyer_key].append(version_of(row))
    return found


def credit_of_row(row: dict[str, Any]) -> Credit:
    """A sale row as the rules see it; its id is the invoice number (unique per buyer),
    which the rules' messages cite."""
    return Credit(
        id=row["invoice_number"],
        issue_date=row["issue_date"],
        due_date=row["due_date"],
        amount=row["policy_amount"],
        collected=row["collected"],
        paid_in_full_on=row["paid_in_full_on"],
        extended_due_date=row["extended_due_date"],
        excluded_by=row["excluded_by"],
    )


def decide(
    policy: Policy,
    row: dict[str, Any],
    versions: list[cover_rules.LimitVersion],
    credits: cover_rules.BuyerHistory,
) -> cover_rules.CoverDecision:
    """The cover decision for one stored (or about to be stored) sale row."""
    facts = cover_rules.SaleFacts(
        credit=credit_of_row(row),
        firm_order=bool(row["firm_order_declared"]),
        firm_order_signed_on=row["firm_order_signed_on"],
    )
    return cover_rules.decide_cover(
        facts, versions, policies.covered_from(policy), policy.period_end, credits
    )


async def redecide_buyer(policy: Policy, buyer_key: str, now: datetime) -> list[str]:
    """Take the cover of every credit of the buyer again (see the module docstring).
    Call inside the transaction of the change. Returns the invoice numbers whose cover
    changed."""
    rows = (
        await Sale.filter(policy_id=policy.id, buyer_key=buyer_key)
        .order_by("issue_date", "id")
        .values(*ROW_COLUMNS)
    )
    if not rows:
        return []
    versions = (await versions_for(policy.id, [buyer_key])).get(buyer_key, [])
    history = cover_rules.buyer_history([credit_of_row(r) for r in rows])
    return await apply_decisions(policy, buyer_key, rows, versions, history, now)


async def apply_decisions(
    policy: Policy,
    buyer_key: str,
    rows: list[dict[str, Any]],
    versions: list[cover_rules.LimitVersion],
    history: cover_rules.BuyerHistory,
    now: datetime,
) -> list[str]:
    """Decide the stored `rows` (ROW_COLUMNS) against the buyer's whole `history` and
    store what changed, with its WT-C1 notification deadline opened or voided and a
    `sales.cover_changed` event. Returns the invoice numbers whose cover changed."""
    changes: list[dict[str, Any]] = []
    covered_now: list[dict[str, Any]] = []
    excluded_now: list[str] = []
    for row in rows:
        if row["excluded_by"] not in (None, *cover_rules.DECIDED_HERE):
            continue
        decision = decide(policy, row, versions, history)
        if (decision.rule, decision.firm_order) == (row["excluded_by"], row["firm_order"]) and (
            decision.rule is None or decision.reason == row["exclusion_reason"]
        ):
            continue
        await Sale.filter(id=row["id"], excluded_by=row["excluded_by"]).update(
            excluded_by=decision.rule,
            exclusion_reason=decision.reason,
            firm_order=decision.firm_order,
        )
        if (decision.rule is None) != (row["excluded_by"] is None):
            changes.append(
                {"invoice": row["invoice_number"], "from": row["excluded_by"], "to": decision.rule}
            )
            if decision.rule is None:
                covered_now.append(row)
            else:
                excluded_now.append(row["id"])
    await policy_sweep.void_notification_deadlines(policy.id, excluded_now)
    for row in covered_now:
        await _reopen_notification(policy, row, now)
    if changes:
        await policy_events.record(
            policy,
            "sales.cover_changed",
            actor=cover_events.SYSTEM,
            now=now,
            data={"buyer": buyer_key, "changes": changes},
            webhook=False,
        )
    return [c["invoice"] for c in changes]


async def _reopen_notification(policy: Policy, row: dict[str, Any], now: datetime) -> None:
    """WT-C1: a credit that became covered is notified like any other; nothing to do
    once paid in full."""
    if row["policy_amount"] - row["collected"] <= Decimal("0.00"):
        return
    due = claim_rules.notification_due_on(row["due_date"], row["extended_due_date"], None)
    reopened = await PolicyDeadline.filter(
        policy_id=policy.id, kind="NOTIFICATION", subject=row["id"], state="VOID"
    ).update(state="OPEN", due_on=due, next_check_on=due)
    if not reopened:
        await policy_sweep.open_deadline(policy, "NOTIFICATION", row["id"], "WT-C1", due, now)


async def firm_order_claim_terms(
    policy_id: str,
    buyer_key: str,
    claim_id: str,
    firm_sale_ids: list[str],
    loss_by_sale: dict[str, Decimal],
) -> tuple[Decimal, Decimal | None]:
    """WT-L4 for a claim's indemnity: (the firm-order credits' loss, the cap left), or
    (0, None) without firm orders. The cap left is the cancelled version's cap less the
    firm-order parts (indemnity line `limits.FIRM_ORDER_LINE`) of the buyer's claims
    already paid."""
    if not firm_sale_ids:
        return Decimal("0.00"), None
    cancelled = (
        await CreditLimit.filter(policy_id=policy_id, buyer_key=buyer_key, status="CANCELLED")
        .order_by("-ends_on")
        .first()
    )
    if cancelled is None or cancelled.firm_orders_cap is None:
        return Decimal("0.00"), None
    loss = sum((loss_by_sale.get(i, Decimal("0.00")) for i in firm_sale_ids), Decimal("0.00"))
    paid = await PolicyClaim.filter(policy_id=policy_id, buyer_key=buyer_key, status="PAID")
    used = sum(
        (
            Decimal(line["amount"])
            for claim in paid
            if claim.id != claim_id
            for line in claim.indemnity_lines or []
            if line.get("label") == limit_rules.FIRM_ORDER_LINE
        ),
        Decimal("0.00"),
    )
    return loss, limit_rules.firm_order_cap_left(cancelled.firm_orders_cap, used)


async def claim_limit_amount(
    policy_id: str,
    buyer_key: str,
    credits_at_notice: list[Credit],
    counted: list[str],
    limit_amount: Decimal,
) -> Decimal:
    """WT-L5, WT-L8 for a claim: the part of the limit its credits (`counted`, sale ids)
    had at the notification, once the buyer's other credits ahead of them in due-date
    order took theirs, uncovered ones included (seed 003 art. 4.4.d), each measured
    against the version of its sale date (art. 4.4.f). Never above `limit_amount`."""
    rows = await CreditLimit.filter(
        policy_id=policy_id, buyer_key=buyer_key, status__in=GRANTED_VERSIONS
    ).order_by("effective_from", "created_at")
    versions = [version_of(r) for r in rows if r.effective_from is not None]
    amounts: dict[str, Decimal] = {}
    for credit in credits_at_notice:
        own = cover_rules.version_on(versions, credit.issue_date)
        if own is not None:
            amounts[credit.id] = own.amount
    # The claim's own credits are in cover whatever their stored exclusion says.
    wanted = set(counted)
    credits = [replace(c, excluded_by=None) if c.id in wanted else c for c in credits_at_notice]
    inside, _ = exposure_rules.fill_limit(credits, limit_amount, amounts)
    room = sum((inside.get(i, Decimal("0.00")) for i in counted), Decimal("0.00"))
    return min(room, limit_amount)
