"""A migrated SQLite database in a temporary folder, with the report's demo data and a
synthetic mass of one kind of row: what several benchmarks measure against."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from forum.core.config import Settings
from forum.core.db import make_engine, make_session_factory, transaction
from forum.demo.registry import SYNTHETIC
from forum.migrate import upgrade
from forum.plugins import demo_parts


def demo_database(
    data_dir: Path, *, synthetic: str, count: int
) -> tuple[Settings, Engine, sessionmaker[Session]]:
    """Settings for `data_dir`, its engine and session factory, once the demo parts and
    `count` rows of the `synthetic` producer (seed 1) are in."""
    settings = Settings(data_dir=data_dir, secret_key="bench", embedded_worker=False)
    settings.ensure_data_dir()
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    factory = make_session_factory(engine)
    for part in demo_parts():
        with transaction(factory) as session:
            part.load(session, settings)
    with transaction(factory) as session:
        for _ in SYNTHETIC[synthetic].produce(session, count, 1):
            pass
    return settings, engine, factory
