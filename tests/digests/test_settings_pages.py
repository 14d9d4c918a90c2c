"""The digest settings page, its preview, the bounce notice, and the page a digest's
follow/mute link opens (GET changes nothing; the POST applies it without a session)."""

from __future__ import annotations

import html

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.digests import service
from forum.digests.tokens import interest_token
from forum.discovery.saved import create_saved_search
from forum.discussions.models import Category
from forum.intelligence import writes as intel_writes
from forum.notifications.models import EmailSettings
from forum.notifications.service import follow, follow_state, list_follows
from forum.taxonomy.service import resolve_sectors
from tests.conftest import TEST_SECRET, Client, People, sign_in
from tests.taxonomy.pickers import pickers

SETTINGS = "/settings/digest"


def form(client: Client, **fields: str | list[str]) -> dict[str, str | list[str]]:
    return {"csrf_token": client.csrf_token(), **fields}


def test_the_settings_page_asks_a_visitor_to_log_in(client: Client) -> None:
    response = client.get(SETTINGS)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsettings%2Fdigest"


def test_the_settings_page_shows_every_choice_labelled_with_the_members_values(
    as_member: Client, db: Session, member: User, categories: dict[str, Category]
) -> None:
    follow(db, member.id, "country", "JP")
    follow(db, member.id, "category", "good-practices")
    create_saved_search(db, user=member, name="Cosmetics in Japan", query_string="q=cosmetics")
    db.flush()
    page = as_member.get(SETTINGS)
    assert page.status_code == 200
    text = page.text
    for control in ("frequency", "weekday", "hour", "timezone", "countries", "sectors"):
        assert f'<label for="{control}">' in text, control
    for toggle in ("notify_replies", "notify_mentions", "notify_thread_posts"):
        assert f'id="{toggle}" name="{toggle}" value="1" checked' in text
    assert '<option value="weekly" selected>' in text
    assert '<option value="7" selected>07:00</option>' in text
    chosen = pickers(text)
    assert chosen["countries"].chosen == ["JP"]
    assert chosen["sectors"].chosen == [] and "food" in chosen["sectors"].values  # not followed
    assert 'id="category-good-practices" name="categories" value="good-practices" checked' in text
    assert "Cosmetics in Japan" in text
    assert 'href="/settings/searches"' in text
    assert 'href="/settings/digest/preview"' in text
    assert "My address works again" not in text


def test_saving_the_form_without_its_csrf_token_is_refused(
    as_member: Client, db: Session, member: User
) -> None:
    response = as_member.post(SETTINGS, data={"frequency": "off", "hour": "7", "weekday": "0"})
    assert response.status_code == 403
    db.refresh(member)
    assert member.digest_frequency == "weekly"


def test_saving_the_form_writes_the_schedule_follows_and_toggles(
    as_member: Client, db: Session, member: User, categories: dict[str, Category]
) -> None:
    follow(db, member.id, "thread", "4242")
    db.flush()
    response = as_member.post(
        SETTINGS,
        data=form(
            as_member,
            frequency="weekly",
            weekday="2",
            hour="8",
            timezone="America/Toronto",
            countries=["JP", "g:asean"],
            sectors=["food"],
            categories=["good-practices"],
            notify_mentions="1",
        ),
    )
    assert response.status_code == 303
    assert response.headers["location"] == SETTINGS
    page = as_member.get(SETTINGS).text
    assert "Your digest comes every Wednesday at 08:00 (America/Toronto)." in page

    db.refresh(member)
    prefs = service.get_preferences(db, member)
    assert (prefs.frequency, prefs.weekday, prefs.hour) == ("weekly", 2, 8)
    assert prefs.timezone == "America/Toronto"
    assert prefs.countries == ["g:asean", "JP"]
    assert prefs.sectors == ["food"]
    assert prefs.categories == ["good-practices"]
    assert list_follows(db, member.id)["thread"] == ["4242"], "thread follows are kept"
    row = db.get(EmailSettings, member.id)
    assert row is not None
    assert (row.notify_replies, row.notify_mentions, row.notify_thread_posts) == (
        False,
        True,
        False,
    )


def test_an_invalid_time_zone_shows_the_form_again_with_the_error_and_saves_nothing(
    as_member: Client, db: Session, member: User, sectors: None
) -> None:
    response = as_member.post(
        SETTINGS,
        data=form(
            as_member,
            frequency="daily",
            weekday="0",
            hour="7",
            timezone="Atlantis/Capital",
            sectors=["food"],
        ),
    )
    assert response.status_code == 422
    assert 'href="#timezone"' in response.text
    assert 'aria-invalid="true"' in response.text
    db.refresh(member)
    assert member.digest_frequency == "weekly"
    assert list_follows(db, member.id)["sector"] == []


def test_an_unknown_country_is_reported_against_the_list_to_choose_from(
    as_member: Client, db: Session, member: User
) -> None:
    response = as_member.post(
        SETTINGS,
        data=form(
            as_member,
            frequency="weekly",
            weekday="0",
            hour="7",
            timezone="Europe/Brussels",
            countries=["ZZ"],
        ),
    )
    assert response.status_code == 422
    assert 'href="#countries"' in response.text
    assert "&#39;ZZ&#39; is not an ISO 3166-1 country code" in response.text


