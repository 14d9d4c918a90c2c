"""`forum backup DIR` and `forum restore DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from forum.cli.common import cli_settings, console, fail, setup_logging

BackupDir = Annotated[Path, typer.Argument(help="The backup directory")]


def backup_command(target: BackupDir) -> None:
    """Back up the database, the uploads and the generated secret key into DIR (new or empty).
    Safe while the forum runs. The search index is not included: restore rebuilds it."""
    from forum.backup import BackupError, backup

    setup_logging()
    settings = cli_settings()
    try:
        manifest = backup(settings, target, step=lambda msg: console.print(f"[cyan]*[/cyan] {msg}"))
    except BackupError as exc:
        raise fail(str(exc)) from exc
    size = sum(int(str(f["bytes"])) for f in manifest.files)
    console.print(
        f"backup written to {target}: {len(manifest.files)} files, {size / 1e6:.1f} MB, "
        f"schema {manifest.alembic_revision} ({manifest.dialect})"
    )


def restore_command(
    source: BackupDir,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that already holds data")
    ] = False,
) -> None:
    """Restore a backup made by `forum backup`: check its checksums, put back the database,
    uploads and key, migrate to head, rebuild the search index. Stop the forum first."""
    from forum.backup import BackupError, restore
    from forum.cli.search_index import reindex_with_progress
    from forum.core.db import make_engine, make_session_factory

    setup_logging()
    settings = cli_settings()
    try:
        manifest = restore(
            settings, source, force=force, step=lambda msg: console.print(f"[cyan]*[/cyan] {msg}")
        )
    except BackupError as exc:
        raise fail(str(exc)) from exc
    engine = make_engine(settings.resolved_database_url, **settings.engine_options())
    try:
        reindex_with_progress(settings, make_session_factory(engine))
    finally:
        engine.dispose()
    console.print(f"restored the backup of {manifest.created_at} from {source}")
