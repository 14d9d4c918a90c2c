"""Fixtures of the language tests: the demo data's first thread, post, reply, event...
that the page walkers (pseudo-locale and real languages) visit."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.discussions.models import Category, Post, Thread
from forum.events.models import Event
from forum.intelligence.models import Feed, IntelItem
from forum.partnerships.models import Partnership
from forum.taxonomy.models import Sector


@dataclass
class Demo:
    member: User
    admin: User
    thread: Thread
    post: Post
    reply: Post
    category: Category
    partnership: Partnership
    sector: Sector
    event: Event
    item: IntelItem
    feed: Feed | None


def _first(db: Session, stmt: object) -> object:
    found = db.scalars(stmt).first()  # type: ignore[call-overload]
    assert found is not None, f"the demo data has none: {stmt}"
    return found


@pytest.fixture
def demo(demo_db: Session, member: User, admin: User) -> Demo:
    db = demo_db
    reply = _first(db, select(Post).where(Post.parent_id.is_not(None)).order_by(Post.id))
    assert isinstance(reply, Post)
    return Demo(
        member=member,
        admin=admin,
        thread=reply.thread,
        post=_first(db, select(Post).where(Post.thread_id == reply.thread_id).order_by(Post.id)),  # type: ignore[arg-type]
        reply=reply,
        category=_first(db, select(Category).order_by(Category.id)),  # type: ignore[arg-type]
        partnership=_first(db, select(Partnership).order_by(Partnership.id)),  # type: ignore[arg-type]
        sector=_first(db, select(Sector).order_by(Sector.id)),  # type: ignore[arg-type]
        event=_first(db, select(Event).order_by(Event.id)),  # type: ignore[arg-type]
        item=_first(db, select(IntelItem).order_by(IntelItem.id)),  # type: ignore[arg-type]
        feed=db.scalars(select(Feed).order_by(Feed.id)).first(),
    )