def test_a_bouncing_address_is_shown_and_the_member_can_say_it_works_again(
    as_member: Client, db: Session, member: User
) -> None:
    db.add(
        EmailSettings(
            user_id=member.id, bouncing_at=utcnow(), bounce_reason="550 5.1.1 No such user"
        )
    )
    db.flush()
    page = as_member.get(SETTINGS).text
    assert f"We cannot deliver to {member.email}" in page
    assert "550 5.1.1 No such user" in page
    assert "My address works again" in page

    assert as_member.post(f"{SETTINGS}/address").status_code == 403  # CSRF
    response = as_member.post(f"{SETTINGS}/address", data=form(as_member))
    assert response.status_code == 303
    row = db.get(EmailSettings, member.id)
    assert row is not None
    db.refresh(row)
    assert row.bouncing_at is None and row.bounce_reason is None
    assert "We cannot deliver" not in as_member.get(SETTINGS).text


def test_the_preview_page_shows_the_next_digest(
    as_member: Client, db: Session, member: User, people: People, sectors: None
) -> None:
    follow(db, member.id, "country", "JP")
    intel_writes.create_item(
        db,
        people.make(),
        intel_writes.ItemInput(
            title="Cosmetics distributors in Osaka",
            kind="news",
            countries=["JP"],
            sectors=resolve_sectors(db, ["cosmetics"]),
        ),
        status="published",
    )
    db.flush()
    page = as_member.get(f"{SETTINGS}/preview")
    assert page.status_code == 200
    assert "Cosmetics distributors in Osaka" in page.text
    assert "as it would be sent now, under the subject" in page.text


def test_the_preview_page_says_when_no_email_would_go(
    as_member: Client, db: Session, member: User, sectors: None
) -> None:
    follow(db, member.id, "country", "JP")
    db.flush()
    page = as_member.get(f"{SETTINGS}/preview")
    assert page.status_code == 200
    assert "no email would go" in page.text


# --- the follow and mute links ----------------------------------------------------------------


def test_opening_a_follow_link_shows_what_will_happen_and_changes_nothing(
    client: Client, db: Session, member: User
) -> None:
    token = interest_token(TEST_SECRET, member.id, "follow", "country", "JP")
    page = client.get(f"/digests/interest/{token}")
    assert page.status_code == 200
    assert "Follow Japan" in page.text
    assert f'action="/digests/interest/{token}"' in page.text
    assert not follow_state(db, member.id, "country", "JP")


def test_pressing_the_button_follows_without_a_session_or_csrf_token(
    client: Client, db: Session, member: User
) -> None:
    token = interest_token(TEST_SECRET, member.id, "follow", "country", "JP")
    response = client.post(f"/digests/interest/{token}")  # no cookie, no form token
    assert response.status_code == 303
    assert response.headers["location"] == f"/digests/interest/{token}"
    assert follow_state(db, member.id, "country", "JP")
    again = client.get(response.headers["location"]).text
    assert "You follow Japan: it will be in your digest." in html.unescape(again)
    # Pressing twice changes nothing more.
    assert client.post(f"/digests/interest/{token}").status_code == 303
    assert list_follows(db, member.id)["country"] == ["JP"]


def test_a_mute_link_stops_following_after_the_button_only(
    client: Client, db: Session, member: User, sectors: None
) -> None:
    follow(db, member.id, "sector", "food")
    db.flush()
    token = interest_token(TEST_SECRET, member.id, "mute", "sector", "food")
    page = client.get(f"/digests/interest/{token}")
    assert "Stop following Food industry" in page.text
    assert follow_state(db, member.id, "sector", "food")
    client.post(f"/digests/interest/{token}")
    assert not follow_state(db, member.id, "sector", "food")


def test_a_forged_or_altered_interest_link_answers_404_and_changes_nothing(
    client: Client, db: Session, member: User
) -> None:
    token = interest_token("another-secret", member.id, "follow", "country", "JP")
    altered = interest_token(TEST_SECRET, member.id, "follow", "country", "JP")[:-2] + "xx"
    for bad in (token, altered, "not-a-token"):
        assert client.get(f"/digests/interest/{bad}").status_code == 404
        assert client.post(f"/digests/interest/{bad}").status_code == 404
    assert not follow_state(db, member.id, "country", "JP")


def test_a_link_naming_a_thread_the_member_cannot_see_answers_404(
    client: Client, db: Session, member: User
) -> None:
    token = interest_token(TEST_SECRET, member.id, "follow", "thread", "999999")
    assert client.get(f"/digests/interest/{token}").status_code == 404


def test_a_signed_in_member_pressing_another_members_link_changes_only_that_member(
    client: Client, db: Session, member: User, other_member: User
) -> None:
    """The token names whose follows change, whoever is signed in (a forwarded digest)."""
    sign_in(client, db, other_member)
    token = interest_token(TEST_SECRET, member.id, "follow", "country", "BR")
    client.post(f"/digests/interest/{token}")
    assert follow_state(db, member.id, "country", "BR")
    assert not follow_state(db, other_member.id, "country", "BR")
    assert db.scalar(select(EmailSettings).where(EmailSettings.user_id == member.id)) is None


def test_the_profile_links_to_the_digest_settings(as_member: Client) -> None:
    assert 'href="/settings/digest"' in as_member.get("/profile").text
