"""`forum user create`, and the password reading and account creation `forum init` shares."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from forum.cli.common import check_migrated, cli_settings, console, fail, setup_logging

if TYPE_CHECKING:
    from forum.core.config import Settings

user_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input")
]


def read_password(password_stdin: bool) -> str:
    """The first line of standard input; exit 1 without --password-stdin or a password."""
    if not password_stdin:
        raise fail("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise fail("no password on standard input")
    return password


def create_verified_user(
    settings: Settings, email: str, name: str, role: str, password: str
) -> None:
    """Create a verified, onboarded account in its own transaction; exit 1 when refused."""
    from forum.accounts.service import AccountError, create_user
    from forum.core.db import make_engine, make_session_factory, transaction

    engine = make_engine(settings.resolved_database_url, pool=False)
    try:
        with transaction(make_session_factory(engine)) as session:
            user = create_user(
                session, email=email, name=name, password=password, role=role, verified=True
            )
            user.onboarded_at = user.email_verified_at
    except AccountError as exc:
        raise fail(str(exc)) from exc
    finally:
        engine.dispose()


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Argument(help="The new member's email address")],
    name: Annotated[str, typer.Option("--name", help="Display name")],
    role: Annotated[str, typer.Option("--role", help="member, moderator or admin")] = "member",
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a verified account (for operators and tests)."""
    setup_logging()
    settings = cli_settings()
    check_migrated(settings)
    create_verified_user(settings, email, name, role, read_password(password_stdin))
    console.print(f"created {role} {email}")
