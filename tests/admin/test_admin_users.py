"""The admin area's member pages: who may open them, roles, suspension, confirmation links."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import ApiToken, User
from forum.core.audit import AuditLog
from tests.conftest import Client, Outbox, People, sign_in

ADMIN_PAGES = [
    "/admin",
    "/admin/users",
    "/admin/invite",
    "/admin/audit",
    "/admin/region-groups",
    "/admin/partnerships",
    "/admin/sectors",
]


@pytest.fixture
def other_client(app: FastAPI) -> Iterator[Client]:
    """A second browser, for the member while `client` is the admin."""
    with Client(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


def audit_entries(db: Session, action: str) -> list[AuditLog]:
    return list(db.scalars(select(AuditLog).where(AuditLog.action == action)))


@pytest.mark.parametrize("path", [*ADMIN_PAGES, "/admin/users/1"])
def test_anonymous_visitors_are_sent_to_log_in_from_every_admin_page(
    client: Client, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ["member", "moderator"])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_members_and_moderators_are_refused_every_admin_page(
    client: Client, db: Session, request: pytest.FixtureRequest, role: str, path: str
) -> None:
    sign_in(client, db, request.getfixturevalue(role))
    response = client.get(path)
    assert response.status_code == 403
    assert "admins" in response.text


@pytest.mark.parametrize("role", ["member", "moderator"])
def test_members_and_moderators_cannot_change_a_role_or_suspend(
    client: Client,
    db: Session,
    people: People,
    request: pytest.FixtureRequest,
    role: str,
) -> None:
    target = people.make(name="Tina Target")
    sign_in(client, db, request.getfixturevalue(role))
    assert client.post_form(f"/admin/users/{target.id}/role", {"role": "admin"}).status_code == 403
    suspended = client.post_form(f"/admin/users/{target.id}/suspend", {"reason": "spam"})
    assert suspended.status_code == 403
    db.refresh(target)
    assert target.role == "member" and not target.is_suspended
    assert audit_entries(db, "user.role") == [] and audit_entries(db, "user.suspend") == []


def test_dashboard_counts_members_unverified_suspended_and_partnerships(
    as_admin: Client, demo_db: Session, people: People
) -> None:
    people.make(verified=False)
    people.make(verified=False)
    people.make()
    suspended = people.make()
    suspended.suspended_at = suspended.created_at
    demo_db.flush()
    # The demo loads its own accounts (the report's partnerships' demo members).
    everyone = demo_db.scalar(select(func.count()).select_from(User))
    page = as_admin.get("/admin")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert (
        f'<span class="stat-number">{everyone}</span> <a class="stat-label" href="/admin/users">members'
        in text
    )
    assert '<span class="stat-number">2</span> <span class="stat-label">with an unconfirmed' in text
    assert '<span class="stat-number">1</span> <span class="stat-label">suspended' in text
    assert (
        '<span class="stat-number">21</span> <a class="stat-label" href="/admin/partnerships">'
        in text
    )
    assert page.text.count("<h1") == 1
    for link in ("/admin/users", "/admin/invite", "/admin/sectors", "/admin/region-groups"):
        assert f'href="{link}"' in page.text


def test_user_list_searches_by_name_and_email(as_admin: Client, people: People) -> None:
    people.make(name="Zoe Zeta", email="zoe@cluster.example")
    people.make(name="Yann Ypsilon", email="yann@elsewhere.example")
    by_name = as_admin.get("/admin/users?q=zeta")
    assert "Zoe Zeta" in by_name.text and "Yann Ypsilon" not in by_name.text
    by_email = as_admin.get("/admin/users?q=ELSEWHERE")
    assert "Yann Ypsilon" in by_email.text and "Zoe Zeta" not in by_email.text


def test_user_list_is_paginated_and_shows_role_and_state(as_admin: Client, people: People) -> None:
    for _ in range(26):
        people.make(verified=False)
    first = as_admin.get("/admin/users")
    assert "1–25 of 27" in first.text
    assert 'href="/admin/users?page=2"' in first.text
    assert "not confirmed" in first.text
    second = as_admin.get("/admin/users?page=2")
    assert "26–27 of 27" in second.text
    assert "Ada Admin" in second.text  # the oldest account comes last
    beyond = as_admin.get("/admin/users?page=9")
    assert 'class="empty-state"' in beyond.text


def test_user_list_shows_an_empty_state_when_nobody_matches(as_admin: Client) -> None:
    response = as_admin.get("/admin/users?q=nobody-like-this")
    assert response.status_code == 200
    assert 'class="empty-state"' in response.text
    assert "Nobody matches" in response.text


def test_an_unknown_member_is_a_404(as_admin: Client) -> None:
    assert as_admin.get("/admin/users/999999").status_code == 404
    assert as_admin.post_form("/admin/users/999999/role", {"role": "admin"}).status_code == 404


def test_role_change_is_audited_with_actor_and_reason(
    as_admin: Client, db: Session, admin: User, member: User
) -> None:
    response = as_admin.post_form(
        f"/admin/users/{member.id}/role",
        {"role": "moderator", "reason": "Joins the platform team"},
    )
    assert response.status_code == 303
    db.refresh(member)
    assert member.role == "moderator"
    [entry] = audit_entries(db, "user.role")
    assert entry.actor_id == admin.id
    assert entry.actor_label == "Ada Admin <ada@example.eu>"
    assert entry.object_type == "user" and entry.object_id == str(member.id)
    assert entry.reason == "Joins the platform team"
    assert entry.details == {"role": {"from": "member", "to": "moderator"}}
    assert entry.created_at is not None
    page = as_admin.get(f"/admin/users/{member.id}")
    assert "Maria Member is now moderator." in page.text


def test_an_admin_cannot_remove_their_own_admin_role(
    as_admin: Client, db: Session, admin: User
) -> None:
    response = as_admin.post_form(f"/admin/users/{admin.id}/role", {"role": "member"})
    assert response.status_code == 422
    assert "your own admin role" in response.text
    db.refresh(admin)
    assert admin.role == "admin"
    assert audit_entries(db, "user.role") == []


def test_an_unknown_role_is_refused_with_a_message(
    as_admin: Client, db: Session, member: User
) -> None:
    response = as_admin.post_form(f"/admin/users/{member.id}/role", {"role": "owner"})
    assert response.status_code == 422
    assert "Unknown role" in response.text
    db.refresh(member)
    assert member.role == "member"


def test_suspension_needs_a_reason(as_admin: Client, db: Session, member: User) -> None:
    response = as_admin.post_form(f"/admin/users/{member.id}/suspend", {"reason": "   "})
    assert response.status_code == 422
    assert "Say why" in response.text
    assert 'aria-invalid="true"' in response.text
    db.refresh(member)
    assert not member.is_suspended
    assert audit_entries(db, "user.suspend") == []


def test_suspension_signs_the_member_out_everywhere_and_is_audited(
    as_admin: Client,
    other_client: Client,
    db: Session,
    admin: User,
    member: User,
) -> None:
    sign_in(other_client, db, member)
    raw_token, _ = create_api_token(db, member, name="script")
    db.flush()
    signed_in = other_client.get("/privacy")
    assert "Maria Member" in signed_in.text and ">Log in<" not in signed_in.text
    assert other_client.get("/welcome").status_code == 200

    response = as_admin.post_form(
        f"/admin/users/{member.id}/suspend", {"reason": "Posted spam links"}
    )
    assert response.status_code == 303

    after = other_client.get("/welcome")
    assert after.status_code == 303
    assert after.headers["location"].startswith("/login")
    assert ">Log in<" in other_client.get("/privacy").text
    db.expire_all()
    assert member.is_suspended and member.suspended_reason == "Posted spam links"
    assert all(t.revoked_at is not None for t in db.scalars(select(ApiToken)))
    api = other_client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw_token}"})
    assert api.status_code == 401
    [entry] = audit_entries(db, "user.suspend")
    assert entry.actor_id == admin.id and entry.reason == "Posted spam links"


def test_a_suspended_member_cannot_log_in(
    as_admin: Client, other_client: Client, member: User
) -> None:
    as_admin.post_form(f"/admin/users/{member.id}/suspend", {"reason": "Spam"})
    response = other_client.post_form(
        "/login", {"email": member.email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 400
    assert "suspended" in response.text


def test_lifting_a_suspension_is_audited(
    as_admin: Client, db: Session, admin: User, member: User
) -> None:
    as_admin.post_form(f"/admin/users/{member.id}/suspend", {"reason": "Spam"})
    response = as_admin.post_form(
        f"/admin/users/{member.id}/unsuspend", {"reason": "Cleared up by phone"}
    )
    assert response.status_code == 303
    db.expire_all()
    assert not member.is_suspended and member.suspended_reason is None
    [entry] = audit_entries(db, "user.unsuspend")
    assert entry.reason == "Cleared up by phone"
    assert entry.details == {"suspension_reason": "Spam"}


def test_an_admin_cannot_suspend_themselves(as_admin: Client, db: Session, admin: User) -> None:
    response = as_admin.post_form(f"/admin/users/{admin.id}/suspend", {"reason": "Testing"})
    assert response.status_code == 422
    db.refresh(admin)
    assert not admin.is_suspended


def test_resend_verification_queues_a_new_link_and_is_audited(
    as_admin: Client, db: Session, people: People, outbox: Outbox
) -> None:
    unconfirmed = people.make(name="Una Unconfirmed", email="una@example.eu", verified=False)
    page = as_admin.get(f"/admin/users/{unconfirmed.id}")
    assert f'action="/admin/users/{unconfirmed.id}/verification"' in page.text
    response = as_admin.post_form(f"/admin/users/{unconfirmed.id}/verification", {})
    assert response.status_code == 303
    assert len(outbox.to("una@example.eu")) == 1
    link = outbox.last_link("una@example.eu", "/verify/")
    assert as_admin.get(link).status_code == 200
    [entry] = audit_entries(db, "user.resend_verification")
    assert entry.object_id == str(unconfirmed.id)


def test_resending_to_a_confirmed_address_is_refused(
    as_admin: Client, member: User, outbox: Outbox
) -> None:
    response = as_admin.post_form(f"/admin/users/{member.id}/verification", {})
    assert response.status_code == 422
    assert "already confirmed" in response.text
    assert outbox.to(member.email) == []


def test_member_page_shows_state_and_forms_with_csrf(
    as_admin: Client, db: Session, member: User
) -> None:
    page = as_admin.get(f"/admin/users/{member.id}")
    assert page.status_code == 200
    assert page.text.count("<h1") == 1 and "Maria Member" in page.text
    assert page.text.count('name="csrf_token"') >= 3  # role, suspend, log out
    assert f'action="/admin/users/{member.id}/suspend"' in page.text
    assert f'action="/admin/users/{member.id}/verification"' not in page.text  # confirmed


def test_searching_users_treats_percent_and_underscore_literally(
    as_admin: Client, db: Session, people: People
) -> None:
    people.make(name="Plain Name", email="plain@example.eu")
    people.make(name="Under_score", email="under@example.eu")
    everyone = as_admin.get("/admin/users?q=%25")
    assert "Plain Name" not in everyone.text
    underscore = as_admin.get("/admin/users?q=_")
    assert "Under_score" in underscore.text
    assert "Plain Name" not in underscore.text


def test_an_admin_with_a_very_long_name_and_address_is_still_audited(
    client: Client, db: Session, people: People, member: User
) -> None:
    from forum.core.audit import record

    long_admin = people.make(
        role="admin", name="N" * 120, email=("a" * 60) + "@" + ("b" * 250) + ".eu"
    )
    entry = record(
        db, actor=long_admin, action="test.long", object_type="user", object_id=member.id
    )
    db.flush()
    assert len(entry.actor_label) == 200


def test_the_header_links_admins_and_only_admins_to_the_admin_area(
    client: Client, db: Session, admin: User, member: User
) -> None:
    sign_in(client, db, member)
    assert 'href="/admin"' not in client.get("/").text
    sign_in(client, db, admin)
    assert 'href="/admin"' in client.get("/").text
