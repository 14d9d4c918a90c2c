"""A digest lists specific items before broad ones, and among each, the items matching a
followed country and a followed sector before those matching only one; each group newest
first."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.core.config import Settings
from forum.notifications.service import follow
from forum.taxonomy.models import Sector
from tests.conftest import People
from tests.digests.test_content import add_item, digest_for, section
from tests.intelligence.test_specific_first import REPORT_COUNTRIES


def test_specific_items_then_both_matches_come_first_in_a_digest(
    db: Session, settings: Settings, people: People, sectors: None
) -> None:
    now = dt.datetime.now(dt.UTC)
    reader, writer = people.make(), people.make()
    follow(db, reader.id, "country", "JP")
    follow(db, reader.id, "sector", "food")
    every_sector = list(db.scalars(select(Sector.slug)))

    def added(hours: int) -> dt.datetime:
        return now - dt.timedelta(hours=hours)

    # Newest first as written; the digest's order is the reverse of the newest.
    add_item(db, writer, title="Report", countries=REPORT_COUNTRIES, sectors=every_sector,
             added_at=added(1))  # fmt: skip
    add_item(db, writer, title="Japan only", countries=["JP"], sectors=["healthcare"],
             added_at=added(2))  # fmt: skip
    add_item(db, writer, title="Food only", countries=["US"], sectors=["food"],
             added_at=added(3))  # fmt: skip
    add_item(db, writer, title="Japan food", added_at=added(4))
    add_item(db, writer, title="Older Japan food", added_at=added(5))
    db.flush()

    digest = digest_for(db, settings, reader, now)

    assert [e.title for e in section(digest, "intel").entries] == [
        "Japan food", "Older Japan food", "Japan only", "Food only", "Report",
    ]  # fmt: skip


def test_a_member_following_nothing_sees_specific_highlights_first(
    db: Session, settings: Settings, people: People, sectors: None
) -> None:
    now = dt.datetime.now(dt.UTC)
    reader, writer, follower = people.make(), people.make(), people.make()
    follow(db, follower.id, "country", "JP")
    every_sector = list(db.scalars(select(Sector.slug)))
    add_item(db, writer, title="Report", countries=REPORT_COUNTRIES, sectors=every_sector,
             added_at=now - dt.timedelta(hours=1))  # fmt: skip
    add_item(db, writer, title="Korea food", countries=["KR"],
             added_at=now - dt.timedelta(hours=2))  # fmt: skip
    db.flush()

    digest = digest_for(db, settings, reader, now)

    assert digest.highlights
    assert [e.title for e in section(digest, "highlights").entries] == ["Korea food", "Report"]
