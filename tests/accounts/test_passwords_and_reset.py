"""Passwords: argon2id parameters, policy, and the reset flow."""

from __future__ import annotations

import datetime as dt

from argon2 import extract_parameters
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from forum.accounts import passwords
from forum.accounts.models import EmailToken, User, UserSession
from forum.core.db import utcnow
from tests.conftest import TEST_PASSWORD, Client, Outbox, sign_in, without_tokens


def test_hashes_are_argon2id_with_at_least_owasp_parameters() -> None:
    stored = passwords.hash_password("a passphrase of some length")
    assert stored.startswith("$argon2id$")
    params = extract_parameters(stored)
    assert params.memory_cost >= 19 * 1024
    assert params.time_cost >= 2
    assert params.parallelism >= 1
    assert passwords.verify_password(stored, "a passphrase of some length")
    assert not passwords.verify_password(stored, "a passphrase of some lengtH")


def test_a_registered_members_stored_hash_is_argon2id(
    client: Client, db: Session, outbox: Outbox
) -> None:
    client.post_form(
        "/register",
        {"email": "h@example.eu", "name": "H", "password": TEST_PASSWORD, "partnership": ""},
    )
    stored = db.scalar(select(User.password_hash).where(User.email == "h@example.eu"))
    assert stored is not None
    assert stored.startswith("$argon2id$")


def test_the_common_password_list_has_over_3000_usable_entries() -> None:
    usable = [p for p in passwords.common_passwords() if len(p) >= passwords.MIN_LENGTH]
    assert len(usable) >= 3000
    assert passwords.password_problem("iloveyou123") is None or "iloveyou123" in usable


def test_password_policy_messages() -> None:
    assert passwords.password_problem("1234567") == "Use at least 8 characters."
    assert passwords.password_problem("x" * 129) == "Use at most 128 characters."
    assert passwords.password_problem("x" * 128 + "") is None
    assert "common" in (passwords.password_problem("Password1") or "")
    assert "email" in (
        passwords.password_problem("maria@example.eu", email="maria@example.eu") or ""
    )
    assert passwords.password_problem("  spaces count  ") is None


def test_reset_answers_alike_for_known_and_unknown_addresses(
    client: Client, db: Session, member: User, outbox: Outbox
) -> None:
    known = client.post_form("/password/forgot", {"email": member.email})
    unknown = client.post_form("/password/forgot", {"email": "ghost@example.eu"})
    assert known.status_code == unknown.status_code == 200
    assert without_tokens(known.text, member.email) == without_tokens(
        unknown.text, "ghost@example.eu"
    )
    assert len(outbox.to(member.email)) == 1
    assert outbox.to("ghost@example.eu") == []


def test_a_reset_link_works_once_within_an_hour_and_signs_out_everywhere(
    client: Client, db: Session, member: User, outbox: Outbox
) -> None:
    sign_in(client, db, member)
    client.post_form("/password/forgot", {"email": member.email})
    link = outbox.last_link(member.email, "/password/reset/")
    assert "Choose a new password" in client.get(link).text
    done = client.post_form(link, {"password": "a brand new passphrase"})
    assert done.status_code == 303
    assert db.scalar(select(func.count()).where(UserSession.user_id == member.id)) == 0
    assert client.post_form(link, {"password": "yet another passphrase"}).status_code == 422
    login = client.post_form(
        "/login", {"email": member.email, "password": "a brand new passphrase"}
    )
    assert login.status_code == 303
    assert any("changed" in m["Subject"] for m in outbox.to(member.email))


def test_an_expired_reset_link_is_refused(
    client: Client, db: Session, member: User, outbox: Outbox
) -> None:
    client.post_form("/password/forgot", {"email": member.email})
    link = outbox.last_link(member.email, "/password/reset/")
    db.execute(update(EmailToken).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    response = client.post_form(link, {"password": "a brand new passphrase"})
    assert response.status_code == 422
    assert "invalid, used or expired" in response.text


def test_a_reset_that_fails_the_policy_keeps_the_link_usable(
    client: Client, db: Session, member: User, outbox: Outbox
) -> None:
    client.post_form("/password/forgot", {"email": member.email})
    link = outbox.last_link(member.email, "/password/reset/")
    weak = client.post_form(link, {"password": "password"})
    assert weak.status_code == 422
    assert "most commonly used" in weak.text
    assert client.post_form(link, {"password": "now a decent passphrase"}).status_code == 303
