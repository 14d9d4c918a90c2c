"""A notification email's own one-click List-Unsubscribe (RFC 8058) turns that kind of
email off, and its mute link stops the thread's news."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.notifications.models import EmailSettings, Follow
from forum.notifications.service import follow
from tests.conftest import Client, Outbox, People, Threads


def plain(message: object) -> str:
    body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    assert body is not None
    return str(body.get_content())


def test_one_click_turns_that_kind_of_email_off_and_no_other(
    client: Client, db: Session, member: User, other_member: User, threads: Threads,
    outbox: Outbox,
) -> None:  # fmt: skip
    thread = threads.start(member, title="Buyers in Osaka")
    threads.reply(other_member, thread, "We met two distributors.")
    (mail,) = outbox.to(member.email)
    header = mail["List-Unsubscribe"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    found = re.fullmatch(r"<http://testserver(/emails/off/[^>\s]+)>", str(header))
    assert found, header
    path = found.group(1)
    assert f"http://testserver{path}" in plain(mail), "the link is in the text too"
    db.commit()

    # Opening the link changes nothing (mail scanners open links); the one-click POST,
    # without a session or CSRF token, turns replies off.
    page = client.get(path)
    assert page.status_code == 200 and "replies to your posts" in page.text
    assert (
        db.get(EmailSettings, member.id) is None or db.get(EmailSettings, member.id).notify_replies
    )  # type: ignore[union-attr]
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    db.expire_all()
    row = db.get(EmailSettings, member.id)
    assert row is not None
    assert (row.notify_replies, row.notify_mentions, row.notify_thread_posts) == (
        False, True, True
    )  # fmt: skip
    assert client.post(path, data={}).status_code == 200, "twice is harmless"

    threads.reply(other_member, thread, "And a third one.")
    assert len(outbox.to(member.email)) == 1, "no more reply emails"
    threads.reply(other_member, thread, f"Right, @{member.handle}?")
    assert len(outbox.to(member.email)) == 2, "mentions still come"


def test_a_forged_unsubscribe_link_changes_nothing(client: Client) -> None:
    assert client.get("/emails/off/forged").status_code == 404
    assert client.post("/emails/off/forged", data={}).status_code == 404


def test_the_mute_link_stops_the_threads_news(
    client: Client, db: Session, people: People, other_member: User, threads: Threads,
    outbox: Outbox,
) -> None:  # fmt: skip
    follower = people.make(name="Fiona Follower")
    thread = threads.start(other_member, title="Textile fairs in Bogotá")
    follow(db, follower.id, "thread", str(thread.id))
    threads.reply(other_member, thread, "First news.")
    (mail,) = outbox.to(follower.email)
    found = re.search(r"Mute this thread: http://testserver(\S+)", plain(mail))
    assert found
    db.commit()
    assert client.get(found.group(1)).status_code == 200
    assert client.post(found.group(1), data={}).status_code in (200, 303)
    db.expire_all()
    assert not db.scalars(
        select(Follow).where(Follow.user_id == follower.id, Follow.target_type == "thread")
    ).all()
    threads.reply(other_member, thread, "Second news.")
    assert len(outbox.to(follower.email)) == 1
