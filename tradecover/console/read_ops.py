"""The deadline board, webhook health and the charts' figures. Reads only.

A cover on a sandbox test clock is judged on its clock's date (LIFECYCLE 7), the others
on today's. The charts count in Python over one period's rows: fine for a console's
periods (30 days of binds, 12 months of payments); a reporting store would aggregate in
SQL instead.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from tortoise.functions import Count

from domain.rules.deadlines import CONFIRMATION
from domain.services.covers import PENDING_CONFIRMATION
from domain.services.webhooks import FAILED, PENDING
from domain.store.claim_models import Claim, CoverDeadline
from domain.store.cover_models import Cover
from domain.store.policy_models import PolicyDeadline
from domain.store.webhook_models import WebhookDelivery, WebhookEndpoint
from tradecover.console.read_covers import LIST_LIMIT, clock_nows, clock_of, partner_names

#: The board looks this far ahead.
HORIZON_DAYS = 7


@dataclass(frozen=True)
class BoardItem:
    kind: str
    rule: str
    due_on: date
    today: date
    subject: str
    link: str | None
    partner: str
    product: str
    status: str
    on_clock: bool = False
    flagged: bool = False


@dataclass
class Board:
    today: date
    horizon: date
    upcoming: list[BoardItem] = field(default_factory=list)
    missed: list[BoardItem] = field(default_factory=list)


def _subject(cover: Cover) -> str:
    return f"{cover.id} · {(cover.buyer or {}).get('name', '')}"


def _cover_item(
    row: CoverDeadline, cover: Cover, today: date, partner: str, claim: str | None
) -> BoardItem:
    from tradecover.console.rendering import PREFIX

    link = f"{PREFIX}/claims/{claim}" if claim else f"{PREFIX}/covers/{cover.id}"
    return BoardItem(
        kind=row.kind,
        rule=row.rule,
        due_on=row.due_on,
        today=today,
        subject=_subject(cover),
        link=link,
        partner=partner,
        product=cover.product,
        status=cover.status,
        on_clock=clock_of(cover) is not None,
        flagged=row.flagged_to_staff,
    )


async def deadline_board(real_now: datetime) -> Board:
    """Open deadlines falling due within HORIZON_DAYS (and overdue ones the sweep has not
    reached yet), pending confirmation windows, and missed deadlines, latest first."""
    today = real_now.date()
    board = Board(today, today + timedelta(days=HORIZON_DAYS))
    # Covers on a clock may live far from today: their rows are filtered on their date.
    # CONFIRMATION rows are the pending confirmation windows, listed from the covers below.
    real_rows = await (
        CoverDeadline.filter(
            state="OPEN", due_on__lte=board.horizon, cover__test_clock_id__isnull=True
        )
        .exclude(kind=CONFIRMATION)
        .order_by("due_on", "id")
        .limit(LIST_LIMIT)
        .prefetch_related("cover")
    )
    clock_rows = await (
        CoverDeadline.filter(state="OPEN", cover__test_clock_id__isnull=False)
        .exclude(kind=CONFIRMATION)
        .order_by("due_on", "id")
        .limit(LIST_LIMIT)
        .prefetch_related("cover")
    )
    missed = await (
        CoverDeadline.filter(state="MISSED")
        .exclude(kind=CONFIRMATION)
        .order_by("-due_on", "-id")
        .limit(LIST_LIMIT)
        .prefetch_related("cover")
    )
    pending = await Cover.filter(
        status=PENDING_CONFIRMATION,
        test_clock_id__isnull=True,
        confirmation_due_at__lte=real_now + timedelta(days=HORIZON_DAYS),
    ).limit(LIST_LIMIT)
    pending += await Cover.filter(status=PENDING_CONFIRMATION, test_clock_id__isnull=False).limit(
        LIST_LIMIT
    )
    covers = [r.cover for r in real_rows + clock_rows + missed] + list(pending)
    nows = await clock_nows((clock_of(c) for c in covers), real_now)
    partners = await partner_names(c.partner_id for c in covers)
    claims = dict(
        await Claim.filter(cover_id__in={c.id for c in covers}).values_list("cover_id", "id")
    )

    def item(row: CoverDeadline) -> BoardItem:
        cover = row.cover
        own_today = nows.get(clock_of(cover), real_now).date()
        partner = partners.get(cover.partner_id, "?")
        return _cover_item(row, cover, own_today, partner, claims.get(cover.id))

    for row in real_rows + clock_rows:
        entry = item(row)
        if entry.due_on <= entry.today + timedelta(days=HORIZON_DAYS):
            board.upcoming.append(entry)
    for cover in pending:
        own_now = nows.get(clock_of(cover), real_now)
        if cover.confirmation_due_at > own_now + timedelta(days=HORIZON_DAYS):
            continue
        board.upcoming.append(_confirmation_item(cover, own_now.date(), partners))
    board.missed = [item(row) for row in missed]
    board.upcoming += await _policy_items(today, "OPEN")
    board.missed += await _policy_items(today, "MISSED")
    board.upcoming.sort(key=lambda i: (i.due_on - i.today, i.kind))
    return board


def _confirmation_item(cover: Cover, today: date, partners: dict[str, str]) -> BoardItem:
    """The feasibility confirmation window of a pending cover (LIFECYCLE 2): not a deadline
    row yet, but what falls due first."""
    from tradecover.console.rendering import PREFIX

    rule = (
        "U-4"
        if cover.feasibility == "REFERRED"
        else ("FI-A1" if cover.product == "FINANCED_INVOICE" else "TR-P2")
    )
    return BoardItem(
        kind="CONFIRMATION",
        rule=rule,
        due_on=cover.confirmation_due_at.date(),
        today=today,
        subject=f"{_subject(cover)} (feasibility {cover.feasibility.lower()})",
        link=f"{PREFIX}/referrals" if rule == "U-4" else f"{PREFIX}/covers/{cover.id}",
        partner=partners.get(cover.partner_id, "?"),
        product=cover.product,
        status=cover.status,
        on_clock=clock_of(cover) is not None,
    )


async def _policy_items(today: date, state: str) -> list[BoardItem]:
    """Whole-turnover policy deadlines (declarations, notifications, documents, ...);
    policies on test clocks are left to their sandbox."""
    query = PolicyDeadline.filter(state=state, policy__test_clock_id__isnull=True)
    if state == "OPEN":
        query = query.filter(due_on__lte=today + timedelta(days=HORIZON_DAYS))
        query = query.order_by("due_on", "id")
    else:
        query = query.order_by("-due_on", "-id")
    rows = await query.limit(LIST_LIMIT).prefetch_related("policy")
    partners = await partner_names(r.policy.partner_id for r in rows)
    return [
        BoardItem(
            kind=row.kind,
            rule=row.rule,
            due_on=row.due_on,
            today=today,
            subject=f"policy {row.policy.id} · {row.subject}",
            link=None,
            partner=partners.get(row.policy.partner_id, "?"),
            product="WHOLE_TURNOVER",
            status=row.policy.status,
        )
        for row in rows
    ]


# --- webhooks ----------------------------------------------------------------------------


@dataclass
class EndpointHealth:
    endpoint: WebhookEndpoint
    partner: str
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookHealth:
    endpoints: list[EndpointHealth]
    failed: list[WebhookDelivery]
    retrying: list[WebhookDelivery]
    partners: dict[str, str]


async def webhook_health() -> WebhookHealth:
    endpoints = await WebhookEndpoint.filter(deleted_at__isnull=True).order_by("partner_id", "id")
    counts = (
        await WebhookDelivery.filter(endpoint_id__in=[e.id for e in endpoints])
        .annotate(n=Count("id"))
        .group_by("endpoint_id", "status")
        .values("endpoint_id", "status", "n")
    )
    failed = await (
        WebhookDelivery.filter(status=FAILED)
        .order_by("-created_at", "-id")
        .limit(LIST_LIMIT)
        .prefetch_related("event", "endpoint")
    )
    retrying = await (
        WebhookDelivery.filter(status=PENDING, attempts__gte=1)
        .order_by("next_attempt_at", "id")
        .limit(LIST_LIMIT)
        .prefetch_related("event", "endpoint")
    )
    partners = await partner_names(
        [e.partner_id for e in endpoints] + [d.endpoint.partner_id for d in failed + retrying]
    )
    health = {e.id: EndpointHealth(e, partners.get(e.partner_id, "?")) for e in endpoints}
    for row in counts:
        health[row["endpoint_id"]].counts[row["status"]] = int(row["n"])
    return WebhookHealth(list(health.values()), failed, retrying, partners)


# --- charts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartData:
    days: list[date]
    bound_by_product: dict[str, list[int]]
    claim_statuses: dict[str, int]
    months: list[date]
    paid_by_currency: dict[str, list[Decimal]]


async def chart_data(real_now: datetime, *, days: int = 30, months: int = 12) -> ChartData:
    from tradecover.console.read_claims import STATUSES

    today = real_now.date()
    first_day = today - timedelta(days=days - 1)
    day_list = [first_day + timedelta(days=i) for i in range(days)]
    start = datetime.combine(first_day, time(), tzinfo=UTC)
    end = datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC)
    bound = await Cover.filter(bound_at__gte=start, bound_at__lt=end).values_list(
        "bound_at", "product"
    )
    per_day = Counter((at.astimezone(UTC).date(), product) for at, product in bound)
    products = sorted({product for _, product in bound}) or ["FINANCED_INVOICE"]
    bound_by_product = {p: [per_day[(d, p)] for d in day_list] for p in products}

    counts = await Claim.annotate(n=Count("id")).group_by("status").values("status", "n")
    by_status = {status: 0 for status in STATUSES}
    by_status.update({row["status"]: int(row["n"]) for row in counts})

    this_month = today.replace(day=1)
    month_list = [this_month - relativedelta(months=months - 1 - i) for i in range(months)]
    paid = await Claim.filter(
        status="PAID", paid_on__gte=month_list[0], paid_on__lt=this_month + relativedelta(months=1)
    ).values_list("paid_on", "indemnity_amount", "cover__currency")
    sums: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    for paid_on, amount, currency in paid:
        sums[(paid_on.replace(day=1), currency)] += Decimal(str(amount or 0))
    currencies = sorted({currency for _, _, currency in paid}) or ["EUR"]
    paid_by_currency = {
        c: [sums.get((m, c), Decimal("0.00")) for m in month_list] for c in currencies
    }
    return ChartData(day_list, bound_by_product, by_status, month_list, paid_by_currency)
