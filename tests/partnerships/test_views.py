"""The partnership directory and the country and sector pages, as people see them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forum.core.db import utcnow
from forum.partnerships.models import Partnership
from tests.conftest import Client, People, sign_in


def test_partnership_directory_shows_all_partnerships_on_one_page_and_explains_strands(
    client: Client, demo_db: Session
) -> None:
    page_one = client.get("/partnerships")
    assert page_one.status_code == 200
    assert page_one.text.count('class="card"') == 21
    assert "1–21 of 21" in page_one.text
    assert "page=2" not in page_one.text
    assert "SpaceWave" in page_one.text
    assert "What do “Strand 1” and “Strand 2” mean?" in page_one.text
    assert "consolidate the links among the cluster organisations" in page_one.text


def test_directory_is_paginated_past_its_page_size(client: Client, demo_db: Session) -> None:
    for n in range(30):
        demo_db.add(Partnership(slug=f"test-extra-{n:02}", name=f"Zz extra partnership {n:02}"))
    demo_db.flush()
    page_one = client.get("/partnerships")
    assert page_one.text.count('class="card"') == 50
    assert "1–50 of 51" in page_one.text
    assert 'href="/partnerships?page=2"' in page_one.text
    page_two = client.get("/partnerships?page=2")
    assert page_two.text.count('class="card"') == 1
    assert "Zz extra partnership 29" in page_two.text


def test_directory_filters_by_target_country(client: Client, demo_db: Session) -> None:
    response = client.get("/partnerships?country=US")
    assert response.text.count('class="card"') == 8
    assert "LASER-GO GLOBAL" in response.text
    assert "FoodNet" not in response.text


def test_directory_shows_an_empty_state_when_nothing_matches(
    client: Client, demo_db: Session
) -> None:
    response = client.get("/partnerships?country=FR")
    assert response.status_code == 200
    assert 'class="empty-state"' in response.text
    assert "Clear filters" in response.text


def test_directory_rejects_an_unknown_country_with_a_styled_422(
    client: Client, demo_db: Session
) -> None:
    response = client.get("/partnerships?country=XX")
    assert response.status_code == 422
    assert "XX" in response.text
    assert '<main id="main"' in response.text


def test_profile_shows_targets_sector_and_source(client: Client, demo_db: Session) -> None:
    response = client.get("/partnerships/laser-go-global")
    assert response.status_code == 200
    for text in ("LASER-GO GLOBAL", "Japan", "South Korea", "Healthcare", "Table 1"):
        assert text in response.text


def test_profile_of_a_partnership_without_targets_says_so(client: Client, demo_db: Session) -> None:
    response = client.get("/partnerships/give")
    assert "Not stated in the report" in response.text
    assert client.get("/partnerships/no-such").status_code == 404


def test_country_page_lists_who_targets_it(client: Client, demo_db: Session) -> None:
    response = client.get("/countries/IL")
    assert response.status_code == 200
    for name in ("COSMENERG-4i", "EU-TEXTILE2030", "FoodNet", "LASER-GO GLOBAL"):
        assert name in response.text
    assert client.get("/countries/il").status_code == 301
    assert client.get("/countries/XX").status_code == 404


def test_country_page_without_partnerships_shows_an_empty_state(
    client: Client, demo_db: Session
) -> None:
    response = client.get("/countries/FR")
    assert 'class="empty-state"' in response.text


def test_countries_index_ranks_targeted_countries(client: Client, demo_db: Session) -> None:
    response = client.get("/countries")
    assert response.status_code == 200
    assert response.text.index("United States") < response.text.index("Canada")
    assert "g:asean" in response.text


def test_sector_page(client: Client, demo_db: Session) -> None:
    response = client.get("/sectors/food")
    assert response.status_code == 200
    assert "FoodNet" in response.text
    assert "NF4" in response.text
    assert client.get("/sectors/nothing").status_code == 404


def test_home_page_shows_the_most_targeted_markets(client: Client, demo_db: Session) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "United States" in response.text
    assert "21" in response.text


def test_a_suspended_member_is_not_listed_among_a_partnerships_people(
    client: Client, demo_db: Session, people: People
) -> None:
    viewer = people.make(name="Vera Viewer", email="vera@example.eu")
    kept = people.make(name="Kim Kept", email="kim@example.eu", partnership_slug="laser-go-global")
    gone = people.make(
        name="Sam Suspended", email="sam@example.eu", partnership_slug="laser-go-global"
    )
    gone.suspended_at = utcnow()
    demo_db.flush()
    sign_in(client, demo_db, viewer)
    page = client.get("/partnerships/laser-go-global").text
    assert kept.name in page
    assert gone.name not in page


def test_partnership_page_lists_each_good_practice_once(client: Client, demo_db: Session) -> None:
    page = client.get("/partnerships/spacewave").text
    for title in (
        "SpaceWave business trip to Vietnam and Thailand",
        "SpaceWave workshops: information for SMEs on Earth Observation for Blue Growth",
    ):
        assert page.count(f">{title}</a>") == 1, title
