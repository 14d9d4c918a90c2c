"""Personal API tokens: created and revoked on the profile page, used as bearer tokens."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import ApiToken, User
from forum.accounts.tokens import hash_token
from tests.conftest import TEST_PASSWORD, Client, sign_in

TOKEN_RE = re.compile(r"cf_[A-Za-z0-9_-]{40,}")


def _create(client: Client, name: str) -> str:
    response = client.post_form("/profile/tokens", {"token_name": name})
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.headers["cache-control"] == "no-store"  # type: ignore[attr-defined]
    found = TOKEN_RE.findall(response.text)  # type: ignore[attr-defined]
    assert found, "the new token is on the page"
    return str(found[0])


def _me(client: Client, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_new_token_is_shown_once_and_authenticates_the_api(
    as_member: Client, db: Session, member: User
) -> None:
    token = _create(as_member, "CRM sync")
    stored = db.scalar(select(ApiToken).where(ApiToken.user_id == member.id))
    assert stored is not None
    assert stored.token_hash == hash_token(token), "only its hash is stored"
    assert (stored.name, stored.kind) == ("CRM sync", "personal")

    profile = as_member.get("/profile").text
    assert token not in profile, "never shown again"
    assert "CRM sync" in profile
    assert f"{stored.prefix}…" in profile

    me = as_member.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["email"] == member.email


def test_a_token_needs_a_name(as_member: Client, db: Session, member: User) -> None:
    response = as_member.post_form("/profile/tokens", {"token_name": "   "})
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "Give the token a name" in response.text  # type: ignore[attr-defined]
    assert 'href="#token_name"' in response.text  # type: ignore[attr-defined]
    assert db.scalar(select(ApiToken).where(ApiToken.user_id == member.id)) is None


def test_a_revoked_token_is_refused_with_401(as_member: Client, db: Session, member: User) -> None:
    token = _create(as_member, "Nightly export")
    stored = db.scalar(select(ApiToken).where(ApiToken.user_id == member.id))
    assert stored is not None
    response = as_member.post_form(f"/profile/tokens/{stored.id}/revoke", {})
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/profile#tokens"  # type: ignore[attr-defined]
    assert _me(as_member, token) == 401
    profile = as_member.get("/profile").text
    assert "The token is revoked" in profile
    assert "Nightly export" not in profile
    again = as_member.post_form(f"/profile/tokens/{stored.id}/revoke", {})
    assert again.status_code == 404  # type: ignore[attr-defined]


def test_another_member_cannot_revoke_your_token(
    client: Client, db: Session, member: User, other_member: User
) -> None:
    sign_in(client, db, member)
    token = _create(client, "Marias CRM")
    stored = db.scalar(select(ApiToken).where(ApiToken.user_id == member.id))
    assert stored is not None

    sign_in(client, db, other_member)
    response = client.post_form(f"/profile/tokens/{stored.id}/revoke", {})
    assert response.status_code == 404  # type: ignore[attr-defined]
    assert "Marias CRM" not in client.get("/profile").text, "nor see it"
    db.refresh(stored)
    assert stored.revoked_at is None
    assert _me(client, token) == 200


def _section(page: str, section_id: str) -> str:
    start = page.index(f'<section id="{section_id}"')
    return page[start : page.index("</section>", start)]


def test_tokens_from_the_api_login_are_listed_where_you_are_signed_in_not_as_personal_tokens(
    as_member: Client, db: Session, member: User
) -> None:
    login = as_member.post(
        "/api/v1/auth/token", data={"username": member.email, "password": TEST_PASSWORD}
    )
    assert login.status_code == 200
    page = as_member.get("/profile").text
    assert "API login" not in _section(page, "tokens")
    assert "You have no API tokens." in _section(page, "tokens")
    assert "API client" in _section(page, "sessions")
