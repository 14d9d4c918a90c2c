"""Specific items first: with a country or sector filter, items tagged with at most five
countries and five sectors come before broad ones (the consultation report, 32 countries
and every sector), each group by date; numbered pages and API cursors neither skip nor
repeat an item across the boundary."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.intelligence import counts, queries
from forum.intelligence.models import IntelItem
from forum.taxonomy.models import Sector
from tests.conftest import Client
from tests.intelligence.factories import make

# 32 countries, as the report is tagged with.
REPORT_COUNTRIES = [
    "JP", "KR", "CN", "US", "CA", "BR", "MX", "IN", "SG", "VN", "TH", "MY", "ID", "AU", "NZ",
    "ZA", "MA", "TN", "EG", "AE", "SA", "IL", "TR", "UA", "GE", "KZ", "CL", "AR", "CO", "PE",
    "TW", "PH",
]  # fmt: skip


def _report(db: Session, author: User, **change: object) -> IntelItem:
    every_sector = list(db.scalars(select(Sector.slug)))
    assert len(every_sector) >= 16
    return make(db, author, "Consultation report", countries=REPORT_COUNTRIES,
                sectors=every_sector, kind="report", **change)  # fmt: skip


def test_a_specific_item_comes_before_a_newer_broad_one_under_a_country_filter(
    db: Session, sectors: None, member: User
) -> None:
    now = utcnow()
    specific = make(db, member, "Japan food rules", added_at=now - dt.timedelta(days=3))
    report = _report(db, member, added_at=now - dt.timedelta(days=1))
    assert specific.specific and not report.specific

    def titles(flt: queries.IntelFilter, sort: str = "added") -> list[str]:
        return [i.title for i in queries.page_items(db, None, flt, page=1, sort=sort).items]

    by_japan = queries.IntelFilter(countries=["JP"])
    assert titles(by_japan) == ["Japan food rules", "Consultation report"]
    assert titles(by_japan, "published") == ["Japan food rules", "Consultation report"]
    assert titles(queries.IntelFilter(sectors=["food"])) == [
        "Japan food rules", "Consultation report",
    ]  # fmt: skip
    # Without a country or sector filter, the newest first as before.
    assert titles(queries.IntelFilter()) == ["Consultation report", "Japan food rules"]
    assert titles(queries.IntelFilter(kinds=["report", "news"])) == [
        "Consultation report", "Japan food rules",
    ]  # fmt: skip
    # The country and sector pages' lists too.
    assert [i.title for i in counts.recent_for_country(db, "JP").items] == [
        "Japan food rules", "Consultation report",
    ]  # fmt: skip
    food = db.scalars(select(Sector).where(Sector.slug == "food")).one()
    assert [i.title for i in counts.recent_for_sector(db, food).items] == [
        "Japan food rules", "Consultation report",
    ]  # fmt: skip


def test_specific_follows_the_tags_through_edits_and_global_items_are_broad(
    db: Session, sectors: None, member: User
) -> None:
    item = make(db, member, "Five markets", countries=["JP", "KR", "CN", "US", "CA"],
                sectors=["food", "healthcare"])  # fmt: skip
    assert item.specific
    item.set_countries([*item.country_codes, "BR"])
    db.flush()
    assert not item.specific
    item.set_countries(["JP"])
    db.flush()
    assert item.specific
    item.is_global = True
    db.flush()
    assert not item.specific
    assert not make(db, member, "Everywhere", countries=[], is_global=True).specific


def _seed_mixed(db: Session, author: User, count: int) -> list[int]:
    """`count` items in Japan, every third one broad, some sharing an added date; answers
    their ids in the filtered order (specific first, each group newest first)."""
    now = utcnow()
    items = []
    for n in range(count):
        added = now - dt.timedelta(hours=n // 2)  # pairs share a moment: the id breaks ties
        if n % 3 == 0:
            items.append(_report(db, author, added_at=added))
        else:
            items.append(make(db, author, f"Item {n}", added_at=added))
    db.flush()
    ordered = sorted(items, key=lambda i: (not i.specific, -i.added_at.timestamp(), -i.id))
    return [i.id for i in ordered]


def test_numbered_pages_cross_the_boundary_without_skipping_or_repeating(
    db: Session, sectors: None, member: User
) -> None:
    expected = _seed_mixed(db, member, 11)
    flt = queries.IntelFilter(countries=["JP"])
    seen = [
        i.id
        for page in (1, 2, 3)
        for i in queries.page_items(db, None, flt, page=page, per_page=4).items
    ]
    assert seen == expected


def test_api_cursors_cross_the_boundary_without_skipping_or_repeating(
    db: Session, sectors: None, member: User, client: Client
) -> None:
    expected = _seed_mixed(db, member, 11)
    db.commit()
    for query in ("country=JP", "sector=food", "country=JP&sort=published"):
        seen: list[int] = []
        url = f"/api/v1/intel?{query}&limit=3"
        cursor = None
        for _ in range(10):
            answer = client.get(url + (f"&cursor={cursor}" if cursor else ""))
            assert answer.status_code == 200, answer.text
            body = answer.json()
            seen += [row["id"] for row in body["items"]]
            cursor = body["next"]
            if cursor is None:
                break
        if "published" not in query:
            assert seen == expected, query
        assert sorted(seen) == sorted(expected) and len(set(seen)) == len(seen), query
        specific = {i.id for i in db.scalars(select(IntelItem).where(IntelItem.specific))}
        flags = [i in specific for i in seen]
        assert flags == sorted(flags, reverse=True), query
    # A cursor made for the filtered order is refused for the unfiltered one.
    first = client.get("/api/v1/intel?country=JP&limit=3").json()["next"]
    assert client.get(f"/api/v1/intel?limit=3&cursor={first}").status_code == 422


def test_the_atom_feed_stays_newest_first_under_a_filter(
    db: Session, sectors: None, member: User, client: Client
) -> None:
    now = utcnow()
    make(db, member, "Japan food rules", added_at=now - dt.timedelta(days=3))
    _report(db, member, added_at=now - dt.timedelta(days=1))
    db.commit()
    feed = client.get("/feeds/intel.atom?country=JP").text
    assert feed.index("Consultation report") < feed.index("Japan food rules")
