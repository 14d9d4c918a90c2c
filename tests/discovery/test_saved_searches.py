"""Saved searches: saving from the results, the settings page, deleting, and a member's data."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.discovery import saved
from forum.discovery.models import SavedSearch
from forum.discussions.models import Category
from forum.intelligence import writes as intel_writes
from forum.portal.privacy import delete_account, export_user_data
from forum.taxonomy.service import resolve_sectors
from tests.conftest import Client, Threads, sign_in

Sync = Callable[[], None]


@pytest.fixture
def indexed(db: Session, sectors: None, sync_index: Sync) -> None:
    intel_writes.create_imported_item(
        db,
        intel_writes.ItemInput(
            title="Olive oil exporters in Morocco",
            summary="Distributors of olive oil.",
            countries=["MA"],
            sectors=resolve_sectors(db, ["food"]),
        ),
        status="published",
    )
    sync_index()


def post(client: Client, url: str, data: dict[str, str]) -> httpx.Response:
    """A form post with the page's CSRF token, as the browser sends it."""
    return client.post(url, data={**data, "csrf_token": client.csrf_token()})


def mine(db: Session, user: User) -> list[SavedSearch]:
    return list(db.scalars(select(SavedSearch).where(SavedSearch.user_id == user.id)))


def test_a_member_saves_a_search_from_the_results_and_runs_it_from_settings(
    client: Client, db: Session, member: User, indexed: None
) -> None:
    sign_in(client, db, member)
    response = post(
        client,
        "/search/saved",
        {"query": "page=3&country=ma&q=olive&sort=newest&country=MA", "name": ""},
    )
    assert response.status_code == 303
    # Normalised: the order and spelling of build_params, no page, no repeats.
    assert response.headers["location"] == "/search?q=olive&country=MA&sort=newest"
    [kept] = mine(db, member)
    assert kept.query == "q=olive&country=MA&sort=newest"
    assert kept.name == "olive · Morocco"  # the words, then the filters' names

    results = client.get(response.headers["location"])
    assert "Search saved as “olive · Morocco”" in results.text
    assert "oil exporters in" in results.text

    listed = client.get("/settings/searches")
    assert listed.status_code == 200
    assert (
        '<a href="/search?q=olive&amp;country=MA&amp;sort=newest">olive · Morocco</a>'
        in listed.text
    )
    assert "Words: “olive” · Country: Morocco" in listed.text
    assert f'action="/search/saved/{kept.id}/delete"' in listed.text
    assert 'name="csrf_token"' in listed.text


def test_a_saved_search_keeps_the_name_the_member_gave_it(
    client: Client, db: Session, member: User, indexed: None
) -> None:
    sign_in(client, db, member)
    post(client, "/search/saved", {"query": "sector=food", "name": "  Food   news "})
    [kept] = mine(db, member)
    assert (kept.name, kept.query) == ("Food news", "sector=food")


def test_a_search_of_filters_only_is_named_after_its_filters(
    db: Session, member: User, sectors: None
) -> None:
    kept = saved.create_saved_search(
        db, user=member, name="",
        query_string="kind=intel&subkind=funding_call&country=g:eu27&sector=food&from=2019-01-01",
    )  # fmt: skip
    assert kept.name == (
        "Intelligence · Funding call · European Union (27) · Food industry · from 1 Jan 2019"
    )


@pytest.mark.parametrize(
    ("query", "name", "message"),
    [
        ("", "", "There is nothing to save"),
        ("page=2&sort=newest", "", "There is nothing to save"),
        ("q=olive&country=XX", "", "unknown country or region group: &#39;XX&#39;"),
        ("q=olive&sector=knitting", "", "unknown sector: &#39;knitting&#39;"),
        ("q=olive&from=soon", "", "must be a date"),
        ("q=olive", "x" * 121, "The name is longer than 120 characters."),
    ],
)
def test_an_empty_or_invalid_search_is_not_saved_and_the_page_says_why(
    client: Client, db: Session, member: User, indexed: None, query: str, name: str,
    message: str,
) -> None:  # fmt: skip
    sign_in(client, db, member)
    response = post(client, "/search/saved", {"query": query, "name": name})
    assert response.status_code == 422
    assert message in response.text
    assert "<h1>Search</h1>" in response.text
    assert mine(db, member) == []


def test_a_search_without_results_yet_can_be_saved(
    client: Client, db: Session, member: User, indexed: None
) -> None:
    sign_in(client, db, member)
    page = client.get("/search?q=pineapple&country=MA")
    assert "<h3>No results</h3>" in page.text
    assert 'action="/search/saved"' in page.text
    response = post(client, "/search/saved", {"query": "q=pineapple&country=MA"})
    assert response.status_code == 303
    assert [s.name for s in mine(db, member)] == ["pineapple · Morocco"]


