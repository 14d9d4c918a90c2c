"""`forum digest send|preview`: the email digests by hand."""

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
    from sqlalchemy.orm import Session

    from forum.accounts.models import User

digest_app = typer.Typer(
    help="Email digests: send the due ones, preview one.", no_args_is_help=True
)

DigestUser = Annotated[str | None, typer.Option("--user", help="Only this member (email address)")]


def _member_by_email(session: Session, email: str) -> User:
    from forum.accounts.service import get_user_by_email

    user = get_user_by_email(session, email)
    if user is None:
        raise fail(f"no member with the address {email!r}", 2)
    return user


@digest_app.command("send")
def digest_send(
    now: Annotated[
        bool,
        typer.Option("--now", help="Everyone whose digest is on, as if due now (period: today)"),
    ] = False,
    user: DigestUser = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Build and count every digest; send and write nothing")
    ] = False,
) -> None:
    """Plan the due digests and send every pending one (what the worker does every 5 minutes).

    A second run for the same period sends nothing. Exits 1 when the run stopped early
    (the mail server is down, another sender runs) or --user cannot get a digest; 2 when
    --user names nobody.
    """
    from rich.progress import Progress

    from forum.core.db import make_engine, make_session_factory, transaction, utcnow
    from forum.digests.planner import due_members, not_sendable, plan
    from forum.digests.sender import SendReport, send_pending
    from forum.notifications.models import EmailSettings

    setup_logging()
    settings = cli_settings()
    check_migrated(settings)
    engine = make_engine(settings.resolved_database_url, **settings.engine_options())
    factory = make_session_factory(engine)
    moment = utcnow()
    try:
        user_ids: list[int] | None = None
        if user:
            with factory() as session:
                member = _member_by_email(session, user)
                reason = not_sendable(member, session.get(EmailSettings, member.id))
            if reason:
                raise fail(f"{member.email} gets no digest: {reason}")
            user_ids = [member.id]
        planned = []
        if dry_run:
            with factory() as session:
                planned = [due for due, _ in plan(session, moment, force=now, user_ids=user_ids)]
        else:
            with transaction(factory) as session:
                due_members(session, moment, settings=settings, force=now, user_ids=user_ids)
        with Progress(*progress_columns(), console=console) as progress:
            task = progress.add_task("digests", total=None)

            def show(report: SendReport) -> None:
                progress.update(task, total=report.total, completed=report.done)

            report = send_pending(
                factory,
                settings,
                on_progress=show,
                dry_run=dry_run,
                now=moment,
                user_ids=user_ids,
                planned=planned,
            )
    finally:
        engine.dispose()
    if dry_run:
        typer.echo(
            f"dry run: would send {report.sent}, would skip {report.skipped}, "
            f"failed {report.failed}; nothing was sent or written"
        )
    else:
        typer.echo(
            f"sent {report.sent}, skipped {report.skipped}, failed {report.failed}, "
            f"resent {report.resent}, retried later {report.retried}"
        )
    if report.stopped:
        raise fail(f"stopped early: {report.stopped}")


@digest_app.command("preview")
def digest_preview(
    user: Annotated[str, typer.Option("--user", help="The member (email address)")],
) -> None:
    """Print the text version of the member's digest as it would be sent now."""
    from forum.core.db import make_engine, make_session_factory
    from forum.digests.render import digest_text
    from forum.digests.service import preview_digest

    settings = cli_settings()
    check_migrated(settings)
    engine = make_engine(settings.resolved_database_url, pool=False)
    try:
        with make_session_factory(engine, writer=False)() as session:
            member = _member_by_email(session, user)
            digest = preview_digest(session, settings, member)
            typer.echo(f"Subject: {digest.subject}")
            typer.echo(f"To: {member.email}")
            typer.echo("")
            typer.echo(digest_text(settings, member, digest))
    finally:
        engine.dispose()
