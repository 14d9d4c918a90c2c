"""The member's profile page: details, interests, partnership, email and password changes."""

from __future__ import annotations

import html

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts import throttle
from forum.accounts.models import Membership, User, UserSession
from forum.accounts.service import authenticate
from forum.notifications.service import list_follows, set_follows
from tests.conftest import TEST_PASSWORD, Client, Outbox, People, sign_in, signed_in_as
from tests.taxonomy.pickers import pickers


def _text(page: object) -> str:
    """A page's text with entities decoded, for asserting on messages with quotes."""
    return html.unescape(page.text)  # type: ignore[attr-defined]


def test_the_profile_pages_send_a_visitor_to_log_in_first(client: Client, db: Session) -> None:
    for path, target in (
        ("/profile", "/login?next=%2Fprofile"),
        ("/profile/export", "/login?next=%2Fprofile%2Fexport"),
        ("/profile/delete", "/login?next=%2Fprofile%2Fdelete"),
    ):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == target
    refused = client.post_form("/profile", {"name": "Mallory"})
    assert refused.status_code == 303  # type: ignore[attr-defined]
    assert refused.headers["location"].startswith("/login")  # type: ignore[attr-defined]


def test_the_profile_shows_the_members_details_partnership_and_forms(
    client: Client, demo_db: Session, people: People
) -> None:
    member = people.make(
        name="Paula Partner", email="paula@example.eu", partnership_slug="laser-go-global"
    )
    sign_in(client, demo_db, member)
    page = client.get("/profile")
    assert page.status_code == 200
    text = _text(page)
    assert text.count("<h1") == 1
    for expected in (
        "Paula Partner",
        "paula@example.eu",
        "Confirmed",
        "LASER-GO GLOBAL",
        "Approved",
        '<option value="Europe/Brussels" selected>',
        'action="/profile/follows"',
        'action="/profile/tokens"',
        'action="/profile/email"',
        'action="/profile/password"',
        'href="/profile/export"',
        'href="/profile/delete"',
        "Ask to join FoodNet",
    ):
        assert expected in text, expected
    # The profile's language list (the footer's switcher has the same option, outside <main>).
    main = text.split("<main", 1)[1].split("</main>", 1)[0]
    assert '<option value="en" lang="en" selected>English</option>' in main
    assert "Ask to join LASER-GO GLOBAL" not in text, "not the partnership they are in"
    assert 'style="' not in text and "<script>" not in text


def test_an_unconfirmed_member_can_ask_for_a_new_confirmation_link(
    client: Client, db: Session, people: People, outbox: Outbox
) -> None:
    member = people.make(email="new@example.eu", verified=False)
    sign_in(client, db, member)
    page = client.get("/profile")
    assert "Not confirmed" in page.text
    assert 'action="/verify"' in page.text
    response = client.post_form("/verify", {})
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/profile"  # type: ignore[attr-defined]
    assert outbox.last_link("new@example.eu", "/verify/").startswith("/verify/")


def test_profile_edits_are_saved(as_member: Client, db: Session, member: User) -> None:
    response = as_member.post_form(
        "/profile",
        {
            "name": "  Maria   Moreau ",
            "bio": "Cluster manager.\r\nLooking for partners in Japan.",
            "timezone": "Asia/Tokyo",
            "language": "en",
        },
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/profile"  # type: ignore[attr-defined]
    db.refresh(member)
    assert member.name == "Maria Moreau"
    assert member.bio == "Cluster manager.\nLooking for partners in Japan."
    assert (member.timezone, member.language) == ("Asia/Tokyo", "en")
    page = as_member.get("/profile")
    assert "Your profile is saved." in page.text
    assert '<option value="Asia/Tokyo" selected>' in page.text
    assert signed_in_as(page.text) == "Maria Moreau"


def test_a_bio_of_exactly_two_thousand_characters_is_accepted(
    as_member: Client, db: Session, member: User
) -> None:
    bio = "x" * 2000
    response = as_member.post_form(
        "/profile",
        {"name": "Maria Member", "bio": bio, "timezone": "Europe/Brussels", "language": "en"},
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    db.refresh(member)
    assert member.bio == bio


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus_Mons", "Choose a time zone from the list."),
        ("language", "tlh", "Choose a language from the list."),
        ("bio", "x" * 2001, "Keep your bio to 2,000 characters (it has 2,001)."),
        ("name", "   ", "Enter your name."),
    ],
)
def test_invalid_profile_input_is_refused_with_its_message_and_nothing_is_saved(
    as_member: Client, db: Session, member: User, field: str, value: str, message: str
) -> None:
    data = {"name": "Renamed", "bio": "New bio", "timezone": "Asia/Tokyo", "language": "en"}
    data[field] = value
    response = as_member.post_form("/profile", data)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert message in _text(response)
    assert 'aria-invalid="true"' in response.text  # type: ignore[attr-defined]
    db.refresh(member)
    assert (member.name, member.bio, member.timezone, member.language) == (
        "Maria Member",
        "",
        "Europe/Brussels",
        "en",
    )


