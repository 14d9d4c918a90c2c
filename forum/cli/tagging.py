"""`forum tagging export`: the tag corrections made on item pages, as labelled examples."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from forum.cli.common import check_migrated, cli_settings, console, setup_logging

tagging_app = typer.Typer(help="The auto-tagger's corrections.", no_args_is_help=True)


@tagging_app.command("export")
def export_command(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default: standard output)")
    ] = None,
) -> None:
    """Write each corrected item as one JSON line in the published-items set's format (id,
    url, language, title, text, countries, sectors), labelled with its tags after the
    corrections, to grow tests/intelligence/data/published."""
    from forum.core.db import make_engine, make_session_factory
    from forum.intelligence.tag_review import export_rows

    setup_logging()
    settings = cli_settings()
    check_migrated(settings)
    engine = make_engine(settings.resolved_database_url)
    try:
        with make_session_factory(engine)() as session:
            lines = [json.dumps(row, ensure_ascii=False) + "\n" for row in export_rows(session)]
    finally:
        engine.dispose()
    if out is None:
        sys.stdout.write("".join(lines))
    else:
        out.write_text("".join(lines), encoding="utf-8")
        console.print(f"{len(lines)} corrected items written to {out}")
