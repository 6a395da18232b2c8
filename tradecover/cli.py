"""The `tradecover` command. Commands that mint a key print it as the last stdout line."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from tradecover.settings import get_settings

T = TypeVar("T")

app = typer.Typer(help="tradecover: trade-credit insurance API", no_args_is_help=True)
partners = typer.Typer(help="Partner platforms and their API keys", no_args_is_help=True)
staff = typer.Typer(help="Insurer staff and their API keys", no_args_is_help=True)
webhooks = typer.Typer(help="Webhook deliveries", no_args_is_help=True)
policies = typer.Typer(help="Whole-turnover policies", no_args_is_help=True)
config = typer.Typer(help="Effective configuration", no_args_is_help=True)
app.add_typer(config, name="config")
app.add_typer(policies, name="policies")
app.add_typer(partners, name="partners")
app.add_typer(staff, name="staff")
app.add_typer(webhooks, name="webhooks")

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "schema.graphql"


def _logging() -> None:
    """JSON lines outside dev (tradecover/logs.py), readable lines in dev."""
    from tradecover.logs import configure_logging

    configure_logging(json_lines=not get_settings().is_dev)


@app.command()
def serve() -> None:
    """Run the API (uvicorn, one process)."""
    import uvicorn

    settings = get_settings()
    _logging()
    uvicorn.run(
        "tradecover.app:asgi",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=1,
        log_config=None,  # keep tradecover/logs.py's handlers: uvicorn's lines as JSON too
    )


@app.command()
def worker(
    threads: Annotated[int, typer.Option(help="worker threads")] = 4,
) -> None:
    """Run one dramatiq worker process for the actors in workers/actors.py."""
    env = {
        **os.environ,
        # dramatiq reads this lower-case name: idle workers poll every 100 ms (STACK_NOTES).
        "dramatiq_worker_timeout": os.environ.get("dramatiq_worker_timeout", "100"),  # noqa: SIM112
    }
    settings = get_settings()
    if settings.worker_metrics_port:
        # dramatiq's Prometheus exporter (workers/broker.py) runs in a process the dramatiq
        # CLI forks before our code runs there: it must find its port in the environment.
        env["dramatiq_prom_port"] = str(settings.worker_metrics_port)
        env.setdefault("dramatiq_prom_db", str((settings.data_dir / "prometheus").resolve()))
    args = [
        sys.executable,
        "-m",
        "dramatiq",
        "workers.actors",
        "--processes",
        "1",
        "--threads",
        str(threads),
    ]
    os.execvpe(sys.executable, args, env)


@app.command()
def scheduler() -> None:
    """Run the scheduler: outbox relay and periodic jobs."""
    from workers.scheduler import run_forever

    _logging()
    asyncio.run(run_forever())


@app.command()
def migrate() -> None:
    """Apply the database migrations."""
    from rich.progress import Progress

    from domain.store.database import migrate as run_migrations

    url = get_settings().resolved_database_url
    with Progress(transient=False) as bar:
        task = bar.add_task("migrating", total=None)

        def on_plan(steps: int) -> None:
            bar.update(task, total=max(steps, 1), completed=0 if steps else 1)

        def progress(event: str, app_label: str, name: str) -> None:
            if event == "apply_start":
                bar.update(task, description=f"{app_label}.{name}")
            elif event == "apply_done":
                bar.advance(task)

        asyncio.run(run_migrations(url, on_plan=on_plan, progress=progress))
        bar.update(task, description="migrated")
    typer.echo(f"migrated {url}")


@app.command("export-schema")
def export_schema(
    output: Annotated[str, typer.Option(help="file path, or - for stdout")] = str(SCHEMA_PATH),
) -> None:
    """Write the live GraphQL SDL (the committed artefact is schema/schema.graphql)."""
    from schema.build import build_schema

    sdl = build_schema().as_str() + "\n"
    if output == "-":
        sys.stdout.write(sdl)
    else:
        Path(output).write_text(sdl)
        typer.echo(f"wrote {output}")


class PartnerKind(StrEnum):
    financing_platform = "financing_platform"
    freight_exchange = "freight_exchange"


async def _with_db(coro_factory: Callable[[], Awaitable[T]]) -> T:
    from domain.store.database import close_db, init_db

    await init_db(get_settings().resolved_database_url)
    try:
        return await coro_factory()
    finally:
        await close_db()


def _run_or_exit(coro_factory: Callable[[], Awaitable[T]]) -> T:
    """Runs a service call on the database; a refusal (DomainError) is printed and the
    command exits 2, as every command does for a refused input."""
    from domain.services.errors import DomainError

    try:
        return asyncio.run(_with_db(coro_factory))
    except DomainError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(2) from None


@partners.command("create")
def partners_create(
    name: Annotated[str, typer.Option(help="partner name")],
    kind: Annotated[PartnerKind, typer.Option(help="platform kind")],
    sandbox: Annotated[bool, typer.Option("--sandbox", help="tc_test_ key")] = False,
    premium_rate: Annotated[str | None, typer.Option(help="FI-P1 rate, e.g. 0.008")] = None,
) -> None:
    """Create a partner and print its API key (last line)."""
    from domain.services.principals import create_partner

    rate = None
    if premium_rate is not None:
        try:
            rate = Decimal(premium_rate)
        except InvalidOperation:
            raise typer.BadParameter("premium rate must be a decimal such as 0.008") from None
    partner, key = _run_or_exit(
        lambda: create_partner(
            name=name,
            kind=kind.value,
            sandbox=sandbox,
            premium_rate=rate,
            now=datetime.now(UTC),
        )
    )
    typer.echo(
        f"partner {partner.id} ({partner.name}, {partner.kind}, "
        f"{'sandbox' if partner.sandbox else 'live'})"
    )
    typer.echo(key)


@staff.command("create")
def staff_create(name: Annotated[str, typer.Option(help="staff member name")]) -> None:
    """Create an insurer staff member and print its API key (last line)."""
    from domain.services.principals import create_staff

    member, key = asyncio.run(_with_db(lambda: create_staff(name=name, now=datetime.now(UTC))))
    typer.echo(f"staff {member.id} ({member.name})")
    typer.echo(key)


@staff.command("revoke")
def staff_revoke(
    staff_id: Annotated[str, typer.Argument(help="staff member id (stf_...)")],
    prefix: Annotated[
        str | None, typer.Option(help="only the key shown as this prefix (tc_staff_ + 4)")
    ] = None,
) -> None:
    """Revoke a staff member's keys and end their console sessions at once."""
    from domain.services.principals import revoke_staff_keys

    revoked = _run_or_exit(
        lambda: revoke_staff_keys(staff_id, datetime.now(UTC), display_prefix=prefix)
    )
    typer.echo(
        f"revoked {len(revoked.key_ids)} key(s) of {staff_id}; "
        f"ended {revoked.console_sessions} console session(s)"
    )


