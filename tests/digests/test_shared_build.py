"""Digests built one after the other from one set of candidates share what says nothing
about a member (the pools' masks, the entries per language and time zone:
`Candidates.shared`), and never what does: each member still gets only what their own
rules let through, whoever was built first."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from forum.core.config import Settings
from forum.core.db import utcnow
from forum.digests.news import load_candidates
from forum.discussions.models import Category
from forum.intelligence import writes as intel_writes
from forum.notifications.service import follow
from tests.conftest import People
from tests.digests.test_content import WEEK, add_item, digest_for, practice, section, titles


@pytest.fixture
def now() -> dt.datetime:
    return utcnow()


@pytest.mark.parametrize("author_first", [True, False])
def test_members_with_the_same_follows_each_get_only_what_they_may(
    db: Session,
    settings: Settings,
    people: People,
    moderator: object,
    members_only: Category,
    sectors: None,
    now: dt.datetime,
    author_first: bool,
) -> None:
    author, other, writer = people.make(), people.make(), people.make()
    other.language = "fr"
    for member in (author, other):
        follow(db, member.id, "country", "JP")
        follow(db, member.id, "sector", "food")
    add_item(db, author, title="The author's own item")
    add_item(db, writer, title="Tokyo food fair", deadline=now + dt.timedelta(days=3),
             kind="funding_call")  # fmt: skip
    withdrawn = add_item(db, writer, title="Withdrawn item")
    intel_writes.set_status(db, moderator, withdrawn, "withdrawn", reason="Spam")  # type: ignore[arg-type]
    shown = practice(db, writer, title="Our Tokyo pavilion")
    hidden = practice(db, writer, title="Hidden practice")
    hidden.hidden_at = utcnow()
    own_practice = practice(db, author, title="The author's practice")
    db.flush()
    candidates = load_candidates(
        db, window_start=now - WEEK, window_end=now + dt.timedelta(minutes=1), now=now
    )

    order = [author, other] if author_first else [other, author]
    built = {m.id: digest_for(db, settings, m, now, candidates=candidates) for m in order}

    mine, theirs = built[author.id], built[other.id]
    assert titles(mine, "intel") == ["Tokyo food fair"]
    assert titles(theirs, "intel") == ["Tokyo food fair", "The author's own item"]
    assert titles(mine, "deadlines") == titles(theirs, "deadlines") == ["Tokyo food fair"]
    assert titles(mine, "good_practices") == [shown.title]
    assert sorted(titles(theirs, "good_practices")) == sorted([shown.title, own_practice.title])
    # Each in their own language: the shared entries are kept per language.
    assert "Japan" in section(mine, "intel").entries[0].meta
    assert "Japon" in section(theirs, "intel").entries[0].meta
    # Each member's own links (their tokens), never the other's.
    mute_mine = {url for _, url in section(mine, "intel").follow_links}
    mute_theirs = {url for _, url in section(theirs, "intel").follow_links}
    assert mute_mine and mute_theirs and not mute_mine & mute_theirs
