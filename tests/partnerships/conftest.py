"""Fixtures for the partnership tests: the report's partnerships and agreements only.

`demo_db` loads every demo part (threads, intelligence, events ...), several seconds a test;
tests that need only the directory take `report_db`, which loads the parts they need.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from forum.core.config import Settings

REPORT_PARTS = ("sectors", "partnerships", "agreements")


@pytest.fixture
def report_db(db: Session, settings: Settings) -> Session:
    """The report's sectors, partnerships and cooperation agreements (rolled back after)."""
    from forum.plugins import demo_parts

    for part in demo_parts():
        if part.name in REPORT_PARTS:
            part.load(db, settings)
    db.flush()
    return db
