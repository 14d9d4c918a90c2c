"""Matchmaking: score = 2 × shared target countries + 3 × shared sectors, ties by name.

The acceptance tests run on the whole demo (`demo_db`); the others need only the report's
partnerships (`report_db`, much faster).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import formats
from forum.notifications.service import list_follows, set_follows
from forum.partnerships import matching
from forum.partnerships.models import Partnership
from forum.partnerships.service import get_partnership_by_slug
from forum.taxonomy.service import resolve_sectors
from tests.conftest import Client, People, sign_in


def _partnership(db: Session, slug: str) -> Partnership:
    found = get_partnership_by_slug(db, slug)
    assert found is not None, slug
    return found


def test_laser_go_global_matches_elbe_foodnet_and_mobigoin_action_first(demo_db: Session) -> None:
    matches = matching.matches_for_partnership(demo_db, _partnership(demo_db, "laser-go-global"))

    assert [m.partnership.name for m in matches[:3]] == ["ELBE", "FoodNet", "MobiGoIn-Action"]
    elbe, foodnet, mobigoin = matches[:3]
    assert elbe.score == 8  # Canada, Japan, South Korea, the United States
    assert elbe.reason == "both target Canada, Japan, South Korea and the United States"
    assert foodnet.score == 6
    assert foodnet.reason == "both target Israel, Japan and South Korea"
    assert mobigoin.score == 6  # tied with FoodNet: the name decides
    assert mobigoin.reason == "both target Canada, Singapore and the United States"


def test_a_shared_sector_counts_three_and_is_said_in_words(report_db: Session) -> None:
    matches = matching.matches_for_partnership(
        report_db, _partnership(report_db, "laser-go-global")
    )
    magia = next(m for m in matches if m.partnership.name == "MAGIA")

    assert magia.score == 3
    assert magia.reasons == ["both work in healthcare"]
    assert [c.code for c in magia.shared_countries] == []


def test_matches_are_ordered_by_score_then_name_and_leave_out_zero_scores(
    report_db: Session,
) -> None:
    subject = _partnership(report_db, "laser-go-global")
    matches = matching.matches_for_partnership(report_db, subject, limit=100)

    keys = [(-m.score, m.partnership.name) for m in matches]
    assert keys == sorted(keys)
    names = {m.partnership.name for m in matches}
    assert "LASER-GO GLOBAL" not in names
    # Nothing in common: no target country of LASER-GO GLOBAL and not in healthcare.
    assert not names & {"GCA", "DIA", "Cosmetics4Wellbeing", "GIVE", "ESCT Go Global"}
    for m in matches:
        shared = set(m.partnership.country_codes) & set(subject.country_codes)
        sectors = {s.id for s in m.partnership.sectors} & {s.id for s in subject.sectors}
        assert m.score == 2 * len(shared) + 3 * len(sectors) > 0


def test_a_partnership_without_targets_or_sector_has_no_match(report_db: Session) -> None:
    assert matching.matches_for_partnership(report_db, _partnership(report_db, "give")) == []


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Japan"], "Japan"),
        (["Canada", "Japan"], "Canada and Japan"),
        (["Canada", "Japan", "United States"], "Canada, Japan and United States"),
    ],
)
def test_join_words_reads_as_a_list_in_a_sentence(names: list[str], expected: str) -> None:
    assert formats.format_list(names) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("United States", "the United States"),
        ("United Arab Emirates", "the United Arab Emirates"),
        ("Netherlands", "the Netherlands"),
        ("Japan", "Japan"),
        ("South Korea", "South Korea"),
    ],
)
def test_country_names_take_the_article_they_need(name: str, expected: str) -> None:
    assert matching.country_in_sentence(name) == expected


def test_a_member_is_matched_through_their_partnership_and_their_follows(
    report_db: Session, people: People
) -> None:
    member = people.make(partnership_slug="pimap")  # PIMAP: Canada, United States; high-tech
    set_follows(report_db, member.id, "country", ["JP"])
    set_follows(report_db, member.id, "sector", ["healthcare"])
    report_db.refresh(member)

    interests = matching.interests_of_member(
        report_db, list_follows(report_db, member.id), member.partnership
    )
    assert interests.countries == {"CA", "US", "JP"}
    assert interests.sector_ids == {
        s.id for s in resolve_sectors(report_db, ["healthcare", "high-tech"])
    }

    matches, _ = matching.list_matches(report_db, interests, subject="you both", limit=100)
    names = [m.partnership.name for m in matches]
    assert "PIMAP" not in names  # their own partnership
    # LASER-GO GLOBAL: Canada, Japan, the United States (3 × 2) and healthcare (3) = 9.
    assert names[0] == "LASER-GO GLOBAL"
    assert matches[0].score == 9
    assert matches[0].reasons == [
        "you both target Canada, Japan and the United States",
        "you both work in healthcare",
    ]


def test_a_member_who_follows_a_region_group_is_matched_on_its_countries(
    report_db: Session, people: People
) -> None:
    member = people.make()
    set_follows(report_db, member.id, "region_group", ["g:north-america"])

    interests = matching.interests_of_member(
        report_db, list_follows(report_db, member.id), member.partnership
    )
    assert {"US", "CA", "MX"} <= interests.countries
    matches, _ = matching.list_matches(report_db, interests, limit=100)
    assert "GEO-ENERGY EUROPE" in {m.partnership.name for m in matches}  # Canada, Mexico


def test_a_member_with_no_partnership_and_no_follows_has_no_match(
    report_db: Session, people: People
) -> None:
    member = people.make()
    assert matching.list_matches(
        report_db,
        matching.interests_of_member(
            report_db, list_follows(report_db, member.id), member.partnership
        ),
    ) == (
        [],
        None,
    )


# --- the API ------------------------------------------------------------------------------


def test_the_matches_api_answers_the_ranked_list_with_reasons(
    client: Client, demo_db: Session
) -> None:
    laser = _partnership(demo_db, "laser-go-global")
    response = client.get(f"/api/v1/partnerships/{laser.id}/matches")

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["partnership"]["name"] for i in items[:3]] == ["ELBE", "FoodNet", "MobiGoIn-Action"]
    assert items[0]["score"] == 8
    assert items[0]["shared_countries"] == ["CA", "JP", "KR", "US"]
    assert items[0]["reason"] == "both target Canada, Japan, South Korea and the United States"
    assert items[0]["partnership"]["url"] == "http://testserver/partnerships/elbe"


def test_the_matches_api_pages_by_cursor_without_repeating_or_skipping(
    client: Client, report_db: Session
) -> None:
    laser = _partnership(report_db, "laser-go-global")
    whole = client.get(f"/api/v1/partnerships/{laser.id}/matches?limit=100").json()
    assert whole["next"] is None

    seen: list[str] = []
    url = f"/api/v1/partnerships/{laser.id}/matches?limit=2"
    for _ in range(50):
        body = client.get(url).json()
        seen += [i["partnership"]["name"] for i in body["items"]]
        if body["next"] is None:
            break
        url = f"/api/v1/partnerships/{laser.id}/matches?limit=2&cursor={body['next']}"
    assert seen == [i["partnership"]["name"] for i in whole["items"]]


def test_the_matches_api_refuses_a_forged_cursor_and_an_unknown_partnership(
    client: Client, report_db: Session
) -> None:
    laser = _partnership(report_db, "laser-go-global")
    forged = client.get(f"/api/v1/partnerships/{laser.id}/matches?cursor=bm90LWEtY3Vyc29y")
    assert forged.status_code == 422
    assert "cursor" in forged.json()["detail"]
    missing = client.get("/api/v1/partnerships/999999/matches")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No partnership with this id."


# --- the pages ----------------------------------------------------------------------------


def _match_names(html: str) -> list[str]:
    return re.findall(r'<h[23] class="card-title"><a href="/partnerships/[^"]+">([^<]+)</a>', html)


def test_the_profile_shows_the_top_matches_with_their_reasons(
    client: Client, report_db: Session
) -> None:
    page = client.get("/partnerships/laser-go-global")

    assert page.status_code == 200
    assert _match_names(page.text)[:3] == ["ELBE", "FoodNet", "MobiGoIn-Action"]
    assert "Both target Canada, Japan, South Korea and the United States." in page.text
    assert 'href="/partnerships/laser-go-global/matches"' in page.text


def test_the_matches_page_lists_every_match_paginated(client: Client, report_db: Session) -> None:
    page = client.get("/partnerships/laser-go-global/matches")

    assert page.status_code == 200
    names = _match_names(page.text)
    assert names[:3] == ["ELBE", "FoodNet", "MobiGoIn-Action"]
    assert "MAGIA" in names
    assert client.get("/partnerships/no-such-one/matches").status_code == 404


def test_a_partnership_with_nothing_in_common_shows_an_empty_state(
    client: Client, report_db: Session
) -> None:
    page = client.get("/partnerships/give/matches")

    assert page.status_code == 200
    assert "empty-state" in page.text
    assert _match_names(page.text) == []


def test_my_matches_page_sends_a_visitor_to_log_in(client: Client, report_db: Session) -> None:
    response = client.get("/matches")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_my_matches_page_ranks_partnerships_for_the_signed_in_member(
    client: Client, report_db: Session, people: People
) -> None:
    member: User = people.make(partnership_slug="pimap")
    set_follows(report_db, member.id, "sector", ["healthcare"])
    sign_in(client, report_db, member)

    page = client.get("/matches")

    assert page.status_code == 200
    names = _match_names(page.text)
    assert names[0] == "LASER-GO GLOBAL"
    assert "PIMAP" not in names
    assert "You both target Canada and the United States; you both work in healthcare." in page.text


def test_my_matches_page_explains_how_to_get_matches_when_there_are_none(
    client: Client, report_db: Session, people: People
) -> None:
    sign_in(client, report_db, people.make())

    page = client.get("/matches")

    assert page.status_code == 200
    assert "empty-state" in page.text
    assert 'href="/profile' in page.text


def test_the_directory_links_a_signed_in_member_to_their_matches(
    client: Client, report_db: Session, people: People
) -> None:
    assert 'href="/matches"' not in client.get("/partnerships").text
    sign_in(client, report_db, people.make())
    assert 'href="/matches"' in client.get("/partnerships").text