@app.command()
def dev() -> None:
    """What `make run` starts: migrations, Redis, API, worker and scheduler (Ctrl-C stops all)."""
    from tradecover.devstack import run_dev_stack

    _logging()
    raise typer.Exit(run_dev_stack(get_settings()))


if __name__ == "__main__":
    app()


def _parse_since(value: str) -> datetime:
    try:
        since = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("an ISO date or datetime, e.g. 2026-11-20T08:00") from None
    return since if since.tzinfo else since.replace(tzinfo=UTC)


@webhooks.command("replay")
def webhooks_replay(
    since: Annotated[str, typer.Option(help="failed deliveries created since (ISO, UTC)")],
    partner: Annotated[str | None, typer.Option(help="only this partner's")] = None,
    endpoint: Annotated[str | None, typer.Option(help="only this endpoint's")] = None,
    reenable: Annotated[
        bool, typer.Option("--reenable", help="re-enable disabled endpoints of these")
    ] = False,
    batch: Annotated[int, typer.Option(help="deliveries per transaction batch")] = 200,
) -> None:
    """Put FAILED deliveries back in the queue (same webhook-id); the scheduler sends them."""
    from rich.progress import Progress

    from domain.services import webhook_replay

    start = _parse_since(since)

    async def run() -> webhook_replay.ReplayOutcome:
        ids = await webhook_replay.failed_since(start, partner_id=partner, endpoint_id=endpoint)
        total = webhook_replay.ReplayOutcome()
        with Progress() as bar:
            task = bar.add_task("replaying", total=len(ids))
            for offset in range(0, len(ids), batch):
                chunk = ids[offset : offset + batch]
                done = await webhook_replay.replay(chunk, datetime.now(UTC), reenable=reenable)
                total.requeued += done.requeued
                total.skipped += done.skipped
                total.reenabled_endpoints += done.reenabled_endpoints
                bar.advance(task, len(chunk))
        return total

    outcome = asyncio.run(_with_db(run))
    reasons: dict[str, int] = {}
    for _, why in outcome.skipped:
        reasons[why] = reasons.get(why, 0) + 1
    typer.echo(f"requeued {len(outcome.requeued)} deliveries")
    for why, count in sorted(reasons.items()):
        typer.echo(f"skipped {count}: {why}")
    if outcome.reenabled_endpoints:
        typer.echo(f"re-enabled endpoints: {', '.join(sorted(outcome.reenabled_endpoints))}")


