"""The `forum` command: serve, migrate, demo, worker (later issues add their commands)."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session, sessionmaker

from forum.core.config import Settings, load_settings
from forum.core.db import make_engine, make_session_factory, transaction
from forum.migrate import NotMigratedError, require_migrated, upgrade

if TYPE_CHECKING:
    from forum.accounts.models import User

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
    from forum.runner import Runner

    _setup_logging()
    settings = _settings()
    _require_migrated(settings)
    engine = make_engine(settings.resolved_database_url)
    runner = Runner(settings, make_session_factory(engine), kind="worker")
    if once:
        from forum.discovery.sync import Drainer, close_search_engines
        from search.engine import SearchError

        done = runner.run_once()
        try:
            drained = Drainer(settings, runner.factory).run_once()
        except SearchError as exc:
            console.print(f"[yellow]search outbox not drained:[/yellow] {exc}")
        else:
            console.print(f"search: {drained.rows} outbox rows applied")
        finally:
            close_search_engines()
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
    shift_dates: Annotated[
        bool,
        typer.Option(
            "--shift-dates",
            help="Move the demo events so that May 2019 (the report) is this month",
        ),
    ] = False,
) -> None:
    """Migrate and load the demo data from the 2019 report (idempotent)."""
    from forum.demo import events as demo_events
    from forum.demo.registry import SYNTHETIC, split_synthetic
    from forum.plugins import demo_parts

    _setup_logging()
    settings = _settings()
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    factory = make_session_factory(engine)
    for part in demo_parts():
        with transaction(factory) as session:
            summary = part.load(session, settings)
        console.print(f"demo {part.name}: {summary}")
    # Loading put the report's dates back: shift them again, or say they are not shifted.
    if shift_dates:
        today = dt.datetime.now(dt.UTC).date()
        with transaction(factory) as session:
            months, moved = demo_events.shift_demo_dates(session, today=today)
        demo_events.write_shift_marker(settings, months=months, today=today)
        console.print(f"demo dates shifted: {moved} events moved {months} months later")
    else:
        demo_events.clear_shift_marker(settings)
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
    # What the demo loaded becomes searchable now, not when a worker first drains it.
    _reindex(settings, factory)
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
search_app = typer.Typer(help="The search index: rebuild it, see how it is.", no_args_is_help=True)
app.add_typer(search_app, name="search")
digest_app = typer.Typer(
    help="Email digests: send the due ones, preview one.", no_args_is_help=True
)
app.add_typer(digest_app, name="digest")


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
    from forum.intelligence.known_feeds import seed_known_feeds
    from forum.taxonomy.service import seed_sectors

    _setup_logging()
    settings = _settings()
    password = _read_password(password_stdin)
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url, pool=False)
    with transaction(make_session_factory(engine)) as session:
        added = seed_sectors(session)
        categories = seed_categories(session)
        feeds = seed_known_feeds(session)
    engine.dispose()
    console.print(f"taxonomy: {added} sectors added; {categories} discussion categories added")
    console.print(f"feeds: {feeds} public feeds added, disabled (enable them at /admin/feeds)")
    _create_user(settings, admin, name, "admin", password)
    console.print(f"created admin {admin}; serve with `forum serve`")


# --- feeds: `forum import feeds`, `forum feeds add|list` ---------------------------------


@import_app.command("feeds")
def import_feeds(
    all_feeds: Annotated[
        bool, typer.Option("--all", help="Every enabled feed, due or not")
    ] = False,
    feed: Annotated[
        list[str] | None,
        typer.Option("--feed", help="A feed's number or URL (repeatable), even if disabled"),
    ] = None,
) -> None:
    """Harvest the due feeds now: every enabled one with --all, or the ones named with --feed.

    Exits 1 when every feed harvested failed.
    """
    from forum.intelligence import feed_admin, harvest, harvest_store

    _setup_logging()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per feed is printed below
    settings = _settings()
    _require_migrated(settings)
    engine = make_engine(settings.resolved_database_url)
    factory = make_session_factory(engine)
    try:
        with factory() as session:
            if feed:
                ids = []
                for wanted in feed:
                    found = feed_admin.find_feed(session, wanted)
                    if found is None:
                        raise _fail(f"no feed {wanted!r}: give its number or its exact URL", 2)
                    ids.append(found.id)
            elif all_feeds:
                ids = harvest.enabled_feed_ids(session)
            else:
                ids = harvest.due_feed_ids(session)
            names = {f.id: f.name for f in feed_admin.list_feeds(session)}
        if not ids:
            console.print("no feed is due" if not all_feeds else "no feed is enabled")
            return
        results: list[harvest_store.HarvestResult] = []
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("harvesting feeds", total=len(ids))

            def show(result: harvest_store.HarvestResult) -> None:
                results.append(result)
                colour = "red" if result.failed else "green"
                progress.console.print(
                    f"[{colour}]#{result.feed_id} {names.get(result.feed_id, result.name)}:"
                    f"[/{colour}] {result.summary()}"
                )
                progress.advance(task)

            harvest.harvest_due(
                factory, feed_ids=ids, force=bool(feed or all_feeds), on_result=show,
                deadline=settings.fetch_deadline, concurrency=settings.harvest_concurrency,
            )  # fmt: skip
    finally:
        engine.dispose()
    added = sum(r.added for r in results)
    failed = sum(1 for r in results if r.failed)
    console.print(f"{len(results)} feeds harvested: {added} new items, {failed} failed")
    if results and failed == len(results):
        raise typer.Exit(1)


@feeds_app.command("add")
def feeds_add(
    url: Annotated[str, typer.Argument(help="The RSS or Atom feed's address")],
    name: Annotated[str, typer.Option("--name", help="Shown as the items' source")] = "",
    countries: Annotated[
        str, typer.Option("--countries", help="ISO codes or region groups: JP,KR,g:asean")
    ] = "",
    sectors: Annotated[str, typer.Option("--sectors", help="Sector slugs: food,healthcare")] = "",
    kind: Annotated[str, typer.Option("--kind", help="The items' kind: news, tender ...")] = "news",
    interval: Annotated[
        str, typer.Option("--interval", help="Minutes (360) or with a unit (90m, 6h, 1d)")
    ] = "6h",
    auto_publish: Annotated[
        bool, typer.Option("--auto-publish", help="Publish at once instead of sending to review")
    ] = False,
    enable: Annotated[bool, typer.Option("--enable", help="Harvest it when due")] = False,
    source_url: Annotated[str, typer.Option("--source-url", help="The publisher's site")] = "",
) -> None:
    """Add a feed to harvest (disabled unless --enable). Exits 2 on invalid settings."""
    from forum.intelligence import feed_admin
    from forum.intelligence.fetch_guard import private_feeds_allowed

    settings = _settings()
    _require_migrated(settings)
    data = feed_admin.FeedSettings(
        name=name,
        countries=feed_admin.split_codes(countries),
        sectors=feed_admin.split_codes(sectors),
        kind=kind,
        interval=interval,
        auto_publish=auto_publish,
        enabled=enable,
        source_url=source_url,
    )
    engine = make_engine(settings.resolved_database_url, pool=False)
    try:
        with transaction(make_session_factory(engine)) as session:
            feed, warning = feed_admin.create_feed(
                session, None, url, data, allow_private=private_feeds_allowed(),
                deadline=settings.fetch_deadline,
            )  # fmt: skip
            summary = (
                f"added feed #{feed.id} {feed.name}: {feed.default_kind}, every "
                f"{feed_admin.format_interval(feed.interval_minutes)}, "
                f"{'auto-publish' if feed.auto_publish else 'to review'}, "
                f"{'enabled' if feed.enabled else 'disabled'}"
            )
    except feed_admin.FeedSettingsError as exc:
        for message in exc.errors.values():
            console.print(f"[red]error:[/red] {message}")
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    console.print(summary)
    if warning:
        console.print(f"[yellow]warning:[/yellow] {warning}")


@feeds_app.command("list")
def feeds_list() -> None:
    """Every feed, one tab-separated line each: id, name, enabled, last status, items, next, URL."""
    from forum.intelligence import feed_admin

    settings = _settings()
    _require_migrated(settings)
    engine = make_engine(settings.resolved_database_url, pool=False)
    try:
        with make_session_factory(engine, writer=False)() as session:
            feeds = feed_admin.list_feeds(session)
    finally:
        engine.dispose()
    if not feeds:
        console.print("no feeds: add one with `forum feeds add URL`")
        return
    typer.echo("id\tname\tharvesting\tlast status\titems added\tnext harvest\turl")
    for f in feeds:
        status = f.last_status or "never harvested"
        if f.last_error:
            status += f": {' '.join(f.last_error.split())[:120]}"
        upcoming = f.next_fetch_at.strftime("%Y-%m-%d %H:%M UTC") if f.next_fetch_at else "-"
        typer.echo(
            f"{f.id}\t{f.name}\t{'enabled' if f.enabled else 'disabled'}\t{status}\t"
            f"{f.items_added}\t{upcoming if f.enabled else '-'}\t{f.url}"
        )


# --- `forum import csv|json FILE` -------------------------------------------------------

ImportFile = Annotated[
    Path, typer.Argument(help="The file: UTF-8, one item per row (CSV) or list entry (JSON)")
]
SkipInvalid = Annotated[
    bool,
    typer.Option("--skip-invalid", help="Import the valid rows and list the invalid ones"),
]


def _import_items(fmt: str, file: Path, skip_invalid: bool) -> None:
    from forum.intelligence.importer import run_import

    settings = _settings()
    _require_migrated(settings)
    code = run_import(settings, file, fmt, skip_invalid=skip_invalid, console=console)
    if code:
        raise typer.Exit(code)


@import_app.command("csv")
def import_csv(file: ImportFile, skip_invalid: SkipInvalid = False) -> None:
    """Load items from a CSV file whose header names the fields of POST /api/v1/intel.

    Columns: title, summary, body, kind, countries and sectors (separated by ; or ,), url,
    source_name, source_url, published_at, deadline (YYYY-MM-DD), status (published, review
    or draft; default published), language. Every row is checked first; exits 1 and
    imports nothing when a row is invalid (unless --skip-invalid), 2 when the file
    cannot be read.
    """
    _import_items("csv", file, skip_invalid)


@import_app.command("json")
def import_json(file: ImportFile, skip_invalid: SkipInvalid = False) -> None:
    """Load items from a JSON list of objects with the fields of POST /api/v1/intel.

    The keys are the CSV columns; countries and sectors are lists. Same checks and exit
    codes as `forum import csv`.
    """
    _import_items("json", file, skip_invalid)


def _progress_columns() -> tuple[object, ...]:
    return (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )


def _reindex(settings: Settings, factory: sessionmaker[Session]) -> None:
    from forum.discovery.sync import close_search_engines, reindex, search_engine
    from search.engine import SearchError

    with Progress(*_progress_columns(), console=console) as progress:  # type: ignore[arg-type]
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
            raise _fail(f"search reindex failed: {exc}") from exc
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
    _setup_logging()
    settings = _settings()
    _require_migrated(settings)
    engine = make_engine(settings.resolved_database_url)
    try:
        _reindex(settings, make_session_factory(engine))
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

    from forum.discovery.sync import search_status

    settings = _settings()
    _require_migrated(settings)
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


# --- digests: `forum digest send|preview` ------------------------------------------------

DigestUser = Annotated[str | None, typer.Option("--user", help="Only this member (email address)")]


def _member_by_email(session: Session, email: str) -> User:
    from forum.accounts.service import get_user_by_email

    user = get_user_by_email(session, email)
    if user is None:
        raise _fail(f"no member with the address {email!r}", 2)
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
    from forum.core.db import utcnow
    from forum.digests.planner import due_members, not_sendable, plan
    from forum.digests.sender import SendReport, send_pending
    from forum.notifications.models import EmailSettings

    _setup_logging()
    settings = _settings()
    _require_migrated(settings)
    engine = make_engine(settings.resolved_database_url)
    factory = make_session_factory(engine)
    moment = utcnow()
    try:
        user_ids: list[int] | None = None
        if user:
            with factory() as session:
                member = _member_by_email(session, user)
                reason = not_sendable(member, session.get(EmailSettings, member.id))
            if reason:
                raise _fail(f"{member.email} gets no digest: {reason}")
            user_ids = [member.id]
        planned = []
        if dry_run:
            with factory() as session:
                planned = [due for due, _ in plan(session, moment, force=now, user_ids=user_ids)]
        else:
            with transaction(factory) as session:
                due_members(session, moment, settings=settings, force=now, user_ids=user_ids)
        with Progress(*_progress_columns(), console=console) as progress:  # type: ignore[arg-type]
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
        raise _fail(f"stopped early: {report.stopped}")


@digest_app.command("preview")
def digest_preview(
    user: Annotated[str, typer.Option("--user", help="The member (email address)")],
) -> None:
    """Print the text version of the member's digest as it would be sent now."""
    from forum.digests.render import digest_text
    from forum.digests.service import preview_digest

    settings = _settings()
    _require_migrated(settings)
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


