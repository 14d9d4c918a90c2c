"""Where a member is signed in: browser sessions and API login tokens, and what ends them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.api_tokens import create_api_token
from forum.accounts.credentials import SIGNINS_PER_PAGE
from forum.accounts.models import ApiToken, User, UserSession
from forum.accounts.sessions import (
    SESSION_COOKIE,
    TOUCH_EVERY,
    create_session,
    describe_user_agent,
)
from forum.accounts.tokens import hash_token
from tests.conftest import TEST_PASSWORD, Client, Outbox, sign_in, signed_in_as

NEW_PASSWORD = "a brand new passphrase"


def _api_login(client: Client, user: User, password: str = TEST_PASSWORD) -> str:
    response = client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _me(client: Client, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_login_token_stops_working_when_its_owner_changes_the_password(
    client: Client, db: Session, member: User, outbox: Outbox
) -> None:
    token = _api_login(client, member)
    assert _me(client, token) == 200
    sign_in(client, db, member)
    changed = client.post_form(
        "/profile/password", {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 303  # type: ignore[attr-defined]
    assert _me(client, token) == 401
    posted = client.post(
        "/api/v1/threads",
        headers={"Authorization": f"Bearer {token}"},
        json={"title": "Still here", "body": "A post with a stale token", "category": "x"},
    )
    assert posted.status_code == 401


def test_a_login_token_stops_working_when_its_owner_resets_the_password(
    client: Client, db: Session, member: User, outbox: Outbox
) -> None:
    token = _api_login(client, member)
    client.post_form("/password/forgot", {"email": member.email})
    link = outbox.last_link(member.email, "/password/reset/")
    assert client.post_form(link, {"password": NEW_PASSWORD}).status_code == 303  # type: ignore[attr-defined]
    assert _me(client, token) == 401


def test_a_password_change_keeps_this_browser_and_personal_tokens_and_says_so_by_email(
    client: Client, db: Session, member: User, outbox: Outbox
) -> None:
    login = _api_login(client, member)
    other_browser = Client(client.app, base_url="http://testserver", follow_redirects=False)
    sign_in(other_browser, db, member)
    personal, _ = create_api_token(db, member, name="CRM sync")
    sign_in(client, db, member)
    changed = client.post_form(
        "/profile/password", {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 303  # type: ignore[attr-defined]
    assert signed_in_as(client.get("/").text) == member.name, "this browser stays signed in"
    assert signed_in_as(other_browser.get("/").text) is None
    assert _me(client, login) == 401
    assert _me(client, personal) == 200, "a personal token is kept, and listed on the profile"

    (notice,) = [m for m in outbox.to(member.email) if "password" in m["Subject"]]
    text = notice.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Other browsers signed out: 1" in text
    assert "API login tokens revoked: 1" in text
    assert "1 personal API token made on your profile still works" in text
    assert notice.get_body(preferencelist=("html",)) is not None
    links = re.findall(r"https?://\S+", text)
    assert all("/reset/" not in link and "/undo" not in link for link in links), links


def test_a_password_change_voids_pending_reset_and_email_change_links(
    as_member: Client, db: Session, member: User, outbox: Outbox
) -> None:
    as_member.post_form("/password/forgot", {"email": member.email})
    reset_link = outbox.last_link(member.email, "/password/reset/")
    as_member.post_form(
        "/profile/email", {"new_email": "someone@else.example.eu", "email_password": TEST_PASSWORD}
    )
    confirm_link = outbox.last_link("someone@else.example.eu", "/email/confirm/")

    as_member.post_form(
        "/profile/password", {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD}
    )
    refused = as_member.post_form(reset_link, {"password": "yet another passphrase"})
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert as_member.post_form(confirm_link, {}).status_code == 400  # type: ignore[attr-defined]
    db.refresh(member)
    assert member.email == "maria@example.eu"


def test_a_reset_signs_out_every_browser_and_sends_the_notice(
    client: Client, db: Session, member: User, outbox: Outbox
) -> None:
    sign_in(client, db, member)
    _api_login(client, member)
    client.post_form("/password/forgot", {"email": member.email})
    link = outbox.last_link(member.email, "/password/reset/")
    assert client.post_form(link, {"password": NEW_PASSWORD}).status_code == 303  # type: ignore[attr-defined]
    assert signed_in_as(client.get("/").text) is None
    (notice,) = [m for m in outbox.to(member.email) if "was changed" in m["Subject"]]
    text = notice.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "reset from a link we emailed you" in text
    assert "Browsers signed out: 1" in text
    assert "API login tokens revoked: 1" in text


FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def _browser(client: Client, db: Session, user: User, user_agent: str) -> tuple[Client, int]:
    """Another browser signed in as `user`, and the id of its session."""
    other = Client(client.app, base_url="http://testserver", follow_redirects=False)
    raw = create_session(db, user, user_agent=user_agent)
    db.flush()
    other.cookies.set(SESSION_COOKIE, raw)
    session = db.scalar(select(UserSession).where(UserSession.token_hash == hash_token(raw)))
    assert session is not None
    return other, session.id


def _sessions_section(client: Client, url: str = "/profile") -> str:
    page = client.get(url)
    assert page.status_code == 200
    start = page.text.index('<section id="sessions"')
    return page.text[start : page.text.index("</section>", start)]


def _row_of(section: str, text: str) -> str:
    rows = [row for row in section.split("<tr>") if text in row]
    assert len(rows) == 1, (text, section)
    return rows[0]


def test_the_profile_lists_browsers_and_api_logins_and_marks_this_browser(
    client: Client, db: Session, member: User, other_member: User
) -> None:
    _browser(client, db, member, FIREFOX)
    _browser(client, db, other_member, IPHONE)
    _api_login(client, member)
    sign_in(client, db, member)
    section = _sessions_section(client)
    assert "Firefox on Linux" in section
    assert "Safari on iOS" not in section, "another member's sessions are not shown"
    assert "API client" in section
    assert "(API login)" in section
    this = _row_of(section, "This browser")
    assert "Unknown browser" in this, "sign_in() sends no User-Agent"
    assert "/revoke" not in this, "this browser is ended by logging out"
    assert 'action="/profile/sessions/revoke-others"' in section
    assert section.index("This browser") < section.index("Firefox on Linux"), "listed first"


def test_a_member_signs_one_other_browser_out(client: Client, db: Session, member: User) -> None:
    firefox, firefox_id = _browser(client, db, member, FIREFOX)
    iphone, _ = _browser(client, db, member, IPHONE)
    sign_in(client, db, member)
    action = f'action="/profile/sessions/{firefox_id}/revoke"'
    assert action in _row_of(_sessions_section(client), "Firefox on Linux")

    done = client.post_form(f"/profile/sessions/{firefox_id}/revoke", {})
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert done.headers["location"] == "/profile#sessions"  # type: ignore[attr-defined]
    page = client.get("/profile").text
    assert "That browser is signed out." in page
    assert "Firefox on Linux" not in page
    assert signed_in_as(page) == member.name
    assert signed_in_as(firefox.get("/").text) is None
    assert signed_in_as(iphone.get("/").text) == member.name
    again = client.post_form(f"/profile/sessions/{firefox_id}/revoke", {})
    assert again.status_code == 404  # type: ignore[attr-defined]


def test_a_member_revokes_an_api_login_from_the_profile(
    client: Client, db: Session, member: User
) -> None:
    token = _api_login(client, member)
    stored = db.scalar(select(ApiToken).where(ApiToken.user_id == member.id))
    assert stored is not None
    sign_in(client, db, member)
    assert f'action="/profile/tokens/{stored.id}/revoke"' in _sessions_section(client)
    done = client.post_form(f"/profile/tokens/{stored.id}/revoke", {})
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert done.headers["location"] == "/profile#sessions"  # type: ignore[attr-defined]
    assert _me(client, token) == 401
    assert "API client" not in _sessions_section(client)


def test_sign_out_everywhere_else_ends_other_browsers_and_api_logins_but_not_this_one(
    client: Client, db: Session, member: User, other_member: User
) -> None:
    firefox, _ = _browser(client, db, member, FIREFOX)
    others, _ = _browser(client, db, other_member, IPHONE)
    login = _api_login(client, member)
    personal, _ = create_api_token(db, member, name="CRM sync")
    someone_elses = _api_login(client, other_member)
    sign_in(client, db, member)

    done = client.post_form("/profile/sessions/revoke-others", {})
    assert done.status_code == 303  # type: ignore[attr-defined]
    page = client.get("/profile").text
    assert "Signed out everywhere else: 1 other browser and 1 API login." in page
    assert signed_in_as(page) == member.name
    assert signed_in_as(firefox.get("/").text) is None
    assert _me(client, login) == 401
    assert _me(client, personal) == 200, "personal tokens are listed and revoked one by one"
    assert signed_in_as(others.get("/").text) == other_member.name, "nobody else's"
    assert _me(client, someone_elses) == 200
    section = _sessions_section(client)
    assert "You are signed in nowhere else." in section
    assert "revoke-others" not in section


def test_another_member_cannot_sign_out_your_browser_or_revoke_your_api_login(
    client: Client, db: Session, member: User, other_member: User
) -> None:
    firefox, firefox_id = _browser(client, db, member, FIREFOX)
    token = _api_login(client, member)
    stored = db.scalar(select(ApiToken).where(ApiToken.user_id == member.id))
    assert stored is not None
    sign_in(client, db, other_member)
    assert client.post_form(f"/profile/sessions/{firefox_id}/revoke", {}).status_code == 404  # type: ignore[attr-defined]
    assert client.post_form(f"/profile/tokens/{stored.id}/revoke", {}).status_code == 404  # type: ignore[attr-defined]
    assert "Firefox on Linux" not in _sessions_section(client)
    assert signed_in_as(firefox.get("/").text) == member.name
    assert _me(client, token) == 200


def test_the_list_of_where_you_are_signed_in_is_paginated(
    client: Client, db: Session, member: User
) -> None:
    for _ in range(SIGNINS_PER_PAGE + 2):
        _browser(client, db, member, FIREFOX)
    sign_in(client, db, member)
    first = _sessions_section(client)
    assert first.count("<tr>") == SIGNINS_PER_PAGE + 1  # and the header row
    assert "This browser" in first
    assert 'href="/profile?page=2#sessions"' in first
    second = _sessions_section(client, "/profile?page=2")
    assert second.count("<tr>") == 3 + 1 and "Firefox on Linux" in second
    assert "This browser" not in second
    assert 'href="/profile#sessions"' in second
    beyond = _sessions_section(client, "/profile?page=9")
    assert "Nothing on this page" in beyond
    assert _sessions_section(client, "/profile?page=x") == first


def test_revoking_a_session_needs_the_csrf_token(client: Client, db: Session, member: User) -> None:
    firefox, firefox_id = _browser(client, db, member, FIREFOX)
    sign_in(client, db, member)
    client.csrf_token()
    forged = client.post(f"/profile/sessions/{firefox_id}/revoke")
    assert forged.status_code == 403
    assert signed_in_as(firefox.get("/").text) == member.name


def test_a_tokens_last_use_is_written_at_most_every_few_minutes(
    client: Client, db: Session, member: User
) -> None:
    token = _api_login(client, member)
    stored = db.scalar(select(ApiToken).where(ApiToken.user_id == member.id))
    assert stored is not None
    assert _me(client, token) == 200
    db.refresh(stored)
    first = stored.last_used_at
    assert first is not None
    assert _me(client, token) == 200
    db.refresh(stored)
    assert stored.last_used_at == first, "no write on every request"
    stored.last_used_at = first - TOUCH_EVERY - dt.timedelta(seconds=1)
    db.flush()
    assert _me(client, token) == 200
    db.refresh(stored)
    assert stored.last_used_at is not None and stored.last_used_at >= first, "written again"


@pytest.mark.parametrize(
    ("user_agent", "shown"),
    [
        (FIREFOX, "Firefox on Linux"),
        (IPHONE, "Safari on iOS"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("curl/8.5.0", "curl"),
        ("", "Unknown browser"),
    ],
)
def test_a_sessions_browser_is_summarised_from_its_user_agent(user_agent: str, shown: str) -> None:
    assert describe_user_agent(user_agent) == shown
