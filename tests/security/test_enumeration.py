"""Enumeration: login, register, password reset and the API token endpoint answer alike
(status, redirect, cookies, page text) for addresses with and without an account, in
every spelling of the address, and after the account-failure limit too."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from forum.accounts import throttle
from forum.accounts.models import User
from tests.conftest import TEST_PASSWORD, Client, without_tokens

UNKNOWN = "nobody-here@example.eu"


def form(client: Client, url: str, data: dict[str, str]) -> Any:
    return client.post_form(url, data)


def spellings(email: str) -> list[str]:
    return [email, email.upper(), f"  {email}  ", email.capitalize()]


def shape(response: Any, *variable: str) -> tuple[int, str | None, bool, str]:
    """What a visitor can observe: status, redirect, whether a session cookie was set,
    and the page with per-request tokens and the address itself blanked."""
    cookies = response.headers.get_list("set-cookie")
    variants = sorted({v for value in variable for v in (value, value.strip())}, key=len)
    return (
        response.status_code,
        response.headers.get("location"),
        any("session" in c.lower() for c in cookies),
        without_tokens(response.text, *reversed(variants)),
    )


def test_login_answers_alike_for_known_and_unknown_addresses(
    client: Client, db: Session, member: User
) -> None:
    for known, unknown in zip(spellings(member.email), spellings(UNKNOWN), strict=True):
        for password in ("wrong password here", TEST_PASSWORD + "x", ""):
            a = form(client, "/login", {"email": known, "password": password})
            b = form(client, "/login", {"email": unknown, "password": password})
            assert shape(a, known) == shape(b, unknown), (known, password)
            assert a.status_code in (400, 422)


def test_the_account_failure_limit_answers_alike_for_unknown_addresses(
    client: Client, db: Session, member: User
) -> None:
    answers = []
    for email in (member.email, UNKNOWN):
        for _ in range(throttle.FAILURE_LIMIT):
            form(client, "/login", {"email": email, "password": "wrong password here"})
        answers.append(form(client, "/login", {"email": email, "password": "x" * 12}))
    known, unknown = answers
    assert known.status_code == unknown.status_code == 429
    assert known.headers.get("retry-after") == unknown.headers.get("retry-after")
    assert shape(known, member.email) == shape(unknown, UNKNOWN)


def test_register_answers_alike_for_known_and_unknown_addresses(
    client: Client, db: Session, member: User
) -> None:
    for i, known in enumerate(spellings(member.email)):
        unknown = f"new-person-{i}@example.eu"
        a = form(
            client,
            "/register",
            {"email": known, "name": "Lena Laser", "password": TEST_PASSWORD, "partnership": ""},
        )
        b = form(
            client,
            "/register",
            {"email": unknown, "name": "Lena Laser", "password": TEST_PASSWORD, "partnership": ""},
        )
        assert a.status_code == b.status_code == 200, known
        assert shape(a, known, member.email) == shape(b, unknown), known


def test_password_reset_answers_alike_for_known_and_unknown_addresses(
    client: Client, db: Session, member: User
) -> None:
    for known, unknown in zip(spellings(member.email), spellings(UNKNOWN), strict=True):
        a = form(client, "/password/forgot", {"email": known})
        b = form(client, "/password/forgot", {"email": unknown})
        assert a.status_code == b.status_code == 200
        assert shape(a, known) == shape(b, unknown), known


def test_a_suspended_account_answers_like_an_unknown_one_without_its_password(
    client: Client, db: Session, member: User
) -> None:
    member.suspended_at = member.created_at
    db.flush()
    a = form(client, "/login", {"email": member.email, "password": "wrong password here"})
    b = form(client, "/login", {"email": UNKNOWN, "password": "wrong password here"})
    assert shape(a, member.email) == shape(b, UNKNOWN)
    a = form(client, "/password/forgot", {"email": member.email})
    b = form(client, "/password/forgot", {"email": UNKNOWN})
    assert shape(a, member.email) == shape(b, UNKNOWN)


def test_the_token_endpoint_answers_alike_in_every_spelling(
    client: Client, db: Session, member: User
) -> None:
    for known, unknown in zip(spellings(member.email), spellings(UNKNOWN), strict=True):
        a = client.post("/api/v1/auth/token", data={"username": known, "password": "nope nope"})
        b = client.post("/api/v1/auth/token", data={"username": unknown, "password": "nope nope"})
        assert (a.status_code, a.json()) == (b.status_code, b.json())