def test_the_same_search_is_saved_once(
    client: Client, db: Session, member: User, indexed: None
) -> None:
    sign_in(client, db, member)
    post(client, "/search/saved", {"query": "q=olive&country=MA", "name": "Olives"})
    again = post(client, "/search/saved", {"query": "country=MA&q=olive", "name": ""})
    assert again.status_code == 422
    assert "You saved this search already, as “Olives”." in again.text
    # The search page is shown again, with its results, and the error at the save form.
    assert "oil exporters in" in again.text
    assert 'id="save-search-name-error"' in again.text
    assert len(mine(db, member)) == 1


def test_a_member_keeps_at_most_fifty_saved_searches(
    db: Session, member: User, other_member: User
) -> None:
    for n in range(saved.MAX_PER_MEMBER):
        saved.create_saved_search(db, user=member, name="", query_string=f"q=word{n}")
    with pytest.raises(saved.SavedSearchError, match="You have 50 saved searches"):
        saved.create_saved_search(db, user=member, name="", query_string="q=one more")
    # Another member's count is their own.
    saved.create_saved_search(db, user=other_member, name="", query_string="q=one more")


def test_another_member_cannot_delete_a_saved_search_and_gets_404(
    client: Client, db: Session, member: User, other_member: User
) -> None:
    kept = saved.create_saved_search(db, user=member, name="Mine", query_string="q=olive")
    sign_in(client, db, other_member)
    refused = post(client, f"/search/saved/{kept.id}/delete", {})
    assert refused.status_code == 404
    assert mine(db, member) == [kept]
    assert "Mine" not in client.get("/settings/searches").text


def test_the_owner_deletes_a_saved_search(client: Client, db: Session, member: User) -> None:
    kept = saved.create_saved_search(db, user=member, name="Mine", query_string="q=olive")
    sign_in(client, db, member)
    response = post(client, f"/search/saved/{kept.id}/delete", {})
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/searches"
    assert mine(db, member) == []
    page = client.get("/settings/searches")
    assert "The saved search is deleted." in page.text
    assert "No saved searches yet" in page.text
    assert post(client, f"/search/saved/{kept.id}/delete", {}).status_code == 404


def test_saving_and_deleting_need_the_csrf_token(
    client: Client, db: Session, member: User, indexed: None
) -> None:
    kept = saved.create_saved_search(db, user=member, name="Mine", query_string="q=olive")
    sign_in(client, db, member)
    client.csrf_token()
    forged = client.post("/search/saved", data={"query": "q=olive&country=MA"})
    assert forged.status_code == 403
    assert "could not be verified" in forged.text
    assert client.post(f"/search/saved/{kept.id}/delete").status_code == 403
    assert mine(db, member) == [kept]


def test_visitors_are_sent_to_log_in_and_come_back_to_their_search(client: Client) -> None:
    response = post(client, "/search/saved", {"query": "q=olive&country=MA"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsearch%3Fq%3Dolive%26country%3DMA"
    listing = client.get("/settings/searches")
    assert listing.status_code == 303
    assert listing.headers["location"].startswith("/login?next=%2Fsettings%2Fsearches")
    assert post(client, "/search/saved/1/delete", {}).headers["location"].startswith("/login")


def test_the_settings_page_lists_newest_first_twenty_a_page(
    client: Client, db: Session, member: User
) -> None:
    for n in range(25):
        saved.create_saved_search(
            db, user=member, name=f"Search number {n:02d}", query_string=f"q=w{n}"
        )
    sign_in(client, db, member)
    first = client.get("/settings/searches")
    names = re.findall(r"Search number (\d\d)</a>", first.text)
    assert len(names) == 20
    assert names[0] == "24"  # the newest first
    assert "1–20 of 25" in first.text
    second = client.get("/settings/searches?page=2")
    assert re.findall(r"Search number (\d\d)</a>", second.text) == ["04", "03", "02", "01", "00"]
    assert "No saved searches on this page" in client.get("/settings/searches?page=9").text


def test_saved_searches_are_in_the_data_download_and_go_with_the_account(
    db: Session, member: User, threads: Threads, categories: dict[str, Category]
) -> None:
    saved.create_saved_search(db, user=member, name="Olives", query_string="q=olive")
    exported = export_user_data(db, member)
    assert [(s["name"], s["query"], s["url"]) for s in exported["saved_searches"]] == [
        ("Olives", "q=olive", "/search?q=olive")
    ]
    # Content kept under "Former member" keeps the user row: the searches still go.
    threads.start(member)
    assert delete_account(db, member, keep_content=True) is True
    assert db.scalars(select(SavedSearch)).all() == []
