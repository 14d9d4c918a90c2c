"""The search log: the page and the API log each search without a member id, a typing
burst is one row, feeds and refused searches log nothing, and rows go after 180 days.

Real database, real embedded engine (docs/search.md, "The search log").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.discovery.models import SearchLogEntry
from forum.discovery.search_log import BURST_COOKIE, BURST_SECONDS, prune_search_log
from forum.intelligence.models import IntelItem
from forum.runner import load_jobs
from tests.conftest import Client, sign_in
from tests.discovery.test_search_page import add_item

Sync = Callable[[], None]
HTMX = {"HX-Request": "true"}


@pytest.fixture
def japan_items(db: Session, sectors: None, sync_index: Sync) -> list[IntelItem]:
    items = [
        add_item(db, "Olive oil demand in Japan", countries=("JP",)),
        add_item(db, "Japan food fair", countries=("JP",), summary="A fair in Osaka."),
    ]
    sync_index()
    return items


def rows(db: Session) -> list[SearchLogEntry]:
    db.expire_all()
    return list(db.scalars(select(SearchLogEntry).order_by(SearchLogEntry.id)))


def test_the_table_has_no_column_that_could_name_a_member(db: Session) -> None:
    columns = {c["name"] for c in inspect(db.get_bind()).get_columns("search_log")}
    assert columns == {
        "id", "logged_at", "text", "countries", "sectors", "kinds", "result_count",
        "signed_in", "via",
    }  # fmt: skip
    assert not SearchLogEntry.__table__.foreign_keys


def test_a_page_search_logs_one_row_with_normalised_words_and_filters(
    client: Client, db: Session, japan_items: list[IntelItem]
) -> None:
    page = client.get("/search", params={"q": "  Japan   country:ma  ", "country": "jp"})
    assert page.status_code == 200
    assert BURST_COOKIE in page.cookies
    [row] = rows(db)
    assert row.text == "japan"
    assert row.countries == "JP,MA"
    assert (row.sectors, row.kinds) == ("", "")
    assert row.via == "page"
    assert row.signed_in is False
    assert row.result_count == 2  # countries are either-or: both Japan items
    assert utcnow() - row.logged_at < dt.timedelta(minutes=1)


def test_a_members_page_search_records_signed_in_and_the_result_count(
    client: Client, db: Session, member: User, japan_items: list[IntelItem]
) -> None:
    sign_in(client, db, member)
    assert client.get("/search?q=japan&kind=intel&sector=food").status_code == 200
    [row] = rows(db)
    assert (row.text, row.kinds, row.sectors) == ("japan", "intel", "food")
    assert row.signed_in is True
    assert row.result_count == 2


def test_an_api_search_logs_one_row_each_time(
    client: Client, db: Session, japan_items: list[IntelItem]
) -> None:
    for _ in range(2):
        answer = client.get("/api/v1/search", params={"q": "Japan sector:food"})
        assert answer.status_code == 200, answer.text
    logged = rows(db)
    assert [(r.text, r.sectors, r.via, r.result_count, r.signed_in) for r in logged] == [
        ("japan", "food", "api", 2, False),
        ("japan", "food", "api", 2, False),
    ]


def test_typing_japan_as_you_type_logs_one_row_japan(
    client: Client, db: Session, japan_items: list[IntelItem]
) -> None:
    for typed in ("j", "ja", "jap", "japa", "japan"):
        assert client.get("/search", params={"q": typed}, headers=HTMX).status_code == 200
    [row] = rows(db)
    assert (row.text, row.result_count, row.via) == ("japan", 2, "page")


def test_deleting_back_and_paging_stay_in_the_burst_but_new_words_or_filters_do_not(
    client: Client, db: Session, japan_items: list[IntelItem]
) -> None:
    for typed in ("japan", "japa"):
        client.get("/search", params={"q": typed}, headers=HTMX)
    assert [r.text for r in rows(db)] == ["japa"]
    client.get("/search", params={"q": "olive"}, headers=HTMX)
    client.get("/search", params={"q": "olive", "country": "JP"}, headers=HTMX)
    assert [(r.text, r.countries) for r in rows(db)] == [
        ("japa", ""),
        ("olive", ""),
        ("olive", "JP"),
    ]


def test_a_full_page_request_is_always_a_new_row(
    client: Client, db: Session, japan_items: list[IntelItem]
) -> None:
    client.get("/search", params={"q": "jap"}, headers=HTMX)
    client.get("/search", params={"q": "japan"})  # Enter without JavaScript, or a reload
    client.get(
        "/search",
        params={"q": "japan"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert [r.text for r in rows(db)] == ["jap", "japan", "japan"]


def test_a_burst_ends_after_its_window(
    client: Client, db: Session, japan_items: list[IntelItem]
) -> None:
    client.get("/search", params={"q": "jap"}, headers=HTMX)
    [first] = rows(db)
    db.execute(
        update(SearchLogEntry)
        .where(SearchLogEntry.id == first.id)
        .values(logged_at=utcnow() - dt.timedelta(seconds=BURST_SECONDS + 1))
    )
    db.commit()
    client.get("/search", params={"q": "japan"}, headers=HTMX)
    assert [r.text for r in rows(db)] == ["jap", "japan"]


def test_a_forged_burst_cookie_cannot_rewrite_a_row(
    client: Client, db: Session, japan_items: list[IntelItem]
) -> None:
    client.get("/api/v1/search", params={"q": "jap"})
    client.cookies.set(BURST_COOKIE, "1", path="/search")
    client.get("/search", params={"q": "japan"}, headers=HTMX)
    assert [(r.text, r.via) for r in rows(db)] == [("jap", "api"), ("japan", "page")]


def test_the_feeds_do_not_log(client: Client, db: Session, japan_items: list[IntelItem]) -> None:
    for url in ("/feeds/search.atom", "/feeds/intel.atom", "/feeds/threads.atom"):
        assert client.get(url, params={"q": "japan"}).status_code == 200, url
    assert rows(db) == []


def test_refused_and_empty_searches_log_nothing(
    client: Client, db: Session, japan_items: list[IntelItem]
) -> None:
    assert client.get("/search", params={"q": "japan", "country": "XX"}).status_code == 422
    assert client.get("/search", params={"q": "after:someday"}).status_code == 422
    assert client.get("/api/v1/search", params={"q": "japan", "kind": "nope"}).status_code == 422
    assert client.get("/search").status_code == 200
    assert rows(db) == []


def test_the_prune_deletes_rows_older_than_180_days_and_keeps_newer(db: Session) -> None:
    now = utcnow()
    for days in (181, 179, 1):
        db.add(
            SearchLogEntry(logged_at=now - dt.timedelta(days=days), text=f"{days} days", via="page")
        )
    db.flush()
    assert prune_search_log(db, now=now) == 1
    assert [r.text for r in rows(db)] == ["179 days", "1 days"]


def test_the_prune_is_a_registered_periodic_task() -> None:
    assert "search-log-prune" in load_jobs().periodic_tasks


def test_the_privacy_page_says_what_is_logged_for_how_long_and_names_the_cookie(
    client: Client,
) -> None:
    page = client.get("/privacy")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "The searches made on the search page and through the API" in text
    assert "deleted after 180 days" in text
    assert "never who searched" in text
    assert f"<code>{BURST_COOKIE}</code>" in text


def test_a_search_is_answered_when_the_database_refuses_its_log_row(
    client: Client, db: Session, japan_items: list[IntelItem], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search reads before it writes its log row: on SQLite, a writer committing in
    between makes the write fail at once ("database is locked"). The search is answered,
    without a row and without a burst cookie; never a 503 for a log line."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    real = Session.commit

    def refused(self: Session) -> None:
        if any(isinstance(o, SearchLogEntry) for o in self.new):
            raise OperationalError(
                "INSERT INTO search_log", {}, sqlite3.OperationalError("database is locked")
            )
        real(self)

    monkeypatch.setattr(Session, "commit", refused)
    page = client.get("/search", params={"q": "japan"})
    assert page.status_code == 200
    assert "Olive oil demand in <mark>Japan</mark>" in page.text
    assert BURST_COOKIE not in page.cookies
    assert client.get("/api/v1/search", params={"q": "japan"}).status_code == 200
    monkeypatch.setattr(Session, "commit", real)
    assert rows(db) == []
