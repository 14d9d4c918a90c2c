"""The digest's thread entries carry a mailto: to the member's reply address for the
latest post; answering it posts under that post."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.core.config import Settings
from forum.core.db import utcnow
from forum.discussions.models import Post
from forum.inbound.service import receive
from forum.notifications.service import follow
from tests.conftest import People, Threads
from tests.digests.test_content import digest_for, section
from tests.inbound.conftest import DOMAIN, mail


def test_a_followed_thread_entry_answers_its_latest_reply_by_email(
    db: Session, settings: Settings, people: People, threads: Threads
) -> None:
    reader, writer = people.make(), people.make(name="Wanda Writer")
    thread = threads.start(writer, title="Certification costs")
    follow(db, reader.id, "thread", str(thread.id))
    threads.reply(writer, thread, "First answer.")
    newest = threads.reply(writer, thread, "Second, newest answer.")
    now = utcnow()

    entry = section(digest_for(db, settings, reader, now), "threads").entries[0]
    link = urlsplit(entry.reply_mailto)
    assert link.scheme == "mailto" and link.path.endswith(f"@{DOMAIN}")
    assert unquote(link.query) == "subject=Re: Certification costs"

    outcome = receive(db, settings, mail(reader.email, link.path, "Around 4,000 EUR."),
                      via="inbox")  # fmt: skip
    assert outcome.status == "posted"
    post = db.scalars(select(Post).where(Post.id == outcome.post_id)).one()
    assert post.parent_id == newest.id and post.author_id == reader.id


def test_without_an_inbound_domain_the_digest_has_no_reply_link(
    db: Session, settings: Settings, people: People, threads: Threads
) -> None:
    reader, writer = people.make(), people.make()
    thread = threads.start(writer)
    follow(db, reader.id, "thread", str(thread.id))
    threads.reply(writer, thread, "An answer.")
    plain = settings.model_copy(update={"inbound_domain": None})
    entry = section(digest_for(db, plain, reader, utcnow()), "threads").entries[0]
    assert entry.reply_mailto == ""
