"""Privacy: download my data, delete my account, and the page that explains both."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import ApiToken, EmailToken, Membership, User, UserSession
from forum.accounts.service import issue_email_token
from forum.accounts.sessions import SESSION_COOKIE
from forum.core import privacy as parts
from forum.core.audit import AuditLog, record
from forum.notifications.models import Follow
from forum.notifications.service import set_follows
from forum.partnerships.service import get_partnership_by_slug
from tests.conftest import TEST_PASSWORD, Client, People, Threads, sign_in, signed_in_as


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Empty exporter and eraser registries for one test; answers the erasers' calls."""
    monkeypatch.setattr(parts, "_exporters", {})
    monkeypatch.setattr(parts, "_erasers", {})
    return []


def _row(db: Session, user_id: int) -> User | None:
    db.expire_all()
    return db.scalar(select(User).where(User.id == user_id))


def _count(db: Session, model: Any, user_id: int) -> int:
    return db.scalar(select(func.count()).select_from(model).where(model.user_id == user_id)) or 0


# --- download my data -----------------------------------------------------------------------


def test_the_export_is_a_json_download_of_the_members_data_without_any_hash(
    client: Client, demo_db: Session, people: People, registry: list[tuple[str, bool]]
) -> None:
    member = people.make(
        name="Paula Partner", email="paula@example.eu", partnership_slug="laser-go-global"
    )
    member.bio = "Cluster manager in Lyon."
    set_follows(demo_db, member.id, "region_group", ["g:asean"])
    set_follows(demo_db, member.id, "sector", ["healthcare"])
    _, api_token = create_api_token(demo_db, member, name="CRM sync")
    issue_email_token(demo_db, member, "email-change", new_email="paula@new.example.eu")
    record(
        demo_db,
        actor=None,
        action="user.note",
        object_type="user",
        object_id=member.id,
        reason="Checked by the team.",
    )
    sign_in(client, demo_db, member)

    response = client.get("/profile/export", headers={"User-Agent": "Firefox on Linux"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert (
        response.headers["content-disposition"]
        == f'attachment; filename="cluster-forum-data-{member.id}.json"'
    )
    assert response.headers["cache-control"] == "no-store"
    data = response.json()
    assert data["account"]["email"] == "paula@example.eu"
    assert data["account"]["name"] == "Paula Partner"
    assert data["account"]["bio"] == "Cluster manager in Lyon."
    assert data["account"]["timezone"] == "Europe/Brussels"
    assert data["membership"]["partnership"]["slug"] == "laser-go-global"
    assert data["membership"]["status"] == "approved"
    assert {(f["type"], f["target"]) for f in data["follows"]} == {
        ("region_group", "g:asean"),
        ("sector", "healthcare"),
    }
    assert [t["name"] for t in data["api_tokens"]] == ["CRM sync"]
    assert data["api_tokens"][0]["prefix"] == api_token.prefix
    assert len(data["sessions"]) == 1
    assert data["email_links"][0]["new_email"] == "paula@new.example.eu"
    assert [e["reason"] for e in data["audit_log"]] == ["Checked by the team."]

    text = response.text
    assert "password_hash" not in text
    assert member.password_hash is not None and member.password_hash not in text
    hashes = [
        *demo_db.scalars(select(UserSession.token_hash).where(UserSession.user_id == member.id)),
        *demo_db.scalars(select(ApiToken.token_hash).where(ApiToken.user_id == member.id)),
        *demo_db.scalars(select(EmailToken.token_hash).where(EmailToken.user_id == member.id)),
    ]
    assert len(hashes) == 3
    for digest in hashes:
        assert digest not in text
    assert "token_hash" not in text


def test_the_export_holds_what_every_registered_domain_exports(
    as_member: Client, db: Session, member: User, registry: list[tuple[str, bool]]
) -> None:
    def posts(db: Session, user: User) -> list[dict[str, Any]]:
        return [{"author": user.name, "body": "Who exports to Japan?", "at": user.created_at}]

    parts.register_exporter("posts", posts)
    data = json.loads(as_member.get("/profile/export").text)
    assert data["posts"][0]["body"] == "Who exports to Japan?"
    assert data["posts"][0]["author"] == "Maria Member"
    assert isinstance(data["posts"][0]["at"], str), "datetimes become ISO strings"


def test_the_registry_refuses_reserved_and_clashing_names(
    registry: list[tuple[str, bool]],
) -> None:
    def nothing(db: Session, user: User) -> None:
        return None

    with pytest.raises(ValueError, match="key of the export itself"):
        parts.register_exporter("account", nothing)
    parts.register_exporter("posts", nothing)
    parts.register_exporter("posts", nothing)  # the same function again: harmless
    with pytest.raises(ValueError, match="already registered"):
        parts.register_exporter("posts", lambda db, user: None)
    with pytest.raises(ValueError, match="snake_case"):
        parts.register_exporter("Posts!", nothing)


# --- delete my account ------------------------------------------------------------------------


def test_the_delete_page_offers_the_choice_and_asks_for_the_password(
    as_member: Client, db: Session
) -> None:
    page = as_member.get("/profile/delete")
    assert page.status_code == 200
    assert page.text.count("<h1") == 1
    assert 'name="content" value="keep" checked' in page.text
    assert 'name="content" value="delete"' in page.text
    assert 'type="password" id="password" name="password"' in page.text
    assert 'action="/profile/delete"' in page.text


def test_deleting_the_account_requires_the_current_password(
    as_member: Client, db: Session, member: User
) -> None:
    response = as_member.post_form("/profile/delete", {"content": "keep", "password": "guess"})
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "Your password is not right." in response.text  # type: ignore[attr-defined]
    row = _row(db, member.id)
    assert row is not None and row.email == "maria@example.eu"
    assert as_member.get("/profile").status_code == 200


def test_deleting_needs_a_choice_about_the_content(
    as_member: Client, db: Session, member: User
) -> None:
    response = as_member.post_form("/profile/delete", {"password": TEST_PASSWORD})
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "Choose what happens to what you wrote." in response.text  # type: ignore[attr-defined]
    assert _row(db, member.id) is not None


def test_deleting_with_content_kept_removes_personal_data_sessions_tokens_and_follows(
    client: Client,
    demo_db: Session,
    people: People,
    registry: list[tuple[str, bool]],
) -> None:
    member = people.make(
        name="Paula Partner", email="paula@example.eu", partnership_slug="laser-go-global"
    )
    member.bio = "Cluster manager in Lyon."
    laser = get_partnership_by_slug(demo_db, "laser-go-global")
    assert laser is not None
    laser.coordinator_id = member.id
    set_follows(demo_db, member.id, "country", ["JP"])
    raw_token, _ = create_api_token(demo_db, member, name="CRM sync")
    issue_email_token(demo_db, member, "verify")
    record(demo_db, actor=member, action="membership.approve", object_type="x", object_id=1)

    def posts(db: Session, user: User, *, keep_content: bool) -> bool:
        registry.append(("posts", keep_content))
        return True  # the kept posts still name this user as author

    parts.register_eraser("posts", posts)
    sign_in(client, demo_db, member)
    old_cookie = client.cookies[SESSION_COOKIE]

    response = client.post_form("/profile/delete", {"content": "keep", "password": TEST_PASSWORD})
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/"  # type: ignore[attr-defined]
    assert registry == [("posts", True)]

    row = _row(demo_db, member.id)
    assert row is not None, "kept: content still points at it"
    assert row.name == "Former member"
    assert row.email == f"deleted-{member.id}@invalid"
    assert row.password_hash is None
    assert row.bio == ""
    assert row.email_verified_at is None
    assert row.suspended_at is not None
    for model in (Follow, UserSession, ApiToken, EmailToken, Membership):
        assert _count(demo_db, model, member.id) == 0, model.__name__
    assert laser.coordinator_id is None
    entry = demo_db.scalar(select(AuditLog).where(AuditLog.action == "membership.approve"))
    assert entry is not None
    assert entry.actor_id is None
    assert entry.actor_label.startswith("former member #"), "no name or address survives"
    assert "paula" not in entry.actor_label.lower()

    home = client.get("/")
    assert "Your account is deleted. What you wrote is kept as “Former member”." in home.text
    assert signed_in_as(home.text) is None
    client.cookies.set(SESSION_COOKIE, old_cookie)
    assert signed_in_as(client.get("/").text) is None
    refused = client.get("/profile")
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/login")
    api = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw_token}"})
    assert api.status_code == 401
    login = client.post_form("/login", {"email": "paula@example.eu", "password": TEST_PASSWORD})
    assert login.status_code == 400  # type: ignore[attr-defined]


def test_keeping_content_with_nothing_written_deletes_the_row(
    as_member: Client, db: Session, member: User, registry: list[tuple[str, bool]]
) -> None:
    parts.register_eraser("posts", lambda db, user, *, keep_content: False)
    response = as_member.post_form(
        "/profile/delete", {"content": "keep", "password": TEST_PASSWORD}
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert _row(db, member.id) is None


def test_deleting_with_content_deleted_deletes_the_row_and_asks_erasers_to_delete(
    as_member: Client, db: Session, member: User, registry: list[tuple[str, bool]]
) -> None:
    def posts(db: Session, user: User, *, keep_content: bool) -> bool:
        registry.append(("posts", keep_content))
        return keep_content

    parts.register_eraser("posts", posts)
    member_id = member.id
    set_follows(db, member_id, "sector", ["healthcare"])
    response = as_member.post_form(
        "/profile/delete", {"content": "delete", "password": TEST_PASSWORD}
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert registry == [("posts", False)]
    assert _row(db, member_id) is None
    assert _count(db, Follow, member_id) == 0
    deletion = db.scalar(select(AuditLog).where(AuditLog.action == "user.delete"))
    assert deletion is not None
    assert deletion.object_id == str(member_id)
    assert "maria" not in (deletion.actor_label + deletion.object_label).lower()


def test_the_only_admin_cannot_delete_their_account(
    as_admin: Client, db: Session, admin: User
) -> None:
    page = as_admin.get("/profile/delete")
    assert "You are the only admin of this forum." in page.text
    response = as_admin.post_form("/profile/delete", {"content": "keep", "password": TEST_PASSWORD})
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert _row(db, admin.id) is not None


# --- the privacy page -------------------------------------------------------------------------


def test_the_privacy_page_says_what_accounts_store_for_how_long_and_who_sees_it(
    client: Client, db: Session
) -> None:
    page = client.get("/privacy")
    assert page.status_code == 200
    text = page.text
    for expected in (
        "7 days without use or 30 days at most",
        "1 hour (password reset) to 14 days (invitation)",
        "30 days after they expire",
        "<td>1 day</td>",
        "<code>.eml</code> files in the outbox folder for 30 days",
        "Accountability",
        "never other members",
        "for signed-in members only",
        "Download my data",
        "Delete my account",
        "Former member",
    ):
        assert expected in text, expected
    assert "When member accounts are enabled" not in text


def test_the_export_holds_the_members_threads_and_posts(
    client: Client, db: Session, member: User, threads: Threads
) -> None:
    thread = threads.start(member, title="My good idea", body="Opening words")
    threads.reply(member, thread, "My reply text")
    sign_in(client, db, member)
    data = client.get("/profile/export").json()
    assert [t["title"] for t in data["discussions"]["threads"]] == ["My good idea"]
    bodies = [p["body"] for p in data["discussions"]["posts"]]
    assert bodies == ["Opening words", "My reply text"]


def test_deleting_an_account_with_its_content_blanks_posts_but_keeps_the_tree(
    db: Session, member: User, other_member: User, threads: Threads
) -> None:
    from forum.discussions.models import Post
    from forum.portal.privacy import delete_account

    thread = threads.start(member, title="To be removed", body="secret plans")
    mine = threads.reply(member, thread, "my words")
    theirs = threads.reply(other_member, thread, "their answer", mine)
    delete_account(db, member, keep_content=False)
    db.flush()
    db.expire_all()
    kept = db.get(Post, theirs.id)
    gone = db.get(Post, mine.id)
    assert kept is not None
    assert kept.body == "their answer"
    assert gone is not None
    assert gone.body == ""
    assert gone.deleted_at is not None
    db.refresh(thread)
    assert thread.title == "(removed by its author)"
    assert "secret plans" not in (thread_opening_body(db, thread.id))


def thread_opening_body(db: Session, thread_id: int) -> str:
    from sqlalchemy import select as _select

    from forum.discussions.models import Post

    post = db.scalar(_select(Post).where(Post.thread_id == thread_id, Post.is_opening.is_(True)))
    assert post is not None
    return post.body
