"""`forum mail receive|serve|revoke`: inbound mail (docs/email.md, "Answering by email")."""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Annotated

import typer

from forum.cli.common import check_migrated, cli_settings, console, fail, setup_logging

mail_app = typer.Typer(help="Inbound mail: answers and new threads by email.", no_args_is_help=True)

# sendmail's exit codes (sysexits.h), as MTAs' pipe transports read them.
EX_OK, EX_DATAERR, EX_TEMPFAIL = 0, 65, 75


@mail_app.command("receive")
def receive_command(
    recipient: Annotated[
        list[str] | None,
        typer.Option("--recipient", "-r", help="The envelope recipient (Postfix: ${recipient})"),
    ] = None,
) -> None:
    """Read one message on standard input and handle it (for an MTA's pipe transport).

    Exit 0 when handled (posted, or refused and recorded), 67 or 77 when the address or
    sender is refused, 65 for an unreadable message, 75 for a temporary failure."""
    from forum.core.db import make_engine, make_session_factory
    from forum.inbound.service import MTA_REFUSALS, deliver

    setup_logging()
    raw = sys.stdin.buffer.read()
    if not raw.strip():
        raise fail("no message on standard input", EX_DATAERR)
    try:
        settings = cli_settings()
        check_migrated(settings)
        factory = make_session_factory(
            make_engine(settings.resolved_database_url, **settings.engine_options())
        )
        envelope = recipient or [r for r in [os.environ.get("ORIGINAL_RECIPIENT")] if r]
        outcome = deliver(factory, settings, raw, via="receive", recipients=envelope or None)
    except typer.Exit:
        raise
    except Exception as exc:  # the database away, a full disk: the MTA keeps it and retries
        console.print(f"temporary failure: {exc}", style="red")
        raise typer.Exit(EX_TEMPFAIL) from exc
    console.print(f"{outcome.status} {outcome.reason}".strip())
    if outcome.status == "refused" and outcome.reason in MTA_REFUSALS:
        code, answer = MTA_REFUSALS[outcome.reason]
        console.print(answer)
        raise typer.Exit(code)


@mail_app.command("serve")
def serve_command(
    listen: Annotated[
        str | None, typer.Option(help="host:port (default FORUM_INBOUND_LISTEN)")
    ] = None,
    smtp: Annotated[bool, typer.Option("--smtp", help="Speak SMTP instead of LMTP")] = False,
) -> None:
    """Receive mail over LMTP (or SMTP) from the MTA until stopped."""
    from forum.core.db import make_engine, make_session_factory
    from forum.inbound.server import InboundController

    setup_logging()
    settings = cli_settings()
    check_migrated(settings)
    host, _, port = (listen or settings.inbound_listen).rpartition(":")
    if not port.isdigit():
        raise fail("--listen must be host:port", 2)
    factory = make_session_factory(
        make_engine(settings.resolved_database_url, **settings.engine_options())
    )
    controller = InboundController(
        factory, settings, host=host or "127.0.0.1", port=int(port), lmtp=not smtp
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    controller.start()
    console.print(f"receiving {'SMTP' if smtp else 'LMTP'} on {host}:{port}", highlight=False)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


@mail_app.command("revoke")
def revoke_command(email: Annotated[str, typer.Argument(help="The member's address")]) -> None:
    """Make every reply address sent to a member so far stop working."""
    from forum.accounts.service import get_user_by_email
    from forum.core.db import make_engine, make_session_factory, transaction
    from forum.inbound.service import revoke_reply_addresses

    settings = cli_settings()
    check_migrated(settings)
    with transaction(
        make_session_factory(
            make_engine(settings.resolved_database_url, **settings.engine_options())
        )
    ) as db:
        user = get_user_by_email(db, email)
        if user is None:
            raise fail(f"no member with the address {email!r}", 2)
        revoke_reply_addresses(db, user.id)
    console.print(f"revoked the reply addresses of {email}")
