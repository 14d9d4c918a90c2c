"""The reading state written after the page (forum/discussions/reading_writes.py): sent
first, written next in a transaction of its own, coalesced, never lost to a busy database,
and seen by the member's next request however early it comes."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.accounts.sessions import SESSION_COOKIE, create_session
from forum.app import create_app
from forum.core.config import Settings
from forum.core.db import make_session_factory, transaction
from forum.digests.interests import load_member_interests
from forum.discussions import reading
from forum.discussions.admin_service import seed_categories
from forum.discussions.models import Category, Thread, ThreadRead
from forum.discussions.reading_writes import ReadingWrites
from forum.notifications.models import Notification
from forum.taxonomy.service import seed_sectors
from tests.conftest import TEST_SECRET, Client, People, Threads


def _watermark(db: Session, user: User, thread: Thread) -> int | None:
    db.expire_all()
    return db.scalar(
        select(ThreadRead.last_read_post_id).where(
            ThreadRead.user_id == user.id, ThreadRead.thread_id == thread.id
        )
    )


def _unread_notes(db: Session, user: User) -> int:
    return len(
        db.scalars(
            select(Notification).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        ).all()
    )


def test_the_page_is_sent_before_its_reading_state_is_written(
    app: FastAPI, db: Session, member: User, other_member: User, threads: Threads,
    engine: Engine,
) -> None:  # fmt: skip
    thread = threads.start(other_member, title="Sent first")
    reply = threads.reply(other_member, thread, "Read me.")
    raw = create_session(db, member)
    db.flush()
    events: list[str] = []

    def statement(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        if "INSERT INTO thread_read" in sql:
            events.append("reading state written")

    async def request() -> None:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": f"/threads/{thread.id}", "raw_path": b"",
            "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1),
            "server": ("testserver", 80),
            "headers": [(b"host", b"testserver"), (b"cookie", f"{SESSION_COOKIE}={raw}".encode())],
        }  # fmt: skip

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                events.append(f"status {message['status']}")
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                events.append("page sent")

        await app(scope, receive, send)

    event.listen(engine, "before_cursor_execute", statement)
    try:
        anyio.run(request)
    finally:
        event.remove(engine, "before_cursor_execute", statement)
    assert events == ["status 200", "page sent", "reading state written"]
    assert _watermark(db, member, thread) == reply.id


def test_the_watermarks_of_several_views_are_written_as_one_the_highest(
    app: FastAPI, db: Session, member: User, other_member: User, threads: Threads
) -> None:
    first = threads.start(other_member, title="One")
    second = threads.start(other_member, title="Two")
    replies = [threads.reply(other_member, first, f"reply {i}") for i in range(3)]
    writes: ReadingWrites = app.state.reading_writes
    writes.add(member.id, first.id, replies[2].id)
    writes.add(member.id, first.id, replies[0].id)  # an older page, later: never backwards
    writes.add(member.id, second.id, second.id)
    writes.add(other_member.id, first.id, replies[1].id)
    assert writes.pending() == 3
    assert writes.pending(member.id) == 2
    assert writes.flush() == 3
    assert writes.pending() == 0
    assert _watermark(db, member, first) == replies[2].id
    assert _watermark(db, other_member, first) == replies[1].id
    assert writes.flush() == 0, "nothing left: the next flush writes nothing"


def test_the_members_next_request_writes_what_is_pending_before_reading(
    app: FastAPI, as_member: Client, db: Session, member: User, other_member: User,
    threads: Threads,
) -> None:  # fmt: skip
    """A second tab can ask before the first page's write ran: the count in the header, the
    lists and the thread page read the reading state only after it is written."""
    thread = threads.start(member, title="Osaka tasting days")
    assert as_member.get(f"/threads/{thread.id}").status_code == 200
    reply = threads.reply(other_member, thread, "See you there.")
    assert _unread_notes(db, member) == 1
    # The page that showed the reply was sent; its write has not run yet.
    app.state.reading_writes.add(member.id, thread.id, reply.id)
    listing = as_member.get("/discussions")
    assert "1 unread" not in listing.text
    assert app.state.reading_writes.pending() == 0
    assert _watermark(db, member, thread) == reply.id
    assert _unread_notes(db, member) == 0
    opened = as_member.get(f"/threads/{thread.id}", follow_redirects=False)
    assert opened.status_code == 200, "nothing unread: the plain address does not jump"


def test_a_write_the_database_can_never_take_is_dropped_alone(
    app: FastAPI, db: Session, member: User, other_member: User, threads: Threads,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    kept = threads.start(other_member, title="Kept")
    gone = threads.start(other_member, title="Gone")
    real = reading.write_marks

    def refuse_gone(session: Session, marks: list[tuple[int, int, int]]) -> None:
        if any(thread_id == gone.id for _, thread_id, _ in marks):
            raise IntegrityError("INSERT INTO thread_read", {}, Exception("no such thread"))
        real(session, marks)

    monkeypatch.setattr(reading, "write_marks", refuse_gone)
    writes: ReadingWrites = app.state.reading_writes
    writes.add(member.id, kept.id, kept.id)
    writes.add(member.id, gone.id, gone.id)
    assert writes.flush() == 1
    assert writes.pending() == 0
    assert _watermark(db, member, kept) == kept.id
    assert _watermark(db, member, gone) is None


def test_on_a_database_of_its_own_the_page_view_is_read_by_the_digest_and_the_next_view(
    scratch_url: str, tmp_path: Path, password_hash: str
) -> None:
    """Real connections, as in production (SQLite and PostgreSQL): the write runs after the
    page in a transaction of its own, which other sessions (a digest, another process)
    see committed."""
    settings = Settings(
        data_dir=tmp_path / "data", database_url=scratch_url, secret_key=TEST_SECRET,
        base_url="http://testserver", embedded_worker=False,
    )  # fmt: skip
    app = create_app(settings)
    factory = make_session_factory(app.state.engine)
    with transaction(factory) as db:
        seed_sectors(db)
        seed_categories(db)
        category = db.scalar(select(Category).where(Category.slug == "market-intelligence"))
        assert category is not None
        people = People(db, password_hash)
        reader, writer = people.make(name="Rea Reader"), people.make(name="Wri Writer")
        threads = Threads(db, {category.slug: category})
        thread = threads.start(reader, title="Trade fairs in Seoul")
        raw = create_session(db, reader)
        reader_id, thread_id = reader.id, thread.id
    with Client(app, base_url="http://testserver", follow_redirects=False) as client:
        client.cookies.set(SESSION_COOKIE, raw)
        assert client.get(f"/threads/{thread_id}").status_code == 200
        with transaction(factory) as db:
            reply = Threads(db, {}).reply(db.get(User, writer.id), db.get(Thread, thread_id), "K")
            reply_id = reply.id
        with factory() as db:
            reader = db.get(User, reader_id)
            assert reader is not None
            state = reading.thread_states(db, reader, [db.get(Thread, thread_id)])  # type: ignore[list-item]
            assert state[thread_id].unread == 1
            assert len(load_member_interests(db, [reader_id])[reader_id].unread) == 1
        shows_it = client.get(f"/threads/{thread_id}", follow_redirects=False)
        assert shows_it.status_code == 303
        assert client.get(shows_it.headers["location"]).status_code == 200
        with factory() as db:
            assert db.scalar(
                select(ThreadRead.last_read_post_id).where(ThreadRead.user_id == reader_id)
            ) == reply_id  # fmt: skip
            reader = db.get(User, reader_id)
            assert reader is not None
            state = reading.thread_states(db, reader, [db.get(Thread, thread_id)])  # type: ignore[list-item]
            assert state[thread_id].unread == 0, "what's new agrees"
            assert load_member_interests(db, [reader_id])[reader_id].unread == [], "the digest too"
            assert not db.scalars(
                select(Notification).where(
                    Notification.user_id == reader_id, Notification.read_at.is_(None)
                )
            ).all()
        assert client.get(f"/threads/{thread_id}", follow_redirects=False).status_code == 200
    app.state.engine.dispose()
