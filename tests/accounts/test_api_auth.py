"""The API's authentication: OAuth2 password flow to a bearer token, no cookies."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forum.accounts.api_tokens import create_api_token, list_api_tokens
from forum.accounts.models import User
from tests.conftest import TEST_PASSWORD, Client, sign_in


def test_a_bearer_token_from_the_password_flow_authenticates_the_api(
    client: Client, db: Session, member: User
) -> None:
    response = client.post(
        "/api/v1/auth/token", data={"username": member.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 24 * 3600
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == member.email


def test_the_token_endpoint_answers_alike_for_unknown_and_wrong(
    client: Client, db: Session, member: User
) -> None:
    wrong = client.post(
        "/api/v1/auth/token", data={"username": member.email, "password": "nope nope"}
    )
    unknown = client.post(
        "/api/v1/auth/token", data={"username": "x@example.eu", "password": "nope nope"}
    )
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json() == {"detail": "Email or password is not right."}


def test_the_api_ignores_session_cookies(client: Client, db: Session, member: User) -> None:
    sign_in(client, db, member)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_forged_bearer_token_is_refused(client: Client, db: Session) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer cf_forged"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or expired token."}


def _login(client: Client, user: User) -> str:
    response = client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    return str(response.json()["access_token"])


def test_delete_auth_token_revokes_the_token_it_is_sent_with_and_no_other(
    client: Client, db: Session, member: User
) -> None:
    leaving, staying = _login(client, member), _login(client, member)
    sign_in(client, db, member)
    bye = client.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {leaving}"})
    assert bye.status_code == 204
    assert bye.content == b""
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {leaving}"})
    assert me.status_code == 401
    assert me.json() == {"detail": "Invalid or expired token."}
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {staying}"}).status_code == 200
    )
    assert client.get("/profile").status_code == 200, "the member's browser stays signed in"
    again = client.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {leaving}"})
    assert again.status_code == 401


def test_delete_auth_token_without_a_valid_token_answers_401(client: Client, db: Session) -> None:
    missing = client.delete("/api/v1/auth/token")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    forged = client.delete("/api/v1/auth/token", headers={"Authorization": "Bearer cf_forged"})
    assert forged.status_code == 401


def test_delete_auth_token_revokes_a_personal_token_too(
    client: Client, db: Session, member: User
) -> None:
    raw, _ = create_api_token(db, member, name="CRM sync")
    db.flush()
    assert (
        client.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {raw}"}).status_code
        == 204
    )
    assert list_api_tokens(db, member) == [], "gone from the profile's list"
