"""The partnership directory's API, on the report's demo data."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Client

US_PARTNERSHIPS = [
    "EC2i",
    "ELBE",
    "LASER-GO GLOBAL",
    "MobiGoIn-Action",
    "NF4",
    "PERES",
    "PIMAP",
    "SENTINEL",
]
CA_PARTNERSHIPS = [
    "ELBE",
    "GEO-ENERGY EUROPE",
    "LASER-GO GLOBAL",
    "MobiGoIn-Action",
    "NF4",
    "PIMAP",
    "SpaceWave",
]


def _names(client: Client, query: str) -> list[str]:
    response = client.get(f"/api/v1/partnerships?{query}&limit=100")
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def test_the_eight_partnerships_targeting_the_united_states(
    client: Client, demo_db: Session
) -> None:
    assert _names(client, "country=US") == US_PARTNERSHIPS


def test_the_seven_partnerships_targeting_canada(client: Client, demo_db: Session) -> None:
    assert _names(client, "country=CA") == CA_PARTNERSHIPS


def test_country_codes_are_case_insensitive(client: Client, demo_db: Session) -> None:
    assert _names(client, "country=us") == US_PARTNERSHIPS


def test_a_region_group_filters_like_its_member_countries(client: Client, demo_db: Session) -> None:
    north_america = set(_names(client, "country=g:north-america"))
    assert set(US_PARTNERSHIPS) | set(CA_PARTNERSHIPS) <= north_america
    assert "GEO-ENERGY EUROPE" in north_america  # targets Mexico and Canada


def test_repeated_countries_combine_as_either(client: Client, demo_db: Session) -> None:
    assert set(_names(client, "country=BR&country=NZ")) == {"NF4", "LASER-GO GLOBAL"}


def test_sector_and_strand_filters(client: Client, demo_db: Session) -> None:
    assert _names(client, "sector=healthcare") == ["LASER-GO GLOBAL", "MAGIA"]
    assert _names(client, "sector=healthcare&strand=1") == ["MAGIA"]
    assert _names(client, "sector=food&country=CN") == ["FoodNet", "NF4"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("country=XX", "XX"),
        ("country=g:atlantis", "g:atlantis"),
        ("sector=underwater-basket", "underwater-basket"),
    ],
)
def test_unknown_filters_answer_422_naming_the_value(
    client: Client, demo_db: Session, query: str, named: str
) -> None:
    response = client.get(f"/api/v1/partnerships?{query}")
    assert response.status_code == 422
    assert named in response.json()["detail"]


def test_cursor_pagination_walks_the_whole_directory_once(client: Client, demo_db: Session) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        url = "/api/v1/partnerships?limit=4" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).json()
        seen += [item["name"] for item in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert len(seen) == 21
    assert seen == sorted(seen)
    assert len(set(seen)) == 21


@pytest.mark.parametrize("cursor", ["garbage", "WzFd", "eyJhIjoxfQ", "%00"])
def test_a_forged_cursor_answers_422(client: Client, demo_db: Session, cursor: str) -> None:
    response = client.get(f"/api/v1/partnerships?cursor={cursor}")
    assert response.status_code == 422
    assert "cursor" in response.json()["detail"]


def test_one_partnership_by_id_and_404(client: Client, demo_db: Session) -> None:
    first = client.get("/api/v1/partnerships?country=NZ").json()["items"][0]
    one = client.get(f"/api/v1/partnerships/{first['id']}").json()
    assert one["name"] == "LASER-GO GLOBAL"
    assert one["countries"] == ["AU", "CA", "IL", "JP", "KR", "NZ", "SG", "US"]
    assert one["sectors"] == [{"slug": "healthcare", "name": "Healthcare"}]
    assert one["url"].endswith("/partnerships/laser-go-global")
    missing = client.get("/api/v1/partnerships/999999")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No partnership with this id."}


def test_countries_api_lists_every_iso_country_with_counts(
    client: Client, demo_db: Session
) -> None:
    countries = {c["code"]: c for c in client.get("/api/v1/countries").json()}
    assert len(countries) == 249
    assert countries["US"]["partnerships"] == 8
    assert countries["JP"]["partnerships"] == 6
    assert countries["FR"]["partnerships"] == 0
    assert "g:eu27" in countries["FR"]["groups"]


def test_country_detail_api(client: Client, demo_db: Session) -> None:
    korea = client.get("/api/v1/countries/kr").json()
    assert korea["name"] == "South Korea"
    assert [p["name"] for p in korea["partnership_list"]] == ["ELBE", "FoodNet", "LASER-GO GLOBAL"]
    assert client.get("/api/v1/countries/ZZ").status_code == 404


def test_sectors_and_region_groups_are_whole_lists(client: Client, demo_db: Session) -> None:
    slugs = [s["slug"] for s in client.get("/api/v1/sectors").json()]
    assert {"food", "healthcare", "smart-mobility"} <= set(slugs)
    groups = {g["code"]: g for g in client.get("/api/v1/region-groups").json()}
    assert len(groups["g:eu27"]["members"]) == 27
    assert groups["g:gcc"]["source"]
