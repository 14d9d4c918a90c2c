"""What every `forum` command shares: the console, logging, settings, failing with a code.

The `forum.cli` modules import only typer and rich at their top: each command imports
what it needs (the database, the models, the web app) when it runs, so that `forum
--help`, and every command, starts without loading the parts it does not use.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import ProgressColumn

    from forum.core.config import Settings

console = Console(stderr=True, soft_wrap=True)


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print the error and return the exit for the caller to raise."""
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def cli_settings() -> Settings:
    from forum.core.config import load_settings

    return load_settings()


def check_migrated(settings: Settings) -> None:
    """Exit 1 naming `forum migrate` unless the database is at the latest revision."""
    from forum.core.db import make_engine
    from forum.migrate import NotMigratedError, require_migrated

    engine = make_engine(settings.resolved_database_url, pool=False)
    try:
        require_migrated(engine)
    except NotMigratedError as exc:
        raise fail(str(exc)) from exc
    finally:
        engine.dispose()


def progress_columns() -> tuple[ProgressColumn, ...]:
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

    return (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
