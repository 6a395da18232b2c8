"""Replaying failed webhook deliveries (`tradecover webhooks replay --since`).

After a partner's receiver was down long enough for deliveries to run out of attempts
(LIFECYCLE 6: 8 attempts over about a day), the insurer's operator puts them back in the
queue. A replayed delivery is the same delivery: same event, same `webhook-id`, so a
receiver that deduplicates by id (as the Standard Webhooks spec asks) applies it once.

Each delivery moves FAILED -> PENDING by compare-and-set, due at once, with a fresh
budget of attempts; the scheduler's resend of due deliveries (or `send` here) posts it.
Attempts already made stay recorded. Deliveries of deleted endpoints are never replayed;
those of disabled endpoints only when the operator re-enables the endpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.transactions import in_transaction

from domain.services.webhooks import FAILED, PENDING
from domain.store.webhook_models import WebhookDelivery, WebhookEndpoint


@dataclass
class ReplayOutcome:
    requeued: list[str] = field(default_factory=list)
    #: (delivery id, why): endpoint deleted, endpoint disabled, no longer FAILED
    skipped: list[tuple[str, str]] = field(default_factory=list)
    reenabled_endpoints: list[str] = field(default_factory=list)


async def failed_since(
    since: datetime, *, partner_id: str | None = None, endpoint_id: str | None = None
) -> list[str]:
    """Ids of FAILED deliveries created at or after `since`, oldest first."""
    query = WebhookDelivery.filter(status=FAILED, created_at__gte=since)
    if endpoint_id is not None:
        query = query.filter(endpoint_id=endpoint_id)
    if partner_id is not None:
        query = query.filter(endpoint__partner_id=partner_id)
    ids = await query.order_by("created_at", "id").values_list("id", flat=True)
    return [str(i) for i in ids]


async def replay(
    delivery_ids: Sequence[str], now: datetime, *, reenable: bool = False
) -> ReplayOutcome:
    """Put these FAILED deliveries back in the queue, due at `now`."""
    outcome = ReplayOutcome()
    rows = await WebhookDelivery.filter(id__in=list(delivery_ids)).values(
        "id", "endpoint_id", "status"
    )
    endpoints = {
        e.id: e for e in await WebhookEndpoint.filter(id__in={r["endpoint_id"] for r in rows})
    }
    for row in sorted(rows, key=lambda r: list(delivery_ids).index(r["id"])):
        endpoint = endpoints[row["endpoint_id"]]
        if endpoint.deleted_at is not None:
            outcome.skipped.append((row["id"], "endpoint deleted"))
            continue
        async with in_transaction():
            if not endpoint.enabled:
                if not reenable:
                    outcome.skipped.append((row["id"], "endpoint disabled"))
                    continue
                turned_on = await WebhookEndpoint.filter(
                    id=endpoint.id, enabled=False, deleted_at__isnull=True
                ).update(enabled=True, disabled_reason=None, consecutive_failures=0)
                if turned_on:
                    outcome.reenabled_endpoints.append(endpoint.id)
                endpoint.enabled = True
            moved = await WebhookDelivery.filter(id=row["id"], status=FAILED).update(
                status=PENDING, attempts=0, next_attempt_at=now, last_error=None
            )
        if moved == 1:
            outcome.requeued.append(row["id"])
        else:  # replayed by someone else meanwhile, or not FAILED any more
            outcome.skipped.append((row["id"], "no longer FAILED"))
    return outcome
