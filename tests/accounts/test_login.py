"""Signing in and out: sessions on the server, cookies, enumeration, throttling."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from forum.accounts import throttle
from forum.accounts.models import ThrottleEvent, User, UserSession
from forum.accounts.sessions import SESSION_COOKIE
from forum.core.db import utcnow
from tests.conftest import TEST_PASSWORD, Client, signed_in_as, without_tokens


def _login(client: Client, email: str, password: str = TEST_PASSWORD, next_url: str = ""):  # type: ignore[no-untyped-def]
    return client.post_form("/login", {"email": email, "password": password, "next": next_url})


def test_login_sets_an_httponly_lax_session_cookie_of_a_random_token(
    client: Client, db: Session, member: User
) -> None:
    response = _login(client, member.email)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    raw = client.cookies[SESSION_COOKIE]
    assert len(raw) >= 43  # 256 bits, url-safe base64
    stored = db.scalar(select(UserSession.token_hash).where(UserSession.user_id == member.id))
    assert stored is not None
    assert raw not in stored, "only the hash is stored"
    assert signed_in_as(client.get("/").text) == "Maria Member"


def test_each_login_issues_a_new_session_id_and_ends_the_old_one(
    client: Client, db: Session, member: User
) -> None:
    _login(client, member.email)
    first = client.cookies[SESSION_COOKIE]
    _login(client, member.email)
    second = client.cookies[SESSION_COOKIE]
    assert first != second
    assert db.scalar(select(func.count()).where(UserSession.user_id == member.id)) == 1


def test_a_session_cookie_replayed_after_logout_is_refused(
    client: Client, db: Session, member: User
) -> None:
    _login(client, member.email)
    raw = client.cookies[SESSION_COOKIE]
    out = client.post_form("/logout", {})
    assert out.status_code == 303
    client.cookies.set(SESSION_COOKIE, raw)
    page = client.get("/")
    assert signed_in_as(page.text) is None
    assert "Log in" in page.text
    assert client.get("/welcome").status_code == 303


def test_sessions_expire_after_seven_idle_days_or_thirty_days_at_most(
    client: Client, db: Session, member: User
) -> None:
    _login(client, member.email)
    db.execute(update(UserSession).values(last_seen_at=utcnow() - dt.timedelta(days=8)))
    assert signed_in_as(client.get("/").text) is None
    _login(client, member.email)
    db.execute(update(UserSession).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    assert signed_in_as(client.get("/").text) is None


def test_wrong_password_and_unknown_address_answer_alike(
    client: Client, db: Session, member: User
) -> None:
    wrong = _login(client, member.email, "not the password at all")
    unknown = _login(client, "nobody@example.eu", "not the password at all")
    assert wrong.status_code == unknown.status_code == 400
    assert without_tokens(wrong.text, member.email) == without_tokens(
        unknown.text, "nobody@example.eu"
    )
    assert "Email or password is not right." in wrong.text


def test_login_goes_back_to_a_local_next_page_only(
    client: Client, db: Session, member: User
) -> None:
    assert (
        _login(client, member.email, next_url="/countries/JP").headers["location"]
        == "/countries/JP"
    )
    for hostile in ("https://evil.example", "//evil.example", "/\\evil.example"):
        assert _login(client, member.email, next_url=hostile).headers["location"] == "/"


def test_a_page_for_members_redirects_visitors_to_login_with_next(client: Client) -> None:
    response = client.get("/welcome")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fwelcome"


def test_more_than_ten_failures_slow_the_account_down_with_growing_delays(
    client: Client, db: Session, member: User
) -> None:
    for _ in range(throttle.FAILURE_LIMIT):
        assert _login(client, member.email, "wrong password here").status_code == 400
    slowed = _login(client, member.email)
    assert slowed.status_code == 429
    first_wait = int(slowed.headers["retry-after"])
    assert first_wait >= 1
    # The owner is never locked out for long: the delay is capped and resets with time.
    db.execute(
        update(ThrottleEvent).values(
            created_at=utcnow() - throttle.MAX_DELAY - dt.timedelta(seconds=1)
        )
    )
    assert _login(client, member.email).status_code == 303


def test_growing_delays_grow(db: Session, member: User) -> None:
    waits = []
    for _ in range(throttle.FAILURE_LIMIT + 3):
        throttle.record_failure(db, member.email)
        waits.append(throttle.account_delay(db, member.email))
    assert waits[: throttle.FAILURE_LIMIT - 1] == [0] * (throttle.FAILURE_LIMIT - 1)
    tail = waits[throttle.FAILURE_LIMIT - 1 :]
    assert tail == sorted(tail)
    assert tail[-1] > tail[0]
    assert max(waits) <= throttle.MAX_DELAY.total_seconds()


def test_more_than_fifty_requests_from_one_ip_in_ten_seconds_get_429(
    client: Client, db: Session
) -> None:
    for _ in range(throttle.IP_LIMIT):
        db.add(ThrottleEvent(scope="ip", key="testclient"))
    db.flush()
    response = client.post_form("/password/forgot", {"email": "a@example.eu"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "10"
    assert "Too many requests" in response.text


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    from starlette.requests import Request

    def request(peer: str, forwarded: str) -> Request:
        return Request(
            {
                "type": "http",
                "client": (peer, 1234),
                "headers": [(b"x-forwarded-for", forwarded.encode())],
            }
        )

    assert throttle.client_ip(request("203.0.113.9", "1.2.3.4"), []) == "203.0.113.9"
    assert throttle.client_ip(request("10.0.0.1", "1.2.3.4"), ["10.0.0.0/8"]) == "1.2.3.4"
    # A client-supplied entry left of the real one is ignored.
    assert throttle.client_ip(request("10.0.0.1", "6.6.6.6, 1.2.3.4"), ["10.0.0.0/8"]) == "1.2.3.4"
    assert throttle.client_ip(request("203.0.113.9", "1.2.3.4"), ["10.0.0.0/8"]) == "203.0.113.9"


def test_a_suspended_member_cannot_log_in_but_is_told_why(
    client: Client, db: Session, member: User
) -> None:
    member.suspended_at = utcnow()
    db.flush()
    response = _login(client, member.email)
    assert response.status_code == 400
    assert "suspended" in response.text


def test_login_cookie_is_secure_when_the_site_is_https(
    settings: object, engine: object, session_factory: object, db: Session, member: User
) -> None:
    from fastapi.testclient import TestClient

    from forum.app import create_app
    from forum.core.config import Settings

    assert isinstance(settings, Settings)
    settings.base_url = "https://forum.example.eu"
    app = create_app(settings, engine=engine, session_factory=session_factory)  # type: ignore[arg-type]
    with Client(app, base_url="https://testserver", follow_redirects=False) as c:
        response = _login(c, member.email)
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]
    assert isinstance(c, TestClient)


def test_unknown_and_known_accounts_cost_the_same_password_work(
    client: Client, db: Session, member: User, monkeypatch: object
) -> None:
    """The timing half of "identical responses": one argon2 verification either way."""
    import pytest

    from forum.accounts import passwords

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    from argon2 import PasswordHasher

    calls: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            calls.append(str(password))
            return super().verify(hash, password)

    real = passwords.HASHER
    monkeypatch.setattr(
        passwords,
        "HASHER",
        CountingHasher(real.time_cost, real.memory_cost, real.parallelism, type=real.type),
    )
    _login(client, member.email, "wrong password one")
    known = len(calls)
    _login(client, "nobody@example.eu", "wrong password two")
    assert known == 1
    assert len(calls) - known == 1