@policies.command("import-sales")
def policies_import_sales(
    policy: Annotated[str, typer.Option(help="policy id (pol_...)")],
    month: Annotated[str, typer.Option(help="any day of the month declared, ISO date")],
    file: Annotated[Path, typer.Option(help="CSV: buyer_key,invoice_number,issue_date,...")],
    batch: Annotated[int, typer.Option(help="lines per declaration")] = 5000,
) -> None:
    """Declare a month's sales from a CSV file (WT-N1), all or nothing, with progress."""
    from rich.progress import Progress

    from domain.services import sales_import
    from domain.services.errors import DomainError

    try:
        month_day = datetime.fromisoformat(month).date()
        lines = sales_import.read_sales(file)
    except (ValueError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None

    async def run() -> sales_import.ImportOutcome:
        with Progress() as bar:
            task = bar.add_task(f"declaring {file.name}", total=len(lines))
            return await sales_import.import_sales(
                policy,
                month_day,
                lines,
                datetime.now(UTC),
                batch=batch,
                on_batch=lambda n: bar.advance(task, n),
            )

    try:
        outcome = asyncio.run(_with_db(run))
    except DomainError as error:
        typer.echo(f"error ({error.code}): {error.message}; nothing was imported", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"declared {outcome.lines} sales in {outcome.declarations} declarations, "
        f"{outcome.insured} insured"
    )


@config.command("show")
def config_show(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
) -> None:
    """Print the effective settings (environment and defaults), secrets redacted, and
    whether this configuration may start."""
    import json

    from rich.console import Console
    from rich.table import Table

    from tradecover.config_checks import (
        dev_default_problems,
        effective,
        fatal_problems,
        metrics_problems,
    )

    settings = get_settings()
    shown = effective(settings)
    problems = fatal_problems(settings) + (
        []
        if settings.allow_dev_defaults
        else dev_default_problems(settings) + [f"(api) {p}" for p in metrics_problems(settings)]
    )
    if as_json:
        typer.echo(json.dumps({"settings": shown, "problems": problems}, default=str, indent=2))
    else:
        table = Table("setting", "value", title="tradecover settings")
        for name, value in shown.items():
            table.add_row(name, str(value))
        Console().print(table)
        for problem in problems:
            typer.echo(f"refuses to start: {problem}")
    if problems:
        raise typer.Exit(1)
