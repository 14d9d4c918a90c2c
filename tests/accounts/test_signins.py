"""Where a member is signed in: browser sessions and API login tokens, and what ends them."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.accounts.service import create_api_token
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
