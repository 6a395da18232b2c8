"""The console's pages (GET). Each reads through the console's read models and renders
a template; nothing here changes state."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from domain.services import document_storage
from tradecover.console import (
    charts,
    read_buyers,
    read_claims,
    read_covers,
    read_ops,
    read_storage,
    sessions,
)
from tradecover.console.rendering import PREFIX, money, render
from tradecover.console.sessions import Staff, staff_page

PRODUCT_NAMES = {"FINANCED_INVOICE": "Financed invoice", "TRANSPORT_INVOICE": "Transport invoice"}
#: Declared types the browser may show in the page itself (the rest is offered as a file).
INLINE_TYPES = ("application/pdf", "image/png", "image/jpeg", "text/plain", "text/csv")


def real_now() -> datetime:
    return datetime.now(UTC)


async def index(request: Request) -> Response:
    return RedirectResponse(f"{PREFIX}/referrals", status_code=303)


async def sign_in_form(request: Request) -> Response:
    if await sessions.signed_in(request) is not None:
        return RedirectResponse(f"{PREFIX}/referrals", status_code=303)
    target = sessions.local_path(request.query_params.get("next"), f"{PREFIX}/referrals")
    return render(request, "sign_in.html", {"next": target, "error": None})


def not_found(request: Request, what: str) -> Response:
    return render(
        request,
        "error.html",
        {"title": "Not found", "message": f"No {what} here."},
        status_code=404,
    )


@staff_page
async def referrals(request: Request, staff: Staff) -> Response:
    items = await read_covers.referrals(real_now())
    return render(request, "referrals.html", {"referrals": items, "outcomes": {}})


@staff_page
async def claims(request: Request, staff: Staff) -> Response:
    counts = await read_claims.status_counts()
    status = request.query_params.get("status")
    if status not in read_claims.STATUSES:
        # The first tab with work in it, in the order a claim moves.
        status = next(
            (s for s in read_claims.STATUSES if counts[s] and s not in read_claims.FINAL),
            "UNDER_REVIEW",
        )
    rows = await read_claims.claims(status)
    return render(request, "claims.html", {"status": status, "counts": counts, "rows": rows})


@staff_page
async def claim(request: Request, staff: Staff) -> Response:
    page = await read_claims.claim_page(request.path_params["claim_id"], real_now())
    if page is None:
        return not_found(request, "claim")
    return render(request, "claim.html", {"page": page, "outcomes": []})


@staff_page
async def document_viewer(request: Request, staff: Staff) -> Response:
    """The htmx fragment that opens a document inline, beside the checklist."""
    row = await read_claims.document(request.path_params["document_id"])
    if row is None:
        return not_found(request, "document")
    inline = row.content_type in INLINE_TYPES
    return render(request, "_document_viewer.html", {"document": row, "inline": inline})


@staff_page
async def document_file(request: Request, staff: Staff) -> Response:
    """The stored bytes, shown inline when the browser can (PDF, images, text). Anything
    but a PDF is sandboxed, so a partner's file never runs as the console's page."""
    row = await read_claims.document(request.path_params["document_id"])
    if row is None:
        return not_found(request, "document")
    try:
        content = await document_storage.current().get(row.sha256)
    except FileNotFoundError:
        return not_found(request, "stored file for this document")
    disposition = "inline" if row.content_type in INLINE_TYPES else "attachment"
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(row.filename)}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    if row.content_type != "application/pdf":
        headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    media_type = row.content_type
    if media_type.startswith("text/"):
        media_type += "; charset=utf-8"
    return Response(content, media_type=media_type, headers=headers)


@staff_page
async def cover(request: Request, staff: Staff) -> Response:
    page = await read_covers.cover_page(request.path_params["cover_id"], real_now())
    if page is None:
        return not_found(request, "cover")
    return render(request, "cover.html", {"page": page})


@staff_page
async def buyers(request: Request, staff: Staff) -> Response:
    search = (request.query_params.get("q") or "").strip()
    rows = await read_buyers.buyers(search or None)
    return render(request, "buyers.html", {"rows": rows, "search": search})


@staff_page
async def buyer(request: Request, staff: Staff) -> Response:
    page = await read_buyers.buyer_page(request.path_params["buyer_key"])
    if page is None:
        return not_found(request, "buyer with covers or limits")
    return render(request, "buyer.html", {"page": page, "products": PRODUCT_NAMES})


@staff_page
async def deadlines(request: Request, staff: Staff) -> Response:
    board = await read_ops.deadline_board(real_now())
    return render(request, "deadlines.html", {"board": board})


@staff_page
async def webhooks(request: Request, staff: Staff) -> Response:
    health = await read_ops.webhook_health()
    return render(request, "webhooks.html", {"health": health, "outcomes": []})


@staff_page
async def chart_page(request: Request, staff: Staff) -> Response:
    data = await read_ops.chart_data(real_now())
    titles = {
        "bound": "Covers bound per day, by product (last 30 days)",
        "claims": "Claims by status",
        "paid": "Indemnities paid per month (last 12 months)",
    }
    bound = charts.bar_chart(
        titles["bound"],
        [d.strftime("%m-%d") for d in data.days],
        [
            charts.Series(PRODUCT_NAMES.get(p, p), counts)
            for p, counts in data.bound_by_product.items()
        ],
        y_label="covers",
    )
    statuses = charts.bar_chart(
        titles["claims"],
        [s.replace("_", " ").lower() for s in data.claim_statuses],
        [charts.Series("claims", list(data.claim_statuses.values()))],
        y_label="claims",
    )
    paid = charts.line_chart(
        titles["paid"],
        [m.strftime("%Y-%m") for m in data.months],
        [charts.Series(currency, sums) for currency, sums in data.paid_by_currency.items()],
        y_label="paid (" + ", ".join(data.paid_by_currency) + ")",
        value_format=lambda v: money(v),
    )
    drawn = {"bound": bound, "claims": statuses, "paid": paid}
    return render(
        request,
        "charts.html",
        {
            "charts": [(name, titles[name], svg) for name, svg in drawn.items()],
            "data": data,
            "storage": await read_storage.storage_by_mode(),
        },
    )