BackupDir = Annotated[Path, typer.Argument(help="The backup directory")]


@app.command("backup")
def backup_command(target: BackupDir) -> None:
    """Back up the database, the uploads and the generated secret key into DIR (new or empty).
    Safe while the forum runs. The search index is not included: restore rebuilds it."""
    from forum.backup import BackupError, backup

    _setup_logging()
    settings = _settings()
    try:
        manifest = backup(settings, target, step=lambda msg: console.print(f"[cyan]*[/cyan] {msg}"))
    except BackupError as exc:
        raise _fail(str(exc)) from exc
    size = sum(int(str(f["bytes"])) for f in manifest.files)
    console.print(
        f"backup written to {target}: {len(manifest.files)} files, {size / 1e6:.1f} MB, "
        f"schema {manifest.alembic_revision} ({manifest.dialect})"
    )


@app.command("restore")
def restore_command(
    source: BackupDir,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that already holds data")
    ] = False,
) -> None:
    """Restore a backup made by `forum backup`: check its checksums, put back the database,
    uploads and key, migrate to head, rebuild the search index. Stop the forum first."""
    from forum.backup import BackupError, restore

    _setup_logging()
    settings = _settings()
    try:
        manifest = restore(
            settings, source, force=force, step=lambda msg: console.print(f"[cyan]*[/cyan] {msg}")
        )
    except BackupError as exc:
        raise _fail(str(exc)) from exc
    engine = make_engine(settings.resolved_database_url)
    try:
        _reindex(settings, make_session_factory(engine))
    finally:
        engine.dispose()
    console.print(f"restored the backup of {manifest.created_at} from {source}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
