"""The notifications page: newest first, paginated, marked read one by one or all at once."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import event
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.discussions import moderation
from forum.notifications.models import Notification
from forum.notifications.service import WITHHELD_TEXT, notify, unread_count
from tests.conftest import Client, Threads, sign_in


def _notes(db: Session, user: User, count: int, *, start: int = 0) -> list[Notification]:
    """`count` notifications for `user`, the highest number the newest."""
    now = utcnow()
    made = []
    for n in range(start, start + count):
        note = notify(
            db,
            user_id=user.id,
            kind="reply",
            text=f"Reply number {n:03d}",
            url=f"/posts/{1000 + n}",
        )
        assert note is not None
        note.created_at = now - dt.timedelta(minutes=start + count - n)
        made.append(note)
    db.flush()
    return made


def _header_count(page_html: str) -> int | None:
    found = re.search(
        r'<a href="/notifications"[^>]*>Notifications <span class="badge">(\d+)</span>'
        r'<span class="visually-hidden"> unread</span></a>',
        page_html,
    )
    return int(found.group(1)) if found else None


def test_the_notifications_page_needs_a_member(client: Client) -> None:
    response = client.get("/notifications")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fnotifications"
    assert client.post_form("/notifications/read", {}).status_code == 303  # type: ignore[attr-defined]


def test_an_empty_page_says_what_will_show_here(as_member: Client) -> None:
    page = as_member.get("/notifications")
    assert page.status_code == 200
    assert page.text.count("<h1") == 1
    assert "Nothing yet" in page.text
    assert "Mark all as read" not in page.text
    assert _header_count(page.text) is None
    assert '<a href="/notifications" aria-current="page">Notifications</a>' in page.text


def test_notifications_are_listed_newest_first_thirty_a_page(
    as_member: Client, db: Session, member: User
) -> None:
    _notes(db, member, 35)
    first = as_member.get("/notifications")
    texts = re.findall(r"Reply number (\d{3})", first.text)
    assert texts == [f"{n:03d}" for n in range(34, 4, -1)]
    assert 'href="/notifications?page=2"' in first.text
    assert "1–30 of 35" in first.text
    second = as_member.get("/notifications?page=2")
    assert re.findall(r"Reply number (\d{3})", second.text) == ["004", "003", "002", "001", "000"]
    assert 'href="/notifications"' in second.text  # back to page one
    beyond = as_member.get("/notifications?page=9")
    assert "No notifications on this page" in beyond.text
    assert "Reply number" not in beyond.text


def test_unread_notifications_are_marked_and_the_header_counts_them(
    as_member: Client, db: Session, member: User
) -> None:
    unread, read = _notes(db, member, 2)
    read.read_at = utcnow()
    db.flush()
    page = as_member.get("/notifications")
    assert _header_count(page.text) == 1
    assert page.text.count('<span class="badge badge-info">Unread</span>') == 1
    # The unread one opens through a POST that marks it read; the read one is a plain link.
    assert f'action="/notifications/{unread.id}/read"' in page.text
    assert f'href="{read.url}"' in page.text
    # Every page's header carries the count, for signed-in members only.
    assert _header_count(as_member.get("/privacy").text) == 1


def test_opening_a_notification_marks_it_read_and_goes_to_it(
    as_member: Client, db: Session, member: User
) -> None:
    [note] = _notes(db, member, 1)
    response = as_member.post_form(f"/notifications/{note.id}/read", {})
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == note.url  # type: ignore[attr-defined]
    db.refresh(note)
    assert note.read_at is not None
    assert _header_count(as_member.get("/notifications").text) is None


def test_mark_all_read_clears_the_header_count(
    as_member: Client, db: Session, member: User, other_member: User
) -> None:
    _notes(db, member, 3)
    _notes(db, other_member, 2)
    assert _header_count(as_member.get("/notifications").text) == 3
    response = as_member.post_form("/notifications/read", {})
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/notifications"  # type: ignore[attr-defined]
    after = as_member.get("/notifications")
    assert _header_count(after.text) is None
    assert "All your notifications are marked read." in html.unescape(after.text)
    assert "Unread</span>" not in after.text
    assert unread_count(db, member.id) == 0
    assert unread_count(db, other_member.id) == 2  # someone else's stay as they were


def test_another_members_notification_is_not_found(
    as_member: Client, db: Session, other_member: User
) -> None:
    [theirs] = _notes(db, other_member, 1)
    response = as_member.post_form(f"/notifications/{theirs.id}/read", {})
    assert response.status_code == 404  # type: ignore[attr-defined]
    db.refresh(theirs)
    assert theirs.read_at is None
    assert as_member.post_form("/notifications/999999/read", {}).status_code == 404  # type: ignore[attr-defined]


def test_a_notification_never_redirects_off_the_site(
    as_member: Client, db: Session, member: User
) -> None:
    note = notify(db, user_id=member.id, kind="mention", text="Odd", url="https://evil.example/")
    assert note is not None
    db.flush()
    response = as_member.post_form(f"/notifications/{note.id}/read", {})
    assert response.headers["location"] == "/notifications"  # type: ignore[attr-defined]


def test_the_header_count_costs_one_query_and_only_for_members(
    client: Client, db: Session, member: User
) -> None:
    _notes(db, member, 2)
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "FROM notification" in statement:
            statements.append(statement)

    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert _header_count(client.get("/privacy").text) is None
        assert statements == []
        sign_in(client, db, member)
        assert _header_count(client.get("/privacy").text) == 2
        assert len(statements) == 1 and "count(" in statements[0].lower()
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_a_notification_about_a_thread_hidden_since_keeps_its_date_but_not_its_title(
    client: Client,
    db: Session,
    member: User,
    other_member: User,
    moderator: User,
    threads: Threads,
) -> None:
    thread = threads.start(member, title="Buyers in Osaka")
    threads.reply(other_member, thread, "I know two.")
    moderation.hide_thread(db, moderator, thread, reason="Spam.")
    threads.start(other_member, title="Fairs in Lyon")
    db.flush()
    sign_in(client, db, member)

    page = client.get("/notifications").text
    exported = client.get("/profile/export").json()["notifications"]

    assert "Buyers in Osaka" not in page
    assert html.escape(WITHHELD_TEXT) in page
    (note,) = exported
    assert (note["text"], note["url"]) == (WITHHELD_TEXT, "")
    assert note["created_at"]
