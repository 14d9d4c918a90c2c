"""Follow and unfollow: every target type, validated, and the buttons on the pages."""

from __future__ import annotations

import html
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.discussions.models import Category, Thread
from forum.notifications.models import Follow
from forum.notifications.service import follow_state
from forum.partnerships.models import Partnership
from forum.partnerships.service import get_partnership_by_slug
from forum.taxonomy.service import seed_sectors
from tests.conftest import Client, sign_in


@dataclass
class Things:
    partnership: Partnership
    category: Category
    members_category: Category
    thread: Thread
    hidden_thread: Thread
    members_thread: Thread


@pytest.fixture
def things(db: Session, member: User) -> Things:
    seed_sectors(db)
    partnership = Partnership(slug="test-partnership", name="Test Partnership")
    public = Category(slug="market-intelligence", name="Market intelligence")
    staff = Category(slug="staff-room", name="Staff room", visibility="members")
    db.add_all([partnership, public, staff])
    db.flush()
    thread = Thread(category_id=public.id, title="Entering Japan", author_id=member.id)
    hidden = Thread(category_id=public.id, title="Spam", hidden_at=utcnow())
    inner = Thread(category_id=staff.id, title="Members only")
    db.add_all([thread, hidden, inner])
    db.flush()
    return Things(partnership, public, staff, thread, hidden, inner)


def _follows(db: Session, user: User) -> set[tuple[str, str]]:
    rows = db.execute(select(Follow.target_type, Follow.target).where(Follow.user_id == user.id))
    return {(kind, target) for kind, target in rows}


def _valid(things: Things) -> list[tuple[str, str, str, str]]:
    """(target_type, target as posted, target as stored, label in the flash)."""
    return [
        ("country", "jp", "JP", "Japan"),
        ("region_group", "G:ASEAN", "g:asean", "ASEAN"),
        ("sector", "healthcare", "healthcare", "Healthcare"),
        ("partnership", str(things.partnership.id), str(things.partnership.id), "Test Partnership"),
        ("category", "market-intelligence", "market-intelligence", "Market intelligence"),
        ("category", "staff-room", "staff-room", "Staff room"),
        ("thread", str(things.thread.id), str(things.thread.id), "“Entering Japan”"),
        ("thread", str(things.members_thread.id), str(things.members_thread.id), "“Members only”"),
    ]


def test_follow_and_unfollow_each_target_type(
    as_member: Client, db: Session, member: User, things: Things
) -> None:
    for target_type, posted, stored, label in _valid(things):
        data = {"target_type": target_type, "target": posted, "next": "/countries/JP"}
        followed = as_member.post_form("/follow", data)
        assert followed.status_code == 303, (target_type, followed.text)  # type: ignore[attr-defined]
        assert followed.headers["location"] == "/countries/JP"  # type: ignore[attr-defined]
        assert (target_type, stored) in _follows(db, member)
        assert follow_state(db, member.id, target_type, stored)
        shown = html.unescape(as_member.get("/countries/JP").text)
        assert f"You follow {label}" in shown

        # Following twice keeps one row.
        as_member.post_form("/follow", data)
        assert len([f for f in _follows(db, member) if f == (target_type, stored)]) == 1

        unfollowed = as_member.post_form("/unfollow", data)
        assert unfollowed.status_code == 303  # type: ignore[attr-defined]
        assert (target_type, stored) not in _follows(db, member)
        assert "You no longer follow" in html.unescape(as_member.get("/countries/JP").text)


@pytest.mark.parametrize(
    ("target_type", "target", "message"),
    [
        ("country", "XX", "'XX' is not an ISO 3166-1 country code."),
        ("country", "Japan", "is not an ISO 3166-1 country code."),
        ("country", "g:asean", "is not an ISO 3166-1 country code."),
        ("region_group", "g:atlantis", "'g:atlantis' is not a region group we know."),
        ("sector", "alchemy", "'alchemy' is not a sector we know."),
        ("partnership", "999999", "There is no partnership '999999'."),
        ("partnership", "test-partnership", "There is no partnership"),
        ("category", "no-such-category", "is not a category we know."),
        ("thread", "999999", "There is no thread '999999'."),
        ("thread", "abc", "There is no thread 'abc'."),
        ("user", "1", "'user' is not something you can follow."),
    ],
)
def test_invalid_targets_are_refused_with_a_message(
    as_member: Client,
    db: Session,
    member: User,
    things: Things,
    target_type: str,
    target: str,
    message: str,
) -> None:
    before = _follows(db, member)
    for action in ("/follow", "/unfollow"):
        response = as_member.post_form(
            action, {"target_type": target_type, "target": target, "next": "/"}
        )
        assert response.status_code == 422  # type: ignore[attr-defined]
        assert message in html.unescape(response.text)  # type: ignore[attr-defined]
    assert _follows(db, member) == before


def test_a_thread_the_member_cannot_see_cannot_be_followed(
    as_member: Client, db: Session, member: User, things: Things
) -> None:
    hidden = str(things.hidden_thread.id)
    response = as_member.post_form("/follow", {"target_type": "thread", "target": hidden})
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert f"There is no thread '{hidden}'." in html.unescape(response.text)  # type: ignore[attr-defined]
    assert ("thread", hidden) not in _follows(db, member)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/sectors/healthcare", "/sectors/healthcare"),
        ("/threads/1?page=2", "/threads/1?page=2"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_follow_goes_back_only_to_a_local_page(
    as_member: Client, things: Things, next_url: str, expected: str
) -> None:
    response = as_member.post_form(
        "/follow", {"target_type": "country", "target": "JP", "next": next_url}
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == expected  # type: ignore[attr-defined]


def test_a_visitor_who_presses_follow_is_asked_to_log_in(client: Client, db: Session) -> None:
    response = client.post_form(
        "/follow", {"target_type": "country", "target": "JP", "next": "/countries/JP"}
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/login?next=%2Fcountries%2FJP"  # type: ignore[attr-defined]
    assert db.scalar(select(Follow.id)) is None


def _button(page_html: str, action: str, target_type: str, target: str, text: str) -> None:
    assert f'action="{action}"' in page_html
    assert f'name="target_type" value="{target_type}"' in page_html
    assert f'name="target" value="{target}"' in page_html
    assert f"{text}</button>" in page_html


def test_follow_buttons_on_the_country_sector_and_partnership_pages(
    client: Client, demo_db: Session, member: User
) -> None:
    partnership = get_partnership_by_slug(demo_db, "laser-go-global")
    assert partnership is not None
    pages = [
        ("/countries/JP", "country", "JP", "Japan"),
        ("/sectors/healthcare", "sector", "healthcare", "Healthcare"),
        ("/partnerships/laser-go-global", "partnership", str(partnership.id), partnership.name),
    ]
    for path, *_, label in pages:
        anonymous = client.get(path).text
        assert f"Log in to follow {label}</a>" in anonymous
        assert 'action="/follow"' not in anonymous
    sign_in(client, demo_db, member)
    for path, target_type, target, label in pages:
        page = client.get(path).text
        _button(page, "/follow", target_type, target, f"Follow {label}")
        assert f'name="next" value="{path}"' in page
        client.post_form("/follow", {"target_type": target_type, "target": target, "next": path})
        again = client.get(path).text
        _button(again, "/unfollow", target_type, target, f"Unfollow {label}")
