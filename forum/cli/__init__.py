"""The `forum` command: the Typer app that gathers each group's commands, and `main()`."""

from __future__ import annotations

import sys

import typer

from forum.cli import backups, instance, migrations, status
from forum.cli.digests import digest_app
from forum.cli.feeds import feeds_app, import_app
from forum.cli.mail import mail_app
from forum.cli.search_index import search_app
from forum.cli.users import user_app

app = typer.Typer(
    help="Cluster Forum: discussions and a market-intelligence repository for cluster managers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# The order here is the order `forum --help` lists them in.
app.command("migrate")(migrations.migrate_command)
app.command()(instance.serve)
app.command()(instance.worker)
app.command()(instance.demo)
app.command()(instance.init)
app.command("backup")(backups.backup_command)
app.command("restore")(backups.restore_command)
app.command("status")(status.status_command)
app.add_typer(user_app, name="user")
app.add_typer(import_app, name="import")
app.add_typer(feeds_app, name="feeds")
app.add_typer(search_app, name="search")
app.add_typer(digest_app, name="digest")
app.add_typer(mail_app, name="mail")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
