"""The insurer staff console: a Starlette sub-app mounted at /console.

Server-rendered (Jinja2 templates, htmx bundled under static/), signed in with a staff
key (sessions.py: a session kept in the database and named by the cookie, a CSRF token
on every POST). The pages read through the console's read models; the actions call the
domain services the GraphQL staff mutations call. The app's lifespan opens the database:
a mount has none of its own.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradecover.console import actions, pages
from tradecover.console.rendering import PREFIX, render
from tradecover.console.session_store import SESSION_SECONDS
from tradecover.console.sessions import session_secret
from tradecover.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "tc_console"
#: Scripts, styles and frames from the console itself only; charts are inline SVG.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS = {
    b"x-frame-options": b"SAMEORIGIN",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"content-security-policy": CONTENT_SECURITY_POLICY.encode(),
}


class SecurityHeaders:
    """Adds the headers above to every console response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS.items() if k not in present]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, with_headers)


async def _not_found(request: Request, exc: Exception) -> Response:
    return pages.not_found(request, "page")


async def _server_error(request: Request, exc: Exception) -> Response:
    """An unexpected fault: a plain page, never a traceback (the server log has it)."""
    return render(
        request,
        "error.html",
        {"title": "Something went wrong", "message": "Unexpected error. It has been logged."},
        status_code=500,
    )


def console_routes() -> list[Route | Mount]:
    return [
        Route("/", pages.index, methods=["GET"]),
        Route("/sign-in", pages.sign_in_form, methods=["GET"]),
        Route("/sign-in", actions.sign_in, methods=["POST"]),
        Route("/sign-out", actions.sign_out, methods=["POST"]),
        Route("/referrals", pages.referrals, methods=["GET"]),
        Route("/referrals/{cover_id}/decide", actions.decide_referral, methods=["POST"]),
        Route("/claims", pages.claims, methods=["GET"]),
        Route("/claims/{claim_id}", pages.claim, methods=["GET"]),
        Route("/claims/{claim_id}/decide", actions.decide_claim, methods=["POST"]),
        Route("/claims/{claim_id}/paid", actions.mark_paid, methods=["POST"]),
        Route("/documents/{document_id}", pages.document_file, methods=["GET"]),
        Route("/documents/{document_id}/viewer", pages.document_viewer, methods=["GET"]),
        Route("/covers/{cover_id}", pages.cover, methods=["GET"]),
        Route("/buyers", pages.buyers, methods=["GET"]),
        Route("/buyers/{buyer_key}", pages.buyer, methods=["GET"]),
        Route("/deadlines", pages.deadlines, methods=["GET"]),
        Route("/webhooks", pages.webhooks, methods=["GET"]),
        Route("/webhooks/replay", actions.replay, methods=["POST"]),
        Route("/charts", pages.chart_page, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def console_app(settings: Settings) -> Starlette:
    return Starlette(
        routes=console_routes(),
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=session_secret(settings),
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_SECONDS,
                path=PREFIX,
                same_site="lax",
                https_only=settings.env == "production",
            ),
        ],
        exception_handlers={404: _not_found, 500: _server_error},
    )


def console_mount(settings: Settings) -> Mount:
    """`Mount("/console", ...)` for the app's routes (tradecover/app.py)."""
    return Mount(PREFIX, app=console_app(settings), name="console")
