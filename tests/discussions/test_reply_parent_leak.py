"""A reply's parent comes through the visibility rule and must belong to the thread.

The reply form's preview used to load `parent_id` with `db.get` and show that post's author
and text: a post of a hidden thread, or of a thread the member may not read, leaked.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.discussions import moderation
from tests.conftest import Client, Threads, sign_in

SECRET = "Confidential tender figures for Osaka"


def _preview(client: Client, thread_id: int, parent_id: int) -> str:
    response = client.post_form(
        f"/threads/{thread_id}/posts",
        {"body": "Just looking", "action": "preview", "parent_id": str(parent_id)},
    )
    assert response.status_code in (200, 404, 422), response.status_code
    return response.text


def test_a_reply_preview_does_not_show_a_parent_from_a_hidden_thread(
    client: Client, db: Session, member: User, other_member: User, moderator: User,
    threads: Threads,
) -> None:  # fmt: skip
    hidden = threads.start(other_member, title="Hidden thread")
    secret = threads.reply(other_member, hidden, SECRET)
    moderation.hide_thread(db, moderator, hidden, reason="spam")
    db.flush()
    public = threads.start(other_member, title="Public thread")
    sign_in(client, db, member)
    text = _preview(client, public.id, secret.id)
    assert SECRET not in text
    assert other_member.name not in text


def test_a_reply_preview_does_not_show_a_hidden_parent(
    client: Client, db: Session, member: User, other_member: User, moderator: User,
    threads: Threads,
) -> None:  # fmt: skip
    thread = threads.start(other_member)
    secret = threads.reply(other_member, thread, SECRET)
    moderation.hide_post(db, moderator, secret, reason="spam")
    db.flush()
    sign_in(client, db, member)
    assert SECRET not in _preview(client, thread.id, secret.id)


def test_a_reply_preview_shows_a_visible_parent_of_the_same_thread(
    client: Client, db: Session, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(other_member)
    parent = threads.reply(other_member, thread, "Visible advice on Osaka fairs")
    sign_in(client, db, member)
    assert "Visible advice on Osaka fairs" in _preview(client, thread.id, parent.id)


def test_a_reply_preview_does_not_show_a_readable_parent_of_another_thread(
    client: Client, db: Session, member: User, other_member: User, threads: Threads
) -> None:
    elsewhere = threads.start(other_member, title="Elsewhere")
    parent = threads.reply(other_member, elsewhere, "Advice that belongs elsewhere")
    thread = threads.start(other_member, title="Here")
    sign_in(client, db, member)
    assert "Advice that belongs elsewhere" not in _preview(client, thread.id, parent.id)


def test_the_reply_form_ignores_a_parent_of_another_thread(
    client: Client, db: Session, member: User, other_member: User, threads: Threads
) -> None:
    elsewhere = threads.start(other_member, title="Elsewhere")
    parent = threads.reply(other_member, elsewhere, "Advice that belongs elsewhere")
    thread = threads.start(other_member, title="Here")
    sign_in(client, db, member)
    form = client.get(f"/threads/{thread.id}/reply?parent={parent.id}")
    assert form.status_code in (200, 404)
    assert "Advice that belongs elsewhere" not in form.text
