"""`GET|PUT /api/v1/me/preferences` and `GET /api/v1/me/digest/preview`: shapes, validation
(422 naming the field), and the follows they write being the one store the profile shows."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import User
from forum.discussions.models import Category
from forum.intelligence import writes as intel_writes
from forum.notifications.models import Follow
from forum.notifications.service import follow, list_follows
from forum.taxonomy.service import resolve_sectors
from tests.conftest import Client, People, sign_in
from tests.taxonomy.pickers import pickers

PREFS = "/api/v1/me/preferences"
PREVIEW = "/api/v1/me/digest/preview"


def bearer(db: Session, user: User) -> dict[str, str]:
    raw, _ = create_api_token(db, user, name="tests")
    db.flush()
    return {"Authorization": f"Bearer {raw}"}


def test_preferences_need_a_bearer_token(client: Client) -> None:
    assert client.get(PREFS).status_code == 401
    assert client.put(PREFS, json={"frequency": "daily"}).status_code == 401
    assert client.get(PREVIEW).status_code == 401


def test_a_new_member_has_the_default_schedule_and_no_follows(
    client: Client, db: Session, member: User
) -> None:
    response = client.get(PREFS, headers=bearer(db, member))
    assert response.status_code == 200
    assert response.json() == {
        "frequency": "weekly",
        "weekday": 0,
        "hour": 7,
        "timezone": "Europe/Brussels",
        "countries": [],
        "sectors": [],
        "categories": [],
    }


def test_put_then_get_round_trips_and_writes_follow_rows_the_profile_shows(
    client: Client, db: Session, member: User, categories: dict[str, Category]
) -> None:
    headers = bearer(db, member)
    body = {
        "frequency": "daily",
        "weekday": 4,
        "hour": 18,
        "timezone": "Asia/Tokyo",
        "countries": ["jp", "g:asean", "US"],
        "sectors": ["food", "Textile"],
        "categories": ["good-practices"],
    }
    put = client.put(PREFS, headers=headers, json=body)
    assert put.status_code == 200, put.text
    expected = {
        "frequency": "daily",
        "weekday": 4,
        "hour": 18,
        "timezone": "Asia/Tokyo",
        "countries": ["g:asean", "JP", "US"],
        "sectors": ["food", "textile"],
        "categories": ["good-practices"],
    }
    assert put.json() == expected
    assert client.get(PREFS, headers=headers).json() == expected

    rows = {
        (f.target_type, f.target)
        for f in db.scalars(select(Follow).where(Follow.user_id == member.id))
    }
    assert rows == {
        ("country", "JP"),
        ("country", "US"),
        ("region_group", "g:asean"),
        ("sector", "food"),
        ("sector", "textile"),
        ("category", "good-practices"),
    }
    db.refresh(member)
    assert (member.digest_frequency, member.digest_weekday, member.digest_hour) == ("daily", 4, 18)
    assert member.timezone == "Asia/Tokyo"

    # One store: the profile's interest form shows the same follows, ticked.
    sign_in(client, db, member)
    profile = client.get("/profile").text
    shown = pickers(profile)
    assert {"JP", "g:asean", "US"} <= set(shown["countries"].chosen)
    assert {"food", "textile"} <= set(shown["sectors"].chosen)


def test_fields_left_out_keep_their_value_and_thread_follows_are_kept(
    client: Client, db: Session, member: User, categories: dict[str, Category]
) -> None:
    follow(db, member.id, "country", "JP")
    follow(db, member.id, "thread", "12345")
    follow(db, member.id, "partnership", "7")
    db.flush()
    response = client.put(PREFS, headers=bearer(db, member), json={"sectors": ["food"]})
    assert response.status_code == 200
    assert response.json()["countries"] == ["JP"]
    assert response.json()["frequency"] == "weekly"
    follows = list_follows(db, member.id)
    assert follows["thread"] == ["12345"]
    assert follows["partnership"] == ["7"]
    assert follows["sector"] == ["food"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("frequency", "hourly"),
        ("weekday", 7),
        ("weekday", -1),
        ("hour", 24),
        ("timezone", "Mars/Olympus_Mons"),
        ("countries", ["JP", "XX"]),
        ("countries", ["g:atlantis"]),
        ("sectors", ["food", "underwater-basket-weaving"]),
        ("categories", ["no-such-category"]),
    ],
)
def test_an_invalid_preference_answers_422_naming_the_field_and_changes_nothing(
    client: Client,
    db: Session,
    member: User,
    categories: dict[str, Category],
    field: str,
    value: Any,
) -> None:
    headers = bearer(db, member)
    # A valid change beside the invalid one: nothing of the request may be saved.
    body = {"hour": 9, "sectors": ["textile"], field: value}
    response = client.put(PREFS, headers=headers, json=body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert any(error["loc"][:2] == ["body", field] for error in detail), detail
    after = client.get(PREFS, headers=headers).json()
    assert after["hour"] == 7
    assert after["sectors"] == []


def test_a_members_only_category_can_be_followed_by_a_member(
    client: Client, db: Session, member: User, members_only: Category
) -> None:
    """Categories are checked with the discussions' own visibility rule (can_see_category):
    members read members-only categories, so they may follow them. The rule hides none
    from a signed-in member today; an unknown or unreadable one is refused alike (above)."""
    response = client.put(
        PREFS, headers=bearer(db, member), json={"categories": [members_only.slug]}
    )
    assert response.status_code == 200
    assert response.json()["categories"] == [members_only.slug]


def test_the_preview_shows_the_next_digest_with_subject_sections_entries_and_text(
    client: Client, db: Session, people: People, sectors: None
) -> None:
    reader, writer = people.make(), people.make()
    follow(db, reader.id, "country", "JP")
    follow(db, reader.id, "sector", "food")
    item = intel_writes.create_item(
        db,
        writer,
        intel_writes.ItemInput(
            title="Processed food import rules in Japan",
            kind="news",
            summary="They change in April.",
            countries=["JP"],
            sectors=resolve_sectors(db, ["food"]),
        ),
        status="published",
    )
    db.flush()

    response = client.get(PREVIEW, headers=bearer(db, reader))
    assert response.status_code == 200, response.text
    data = response.json()
    assert set(data) >= {"subject", "sections", "text", "period", "would_send"}
    assert data["would_send"] is True
    assert "Japan" in data["subject"]
    intel_section = next(s for s in data["sections"] if s["key"] == "intel")
    entry = intel_section["entries"][0]
    assert entry["title"] == "Processed food import rules in Japan"
    assert entry["url"] == f"http://testserver/intel/{item.id}"
    assert set(entry) == {"title", "url", "meta", "excerpt"}
    assert any("/digests/interest/" in link["url"] for link in intel_section["follow_links"])
    assert "Processed food import rules in Japan" in data["text"]


def test_the_preview_of_a_member_with_nothing_new_says_no_email_would_go(
    client: Client, db: Session, member: User, sectors: None
) -> None:
    follow(db, member.id, "country", "US")
    db.flush()
    data = client.get(PREVIEW, headers=bearer(db, member)).json()
    assert data["would_send"] is False
    assert data["sections"] == []


@pytest.mark.parametrize("value", [True, "3", 3.0])
def test_weekday_and_hour_must_be_whole_numbers_not_look_alikes(
    client: Client, db: Session, member: User, value: object
) -> None:
    headers = bearer(db, member)
    for field in ("weekday", "hour"):
        response = client.put("/api/v1/me/preferences", json={field: value}, headers=headers)
        assert response.status_code == 422, (field, value, response.text)
