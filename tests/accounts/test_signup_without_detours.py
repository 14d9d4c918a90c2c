"""A sign-up without detours (issue 20): the confirmation link signs in, forms show every
error at once, a form without its fields gets messages, the home page and the header
lead to joining and to the settings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from forum.accounts.models import EmailToken, User, UserSession
from forum.accounts.sessions import SESSION_COOKIE
from forum.core.db import utcnow
from tests.conftest import TEST_PASSWORD, Client, Outbox, People, sign_in, signed_in_as


def _register(client: Client, email: str) -> None:
    response = client.post_form(
        "/register",
        {"email": email, "name": "Lena Laser", "password": TEST_PASSWORD, "partnership": ""},
    )
    assert response.status_code == 200


def test_the_confirmation_link_signs_in_and_leads_to_the_interests_step(
    client: Client, demo_db: Session, outbox: Outbox
) -> None:
    _register(client, "lena@example.eu")
    link = outbox.last_link("lena@example.eu", "/verify/")
    page = client.get(link)
    assert "Confirm and continue" in page.text
    assert SESSION_COOKIE not in client.cookies, "a GET of the link signs no one in"
    user = demo_db.scalar(select(User).where(User.email == "lena@example.eu"))
    assert user is not None and not user.is_verified

    confirmed = client.post_form(link, {})
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == "/welcome"
    assert SESSION_COOKIE in client.cookies
    assert "httponly" in confirmed.headers["set-cookie"].lower()
    demo_db.refresh(user)
    assert user.is_verified
    welcome = client.get("/welcome")
    assert welcome.status_code == 200
    assert signed_in_as(welcome.text) == "Lena Laser"
    sessions = demo_db.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert len(sessions) == 1, "one real session, as a login makes"
    profile = client.get("/profile")
    assert "This browser" in profile.text


def test_confirming_replaces_another_members_session_in_that_browser(
    client: Client, demo_db: Session, outbox: Outbox, member: User
) -> None:
    client.post_form("/login", {"email": member.email, "password": TEST_PASSWORD})
    old = client.cookies[SESSION_COOKIE]
    _register(client, "second@example.eu")
    link = outbox.last_link("second@example.eu", "/verify/")
    assert client.post_form(link, {}).headers["location"] == "/welcome"
    assert client.cookies[SESSION_COOKIE] != old
    assert demo_db.scalars(select(UserSession).where(UserSession.user_id == member.id)).all() == []


def test_a_used_link_explains_itself_and_offers_to_log_in(
    client: Client, demo_db: Session, outbox: Outbox
) -> None:
    _register(client, "twice@example.eu")
    link = outbox.last_link("twice@example.eu", "/verify/")
    assert client.post_form(link, {}).status_code == 303
    client.cookies.clear()
    page = client.get(link)
    assert page.status_code == 200
    assert "already confirmed" in page.text
    assert 'href="/login"' in page.text
    again = client.post_form(link, {})
    assert again.status_code == 400
    assert 'href="/login"' in again.text
    assert SESSION_COOKIE not in client.cookies, "a used link signs no one in"


def test_an_expired_link_says_so_and_signs_no_one_in(
    client: Client, demo_db: Session, outbox: Outbox
) -> None:
    _register(client, "late@example.eu")
    link = outbox.last_link("late@example.eu", "/verify/")
    demo_db.execute(
        update(EmailToken)
        .where(EmailToken.purpose == "verify")
        .values(expires_at=utcnow() - dt.timedelta(minutes=1))
    )
    demo_db.flush()
    page = client.get(link)
    assert "expired" in page.text and 'href="/login"' in page.text
    assert client.post_form(link, {}).status_code == 400
    assert SESSION_COOKIE not in client.cookies


def test_a_suspended_account_is_not_signed_in_by_its_link(
    client: Client, demo_db: Session, outbox: Outbox
) -> None:
    _register(client, "gone@example.eu")
    link = outbox.last_link("gone@example.eu", "/verify/")
    user = demo_db.scalar(select(User).where(User.email == "gone@example.eu"))
    assert user is not None
    user.suspended_at = utcnow()
    demo_db.flush()
    response = client.post_form(link, {})
    assert SESSION_COOKIE not in client.cookies
    assert response.status_code in (303, 400)
    assert response.headers.get("location") != "/welcome"


def test_register_shows_every_error_at_once_and_keeps_what_was_typed(
    client: Client, demo_db: Session
) -> None:
    response = client.post_form(
        "/register",
        {"email": "not-an-email", "name": "Nina Typed", "password": "password123"},
    )
    assert response.status_code == 422
    assert "Enter an email address" in response.text
    assert "most commonly used" in response.text
    assert 'value="not-an-email"' in response.text
    assert 'value="Nina Typed"' in response.text
    assert 'id="email-error"' in response.text and 'id="password-error"' in response.text


def test_register_without_its_fields_rerenders_the_form_with_messages(
    client: Client, demo_db: Session
) -> None:
    response = client.post_form("/register", {})
    assert response.status_code == 422
    assert "Error 422" not in response.text
    assert "Enter an email address" in response.text
    assert "Enter your name" in response.text
    assert 'action="/register"' in response.text


def test_login_without_its_fields_rerenders_the_form(client: Client, demo_db: Session) -> None:
    response = client.post_form("/login", {})
    assert response.status_code in (400, 422)
    assert "Error 422" not in response.text
    assert 'action="/login"' in response.text


def test_an_over_long_field_gets_a_page_naming_it_not_a_bare_422(
    client: Client, demo_db: Session, people: People
) -> None:
    response = client.post_form("/password/forgot", {"email": "a" * 5000})
    assert response.status_code == 422
    assert "Error 422" not in response.text
    assert "email" in response.text
    assert "at most" in response.text


def test_the_anonymous_home_page_offers_join_before_the_first_list(
    client: Client, demo_db: Session
) -> None:
    page = client.get("/").text
    main = page[page.index('<main id="main"') :]
    join = main.find('href="/register"')
    first_list = main.find('<ul class="card-list"')
    assert join != -1 and first_list != -1
    assert join < first_list
    assert 'class="button button-primary" href="/register"' in main


def test_the_header_links_a_member_to_the_settings(
    client: Client, demo_db: Session, member: User
) -> None:
    sign_in(client, demo_db, member)
    for path in ("/", "/discussions", "/intel"):
        page = client.get(path).text
        header = page[: page.index('<main id="main"')]
        assert 'href="/settings/digest"' in header, path
        assert ">Settings</a>" in header, path


def test_the_profile_form_shows_every_error_at_once(
    client: Client, demo_db: Session, member: User
) -> None:
    sign_in(client, demo_db, member)
    response = client.post_form(
        "/profile",
        {"name": "  ", "bio": "Typed bio", "timezone": "Mars/Base", "language": "en"},
    )
    assert response.status_code == 422
    assert "Enter your name" in response.text
    assert "Choose a time zone from the list" in response.text
    assert "Typed bio" in response.text


def test_the_password_change_shows_both_errors_at_once(
    client: Client, demo_db: Session, member: User
) -> None:
    sign_in(client, demo_db, member)
    response = client.post_form(
        "/profile/password", {"current_password": "wrong one!", "new_password": "password123"}
    )
    assert response.status_code == 422
    assert "current password is not right" in response.text
    assert "most commonly used" in response.text


def test_the_email_change_shows_both_errors_and_keeps_the_address(
    client: Client, demo_db: Session, member: User
) -> None:
    sign_in(client, demo_db, member)
    response = client.post_form(
        "/profile/email", {"new_email": "not-an-address", "email_password": "wrong one!"}
    )
    assert response.status_code == 422
    assert "Your password is not right" in response.text
    assert "Enter an email address" in response.text
    assert 'value="not-an-address"' in response.text
