"""`forum migrate [--to REVISION] [--force] [--dry-run]`: up to the code's schema, or down
to an older one only when that drops no rows (or the operator insists)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from forum.cli.common import cli_settings, console, fail, setup_logging

if TYPE_CHECKING:
    from forum.migrate import Loss, MigrationPlan

To = Annotated[
    str,
    typer.Option(
        "--to",
        metavar="REVISION",
        help="The revision to go to: head (the default), an id such as 0019, or base",
    ),
]
Force = Annotated[
    bool,
    typer.Option("--force", help="Go down even though tables or columns holding rows are dropped"),
]
DryRun = Annotated[
    bool,
    typer.Option("--dry-run", help="Say what would be done and dropped; change nothing"),
]


def migrate_command(to: To = "head", force: Force = False, dry_run: DryRun = False) -> None:
    """Bring the database schema up to date (safe to run again), or take it down to --to.

    A downgrade first finds what it would drop (on a copy of an SQLite file, in a
    rolled-back PostgreSQL transaction) and refuses, exit code 1, when a dropped table or
    column holds rows, naming each with its count, unless --force. Rolling an upgrade
    back is restoring the backup taken before it (`forum restore`).
    """
    from forum.migrate import MigrateError, migrate, plan_migration

    setup_logging()
    settings = cli_settings()
    url = settings.resolved_database_url
    try:
        plan = plan_migration(url, to)
    except MigrateError as exc:
        raise fail(str(exc)) from exc
    if plan.direction == "none":
        console.print(f"database migrated: already at {_name(plan.current)}")
        return
    _describe(plan)
    refused = plan.direction == "downgrade" and plan.data_lost and not force
    if refused:
        lost = "\n".join(
            f"  {'table' if loss.column is None else 'column'} {loss.name}: {_rows(loss)}"
            for loss in plan.data_lost
        )
        raise fail(
            f"going down to {_name(plan.target)} would drop data:\n{lost}\n"
            "Nothing was changed. To roll an upgrade back, restore the backup taken before "
            "it (`forum restore DIR`); to drop these rows anyway, add --force."
        )
    if dry_run:
        console.print("dry run: nothing was changed")
        return
    migrate(url, plan)
    if plan.direction == "upgrade":
        console.print(f"database migrated: now at {_name(plan.target)}")
    else:
        console.print(
            f"database downgraded: now at {_name(plan.target)}; run the version of the "
            "forum whose migrations end there"
        )


def _rows(loss: Loss) -> str:
    rows = f"{loss.rows} {'row' if loss.rows == 1 else 'rows'}"
    return rows if loss.column is None else f"{rows} with a value"


def _name(revision: str | None) -> str:
    return revision or "base (no schema)"


def _describe(plan: MigrationPlan) -> None:
    verb = "apply" if plan.direction == "upgrade" else "undo"
    console.print(
        f"{plan.direction} from {_name(plan.current)} to {_name(plan.target)}: "
        f"{verb} {', '.join(plan.revisions)}"
    )
    for loss in plan.losses:
        what = "table" if loss.column is None else "column"
        if loss.rows:
            console.print(f"  drops the {what} {loss.name}: {_rows(loss)}")
        else:
            console.print(f"  drops the empty {what} {loss.name}")
