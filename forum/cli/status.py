"""`forum status [--json] [--processes N]`: the operators' view of a running instance —
queue depth, outbox lag, leases, the last digest run, failing feeds, connection sizing."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from forum.cli.common import check_migrated, cli_settings

AsJson = Annotated[bool, typer.Option("--json", help="Print the report as JSON")]
Processes = Annotated[
    int | None,
    typer.Option(
        "--processes",
        min=1,
        help="How many forum processes connect in all, to check against max_connections "
        "(default: FORUM_DB_PROCESSES)",
    ),
]


def status_command(as_json: AsJson = False, processes: Processes = None) -> None:
    """Show the background work, search lag, leases, digests, failing feeds and whether
    the connection pools fit the database server (exit 0; problems are listed as warnings).
    """
    from forum.cli.status_report import gather
    from forum.core.db import make_engine, make_session_factory

    settings = cli_settings()
    check_migrated(settings)
    engine = make_engine(settings.resolved_database_url, pool=False)
    try:
        with make_session_factory(engine, writer=False)() as session:
            report = gather(session, settings, processes=processes or settings.db_processes)
            session.rollback()
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(report, indent=2, sort_keys=True))
        return
    render(report, Console(soft_wrap=True))


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 120:
        return f"{value:.0f} s"
    if value < 7200:
        return f"{value / 60:.0f} min"
    return f"{value / 3600:.1f} h"


def render(report: dict[str, Any], out: Console) -> None:
    from rich.table import Table

    jobs = report["jobs"]
    out.print(
        f"[bold]Jobs[/bold]: {jobs['queued']} queued ({jobs['due']} due), "
        f"{jobs['running']} running, {jobs['failed']} failed; "
        f"oldest due job waiting {_seconds(jobs['oldest_pending_seconds'])}"
    )
    if jobs["by_kind"]:
        table = Table("kind", "queued", "due", "running", "failed")
        for kind, counts in jobs["by_kind"].items():
            table.add_row(kind, *(str(counts[k]) for k in ("queued", "due", "running", "failed")))
        out.print(table)
    outbox = report["search_outbox"]
    out.print(
        f"[bold]Search outbox[/bold]: {outbox['outbox_depth']} changes not yet indexed, "
        f"oldest {_seconds(outbox['oldest_pending_seconds'])} old"
    )
    out.print("[bold]Leases[/bold]:" + ("" if report["leases"] else " none"))
    if report["leases"]:
        table = Table("name", "kind", "holder", "host", "pid", "heartbeat", "state")
        for lease in report["leases"]:
            table.add_row(
                lease["name"], lease["kind"], lease["holder"], lease["hostname"],
                str(lease["pid"]), f"{_seconds(lease['heartbeat_seconds_ago'])} ago",
                "alive" if lease["alive"] else "[yellow]expired[/yellow]",
            )  # fmt: skip
        out.print(table)
    digests = report["digests"]
    deliveries = ", ".join(f"{n} {s}" for s, n in digests["latest_period_deliveries"].items())
    out.print(
        f"[bold]Digests[/bold]: last run {digests['task_last_run_at'] or 'never'} "
        f"({digests['task_last_status'] or '-'}); latest period "
        f"{digests['latest_period'] or '-'}: {deliveries or 'no deliveries'}; "
        f"last sent {digests['last_sent_at'] or 'never'}"
    )
    feeds = report["failing_feeds"]
    out.print(f"[bold]Failing feeds[/bold]: {len(feeds) or 'none'}")
    if feeds:
        table = Table("id", "name", "status", "since", "error")
        for feed in feeds:
            table.add_row(
                str(feed["id"]), feed["name"], feed["last_status"],
                feed["last_fetched_at"] or "-", feed["last_error"] or "",
            )  # fmt: skip
        out.print(table)
    _render_connections(report["connections"], out)
    for warning in report["warnings"]:
        out.print(f"[yellow]warning:[/yellow] {warning}")


def _render_connections(sizing: dict[str, Any], out: Console) -> None:
    if sizing["dialect"] != "postgresql":
        out.print(f"[bold]Connections[/bold]: {sizing['note']}")
        return
    line = (
        f"[bold]Connections[/bold]: {sizing['per_process']} per process "
        f"(pool {sizing['pool_size']} + overflow {sizing['max_overflow']}; "
        f"{sizing['request_slots']} requests at once per web process); server "
        f"max_connections {sizing['max_connections']} − reserve {sizing['reserve']} = "
        f"{sizing['budget']}: room for {sizing['max_processes']} processes; "
        f"{sizing['connections_in_use']} connections open now"
    )
    if sizing["processes"]:
        verdict = "fits" if sizing["fits"] else "[red]does not fit[/red]"
        line += f"; {sizing['processes']} processes need {sizing['total']}: {verdict}"
    out.print(line)
