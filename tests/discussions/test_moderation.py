"""Moderation: flags, the queue, hiding, pinning, locking, moving, suspending, the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import User
from forum.core.audit import AuditLog
from forum.core.config import Settings
from forum.core.errors import NotAllowed, NotFound
from forum.core.outbox import SearchOutbox
from forum.discussions import moderation, service, writes
from forum.discussions.models import Category, Flag, Post, PostRevision, Thread
from forum.moderation import flags
from forum.notifications.models import Notification
from tests.conftest import Client, Outbox, People, Threads, sign_in


def bearer(db: Session, user: User) -> dict[str, str]:
    raw, _ = create_api_token(db, user, name="tests")
    db.flush()
    return {"Authorization": f"Bearer {raw}"}


def audit(db: Session, action: str) -> list[AuditLog]:
    return list(db.scalars(select(AuditLog).where(AuditLog.action == action)))


def outbox_ops(db: Session, doc_id: str) -> list[str]:
    return list(
        db.scalars(
            select(SearchOutbox.op).where(SearchOutbox.doc_id == doc_id).order_by(SearchOutbox.id)
        )
    )


@pytest.fixture
def discussion(threads: Threads, member: User, other_member: User) -> tuple[Thread, Post]:
    """A thread by `member` with a reply by `other_member`."""
    thread = threads.start(member, title="Buyers in Osaka")
    return thread, threads.reply(other_member, thread, "Buy my miracle pills at example.com")


# --- flags ------------------------------------------------------------------------------------


def test_a_flag_notifies_and_emails_every_moderator_but_not_the_reporter(
    client: Client,
    db: Session,
    member: User,
    moderator: User,
    admin: User,
    discussion: tuple[Thread, Post],
    outbox: Outbox,
) -> None:
    _, post = discussion
    sign_in(client, db, member)
    response = client.post_form(f"/posts/{post.id}/flag", {"reason": "Spam for pills"})
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == f"/posts/{post.id}"  # type: ignore[attr-defined]
    flag = db.scalar(select(Flag).where(Flag.object_type == "post", Flag.object_id == post.id))
    assert flag is not None and flag.reporter_id == member.id and flag.reason == "Spam for pills"
    notes = list(db.scalars(select(Notification).where(Notification.kind == "flag")))
    assert sorted(n.user_id for n in notes) == sorted([moderator.id, admin.id])
    assert all(n.url == "/moderation" and n.post_id == post.id for n in notes)
    assert "Maria Member flagged post" in notes[0].text
    for person in (moderator, admin):
        mails = outbox.to(person.email)
        assert len(mails) == 1
        text = mails[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        assert "Spam for pills" in text
        assert "Buyers in Osaka" in mails[0]["Subject"]
        assert "http://testserver/moderation" in text
    # The reporter gets no flag email: only the immediate email of the reply to her thread.
    assert [m["Subject"] for m in outbox.to(member.email)] == [
        "Otto Other replied in “Buyers in Osaka”"
    ]


def test_one_open_flag_per_member_and_object(
    db: Session, settings: Settings, member: User, moderator: User, discussion: tuple[Thread, Post]
) -> None:
    _, post = discussion
    first = flags.flag(
        db, member, object_type="post", object_id=post.id, reason="spam", settings=settings
    )
    with pytest.raises(flags.AlreadyFlagged):
        flags.flag(
            db, member, object_type="post", object_id=post.id, reason="again", settings=settings
        )
    flags.resolve_flag(db, moderator, first, reason="Not spam: a real offer.")
    again = flags.flag(
        db,
        member,
        object_type="post",
        object_id=post.id,
        reason="It is spam after all",
        settings=settings,
    )
    assert again.id != first.id


@pytest.mark.parametrize(
    ("reason", "message"),
    [("   ", "Say what is wrong"), ("x" * 1001, "to 1,000 characters")],
)
def test_a_flag_needs_a_reason_of_at_most_a_thousand_characters(
    db: Session,
    settings: Settings,
    member: User,
    discussion: tuple[Thread, Post],
    reason: str,
    message: str,
) -> None:
    with pytest.raises(service.DiscussionError) as caught:
        flags.flag(
            db,
            member,
            object_type="post",
            object_id=discussion[1].id,
            reason=reason,
            settings=settings,
        )
    assert caught.value.field == "reason"
    assert message in str(caught.value)
    flags.flag(
        db,
        member,
        object_type="post",
        object_id=discussion[1].id,
        reason="x" * 1000,
        settings=settings,
    )


def test_profiles_can_be_flagged_events_not_yet(
    db: Session, settings: Settings, member: User, other_member: User
) -> None:
    flag = flags.flag(
        db,
        member,
        object_type="profile",
        object_id=other_member.id,
        reason="Impersonates a cluster",
        settings=settings,
    )
    assert (flag.object_type, flag.object_id) == ("profile", other_member.id)
    for kind in ("event",):  # intelligence items: tests/intelligence/test_moderation.py
        with pytest.raises(service.DiscussionError, match="cannot be flagged yet"):
            flags.flag(db, member, object_type=kind, object_id=1, reason="wrong", settings=settings)
    with pytest.raises(NotFound):
        flags.flag(
            db, member, object_type="profile", object_id=10**9, reason="who?", settings=settings
        )
    with pytest.raises(service.DiscussionError):
        flags.flag(db, member, object_type="comment", object_id=1, reason="?", settings=settings)


def test_visitors_and_unconfirmed_members_cannot_flag(
    client: Client,
    db: Session,
    settings: Settings,
    people: People,
    discussion: tuple[Thread, Post],
) -> None:
    _, post = discussion
    response = client.post_form(f"/posts/{post.id}/flag", {"reason": "spam"})
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"].startswith("/login")  # type: ignore[attr-defined]
    unconfirmed = people.make(verified=False)
    with pytest.raises(NotAllowed, match="Confirm your email"):
        flags.flag(
            db, unconfirmed, object_type="post", object_id=post.id, reason="spam", settings=settings
        )
    assert db.scalar(select(Flag)) is None


def test_a_hidden_post_cannot_be_flagged_by_members_it_is_invisible_to(
    client: Client,
    db: Session,
    member: User,
    moderator: User,
    discussion: tuple[Thread, Post],
) -> None:
    _, post = discussion
    moderation.hide_post(db, moderator, post, reason="spam")
    db.flush()
    sign_in(client, db, member)
    response = client.post_form(f"/posts/{post.id}/flag", {"reason": "spam"})
    assert response.status_code == 404  # type: ignore[attr-defined]


def test_flagging_a_thread_from_its_page_keeps_the_member_on_it(
    client: Client, db: Session, other_member: User, discussion: tuple[Thread, Post]
) -> None:
    thread, _ = discussion
    sign_in(client, db, other_member)
    page = client.get(f"/threads/{thread.id}")
    assert f'action="/threads/{thread.id}/flag"' in page.text
    response = client.post_form(
        f"/threads/{thread.id}/flag", {"reason": "Off topic", "next": "//evil.example"}
    )
    assert response.headers["location"] == f"/threads/{thread.id}", "no open redirect"  # type: ignore[attr-defined]
    again = client.post_form(f"/threads/{thread.id}/flag", {"reason": "Off topic"})
    assert again.status_code == 303  # type: ignore[attr-defined]
    assert "already flagged" in client.get(f"/threads/{thread.id}").text
    empty = client.post_form(f"/threads/{thread.id}/flag", {"reason": ""})
    assert empty.status_code == 303  # type: ignore[attr-defined]
    assert "Say what is wrong" in client.get(f"/threads/{thread.id}").text
    assert len(list(db.scalars(select(Flag)))) == 1


# --- who may moderate ---------------------------------------------------------------------------


def _moderation_requests(thread: Thread, post: Post, member: User) -> list[tuple[str, str]]:
    return [
        ("GET", "/moderation"),
        ("GET", f"/posts/{post.id}/history"),
        ("GET", f"/moderation/threads/{thread.id}/move"),
        ("POST", f"/moderation/posts/{post.id}/hide"),
        ("POST", f"/moderation/posts/{post.id}/unhide"),
        ("POST", f"/moderation/threads/{thread.id}/pin"),
        ("POST", f"/moderation/threads/{thread.id}/lock"),
        ("POST", f"/moderation/threads/{thread.id}/hide"),
        ("POST", f"/moderation/threads/{thread.id}/move"),
        ("POST", f"/moderation/users/{member.id}/suspend"),
        ("POST", "/moderation/flags/1/resolve"),
    ]


def test_members_cannot_moderate_and_visitors_are_sent_to_log_in(
    client: Client, db: Session, member: User, discussion: tuple[Thread, Post]
) -> None:
    thread, post = discussion
    requests = _moderation_requests(thread, post, member)
    token = client.csrf_token()
    for method, url in requests:
        response = client.request(method, url, data={"reason": "because", "csrf_token": token})
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/login?next="), url
    sign_in(client, db, member)
    for method, url in requests:
        response = client.request(method, url, data={"reason": "because", "csrf_token": token})
        assert response.status_code == 403, url
        assert "moderators" in response.text
    db.expire_all()
    assert not thread.pinned and not thread.locked and thread.hidden_at is None
    assert post.hidden_at is None and not member.is_suspended
    assert db.scalar(select(AuditLog)) is None


def test_the_services_refuse_members_too(
    db: Session, member: User, discussion: tuple[Thread, Post], categories: dict[str, Category]
) -> None:
    thread, post = discussion
    for attempt in (
        lambda: moderation.hide_post(db, member, post, reason="x"),
        lambda: moderation.pin(db, member, thread, reason="x"),
        lambda: moderation.lock(db, member, thread, reason="x"),
        lambda: moderation.hide_thread(db, member, thread, reason="x"),
        lambda: moderation.move_thread(
            db, member, thread, to=categories["platform-feedback"], reason="x"
        ),
        lambda: flags.open_flags(db, member, page=1),
        lambda: flags.open_flags(db, None, page=1),
    ):
        with pytest.raises(NotAllowed):
            attempt()


# --- hiding -----------------------------------------------------------------------------------


def test_a_hidden_post_is_invisible_to_members_and_visitors_and_marked_for_moderators(
    client: Client,
    db: Session,
    member: User,
    moderator: User,
    discussion: tuple[Thread, Post],
) -> None:
    thread, post = discussion
    sign_in(client, db, moderator)
    response = client.post_form(f"/moderation/posts/{post.id}/hide", {"reason": "Spam link"})
    assert response.status_code == 303  # type: ignore[attr-defined]
    db.expire_all()
    assert post.hidden_at is not None
    assert outbox_ops(db, f"post:{post.id}")[-1] == "delete"

    as_moderator = client.get(f"/threads/{thread.id}")
    assert "miracle pills" in as_moderator.text
    assert "Hidden by a moderator" in as_moderator.text
    assert f'action="/moderation/posts/{post.id}/unhide"' in as_moderator.text
    api_moderator = client.get(f"/api/v1/threads/{thread.id}", headers=bearer(db, moderator))
    [shown] = [p for p in api_moderator.json()["posts"] if p["id"] == post.id]
    assert shown["state"] == "hidden" and "miracle pills" in shown["body"]

    for headers in ({}, bearer(db, member)):
        api = client.get(f"/api/v1/threads/{thread.id}", headers=headers)
        assert api.status_code == 200
        assert post.id not in [p["id"] for p in api.json()["posts"]]
        assert "miracle pills" not in api.text
        patched = client.patch(f"/api/v1/posts/{post.id}", json={"body": "x"}, headers=headers)
        assert patched.status_code in (401, 404)
    with pytest.raises(NotFound):
        service.get_post(db, member, post.id)
    sign_in(client, db, member)
    assert "miracle pills" not in client.get(f"/threads/{thread.id}").text
    client.cookies.clear()
    assert "miracle pills" not in client.get(f"/threads/{thread.id}").text

    moderation.unhide_post(db, moderator, post, reason="The link was fine after all")
    db.flush()
    assert outbox_ops(db, f"post:{post.id}")[-1] == "upsert"
    assert "miracle pills" in client.get(f"/api/v1/threads/{thread.id}").text


def test_a_hidden_post_with_replies_leaves_a_marker_without_its_text(
    client: Client,
    db: Session,
    member: User,
    moderator: User,
    threads: Threads,
    discussion: tuple[Thread, Post],
) -> None:
    thread, post = discussion
    threads.reply(member, thread, "Please stop.", post)
    moderation.hide_post(db, moderator, post, reason="spam")
    db.flush()
    body = client.get(f"/api/v1/threads/{thread.id}").json()
    [shown] = [p for p in body["posts"] if p["id"] == post.id]
    assert shown["state"] == "hidden"
    assert shown["body"] is None and shown["body_html"] is None


def test_the_opening_post_is_hidden_with_its_thread_not_alone(
    db: Session, moderator: User, discussion: tuple[Thread, Post]
) -> None:
    thread, _ = discussion
    opening = db.scalar(select(Post).where(Post.thread_id == thread.id, Post.is_opening.is_(True)))
    assert opening is not None
    with pytest.raises(service.DiscussionError, match="hide the thread"):
        moderation.hide_post(db, moderator, opening, reason="spam")


def test_a_hidden_thread_disappears_for_members_and_its_posts_leave_the_index(
    client: Client,
    db: Session,
    member: User,
    moderator: User,
    discussion: tuple[Thread, Post],
) -> None:
    thread, post = discussion
    assert moderation.hide_thread(db, moderator, thread, reason="Duplicate of another thread")
    assert not moderation.hide_thread(db, moderator, thread, reason="twice"), "already hidden"
    db.flush()
    assert outbox_ops(db, f"thread:{thread.id}")[-1] == "delete"
    assert outbox_ops(db, f"post:{post.id}")[-1] == "delete"
    for headers in ({}, bearer(db, member)):
        assert client.get(f"/api/v1/threads/{thread.id}", headers=headers).status_code == 404
        listed = client.get("/api/v1/threads", headers=headers).json()["items"]
        assert thread.id not in [t["id"] for t in listed]
    listed = client.get("/api/v1/threads", headers=bearer(db, moderator)).json()["items"]
    assert [t["hidden"] for t in listed if t["id"] == thread.id] == [True]
    sign_in(client, db, moderator)
    page = client.get(f"/threads/{thread.id}")
    assert page.status_code == 200 and "Hidden by a moderator" in page.text
    assert len(audit(db, "thread.hide")) == 1


# --- pin, lock, move ---------------------------------------------------------------------------


def test_pin_lock_and_move_change_the_thread_and_are_audited(
    client: Client,
    db: Session,
    member: User,
    moderator: User,
    discussion: tuple[Thread, Post],
    members_only: Category,
) -> None:
    thread, _ = discussion
    sign_in(client, db, moderator)
    page = client.get(f"/threads/{thread.id}")
    for action in ("pin", "lock", "hide"):
        assert f'/moderation/threads/{thread.id}/{action}"' in page.text
    move_form = client.get(f"/moderation/threads/{thread.id}/move")
    assert "Staff room (members only)" in move_form.text

    steps = [
        ("pin", {"reason": "Answers a frequent question"}),
        ("lock", {"reason": "Heated: cooling down"}),
        ("move", {"reason": "Members only from now on", "category": "staff-room"}),
    ]
    for action, form in steps:
        response = client.post_form(f"/moderation/threads/{thread.id}/{action}", form)
        assert response.status_code == 303, action  # type: ignore[attr-defined]
        assert response.headers["location"] == f"/threads/{thread.id}"  # type: ignore[attr-defined]
    db.expire_all()
    assert thread.pinned and thread.locked and thread.category_id == members_only.id
    assert outbox_ops(db, f"thread:{thread.id}")[-1] == "upsert"
    for action, form in steps:
        [entry] = audit(db, f"thread.{action}")
        assert entry.actor_id == moderator.id
        assert entry.reason == form["reason"]
        assert entry.object_id == str(thread.id)
        assert entry.created_at is not None
    assert audit(db, "thread.move")[0].details == {
        "category": {"from": "market-intelligence", "to": "staff-room"}
    }

    # Locked: members get a 403 with a message; moderators may still answer.
    refused = client.post(
        f"/api/v1/threads/{thread.id}/posts", json={"body": "Hello?"}, headers=bearer(db, member)
    )
    assert refused.status_code == 403
    assert refused.json() == {"detail": "This thread is locked: it takes no new replies."}
    allowed = client.post(
        f"/api/v1/threads/{thread.id}/posts",
        json={"body": "Closed."},
        headers=bearer(db, moderator),
    )
    assert allowed.status_code == 201
    # Moved into a members-only category: visitors no longer see it.
    client.cookies.clear()
    assert client.get(f"/api/v1/threads/{thread.id}").status_code == 404

    again = client.post_form(f"/moderation/threads/{thread.id}/pin", {"reason": "twice"})
    assert again.status_code == 303  # type: ignore[attr-defined]
    assert len(audit(db, "thread.pin")) == 1, "a no-op is not recorded"


def test_every_moderator_action_needs_a_reason(
    client: Client, db: Session, moderator: User, discussion: tuple[Thread, Post]
) -> None:
    thread, post = discussion
    sign_in(client, db, moderator)
    for url in (f"/moderation/threads/{thread.id}/lock", f"/moderation/posts/{post.id}/hide"):
        response = client.post_form(url, {"reason": "  "})
        assert response.status_code == 303  # type: ignore[attr-defined]
    page = client.get(f"/threads/{thread.id}")
    assert "Say why: the reason is kept in the audit log." in page.text
    db.expire_all()
    assert not thread.locked and post.hidden_at is None
    assert db.scalar(select(AuditLog)) is None


def test_every_action_is_audited_with_who_and_why(
    db: Session,
    settings: Settings,
    member: User,
    other_member: User,
    moderator: User,
    discussion: tuple[Thread, Post],
    categories: dict[str, Category],
) -> None:
    thread, post = discussion
    flag = flags.flag(
        db, member, object_type="post", object_id=post.id, reason="spam", settings=settings
    )
    actions = [
        ("post.hide", lambda: moderation.hide_post(db, moderator, post, reason="r1")),
        ("post.unhide", lambda: moderation.unhide_post(db, moderator, post, reason="r2")),
        ("thread.pin", lambda: moderation.pin(db, moderator, thread, reason="r3")),
        ("thread.unpin", lambda: moderation.unpin(db, moderator, thread, reason="r4")),
        ("thread.lock", lambda: moderation.lock(db, moderator, thread, reason="r5")),
        ("thread.unlock", lambda: moderation.unlock(db, moderator, thread, reason="r6")),
        ("thread.hide", lambda: moderation.hide_thread(db, moderator, thread, reason="r7")),
        ("thread.unhide", lambda: moderation.unhide_thread(db, moderator, thread, reason="r8")),
        (
            "thread.move",
            lambda: moderation.move_thread(
                db, moderator, thread, to=categories["platform-feedback"], reason="r9"
            ),
        ),
        (
            "user.suspend",
            lambda: moderation.suspend_member(db, moderator, other_member, reason="r10"),
        ),
    ]
    for action, run in actions:
        assert run() is True, action
    db.flush()
    for number, (action, _) in enumerate(actions, start=1):
        [entry] = audit(db, action)
        assert (entry.actor_id, entry.reason) == (moderator.id, f"r{number}")
        assert "Mona Moderator" in entry.actor_label
    db.refresh(flag)
    assert flag.resolution == "hidden", "hiding the post closed its flag"
    assert flag.resolved_by_id == moderator.id


# --- the queue -------------------------------------------------------------------------------


def test_the_queue_shows_open_flags_and_an_empty_state(
    client: Client,
    db: Session,
    settings: Settings,
    member: User,
    moderator: User,
    discussion: tuple[Thread, Post],
) -> None:
    _, post = discussion
    sign_in(client, db, moderator)
    empty = client.get("/moderation")
    assert empty.status_code == 200
    assert "Nothing to review" in empty.text
    flags.flag(
        db,
        member,
        object_type="post",
        object_id=post.id,
        reason="Selling pills <b>loudly</b>",
        settings=settings,
    )
    db.flush()
    queue = client.get("/moderation")
    assert "A post in “Buyers in Osaka”" in queue.text
    assert "Selling pills &lt;b&gt;loudly&lt;/b&gt;" in queue.text, "escaped"
    assert "Flagged by Maria Member" in queue.text
    assert f'formaction="/moderation/posts/{post.id}/hide"' in queue.text
    hide = client.post_form(
        f"/moderation/posts/{post.id}/hide", {"reason": "spam", "next": "/moderation"}
    )
    assert hide.headers["location"] == "/moderation"  # type: ignore[attr-defined]
    assert "Nothing to review" in client.get("/moderation").text, "hiding closed the flag"


def test_the_queue_is_paged_twenty_at_a_time(
    client: Client,
    db: Session,
    settings: Settings,
    people: People,
    moderator: User,
    discussion: tuple[Thread, Post],
) -> None:
    _, post = discussion
    for n in range(23):
        reporter = people.make(name=f"Reporter {n:02d}")
        flags.flag(
            db,
            reporter,
            object_type="post",
            object_id=post.id,
            reason=f"reason number {n:02d}",
            settings=settings,
        )
    db.flush()
    sign_in(client, db, moderator)
    first = client.get("/moderation")
    assert first.text.count('class="card" id="flag-') == 20
    assert "reason number 00" in first.text and "reason number 22" not in first.text
    assert "22 other open flags on it" in first.text
    assert "1–20 of 23" in first.text and 'href="/moderation?page=2"' in first.text
    second = client.get("/moderation?page=2")
    assert second.text.count('class="card" id="flag-') == 3
    assert "reason number 22" in second.text


def test_dismissing_a_flag_closes_it_with_a_reason(
    client: Client,
    db: Session,
    settings: Settings,
    member: User,
    moderator: User,
    discussion: tuple[Thread, Post],
) -> None:
    thread, _ = discussion
    flag = flags.flag(
        db, member, object_type="thread", object_id=thread.id, reason="Off topic", settings=settings
    )
    db.flush()
    sign_in(client, db, moderator)
    response = client.post_form(
        f"/moderation/flags/{flag.id}/resolve", {"reason": "It is on topic"}
    )
    assert response.headers["location"] == "/moderation"  # type: ignore[attr-defined]
    db.refresh(flag)
    assert flag.resolved_at is not None and flag.resolution == "dismissed"
    [entry] = audit(db, "flag.resolve")
    assert (entry.actor_id, entry.reason) == (moderator.id, "It is on topic")
    assert entry.details["flag_reason"] == "Off topic"


def test_moderators_suspend_a_flagged_member_and_admins_get_a_link(
    client: Client,
    db: Session,
    settings: Settings,
    member: User,
    other_member: User,
    moderator: User,
    admin: User,
) -> None:
    flags.flag(
        db,
        member,
        object_type="profile",
        object_id=other_member.id,
        reason="Fake account",
        settings=settings,
    )
    db.flush()
    sign_in(client, db, admin)
    assert f'href="/admin/users/{other_member.id}"' in client.get("/moderation").text
    sign_in(client, db, moderator)
    queue = client.get("/moderation")
    assert f'formaction="/moderation/users/{other_member.id}/suspend"' in queue.text
    assert f'href="/admin/users/{other_member.id}"' not in queue.text
    response = client.post_form(
        f"/moderation/users/{other_member.id}/suspend", {"reason": "Fake account"}
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    db.refresh(other_member)
    assert other_member.is_suspended and other_member.suspended_reason == "Fake account"
    [entry] = audit(db, "user.suspend")
    assert (entry.actor_id, entry.reason, entry.object_id) == (
        moderator.id,
        "Fake account",
        str(other_member.id),
    )
    assert "Nothing to review" in client.get("/moderation").text
    refused = client.post_form(f"/moderation/users/{admin.id}/suspend", {"reason": "coup"})
    assert refused.status_code == 403  # type: ignore[attr-defined]
    db.refresh(admin)
    assert not admin.is_suspended


# --- tools and history ---------------------------------------------------------------------


def test_the_post_tools_differ_by_role(
    client: Client,
    db: Session,
    member: User,
    other_member: User,
    moderator: User,
    discussion: tuple[Thread, Post],
) -> None:
    thread, post = discussion
    assert f"/posts/{post.id}/flag" not in client.get(f"/threads/{thread.id}").text
    sign_in(client, db, member)
    as_member = client.get(f"/threads/{thread.id}").text
    assert f'action="/posts/{post.id}/flag"' in as_member
    assert f'action="/threads/{thread.id}/flag"' not in as_member, "the author's own thread"
    assert "/moderation/" not in as_member
    sign_in(client, db, other_member)
    as_other = client.get(f"/threads/{thread.id}").text
    assert f'action="/posts/{post.id}/flag"' not in as_other, "nobody flags their own post"
    assert f'action="/threads/{thread.id}/flag"' in as_other
    sign_in(client, db, moderator)
    as_moderator = client.get(f"/threads/{thread.id}").text
    assert f'action="/moderation/posts/{post.id}/hide"' in as_moderator
    assert f'action="/posts/{post.id}/flag"' not in as_moderator


def test_moderators_read_a_posts_edit_history(
    client: Client,
    db: Session,
    other_member: User,
    moderator: User,
    discussion: tuple[Thread, Post],
) -> None:
    thread, post = discussion
    writes.edit_post(db, other_member, post, body="A tamer text")
    db.flush()
    assert db.scalar(select(PostRevision).where(PostRevision.post_id == post.id)) is not None
    sign_in(client, db, moderator)
    assert f'href="/posts/{post.id}/history"' in client.get(f"/threads/{thread.id}").text
    history = client.get(f"/posts/{post.id}/history")
    assert history.status_code == 200
    assert "Buy my miracle pills at example.com" in history.text
    assert "A tamer text" in history.text
    assert "Edited by Otto Other" in history.text


def test_authors_see_their_own_posts_edit_history(
    client: Client,
    db: Session,
    member: User,
    other_member: User,
    discussion: tuple[Thread, Post],
) -> None:
    thread, post = discussion
    writes.edit_post(db, other_member, post, body="A tamer text")
    db.flush()
    sign_in(client, db, other_member)
    assert f'href="/posts/{post.id}/history"' in client.get(f"/threads/{thread.id}").text
    history = client.get(f"/posts/{post.id}/history")
    assert history.status_code == 200
    assert "Buy my miracle pills at example.com" in history.text
    sign_in(client, db, member)  # the thread's author, not the post's
    assert f'href="/posts/{post.id}/history"' not in client.get(f"/threads/{thread.id}").text
    assert client.get(f"/posts/{post.id}/history").status_code == 403
    opening = db.scalar(select(Post).where(Post.thread_id == thread.id, Post.is_opening))
    assert opening is not None
    writes.edit_post(db, member, opening, body="Buyers in Osaka and Kobe")
    db.flush()
    assert f'href="/posts/{opening.id}/history"' in client.get(f"/threads/{thread.id}").text
    assert client.get(f"/posts/{opening.id}/history").status_code == 200


def test_a_moderators_tools_under_each_post_are_markup_not_text(
    as_moderator: Client, db: Session, discussion: tuple[Thread, Post]
) -> None:
    """The tools every post shares are rendered once per page and stamped with each
    post's id: the opening's, the hide form and the unhide form stay HTML (a string joined
    with a translated word once came out escaped, as visible text)."""
    thread, reply_post = discussion
    opening_id = db.scalar(select(Post.id).where(Post.thread_id == thread.id, Post.is_opening))
    page = as_moderator.get(f"/threads/{thread.id}").text
    assert "&lt;details" not in page and "&lt;form" not in page
    assert page.count('<details class="mod-tools">') >= 2
    assert f'action="/moderation/posts/{reply_post.id}/hide"' in page
    for post_id in (opening_id, reply_post.id):  # a conversation on its own
        single = as_moderator.get(f"/threads/{thread.id}/replies/{post_id}").text
        assert "&lt;details" not in single and '<details class="mod-tools">' in single
