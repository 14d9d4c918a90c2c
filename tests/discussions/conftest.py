"""Fixtures for discussions: categories, and a factory for threads and replies."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.discussions import service
from forum.discussions.models import Category, Post, Thread
from forum.taxonomy.service import resolve_sectors, seed_sectors


@pytest.fixture
def categories(db: Session) -> dict[str, Category]:
    seed_sectors(db)
    service.seed_categories(db)
    return {c.slug: c for c in db.scalars(select(Category))}


@pytest.fixture
def members_only(db: Session, categories: dict[str, Category]) -> Category:
    category = Category(slug="staff-room", name="Staff room", visibility="members", position=99)
    db.add(category)
    db.flush()
    return category


class Threads:
    def __init__(self, db: Session, categories: dict[str, Category]) -> None:
        self.db = db
        self.categories = categories

    def start(
        self,
        author: User,
        *,
        title: str = "Entering the Japanese food market",
        body: str = "What worked for you?",
        category: str | Category = "market-intelligence",
        kind: str = "discussion",
        countries: Sequence[str] = ("JP",),
        sectors: Sequence[str] = ("food",),
    ) -> Thread:
        chosen = category if isinstance(category, Category) else self.categories[category]
        thread = service.create_thread(
            self.db,
            author,
            service.ThreadInput(
                title=title,
                body=body,
                category=chosen,
                kind=kind,
                countries=list(countries),
                sectors=resolve_sectors(self.db, list(sectors)),
            ),
            check_limits=False,
        )
        self.db.flush()
        return thread

    def reply(
        self, author: User, thread: Thread, body: str = "A reply.", parent: Post | None = None
    ) -> Post:
        post = service.reply(
            self.db,
            author,
            thread,
            body=body,
            parent_id=parent.id if parent else None,
            check_limits=False,
        )
        self.db.flush()
        return post


@pytest.fixture
def threads(db: Session, categories: dict[str, Category]) -> Threads:
    return Threads(db, categories)
