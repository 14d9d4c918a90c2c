"""What each member has read (forum/discussions/reading.py): unread counts, "new" threads,
the jump to the first unread post, "Mark all read", and the notifications that reading
marks read."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi import FastAPI
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.discussions import reading
from forum.discussions import thread_page as pages
from forum.discussions.listing import ThreadFilter, page_threads
from forum.discussions.models import Category, Post, Thread, ThreadRead
from forum.discussions.moderation import hide_post
from forum.notifications.models import Notification
from tests.conftest import Client, People, Threads, sign_in


def _card(html: str, thread: Thread) -> str:
    """The list's card of `thread` (its title up to the next card)."""
    start = html.index(f">{thread.title}</a></h2>")
    end = html.find('<li class="card">', start)
    return html[start : end if end != -1 else len(html)]


def _unread_notes(db: Session, user: User, thread: Thread) -> list[Notification]:
    return list(
        db.scalars(
            select(Notification).where(
                Notification.user_id == user.id,
                Notification.thread_id == thread.id,
                Notification.read_at.is_(None),
            )
        )
    )


def test_a_read_thread_shows_one_unread_after_a_reply_opens_there_and_reads_its_notification(
    db: Session, as_member: Client, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member, title="Japanese food fairs")
    assert as_member.get(f"/threads/{thread.id}").status_code == 200
    card = _card(as_member.get("/discussions").text, thread)
    assert "unread" not in card and "badge-new" not in card

    reply = threads.reply(other_member, thread, "FOODEX is in March.")
    assert [n.kind for n in _unread_notes(db, member, thread)] == ["reply"]
    card = _card(as_member.get("/discussions").text, thread)
    first_unread = f"/threads/{thread.id}?page=1#post-{reply.id}"
    assert "1 unread" in card
    assert f'href="{first_unread}"' in card, "the list links to the first unread post"

    opened = as_member.get(f"/threads/{thread.id}", follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == first_unread
    page = as_member.get(first_unread)
    article = page.text[page.text.index(f'id="post-{reply.id}"') :]
    assert '<span class="badge badge-new">New</span>' in article[: article.index("</header>")]
    assert _unread_notes(db, member, thread) == [], "opening it marked the reply read"
    assert "unread" not in _card(as_member.get("/discussions").text, thread)
    assert as_member.get(f"/threads/{thread.id}", follow_redirects=False).status_code == 200


def test_new_means_started_since_joining_in_the_last_14_days_by_someone_else_and_never_opened(
    db: Session,
    as_member: Client,
    member: User,
    other_member: User,
    threads: Threads,
) -> None:
    fresh = threads.start(other_member, title="Fresh from Osaka")
    old = threads.start(other_member, title="Older than two weeks")
    before = threads.start(other_member, title="Started before Maria joined")
    mine = threads.start(member, title="Maria's own thread")
    now = utcnow()
    old.created_at = now - dt.timedelta(days=15)
    before.created_at = now - dt.timedelta(days=3)
    member.created_at = now - dt.timedelta(days=2)
    db.flush()

    listed = as_member.get("/discussions?view=new").text
    assert fresh.title in listed
    for other in (old, before, mine):
        assert other.title not in listed
    assert "badge-new" in _card(as_member.get("/discussions").text, fresh)

    as_member.get(f"/threads/{fresh.id}")
    assert fresh.title not in as_member.get("/discussions?view=new").text
    assert "badge-new" not in _card(as_member.get("/discussions").text, fresh)
    assert "No new threads" in as_member.get("/discussions?view=new").text


def test_unread_lists_the_opened_threads_with_posts_not_seen_and_nothing_else(
    db: Session, as_member: Client, member: User, other_member: User, threads: Threads
) -> None:
    opened = threads.start(other_member, title="Opened then answered")
    quiet = threads.start(other_member, title="Opened and quiet")
    never = threads.start(other_member, title="Never opened")
    for thread in (opened, quiet):
        as_member.get(f"/threads/{thread.id}")
    assert "Nothing unread" in as_member.get("/discussions?view=unread").text
    threads.reply(other_member, opened, "News!")
    threads.reply(other_member, never, "News too")
    threads.reply(member, quiet, "My own reply is no news to me")
    listed = as_member.get("/discussions?view=unread").text
    assert opened.title in listed
    assert quiet.title not in listed and never.title not in listed
    tab = re.search(r'<a href="/discussions\?view=unread" aria-current="page">', listed)
    assert tab is not None, "the Unread tab is the current one"


def test_a_visitor_is_asked_to_log_in_for_unread_and_a_bad_view_is_a_422(client: Client) -> None:
    answer = client.get("/discussions?view=unread", follow_redirects=False)
    assert answer.status_code in (302, 303)
    assert answer.headers["location"].startswith("/login")
    bad = client.get("/discussions?view=everything")
    assert bad.status_code == 422
    assert "Unknown view" in bad.text


def test_mark_all_read_reads_every_thread_the_member_may_see_and_their_notifications(
    db: Session, as_member: Client, member: User, other_member: User, moderator: User,
    threads: Threads,
) -> None:  # fmt: skip
    answered = threads.start(member, title="Answered while away")
    unopened = threads.start(other_member, title="Never opened either")
    hidden = threads.start(other_member, title="Hidden from members")
    hidden.hidden_at = utcnow()
    as_member.get(f"/threads/{answered.id}")
    threads.reply(other_member, answered, "One")
    last = threads.reply(other_member, answered, "Two")
    assert len(_unread_notes(db, member, answered)) == 2

    done = as_member.post_form(
        "/discussions/read", {"next": "/discussions?view=unread"}, follow_redirects=True
    )
    assert done.status_code == 200
    assert "2 threads marked read." in done.text
    assert "Nothing unread" in done.text
    marks = dict(
        db.execute(
            select(ThreadRead.thread_id, ThreadRead.last_read_post_id).where(
                ThreadRead.user_id == member.id
            )
        ).all()
    )
    assert marks[answered.id] == last.id
    assert unopened.id in marks
    assert hidden.id not in marks, "a thread the member may not see is not touched"
    assert _unread_notes(db, member, answered) == []
    again = as_member.post_form(
        "/discussions/read", {"next": "https://elsewhere.example/"}, follow_redirects=True
    )
    assert again.url.path == "/discussions", "no open redirect"
    assert "You had read everything already." in again.text


def test_a_hidden_post_is_not_counted_unread_for_members_but_is_for_moderators(
    db: Session, client: Client, member: User, other_member: User, moderator: User,
    threads: Threads,
) -> None:  # fmt: skip
    thread = threads.start(other_member, title="Counting what one may read")
    for reader in (member, moderator):
        sign_in(client, db, reader)
        client.get(f"/threads/{thread.id}")
    removed = threads.reply(other_member, thread, "Soon hidden")
    hide_post(db, moderator, removed, reason="spam")
    db.flush()
    states = reading.thread_states(db, member, [thread])
    assert states[thread.id].unread == 0
    assert states[thread.id].first_unread_url is None
    listed = page_threads(db, member, ThreadFilter(view="unread"), page=1)
    assert thread.id not in [t.id for t in listed.items]
    assert reading.thread_states(db, moderator, [thread])[thread.id].unread == 1
    sign_in(client, db, member)
    assert client.get(f"/threads/{thread.id}", follow_redirects=False).status_code == 200


def test_a_page_of_a_long_thread_never_marks_the_pages_after_it(
    db: Session, member: User, other_member: User, threads: Threads,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(pages, "TOP_LEVEL_PER_PAGE", 2)
    monkeypatch.setattr(reading, "TOP_LEVEL_PER_PAGE", 2)
    thread = threads.start(other_member, title="A long thread")
    first, second, third = (threads.reply(other_member, thread, f"top {i}") for i in range(3))
    nested = threads.reply(other_member, thread, "under the first", parent=first)

    def read(page: int) -> int:
        mark = reading.thread_mark(db, member, thread)
        shown = pages.thread_page(db, member, thread, page=page)
        reading.record_read(db, member, shown, read_up_to=mark.read_up_to, next_root=mark.next_root)
        db.flush()
        return reading.thread_mark(db, member, thread).read_up_to or 0

    assert read(1) == third.id - 1, "page 1 showed the first two, not the third"
    # Page 1 again: the post above the watermark (the third) is not on it, and the mark
    # says so: nothing is asked nor written.
    mark = reading.thread_mark(db, member, thread)
    assert mark.next_root == third.id
    shown = pages.thread_page(db, member, thread, page=1)
    statements: list[str] = []
    engine = db.get_bind()
    listen = event.listens_for(engine, "before_cursor_execute")(
        lambda *args: statements.append(str(args[2]))
    )
    try:
        assert not reading.record_read(
            db, member, shown, read_up_to=mark.read_up_to, next_root=mark.next_root
        )
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert statements == []
    state = reading.thread_states(db, member, [thread])[thread.id]
    assert state.unread == 2  # the third, and the nested reply above it
    # The earliest page with something unread: reading on from there reads it all.
    assert state.first_unread_url == f"/threads/{thread.id}?page=1#post-{nested.id}"
    assert read(2) == nested.id, "the last page: the pages before it are read"
    assert reading.thread_states(db, member, [thread])[thread.id].unread == 0
    assert second.id < third.id


def test_reading_never_moves_the_watermark_back_and_writes_nothing_when_unchanged(
    db: Session, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(other_member)
    reply = threads.reply(other_member, thread)
    shown = pages.thread_page(db, member, thread)
    assert reading.record_read(db, member, shown, read_up_to=None)
    assert not reading.record_read(db, member, shown, read_up_to=reply.id)
    db.execute(
        update(ThreadRead)
        .where(ThreadRead.user_id == member.id)
        .values(last_read_post_id=reply.id + 1000)
    )
    reading._upsert(db, [{"user_id": member.id, "thread_id": thread.id,
                          "last_read_post_id": reply.id, "read_at": utcnow()}])  # fmt: skip
    db.expire_all()
    assert reading.thread_mark(db, member, thread).read_up_to == reply.id + 1000


def test_mentions_are_marked_read_by_opening_the_thread(
    db: Session, as_member: Client, member: User, other_member: User, people: People,
    threads: Threads,
) -> None:  # fmt: skip
    thread = threads.start(other_member, title="Who knows Osaka?")
    assert member.handle
    threads.reply(other_member, thread, f"@{member.handle} you went there, didn't you?")
    assert [n.kind for n in _unread_notes(db, member, thread)] == ["mention"]
    as_member.get(f"/threads/{thread.id}")
    assert _unread_notes(db, member, thread) == []


def test_threads_in_members_only_categories_count_for_members_only(
    db: Session, client: Client, member: User, other_member: User, threads: Threads,
    members_only: Category,
) -> None:  # fmt: skip
    thread = threads.start(other_member, title="Staff only", category=members_only)
    assert client.get("/discussions").status_code == 200
    assert thread.title not in client.get("/discussions").text
    sign_in(client, db, member)
    assert "badge-new" in _card(client.get("/discussions").text, thread)
    assert db.scalar(select(Post.id).where(Post.thread_id == thread.id)) is not None


def test_the_thread_page_is_shown_when_the_database_refuses_its_reading_state(
    db: Session,
    app: FastAPI,
    as_member: Client,
    member: User,
    other_member: User,
    threads: Threads,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On SQLite a writer (the worker) can hold the database past the busy timeout ("database
    is locked"). Seen in CI as a 503 after posting, when a GET wrote the reading state in
    its own transaction. The page is shown; the reading state, written after it, stays
    pending, and the member's next request writes it (forum/discussions/reading_writes.py)."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    thread = threads.start(other_member, title="Tasting days in Osaka")
    real = reading.write_marks

    def refused(*args: object, **kwargs: object) -> None:
        raise OperationalError(
            "INSERT INTO thread_read", {}, sqlite3.OperationalError("database is locked")
        )

    monkeypatch.setattr(reading, "write_marks", refused)
    page = as_member.get(f"/threads/{thread.id}")
    assert page.status_code == 200
    assert "Tasting days in Osaka" in page.text
    assert db.scalar(select(ThreadRead).where(ThreadRead.thread_id == thread.id)) is None
    assert app.state.reading_writes.pending(member.id) == 1, "kept for the next request"
    monkeypatch.setattr(reading, "write_marks", real)
    assert as_member.get(f"/threads/{thread.id}").status_code == 200
    assert db.scalar(select(ThreadRead).where(ThreadRead.thread_id == thread.id)) is not None
