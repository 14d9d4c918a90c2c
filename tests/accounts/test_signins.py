"""Where a member is signed in: browser sessions and API login tokens, and what ends them."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from forum.accounts.models import User
from tests.conftest import TEST_PASSWORD, Client, Outbox, sign_in

NEW_PASSWORD = "a brand new passphrase"


def _api_login(client: Client, user: User, password: str = TEST_PASSWORD) -> str:
    response = client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _me(client: Client, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


@pytest.mark.xfail(strict=True, reason="issue 16: login tokens outlive a password change")
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


@pytest.mark.xfail(strict=True, reason="issue 16: login tokens outlive a password reset")
def test_a_login_token_stops_working_when_its_owner_resets_the_password(
    client: Client, db: Session, member: User, outbox: Outbox
) -> None:
    token = _api_login(client, member)
    client.post_form("/password/forgot", {"email": member.email})
    link = outbox.last_link(member.email, "/password/reset/")
    assert client.post_form(link, {"password": NEW_PASSWORD}).status_code == 303  # type: ignore[attr-defined]
    assert _me(client, token) == 401