def test_interests_are_edited_with_region_groups_kept_as_groups(
    as_member: Client, db: Session, member: User, sectors: None
) -> None:
    set_follows(db, member.id, "country", ["US"])
    set_follows(db, member.id, "thread", ["17"])
    response = as_member.post(
        "/profile/follows",
        data={
            "countries": ["g:asean", "JP", "kr"],
            "sectors": ["healthcare", "digital"],
            "csrf_token": as_member.csrf_token(),
        },
    )
    assert response.status_code == 303
    follows = list_follows(db, member.id)
    assert follows["region_group"] == ["g:asean"]
    assert follows["country"] == ["JP", "KR"]
    assert follows["sector"] == ["digital", "healthcare"]
    assert follows["thread"] == ["17"], "follows of other kinds are left alone"
    page = as_member.get("/profile")
    shown = pickers(page.text)
    assert shown["countries"].chosen == ["g:asean", "JP", "KR"], "one picker: what is followed"
    assert shown["countries"].values.count("JP") == 1
    assert shown["sectors"].chosen == ["digital", "healthcare"]

    cleared = as_member.post_form("/profile/follows", {})
    assert cleared.status_code == 303  # type: ignore[attr-defined]
    follows = list_follows(db, member.id)
    assert follows["region_group"] == follows["country"] == follows["sector"] == []


def test_unknown_countries_regions_or_sectors_are_refused_and_nothing_changes(
    as_member: Client, db: Session, member: User, sectors: None
) -> None:
    set_follows(db, member.id, "country", ["US"])
    for countries, chosen, message, anchor in (
        (["JP", "XX"], ["healthcare"], "'XX' is not a country or region we know.", "countries"),
        (["g:atlantis"], [], "'g:atlantis' is not a country or region we know.", "countries"),
        (["JP"], ["basket-weaving"], "'basket-weaving' is not a sector we know.", "sectors"),
    ):
        response = as_member.post(
            "/profile/follows",
            data={"countries": countries, "sectors": chosen, "csrf_token": as_member.csrf_token()},
        )
        assert response.status_code == 422
        assert message in _text(response)
        assert f'href="#{anchor}"' in response.text
        follows = list_follows(db, member.id)
        assert (follows["country"], follows["sector"]) == (["US"], [])


def test_a_member_asks_to_join_a_different_partnership_from_the_profile(
    client: Client, demo_db: Session, people: People
) -> None:
    member = people.make(email="paula@example.eu", partnership_slug="laser-go-global")
    sign_in(client, demo_db, member)
    response = client.post_form("/partnerships/foodnet/join", {})
    assert response.status_code == 303  # type: ignore[attr-defined]
    membership = demo_db.scalar(select(Membership).where(Membership.user_id == member.id))
    assert membership is not None
    assert (membership.partnership.slug, membership.status) == ("foodnet", "pending")
    page = client.get("/profile")
    assert "Pending" in page.text
    assert "You asked to join" in page.text


