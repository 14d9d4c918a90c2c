"""Joining: register, confirm the address, log in, choose interests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import Membership, User
from forum.notifications.service import list_follows
from forum.partnerships.service import get_partnership_by_slug
from tests.conftest import TEST_PASSWORD, Client, Outbox, People, sign_in, without_tokens

LASER_TARGETS = ["AU", "CA", "IL", "JP", "KR", "NZ", "SG", "US"]


def _register(client: Client, email: str, partnership: str = "", password: str = TEST_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post_form(
        "/register",
        {"email": email, "name": "Lena Laser", "password": password, "partnership": partnership},
    )


def test_a_new_member_of_laser_go_global_finds_its_targets_and_healthcare_followed(
    client: Client, demo_db: Session, outbox: Outbox
) -> None:
    laser = get_partnership_by_slug(demo_db, "laser-go-global")
    assert laser is not None
    response = _register(client, "Lena@Example.eu", str(laser.id))
    assert response.status_code == 200
    assert "Check your email" in response.text

    link = outbox.last_link("lena@example.eu", "/verify/")
    page = client.get(link)
    assert "Confirm and continue" in page.text
    user = demo_db.scalar(select(User).where(User.email == "lena@example.eu"))
    assert user is not None
    assert not user.is_verified, "a GET of the link changes nothing"
    confirmed = client.post_form(link, {})
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == "/welcome", "signed in at once"
    demo_db.refresh(user)
    assert user.is_verified

    welcome = client.get("/welcome")
    for name in ("Australia", "Canada", "Israel", "Japan", "New Zealand", "Singapore"):
        assert name in welcome.text
    follows = list_follows(demo_db, user.id)
    assert follows["country"] == LASER_TARGETS
    assert follows["sector"] == ["healthcare"]
    membership = demo_db.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership is not None
    assert membership.status == "pending", "the coordinator approves it"


def test_the_interests_step_saves_countries_regions_sectors_and_frequency(
    client: Client, demo_db: Session, people: People
) -> None:
    user = people.make(onboarded=False)
    sign_in(client, demo_db, user)
    response = client.post(
        "/welcome",
        data={
            "csrf_token": client.csrf_token(),
            "countries": ["JP", "g:asean"],
            "sectors": ["food"],
            "frequency": "daily",
        },
    )
    assert response.status_code == 303
    follows = list_follows(demo_db, user.id)
    assert follows["country"] == ["JP"]
    assert follows["region_group"] == ["g:asean"]
    assert follows["sector"] == ["food"]
    demo_db.refresh(user)
    assert user.digest_frequency == "daily"
    assert user.onboarded_at is not None


def test_the_interests_step_rejects_unknown_values_and_saves_nothing(
    client: Client, demo_db: Session, member: User
) -> None:
    sign_in(client, demo_db, member)
    response = client.post(
        "/welcome",
        data={"csrf_token": client.csrf_token(), "countries": ["XX"], "frequency": "weekly"},
    )
    assert response.status_code == 422
    assert "XX" in response.text
    assert list_follows(demo_db, member.id)["country"] == []


def test_registering_a_known_address_answers_alike_and_mails_its_owner(
    client: Client, demo_db: Session, member: User, outbox: Outbox
) -> None:
    known = _register(client, member.email)
    unknown = _register(client, "nobody-yet@example.eu")
    assert known.status_code == unknown.status_code == 200
    assert without_tokens(known.text, member.email) == without_tokens(
        unknown.text, "nobody-yet@example.eu"
    )
    notices = outbox.to(member.email)
    assert len(notices) == 1
    assert "already have an account" in notices[0]["Subject"]
    accounts = demo_db.scalars(select(User).where(User.email == member.email)).all()
    assert len(accounts) == 1


def test_register_rejects_bad_input_with_field_messages_and_creates_nothing(
    client: Client, demo_db: Session
) -> None:
    cases = [
        ({"email": "not-an-email"}, "Enter an email address"),
        ({"password": "short"}, "at least 8"),
        ({"password": "password123"}, "most commonly used"),
        ({"password": "x" * 129}, "at most 128"),
        ({"name": "   "}, "Enter your name"),
        ({"partnership": "999999"}, "Choose a partnership"),
    ]
    for change, message in cases:
        data = {
            "email": "new@example.eu",
            "name": "New",
            "password": TEST_PASSWORD,
            "partnership": "",
        }
        data.update(change)
        response = client.post_form("/register", data)
        assert response.status_code == 422, change
        assert message in response.text, change
    assert demo_db.scalar(select(User).where(User.email == "new@example.eu")) is None


def test_a_64_character_password_is_accepted(client: Client, demo_db: Session) -> None:
    response = _register(client, "long@example.eu", password="a" * 30 + "b" * 34)
    assert response.status_code == 200


def test_an_unverified_member_can_log_in_and_read_and_is_asked_to_confirm(
    client: Client, demo_db: Session, people: People
) -> None:
    user = people.make(verified=False)
    response = client.post_form("/login", {"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 303
    assert client.get("/partnerships").status_code == 200


def test_a_used_or_forged_verification_link_is_refused(
    client: Client, demo_db: Session, outbox: Outbox
) -> None:
    _register(client, "twice@example.eu")
    link = outbox.last_link("twice@example.eu", "/verify/")
    assert client.post_form(link, {}).status_code == 303
    assert client.post_form(link, {}).status_code == 400
    assert client.post_form("/verify/forged-token", {}).status_code == 400
    assert "not one we sent" in client.get("/verify/forged-token").text
