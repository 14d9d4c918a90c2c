"""The intelligence repository's ways in besides the web forms: `forum import feeds|csv|json`
and `forum feeds add|list`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from forum.cli.common import (
    check_migrated,
    cli_settings,
    console,
    fail,
    progress_columns,
    setup_logging,
)

import_app = typer.Typer(
    help="Import intelligence: harvest feeds, load CSV or JSON files.", no_args_is_help=True
)
feeds_app = typer.Typer(help="Manage harvested feeds.", no_args_is_help=True)


# --- feeds: `forum import feeds`, `forum feeds add|list` ---------------------------------


@import_app.command("feeds")
def import_feeds(
    all_feeds: Annotated[
        bool, typer.Option("--all", help="Every enabled feed, due or not")
    ] = False,
    feed: Annotated[
        list[str] | None,
        typer.Option("--feed", help="A feed's number or URL (repeatable), even if disabled"),
    ] = None,
) -> None:
    """Harvest the due feeds now: every enabled one with --all, or the ones named with --feed.

    Exits 1 when every feed harvested failed.
    """
    from rich.progress import Progress

    from forum.core.db import make_engine, make_session_factory
    from forum.intelligence import feed_admin, harvest, harvest_store

    setup_logging()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per feed is printed below
    settings = cli_settings()
    check_migrated(settings)
    engine = make_engine(settings.resolved_database_url, **settings.engine_options())
    factory = make_session_factory(engine)
    try:
        with factory() as session:
            if feed:
                ids = []
                for wanted in feed:
                    found = feed_admin.find_feed(session, wanted)
                    if found is None:
                        raise fail(f"no feed {wanted!r}: give its number or its exact URL", 2)
                    ids.append(found.id)
            elif all_feeds:
                ids = harvest.enabled_feed_ids(session)
            else:
                ids = harvest.due_feed_ids(session)
            names = {f.id: f.name for f in feed_admin.list_feeds(session)}
        if not ids:
            console.print("no feed is due" if not all_feeds else "no feed is enabled")
            return
        results: list[harvest_store.HarvestResult] = []
        with Progress(*progress_columns(), console=console) as progress:
            task = progress.add_task("harvesting feeds", total=len(ids))

            def show(result: harvest_store.HarvestResult) -> None:
                results.append(result)
                colour = "red" if result.failed else "green"
                progress.console.print(
                    f"[{colour}]#{result.feed_id} {names.get(result.feed_id, result.name)}:"
                    f"[/{colour}] {result.summary()}"
                )
                progress.advance(task)

            harvest.harvest_due(
                factory, feed_ids=ids, force=bool(feed or all_feeds), on_result=show,
                deadline=settings.fetch_deadline, concurrency=settings.harvest_concurrency,
            )  # fmt: skip
    finally:
        engine.dispose()
    added = sum(r.added for r in results)
    failed = sum(1 for r in results if r.failed)
    console.print(f"{len(results)} feeds harvested: {added} new items, {failed} failed")
    if results and failed == len(results):
        raise typer.Exit(1)


@feeds_app.command("add")
def feeds_add(
    url: Annotated[str, typer.Argument(help="The RSS or Atom feed's address")],
    name: Annotated[str, typer.Option("--name", help="Shown as the items' source")] = "",
    countries: Annotated[
        str, typer.Option("--countries", help="ISO codes or region groups: JP,KR,g:asean")
    ] = "",
    sectors: Annotated[str, typer.Option("--sectors", help="Sector slugs: food,healthcare")] = "",
    kind: Annotated[str, typer.Option("--kind", help="The items' kind: news, tender ...")] = "news",
    interval: Annotated[
        str, typer.Option("--interval", help="Minutes (360) or with a unit (90m, 6h, 1d)")
    ] = "6h",
    auto_publish: Annotated[
        bool, typer.Option("--auto-publish", help="Publish at once instead of sending to review")
    ] = False,
    enable: Annotated[bool, typer.Option("--enable", help="Harvest it when due")] = False,
    source_url: Annotated[str, typer.Option("--source-url", help="The publisher's site")] = "",
) -> None:
    """Add a feed to harvest (disabled unless --enable). Exits 2 on invalid settings."""
    from forum.core.db import make_engine, make_session_factory, transaction
    from forum.intelligence import feed_admin
    from forum.intelligence.fetch_guard import private_feeds_allowed

    settings = cli_settings()
    check_migrated(settings)
    data = feed_admin.FeedSettings(
        name=name,
        countries=feed_admin.split_codes(countries),
        sectors=feed_admin.split_codes(sectors),
        kind=kind,
        interval=interval,
        auto_publish=auto_publish,
        enabled=enable,
        source_url=source_url,
    )
    engine = make_engine(settings.resolved_database_url, pool=False)
    try:
        with transaction(make_session_factory(engine)) as session:
            feed, warning = feed_admin.create_feed(
                session, None, url, data, allow_private=private_feeds_allowed(),
                deadline=settings.fetch_deadline,
            )  # fmt: skip
            summary = (
                f"added feed #{feed.id} {feed.name}: {feed.default_kind}, every "
                f"{feed_admin.format_interval(feed.interval_minutes)}, "
                f"{'auto-publish' if feed.auto_publish else 'to review'}, "
                f"{'enabled' if feed.enabled else 'disabled'}"
            )
    except feed_admin.FeedSettingsError as exc:
        for message in exc.errors.values():
            console.print(f"[red]error:[/red] {message}")
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    console.print(summary)
    if warning:
        console.print(f"[yellow]warning:[/yellow] {warning}")


@feeds_app.command("list")
def feeds_list() -> None:
    """Every feed, one tab-separated line each: id, name, enabled, last status, items, next, URL."""
    from forum.core.db import make_engine, make_session_factory
    from forum.intelligence import feed_admin

    settings = cli_settings()
    check_migrated(settings)
    engine = make_engine(settings.resolved_database_url, pool=False)
    try:
        with make_session_factory(engine, writer=False)() as session:
            feeds = feed_admin.list_feeds(session)
    finally:
        engine.dispose()
    if not feeds:
        console.print("no feeds: add one with `forum feeds add URL`")
        return
    typer.echo("id\tname\tharvesting\tlast status\titems added\tnext harvest\turl")
    for f in feeds:
        status = f.last_status or "never harvested"
        if f.last_error:
            status += f": {' '.join(f.last_error.split())[:120]}"
        upcoming = f.next_fetch_at.strftime("%Y-%m-%d %H:%M UTC") if f.next_fetch_at else "-"
        typer.echo(
            f"{f.id}\t{f.name}\t{'enabled' if f.enabled else 'disabled'}\t{status}\t"
            f"{f.items_added}\t{upcoming if f.enabled else '-'}\t{f.url}"
        )


# --- `forum import csv|json FILE` -------------------------------------------------------

ImportFile = Annotated[
    Path, typer.Argument(help="The file: UTF-8, one item per row (CSV) or list entry (JSON)")
]
SkipInvalid = Annotated[
    bool,
    typer.Option("--skip-invalid", help="Import the valid rows and list the invalid ones"),
]


def _import_items(fmt: str, file: Path, skip_invalid: bool) -> None:
    from forum.intelligence.importer import run_import

    settings = cli_settings()
    check_migrated(settings)
    code = run_import(settings, file, fmt, skip_invalid=skip_invalid, console=console)
    if code:
        raise typer.Exit(code)


@import_app.command("csv")
def import_csv(file: ImportFile, skip_invalid: SkipInvalid = False) -> None:
    """Load items from a CSV file whose header names the fields of POST /api/v1/intel.

    Columns: title, summary, body, kind, countries and sectors (separated by ; or ,), url,
    source_name, source_url, published_at, deadline (YYYY-MM-DD), status (published, review
    or draft; default published), language. Every row is checked first; exits 1 and
    imports nothing when a row is invalid (unless --skip-invalid), 2 when the file
    cannot be read.
    """
    _import_items("csv", file, skip_invalid)


@import_app.command("json")
def import_json(file: ImportFile, skip_invalid: SkipInvalid = False) -> None:
    """Load items from a JSON list of objects with the fields of POST /api/v1/intel.

    The keys are the CSV columns; countries and sectors are lists. Same checks and exit
    codes as `forum import csv`.
    """
    _import_items("json", file, skip_invalid)