def test_an_email_change_needs_the_password_and_is_confirmed_from_the_new_address(
    as_member: Client, db: Session, member: User, outbox: Outbox
) -> None:
    wrong = as_member.post_form(
        "/profile/email", {"new_email": "maria@new.example.eu", "email_password": "not it at all"}
    )
    assert wrong.status_code == 422  # type: ignore[attr-defined]
    assert "Your password is not right." in _text(wrong)
    assert outbox.to("maria@new.example.eu") == []

    response = as_member.post_form(
        "/profile/email", {"new_email": "Maria@New.example.eu", "email_password": TEST_PASSWORD}
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert "We sent a confirmation link to maria@new.example.eu" in as_member.get("/profile").text
    notice = outbox.to("maria@example.eu")
    assert [m["Subject"] for m in notice] == ["Your Cluster Forum email address is being changed"]
    assert "maria@new.example.eu" in notice[0].get_content()
    link = outbox.last_link("maria@new.example.eu", "/email/confirm/")

    page = as_member.get(link)
    assert page.status_code == 200
    assert f'action="{link}"' in page.text, "the link opens a page with a button"
    db.refresh(member)
    assert member.email == "maria@example.eu", "opening the link changes nothing"

    confirmed = as_member.post_form(link, {})
    assert confirmed.status_code == 303  # type: ignore[attr-defined]
    db.refresh(member)
    assert member.email == "maria@new.example.eu"
    assert "maria@new.example.eu" in as_member.get("/profile").text
    assert as_member.post_form(link, {}).status_code == 400  # type: ignore[attr-defined]


def test_an_email_change_to_an_invalid_address_is_refused(
    as_member: Client, db: Session, member: User
) -> None:
    response = as_member.post_form(
        "/profile/email", {"new_email": "not-an-address", "email_password": TEST_PASSWORD}
    )
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "Enter an email address like name@example.eu." in _text(response)
    assert 'href="#new_email"' in response.text  # type: ignore[attr-defined]


def test_a_password_change_ends_other_sessions_keeps_this_one_and_sends_a_notice(
    as_member: Client, app: FastAPI, db: Session, member: User, outbox: Outbox
) -> None:
    with Client(app, base_url="http://testserver", follow_redirects=False) as laptop:
        sign_in(laptop, db, member)
        assert laptop.get("/profile").status_code == 200
        response = as_member.post_form(
            "/profile/password",
            {"current_password": TEST_PASSWORD, "new_password": "a brand new passphrase"},
        )
        assert response.status_code == 303  # type: ignore[attr-defined]
        gone = laptop.get("/profile")
        assert gone.status_code == 303
        assert gone.headers["location"].startswith("/login")
    page = as_member.get("/profile")
    assert page.status_code == 200
    assert "Every other browser signed in to your account is signed out" in page.text
    assert "every API login is revoked; your personal tokens still work." in page.text
    assert db.scalar(select(func.count()).where(UserSession.user_id == member.id)) == 1
    assert [m["Subject"] for m in outbox.to(member.email)] == [
        "Your Cluster Forum password was changed"
    ]
    db.expire_all()
    assert authenticate(db, member.email, "a brand new passphrase").id == member.id


@pytest.mark.parametrize(
    ("current", "new", "message"),
    [
        ("not my password", "a brand new passphrase", "Your current password is not right."),
        (TEST_PASSWORD, "short", "Use at least 8 characters."),
    ],
)
def test_a_password_change_with_a_wrong_current_or_weak_new_password_changes_nothing(
    as_member: Client,
    db: Session,
    member: User,
    outbox: Outbox,
    current: str,
    new: str,
    message: str,
) -> None:
    before = member.password_hash
    response = as_member.post_form(
        "/profile/password", {"current_password": current, "new_password": new}
    )
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert message in _text(response)
    assert new not in response.text  # type: ignore[attr-defined]
    db.refresh(member)
    assert member.password_hash == before
    assert outbox.to(member.email) == []


def test_wrong_passwords_on_the_profile_count_towards_the_login_slow_down(
    as_member: Client, db: Session, member: User
) -> None:
    for _ in range(throttle.FAILURE_LIMIT):
        wrong = as_member.post_form(
            "/profile/email", {"new_email": "x@example.eu", "email_password": "a wrong guess"}
        )
        assert wrong.status_code == 422  # type: ignore[attr-defined]
    slowed = as_member.post_form(
        "/profile/password", {"current_password": TEST_PASSWORD, "new_password": "whatever new"}
    )
    assert slowed.status_code == 429  # type: ignore[attr-defined]
    assert "Retry-After" in slowed.headers  # type: ignore[attr-defined]
