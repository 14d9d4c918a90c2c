"""The digest's "replies and mentions you have not read" reads the one reading state: what
the member read on the site is not in it (forum/digests/interests.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from forum.core.config import Settings
from forum.core.db import utcnow
from forum.digests.interests import load_member_interests
from forum.discussions import reading
from forum.discussions import thread_page as pages
from tests.conftest import Client, People, Threads, sign_in


def _unread_texts(db: Session, user_id: int) -> list[str]:
    since = utcnow() - dt.timedelta(days=7)
    return [n.text for n in load_member_interests(db, [user_id], since=since)[user_id].unread]


def test_a_reply_read_on_the_site_leaves_the_digest_section(
    db: Session, client: Client, people: People, threads: Threads
) -> None:
    reader, writer = people.make(), people.make(name="Wendy Writer")
    thread = threads.start(reader, title="Our question")
    threads.reply(writer, thread, "An answer to you.")
    assert _unread_texts(db, reader.id) == ["Wendy Writer replied in “Our question”"]
    sign_in(client, db, reader)
    assert client.get(f"/threads/{thread.id}").status_code == 200
    db.expire_all()
    assert _unread_texts(db, reader.id) == []


def test_the_digest_trusts_the_reading_state_even_where_a_notification_stayed_unread(
    db: Session, settings: Settings, people: People, threads: Threads
) -> None:
    """A watermark written without touching notifications (an older page view, a race)
    still takes the read reply out of the digest: one state, not two."""
    reader, writer = people.make(), people.make(name="Wendy Writer")
    thread = threads.start(reader, title="Our question")
    threads.reply(writer, thread, "First answer.")
    reading._upsert(db, [{"user_id": reader.id, "thread_id": thread.id,
                          "last_read_post_id": pages.thread_page(db, reader, thread).max_post_id,
                          "read_at": utcnow()}])  # fmt: skip
    later = threads.reply(writer, thread, "A later answer.")
    notes = load_member_interests(db, [reader.id], since=utcnow() - dt.timedelta(days=1))
    assert [n.url for n in notes[reader.id].unread] == [later.url]
