"""The demo members follow their partnership's targets, so a demo digest is full at once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.accounts.service import get_user_by_email
from forum.core.config import Settings
from forum.digests.service import get_preferences, preview_digest
from forum.notifications.models import EmailSettings, Follow
from forum.plugins import demo_parts


def demo_member(db: Session, slug: str) -> User:
    user = get_user_by_email(db, f"demo+{slug}@example.invalid")
    assert user is not None, slug
    return user


def test_each_demo_member_follows_its_partnerships_countries_and_sectors(
    demo_db: Session,
) -> None:
    member = demo_member(demo_db, "laser-go-global")
    partnership = member.partnership
    assert partnership is not None
    prefs = get_preferences(demo_db, member)
    assert prefs.countries == sorted(partnership.country_codes)
    assert set(prefs.countries) == {"AU", "CA", "IL", "JP", "KR", "NZ", "SG", "US"}
    assert prefs.sectors == sorted(s.slug for s in partnership.sectors)
    assert prefs.sectors


def test_a_demo_member_previews_a_digest_with_something_in_it(
    demo_db: Session, settings: Settings
) -> None:
    member = demo_member(demo_db, "laser-go-global")
    digest = preview_digest(demo_db, settings, member)
    assert not digest.is_empty
    assert not digest.highlights
    assert "intel" in [s.key for s in digest.sections]


def test_demo_accounts_get_no_immediate_email_and_the_part_is_idempotent(
    demo_db: Session, settings: Settings
) -> None:
    member = demo_member(demo_db, "laser-go-global")
    row = demo_db.get(EmailSettings, member.id)
    assert row is not None
    assert not (row.notify_replies or row.notify_mentions or row.notify_thread_posts)
    before = demo_db.scalars(select(Follow.id).order_by(Follow.id)).all()
    (part,) = [p for p in demo_parts() if p.name == "follows"]
    part.load(demo_db, settings)
    demo_db.flush()
    assert demo_db.scalars(select(Follow.id).order_by(Follow.id)).all() == before
