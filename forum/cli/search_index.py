"""`forum search reindex|status`, and the reindex that `forum demo` and `forum restore` end with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from forum.cli.common import (
    check_migrated,
    cli_settings,
    console,
    fail,
    progress_columns,
    setup_logging,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from forum.core.config import Settings

search_app = typer.Typer(help="The search index: rebuild it, see how it is.", no_args_is_help=True)


def reindex_with_progress(settings: Settings, factory: sessionmaker[Session]) -> None:
    """Rebuild the search index, showing progress; exit 1 when the engine fails."""
    from rich.progress import Progress

    from forum.discovery.sync import close_search_engines, reindex, search_engine
    from search.engine import SearchError

    with Progress(*progress_columns(), console=console) as progress:
        task = progress.add_task("indexing", total=None)
        try:
            result = reindex(
                factory,
                search_engine(settings),
                settings,
                on_total=lambda total: progress.update(task, total=total),
                on_progress=lambda done: progress.update(task, completed=done),
            )
        except SearchError as exc:
            raise fail(f"search reindex failed: {exc}") from exc
        finally:
            close_search_engines()
    size = result.stats.get("size_bytes")
    shown = f", {int(size) / 1e6:.1f} MB" if isinstance(size, int | float) else ""
    console.print(
        f"search index rebuilt: {result.documents} documents in {result.seconds:.1f} s"
        f"{shown}; {result.replayed} changes replayed"
    )


@search_app.command("reindex")
def search_reindex() -> None:
    """Build a new index from the database beside the live one, replay the changes made
    meanwhile, and switch to it atomically. Searches keep working throughout."""
    from forum.core.db import make_engine, make_session_factory

    setup_logging()
    settings = cli_settings()
    check_migrated(settings)
    engine = make_engine(settings.resolved_database_url)
    try:
        reindex_with_progress(settings, make_session_factory(engine))
    finally:
        engine.dispose()


@search_app.command("status")
def search_status_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON")] = False,
) -> None:
    """The engine, how many documents it holds, and the outbox (depth, oldest pending).

    Exits 1 when the engine cannot answer.
    """
    import json

    from forum.core.db import make_engine, make_session_factory
    from forum.discovery.sync import search_status

    settings = cli_settings()
    check_migrated(settings)
    engine = make_engine(settings.resolved_database_url)
    try:
        with make_session_factory(engine, writer=False)() as session:
            state = search_status(session, settings)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(state, sort_keys=True))
    else:
        age = state["oldest_pending_seconds"]
        typer.echo(f"engine: {state['engine']}")
        typer.echo(f"documents: {state.get('documents', 'unknown')}")
        typer.echo(f"outbox depth: {state['outbox_depth']}")
        typer.echo(f"oldest pending: {'none' if age is None else f'{age:.1f} s'}")
        if state["rebuilding"]:
            typer.echo("a reindex is running")
        if not state["ok"]:
            typer.echo(f"error: {state['error']}")
    if not state["ok"]:
        raise typer.Exit(1)
