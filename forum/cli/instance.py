"""Running an instance: `forum serve`, `worker`, `demo` and `init`."""

from __future__ import annotations

import datetime as dt
import signal
from types import FrameType
from typing import Annotated

import typer

from forum.cli.common import check_migrated, cli_settings, console, progress_columns, setup_logging
from forum.cli.users import PasswordStdin, create_verified_user, read_password


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes")] = 1,
) -> None:
    """Serve the web application (and the background loops when no `forum worker` runs)."""
    import uvicorn

    setup_logging()
    settings = cli_settings()
    check_migrated(settings)
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


def worker(
    once: Annotated[bool, typer.Option(help="Run one pass and exit")] = False,
) -> None:
    """Run the background loops: outbox drains, extraction, feeds, digests, housekeeping."""
    from forum.core.db import make_engine, make_session_factory
    from forum.runner import Runner

    setup_logging()
    settings = cli_settings()
    check_migrated(settings)
    engine = make_engine(settings.resolved_database_url, **settings.engine_options())
    runner = Runner(settings, make_session_factory(engine), kind="worker")
    if once:
        from forum.discovery.drainer import Drainer
        from forum.discovery.sync import close_search_engines
        from search.engine import SearchError

        done = runner.run_once()
        drainer = Drainer(settings, runner.factory, holder=runner.holder)
        try:
            drained = drainer.run_once()
        except SearchError as exc:
            console.print(f"[yellow]search outbox not drained:[/yellow] {exc}")
        else:
            if drained.skipped_locked:
                console.print("search: another process drains the outbox")
            else:
                console.print(f"search: {drained.rows} outbox rows applied")
        finally:
            drainer.release_lease()
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


def demo(
    synthetic: Annotated[
        int, typer.Option(help="Add N synthetic documents for benchmarks", min=0)
    ] = 0,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic data")] = 0,
    shift_dates: Annotated[
        bool,
        typer.Option(
            "--shift-dates",
            help="Move the demo events so that the report's first joint mission (November 2018) falls in this month",
        ),
    ] = False,
) -> None:
    """Migrate and load the demo data from the 2019 report (idempotent)."""
    from rich.progress import Progress

    from forum.cli.search_index import reindex_with_progress
    from forum.core.db import make_engine, make_session_factory, transaction
    from forum.demo import events as demo_events
    from forum.demo.registry import SYNTHETIC, split_synthetic
    from forum.migrate import upgrade
    from forum.plugins import demo_parts

    setup_logging()
    settings = cli_settings()
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url, **settings.engine_options())
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
        with Progress(*progress_columns(), console=console) as progress:
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
    reindex_with_progress(settings, factory)
    engine.dispose()


def init(
    admin: Annotated[str, typer.Option("--admin", help="Email address of the first admin")],
    name: Annotated[str, typer.Option("--name", help="The admin's display name")] = "Admin",
    password_stdin: PasswordStdin = False,
) -> None:
    """Set up a real instance: migrate, seed the taxonomy, create the first admin (no demo data)."""
    from forum.core.db import make_engine, make_session_factory, transaction
    from forum.discussions.admin_service import seed_categories
    from forum.intelligence.known_feeds import seed_known_feeds
    from forum.migrate import upgrade
    from forum.taxonomy.service import seed_sectors

    setup_logging()
    settings = cli_settings()
    password = read_password(password_stdin)
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url, pool=False)
    with transaction(make_session_factory(engine)) as session:
        added = seed_sectors(session)
        categories = seed_categories(session)
        feeds = seed_known_feeds(session)
    engine.dispose()
    console.print(f"taxonomy: {added} sectors added; {categories} discussion categories added")
    console.print(f"feeds: {feeds} public feeds added, disabled (enable them at /admin/feeds)")
    create_verified_user(settings, admin, name, "admin", password)
    console.print(f"created admin {admin}; serve with `forum serve`")
