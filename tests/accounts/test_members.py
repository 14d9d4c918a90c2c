"""Other members' profile pages: for members only, and never with an email address."""

from __future__ import annotations

import html

from sqlalchemy.orm import Session

from forum.accounts.models import Membership, User
from forum.core.db import utcnow
from forum.partnerships.service import get_partnership_by_slug
from forum.portal.privacy import delete_account
from tests.conftest import Client, People, sign_in


def test_member_pages_send_a_visitor_to_log_in_first(client: Client, member: User) -> None:
    for path in (
        f"/members/{member.handle}",
        f"/members/{member.handle}/contact",
        "/members/nobody.at.all",
    ):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=%2Fmembers%2F")


def test_a_profile_shows_name_partnership_badge_bio_and_contact_but_never_the_email(
    client: Client, demo_db: Session, people: People, member: User
) -> None:
    paula = people.make(
        name="Paula Partner", email="paula@example.eu", partnership_slug="laser-go-global"
    )
    paula.bio = "Photonics in Japan.\nTen years of trade missions."
    demo_db.flush()
    sign_in(client, demo_db, member)
    page = client.get(f"/members/{paula.handle}")
    assert page.status_code == 200
    assert page.text.count("<h1") == 1
    assert "<h1>Paula Partner</h1>" in page.text
    assert "member of LASER-GO GLOBAL" in page.text
    assert 'href="/partnerships/laser-go-global"' in page.text
    assert "Photonics in Japan." in page.text
    assert "Member since" in page.text
    assert f'href="/members/{paula.handle}/contact"' in page.text
    assert "paula@example.eu" not in page.text
    assert "@example.eu" not in page.text.replace(member.email, "")


def test_a_pending_membership_earns_no_badge(
    client: Client, demo_db: Session, people: People, member: User
) -> None:
    pending = people.make(name="Pia Pending")
    partnership = get_partnership_by_slug(demo_db, "laser-go-global")
    assert partnership is not None
    demo_db.add(Membership(user_id=pending.id, partnership_id=partnership.id, status="pending"))
    demo_db.flush()
    sign_in(client, demo_db, member)
    page = client.get(f"/members/{pending.handle}")
    assert page.status_code == 200
    assert "member of" not in page.text
    assert "LASER-GO GLOBAL" not in page.text


def test_a_coordinator_profile_says_what_they_coordinate(
    client: Client, demo_db: Session, coordinator: User, member: User
) -> None:
    sign_in(client, demo_db, member)
    page = client.get(f"/members/{coordinator.handle}")
    assert "coordinator of LASER-GO GLOBAL" in page.text


def test_your_own_profile_page_offers_no_contact_button(
    client: Client, db: Session, member: User
) -> None:
    sign_in(client, db, member)
    page = client.get(f"/members/{member.handle}")
    assert page.status_code == 200
    assert "/contact" not in page.text
    assert 'href="/profile"' in page.text


def test_handles_are_matched_whatever_their_casing(
    client: Client, db: Session, member: User, other_member: User
) -> None:
    sign_in(client, db, member)
    assert other_member.handle
    page = client.get(f"/members/{other_member.handle.upper()}")
    assert page.status_code == 200
    assert "Otto Other" in page.text


def test_suspended_deleted_and_unknown_members_have_no_page(
    client: Client, db: Session, people: People, member: User
) -> None:
    suspended = people.make(name="Sam Suspended")
    suspended.suspended_at = utcnow()
    gone = people.make(name="Gina Gone")
    kept = people.make(name="Kim Kept")
    db.flush()
    handles = [suspended.handle, gone.handle, kept.handle]
    delete_account(db, gone, keep_content=False)
    # Kept as "Former member" when content references the row: simulate what an eraser does.
    kept.name, kept.suspended_at = "Former member", utcnow()
    db.flush()
    sign_in(client, db, member)
    for handle in [*handles, "nobody.at.all"]:
        response = client.get(f"/members/{handle}")
        assert response.status_code == 404, handle
        assert client.get(f"/members/{handle}/contact").status_code == 404
    assert "There is no member at this address." in html.unescape(response.text)


def test_the_partnership_page_links_its_people_to_their_profiles(
    client: Client, demo_db: Session, coordinator: User, people: People, member: User
) -> None:
    colleague = people.make(name="Cleo Colleague", partnership_slug="laser-go-global")
    sign_in(client, demo_db, member)
    page = client.get("/partnerships/laser-go-global")
    assert f'href="/members/{coordinator.handle}"' in page.text
    assert f'href="/members/{colleague.handle}"' in page.text
    assert 'href="/partnerships/laser-go-global/contact"' in page.text
    assert coordinator.email not in page.text
