"""The `forum` command: serve, migrate, demo, worker (later issues add their commands)."""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from forum.config import Settings, load_settings
from forum.db import make_engine, make_session_factory, transaction
from forum.migrate import NotMigratedError, require_migrated, upgrade

app = typer.Typer(
    help="Cluster Forum: discussions and a market-intelligence repository for cluster managers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True, soft_wrap=True)


def _setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _settings() -> Settings:
    return load_settings()


def _require_migrated(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url, pool=False)
    try:
        require_migrated(engine)
    except NotMigratedError as exc:
        raise _fail(str(exc)) from exc
    finally:
        engine.dispose()


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (safe to run again)."""
    _setup_logging()
    settings = _settings()
    upgrade(settings.resolved_database_url)
    console.print("database migrated")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes")] = 1,
) -> None:
    """Serve the web application (and the background loops when no `forum worker` runs)."""
    import uvicorn

    _setup_logging()
    settings = _settings()
    _require_migrated(settings)
    for warning in settings.production_warnings():
        console.print(f"[yellow]warning:[/yellow] {warning}")
    uvicorn.run(
        "forum.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=",".join(settings.trusted_proxies) or None,
        log_level="info",
    )


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="Run one pass and exit")] = False,
) -> None:
    """Run the background loops: outbox drains, extraction, feeds, digests, housekeeping."""
    from forum.worker import Runner

    _setup_logging()
    settings = _settings()
    _require_migrated(settings)
    engine = make_engine(settings.resolved_database_url)
    runner = Runner(settings, make_session_factory(engine), kind="worker")
    if once:
        done = runner.run_once()
        runner.release()
        console.print(f"ran {done} tasks and jobs")
        return

    def stop(signum: int, _frame: FrameType | None) -> None:
        console.print(f"signal {signum}: finishing the current pass")
        runner.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runner.run_forever()


@app.command()
def demo(
    synthetic: Annotated[
        int, typer.Option(help="Add N synthetic documents for benchmarks", min=0)
    ] = 0,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic data")] = 0,
) -> None:
    """Migrate and load the demo data from the 2019 report (idempotent)."""
    from forum.demo.registry import SYNTHETIC, load_parts, split_synthetic

    _setup_logging()
    settings = _settings()
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    factory = make_session_factory(engine)
    for part in load_parts():
        with transaction(factory) as session:
            summary = part.load(session, settings)
        console.print(f"demo {part.name}: {summary}")
    if synthetic:
        counts = split_synthetic(synthetic)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            for name, count in counts.items():
                if not count:
                    continue
                task = progress.add_task(f"synthetic {name}", total=count)
                with factory() as session:
                    # Commit per batch: a long run keeps what it made if interrupted.
                    for done in SYNTHETIC[name].produce(session, count, seed):
                        session.commit()
                        progress.update(task, completed=done)
    engine.dispose()


user_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")
# `forum import feeds|csv|json` and `forum feeds add|list`: the intelligence repository's
# ways in besides the web forms.
import_app = typer.Typer(
    help="Import intelligence: harvest feeds, load CSV or JSON files.", no_args_is_help=True
)
app.add_typer(import_app, name="import")
feeds_app = typer.Typer(help="Manage harvested feeds.", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input")
]


def _read_password(password_stdin: bool) -> str:
    if not password_stdin:
        raise _fail("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise _fail("no password on standard input")
    return password


def _create_user(settings: Settings, email: str, name: str, role: str, password: str) -> None:
    from forum.accounts.service import AccountError, create_user

    engine = make_engine(settings.resolved_database_url, pool=False)
    try:
        with transaction(make_session_factory(engine)) as session:
            user = create_user(
                session, email=email, name=name, password=password, role=role, verified=True
            )
            user.onboarded_at = user.email_verified_at
    except AccountError as exc:
        raise _fail(str(exc)) from exc
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
    _setup_logging()
    settings = _settings()
    _require_migrated(settings)
    _create_user(settings, email, name, role, _read_password(password_stdin))
    console.print(f"created {role} {email}")


@app.command()
def init(
    admin: Annotated[str, typer.Option("--admin", help="Email address of the first admin")],
    name: Annotated[str, typer.Option("--name", help="The admin's display name")] = "Admin",
    password_stdin: PasswordStdin = False,
) -> None:
    """Set up a real instance: migrate, seed the taxonomy, create the first admin (no demo data)."""
    from forum.discussions.service import seed_categories
    from forum.taxonomy.service import seed_sectors

    _setup_logging()
    settings = _settings()
    password = _read_password(password_stdin)
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url, pool=False)
    with transaction(make_session_factory(engine)) as session:
        added = seed_sectors(session)
        categories = seed_categories(session)
    engine.dispose()
    console.print(f"taxonomy: {added} sectors added; {categories} discussion categories added")
    _create_user(settings, admin, name, "admin", password)
    console.print(f"created admin {admin}; serve with `forum serve`")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
