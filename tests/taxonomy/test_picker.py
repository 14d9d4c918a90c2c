"""The country, region and sector picker: what its no-JS <select> offers (groups, search text
in two languages, the partnership's targets first, required marks), and that the forms
still submit the plain list's values as a browser without scripts sends them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import i18n
from forum.discussions.models import Category, Thread
from forum.intelligence.models import IntelItem
from forum.notifications.service import list_follows
from forum.partnerships.service import get_partnership_by_slug
from forum.taxonomy.picker import place_choices, sector_choices
from forum.taxonomy.regions import get_region_group
from forum.taxonomy.service import list_sectors
from tests.conftest import Client, People, sign_in
from tests.taxonomy.pickers import pickers

GOOD_PRACTICE = "/discussions/new?kind=good_practice"
SUGGESTED = "Suggested: your partnership's targets"


def test_every_choice_is_searchable_by_its_name_in_the_readers_language_english_and_code(
    client: Client, db: Session, member: User, french: str
) -> None:
    member.language = french
    sign_in(client, db, member)
    countries = pickers(client.get(GOOD_PRACTICE).text)["countries"]
    japan = countries.option("JP")
    assert japan.label == "Japon"
    assert {"Japon", "Japan", "JP", "JPN"} <= set(japan.search.split())
    assert countries.option("DE").label == "Allemagne"
    assert "Germany" in countries.option("DE").search
    asean = countries.option("g:asean")
    assert asean.group == "Regions" and "ASEAN" in asean.search


def test_the_pickers_offer_regions_then_countries_each_value_once(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    sign_in(client, db, member)
    page = pickers(client.get(GOOD_PRACTICE).text)
    countries, sector_picker = page["countries"], page["sectors"]
    assert countries.attrs.keys() >= {"data-picker", "multiple", "aria-describedby"}
    assert countries.groups == ["Regions", "Countries"], "no partnership: no suggestions"
    assert len(countries.values) == len(set(countries.values)) > 260
    assert countries.values.index("g:asean") < countries.values.index("AF")
    assert "data-picker" in sector_picker.attrs and "food" in sector_picker.values
    assert sector_picker.option("food").search == "Food industry"  # words once, whatever case
    assert sector_picker.option("high-tech").search == "High-tech industry high tech"


def test_a_members_partnership_targets_come_first_and_only_there(
    client: Client, demo_db: Session, people: People
) -> None:
    member = people.make(partnership_slug="laser-go-global")
    partnership = get_partnership_by_slug(demo_db, "laser-go-global")
    assert partnership is not None and partnership.country_codes and partnership.sectors
    sign_in(client, demo_db, member)
    for url in ("/welcome", "/intel/new", GOOD_PRACTICE, "/profile", "/settings/digest"):
        page = pickers(client.get(url).text)
        countries, sectors = page["countries"], page["sectors"]
        assert countries.groups == [SUGGESTED, "Regions", "Countries"], url
        suggested = [o.value for o in countries.options if o.group == SUGGESTED]
        assert sorted(suggested) == sorted(partnership.country_codes), url
        assert all(countries.values.count(code) == 1 for code in suggested), url
        assert [o.value for o in sectors.options if o.group != "Sectors"] == [
            s.slug for s in partnership.sectors
        ], url


def test_required_pickers_are_marked_before_submitting(
    client: Client, db: Session, member: User
) -> None:
    sign_in(client, db, member)
    good_practice = client.get(GOOD_PRACTICE).text
    assert "required" in pickers(good_practice)["countries"].attrs
    assert "required" in pickers(good_practice)["sectors"].attrs
    assert 'Sectors <span class="required-marker">(required)</span>' in good_practice
    assert 'Countries or regions <span class="required-marker">(required)</span>' in good_practice
    discussion = client.get("/discussions/new").text
    assert "required" not in pickers(discussion)["countries"].attrs
    assert "(required)" not in discussion
    # The Ctrl hint is true only of the plain list: the script swaps it for its own.
    assert '<span class="picker-nojs-hint">' in good_practice
    assert '<span class="picker-js-hint" hidden>' in good_practice
    assert 'src="/static/js/picker.js"' in good_practice
    assert client.get("/static/js/picker.js").status_code == 200


def test_one_process_names_the_choices_in_each_readers_language(french: str) -> None:
    def japan() -> str:
        countries = place_choices(regions=False)[0].choices
        return next(c.label for c in countries if c.value == "JP")

    with i18n.using("en"):
        assert japan() == "Japan"
    with i18n.using(french):
        assert japan() == "Japon"
    with i18n.using("en"):
        assert japan() == "Japan"


def test_sector_choices_put_suggestions_first_without_repeating_them(
    db: Session, sectors: None
) -> None:
    groups = sector_choices(list_sectors(db), suggested=["textile", "food", "unknown"])
    assert [g.label for g in groups] == ["Suggested: your partnership's sectors", "Sectors"]
    assert [c.value for c in groups[0].choices] == ["textile", "food"]
    assert {"textile", "food"}.isdisjoint(c.value for c in groups[1].choices)


# --- without scripts: the plain lists' values, as a browser sends them ---------------------


def test_a_good_practice_posted_without_scripts_keeps_its_regions_countries_and_sectors(
    client: Client, db: Session, member: User, categories: dict[str, Category]
) -> None:
    sign_in(client, db, member)
    response = client.post(
        "/discussions/new",
        data={"csrf_token": client.csrf_token(), "kind": "good_practice",
              "category": "good-practices", "title": "Told without scripts",
              "approach": "A plain list.", "results": "It still works.",
              "countries": ["g:asean", "KR"], "sectors": ["food", "textile"]},
    )  # fmt: skip
    assert response.status_code == 303
    thread = db.scalar(select(Thread).where(Thread.title == "Told without scripts"))
    assert thread is not None
    asean = get_region_group("g:asean")
    assert asean is not None
    assert set(thread.country_codes) == set(asean.members) | {"KR"}
    assert sorted(s.slug for s in thread.sectors) == ["food", "textile"]


def test_a_good_practice_without_a_country_is_refused_by_the_server_too(
    client: Client, db: Session, member: User, categories: dict[str, Category]
) -> None:
    sign_in(client, db, member)
    response = client.post(
        "/discussions/new",
        data={"csrf_token": client.csrf_token(), "kind": "good_practice",
              "category": "good-practices", "title": "Nowhere", "approach": "Something.",
              "results": "Something else.", "sectors": ["food"]},
    )  # fmt: skip
    assert response.status_code == 422
    assert db.scalar(select(Thread).where(Thread.title == "Nowhere")) is None


def test_an_intelligence_item_posted_without_scripts_keeps_its_places_and_sectors(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    sign_in(client, db, member)
    response = client.post(
        "/intel/new",
        data={"csrf_token": client.csrf_token(), "title": "Rules across ASEAN",
              "kind": "regulation", "summary": "What changes.", "countries": ["g:asean", "JP"],
              "sectors": ["food"], "status": "published"},
    )  # fmt: skip
    assert response.status_code == 303
    item = db.scalar(select(IntelItem).where(IntelItem.title == "Rules across ASEAN"))
    assert item is not None
    assert {"JP", "SG", "VN"} <= set(item.country_codes)
    assert [s.slug for s in item.sectors] == ["food"]


def test_the_interests_step_posted_without_scripts_follows_groups_countries_and_sectors(
    client: Client, db: Session, people: People, sectors: None
) -> None:
    newcomer = people.make(onboarded=False)
    sign_in(client, db, newcomer)
    response = client.post(
        "/welcome",
        data={"csrf_token": client.csrf_token(), "countries": ["g:asean", "JP"],
              "sectors": ["food", "healthcare"], "frequency": "weekly"},
    )  # fmt: skip
    assert response.status_code == 303
    follows = list_follows(db, newcomer.id)
    assert follows["region_group"] == ["g:asean"]
    assert follows["country"] == ["JP"]
    assert follows["sector"] == ["food", "healthcare"]
    page = pickers(client.get("/welcome").text)
    assert page["countries"].chosen == ["g:asean", "JP"]
    assert page["sectors"].chosen == ["food", "healthcare"]
