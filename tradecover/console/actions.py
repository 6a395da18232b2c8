"""The console's actions (POST, CSRF-checked by `staff_action`). Each calls the same
domain service as its GraphQL staff mutation, with `now`, and shows a refusal
(DomainError: code and message) next to the form that sent it, never an error page.

With htmx (the normal case) an action answers the fragment it changed; a form sent
without JavaScript gets a redirect to its page with the outcome flashed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from tortoise.transactions import in_transaction

from domain.services import activation, outbox, webhook_replay, webhooks
from domain.services import claims as claim_service
from domain.services.errors import DomainError, not_found
from domain.store.cover_models import Cover
from domain.store.webhook_models import WebhookDelivery
from tradecover.console import read_claims, read_covers, read_ops, sessions
from tradecover.console.pages import real_now
from tradecover.console.rendering import PREFIX, Outcome, is_htmx, render
from tradecover.console.sessions import Staff, staff_action

CLAIM_DECISIONS = ("APPROVE", "REJECT", "SUSPEND")
#: Reasons are stored in 300-character columns with a prefix (e.g. "U-4: declined ...").
MAX_REASON = 250


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _reason(form: FormData) -> str:
    reason = _text(form, "reason")
    if len(reason) > MAX_REASON:
        raise _invalid(f"The reason is over {MAX_REASON} characters.", "reason")
    return reason


def _invalid(message: str, field: str) -> DomainError:
    return DomainError("INVALID_INPUT", message, ("input", field))


def _after(request: Request, outcomes: list[Outcome], page: str) -> Response:
    sessions.flash(request, *outcomes)
    return RedirectResponse(page, status_code=303)


async def sign_in(request: Request) -> Response:
    """Not `staff_action`: nobody is signed in yet, but the CSRF check still applies
    (the sign-in page set the session's token)."""
    form = await request.form()
    if not sessions.csrf_ok(request, form):
        return sessions.forbidden(request)
    target = sessions.local_path(_text(form, "next"), f"{PREFIX}/referrals")
    refusal = await sessions.sign_in(request, _text(form, "api_key"))
    if refusal is None:
        return RedirectResponse(target, status_code=303)
    answer = render(
        request,
        "sign_in.html",
        {"next": target, "error": refusal},
        status_code=refusal.status_code,
    )
    if refusal.retry_after is not None:
        answer.headers["Retry-After"] = str(refusal.retry_after)
    return answer


@staff_action
async def sign_out(request: Request, staff: Staff, form: FormData) -> Response:
    """Ends the session in the database: a copy of the cookie opens nothing after this."""
    await sessions.sign_out(request)
    return RedirectResponse(f"{PREFIX}/sign-in", status_code=303)


@staff_action
async def decide_referral(request: Request, staff: Staff, form: FormData) -> Response:
    """U-4: approve or decline a referred cover (decideFeasibility), with a reason."""
    cover_id = request.path_params["cover_id"]
    decision = _text(form, "decision")
    try:
        reason = _reason(form)
        if decision not in ("approve", "decline"):
            raise _invalid("Choose approve or decline.", "approve")
        if not reason:
            raise _invalid("Give the reason for the decision.", "reason")
        cover = await activation.decide_feasibility_by_staff(
            staff.principal, cover_id, decision == "approve", reason, real_now()
        )
        outcomes = [Outcome.done(f"{decision.capitalize()}d: the cover is now {cover.status}.")]
    except DomainError as refused:
        outcomes = Outcome.refused(refused)
    if not is_htmx(request):
        return _after(request, outcomes, f"{PREFIX}/referrals")
    row = await Cover.filter(id=cover_id).first()
    referral = await read_covers.referral_of(row, real_now()) if row else None
    return render(
        request, "_referral.html", {"item": referral, "cover_id": cover_id, "outcomes": outcomes}
    )


async def _claim_answer(request: Request, claim_id: str, outcomes: list[Outcome]) -> Response:
    page_path = f"{PREFIX}/claims/{claim_id}"
    if not is_htmx(request):
        return _after(request, outcomes, page_path)
    page = await read_claims.claim_page(claim_id, real_now())
    if page is None:
        return render(request, "_outcomes.html", {"outcomes": outcomes})
    return render(request, "_claim.html", {"page": page, "outcomes": outcomes})


@staff_action
async def decide_claim(request: Request, staff: Staff, form: FormData) -> Response:
    """decideClaim: APPROVE, REJECT (citing a rule: "RULE: reason") or SUSPEND."""
    claim_id = request.path_params["claim_id"]
    decision, rule = _text(form, "decision"), _text(form, "rule")
    try:
        reason = _reason(form)
        if decision not in CLAIM_DECISIONS:
            raise _invalid("Choose approve, reject or suspend.", "decision")
        if decision != "APPROVE" and not reason:
            raise _invalid(f"Give the reason to {decision.lower()} the claim.", "reason")
        if decision == "REJECT":
            if rule not in read_claims.REJECTION_RULES:
                raise _invalid("Choose the rule the claim is rejected under.", "rule")
            reason = f"{rule}: {reason}"
        row = await claim_service.decide_claim(
            staff.principal, claim_id, decision, reason or None, real_now()
        )
        outcomes = [Outcome.done(f"Claim {row.id} is now {row.status}.")]
    except DomainError as refused:
        outcomes = Outcome.refused(refused)
    return await _claim_answer(request, claim_id, outcomes)


@staff_action
async def mark_paid(request: Request, staff: Staff, form: FormData) -> Response:
    """markIndemnityPaid: APPROVED -> PAID on the given date, the cover INDEMNIFIED."""
    claim_id = request.path_params["claim_id"]
    try:
        try:
            paid_on = date.fromisoformat(_text(form, "paid_on"))
        except ValueError:
            raise _invalid("The payment date is a calendar date (YYYY-MM-DD).", "paidOn") from None
        row = await claim_service.mark_indemnity_paid(
            staff.principal, claim_id, paid_on, real_now()
        )
        outcomes = [Outcome.done(f"Claim {row.id} is PAID on {row.paid_on}.")]
    except DomainError as refused:
        outcomes = Outcome.refused(refused)
    return await _claim_answer(request, claim_id, outcomes)


async def _replay_ids(form: FormData) -> list[str]:
    delivery_id, endpoint_id = _text(form, "delivery_id"), _text(form, "endpoint_id")
    if delivery_id:
        if not await WebhookDelivery.filter(id=delivery_id).exists():
            raise not_found("webhook delivery", delivery_id, ("deliveryId",))
        return [delivery_id]
    if endpoint_id:
        ids = await webhook_replay.failed_since(
            datetime.min.replace(tzinfo=UTC), endpoint_id=endpoint_id
        )
        if not ids:
            raise DomainError(
                "NOTHING_TO_REPLAY",
                f"Endpoint {endpoint_id} has no FAILED deliveries.",
                ("endpointId",),
            )
        return ids
    raise _invalid("Name a delivery or an endpoint to replay.", "deliveryId")


async def _send_now(delivery_ids: list[str], now: datetime) -> None:
    """A `webhook.deliver` job per requeued delivery, through the outbox, so a replay goes
    out at once: the scheduler's re-send of due deliveries skips one it sent within the
    last REQUEUE_GAP_SECONDS (60 s), as a delivery refused a moment ago was. The job is
    idempotent (a compare-and-set claims each attempt). A candidate for webhook_replay."""
    if not delivery_ids:
        return
    async with in_transaction():
        messages = [
            await outbox.enqueue(webhooks.DELIVER_ACTOR, {"delivery_id": delivery_id}, now)
            for delivery_id in delivery_ids
        ]
    await outbox.publish(messages, now)


@staff_action
async def replay(request: Request, staff: Staff, form: FormData) -> Response:
    """Replay FAILED deliveries (same webhook-id; `domain.services.webhook_replay`), optionally
    re-enabling their disabled endpoint."""
    reenable = form.get("reenable") == "on"
    try:
        ids = await _replay_ids(form)
        now = real_now()
        done = await webhook_replay.replay(ids, now, reenable=reenable)
        await _send_now(done.requeued, now)
        outcomes = []
        if done.requeued:
            outcomes.append(
                Outcome.done(
                    f"Requeued {len(done.requeued)} deliver"
                    f"{'y' if len(done.requeued) == 1 else 'ies'}; the scheduler sends "
                    "them again with the same webhook-id."
                )
            )
        if done.reenabled_endpoints:
            outcomes.append(Outcome.done(f"Re-enabled {', '.join(done.reenabled_endpoints)}."))
        outcomes += [
            Outcome(False, f"Delivery {delivery} not replayed: {why}.", "NOT_REPLAYED")
            for delivery, why in done.skipped
        ]
    except DomainError as refused:
        outcomes = Outcome.refused(refused)
    if not is_htmx(request):
        return _after(request, outcomes, f"{PREFIX}/webhooks")
    health = await read_ops.webhook_health()
    return render(request, "_webhooks.html", {"health": health, "outcomes": outcomes})
