"""Harvesting feeds served by a real HTTP server on 127.0.0.1 into intelligence items.

`FeedServer` (also used by the CLI and admin tests) serves documents set per path,
answers conditional GETs with 304 and records every request's headers.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from forum.core.config import Settings
from forum.core.jobs import PeriodicTask
from forum.intelligence import feed_admin, harvest, known_feeds
from forum.intelligence.models import Feed, IntelItem
from forum.runner import Runner

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@dataclass
class Entry:
    title: str
    link: str | None = None
    guid: str | None = None
    summary: str = ""
    published: dt.datetime | None = NOW - dt.timedelta(hours=3)


def rss(entries: list[Entry], *, title: str = "Sample feed") -> bytes:
    items = []
    for e in entries:
        parts = [f"<title>{escape(e.title)}</title>"]
        if e.link:
            parts.append(f"<link>{escape(e.link)}</link>")
        if e.guid:
            parts.append(f'<guid isPermaLink="false">{escape(e.guid)}</guid>')
        if e.summary:
            parts.append(f"<description>{escape(e.summary)}</description>")
        if e.published:
            parts.append(f"<pubDate>{format_datetime(e.published)}</pubDate>")
        items.append(f"<item>{''.join(parts)}</item>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://example.org/</link>"
        f"<description>test</description>{''.join(items)}</channel></rss>"
    ).encode()


def atom(entries: list[Entry], *, title: str = "Sample Atom feed") -> bytes:
    parts = []
    for e in entries:
        updated = (e.published or NOW).isoformat()
        link = f'<link href="{escape(e.link)}"/>' if e.link else ""
        parts.append(
            f"<entry><id>{escape(e.guid or e.link or e.title)}</id><title>{escape(e.title)}</title>"
            f"{link}<updated>{updated}</updated><summary>{escape(e.summary)}</summary></entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:test</id><updated>{NOW.isoformat()}</updated>"
        f"{''.join(parts)}</feed>"
    ).encode()


@dataclass
class Document:
    body: bytes
    status: int = 200
    etag: str | None = None
    content_type: str = "application/rss+xml"


@dataclass
class FeedServer:
    """Documents by path, served on loopback; `requests` keeps (path, headers) of each GET."""

    base: str = ""
    documents: dict[str, Document] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def serve(self, path: str, body: bytes, *, etag: str | None = None, status: int = 200,
              content_type: str = "application/rss+xml") -> str:  # fmt: skip
        self.documents[path] = Document(body, status, etag, content_type)
        return self.base + path

    def hits(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.requests if p == path]


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            doc = server.documents.get(self.path)
            try:
                if doc is None:
                    body = b"not found"
                    self.send_response(404)
                elif doc.etag and self.headers.get("If-None-Match") == doc.etag:
                    self.send_response(304)
                    self.send_header("ETag", doc.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                else:
                    body = doc.body
                    self.send_response(doc.status)
                    self.send_header("Content-Type", doc.content_type)
                    if doc.etag:
                        self.send_header("ETag", doc.etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    state = FeedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = False  # server_close() joins the handlers
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def make_feed(db: Session, url: str, name: str = "Sample feed", **change: object) -> Feed:
    feed = Feed(url=url, name=name, enabled=True, items_added=0, interval_minutes=360,
                default_kind="news", default_countries=[], default_sectors=[])  # fmt: skip
    for key, value in change.items():
        setattr(feed, key, value)
    db.add(feed)
    db.flush()
    return feed


def items_of(db: Session, feed: Feed | None = None) -> list[IntelItem]:
    stmt = select(IntelItem).order_by(IntelItem.id)
    if feed is not None:
        stmt = stmt.where(IntelItem.feed_id == feed.id)
    db.expire_all()
    return list(db.scalars(stmt))


ARTICLES = [
    Entry("Japanese food market opens to EU cluster SMEs", "https://news.example.org/a/1",
          "urn:a:1", "Sample: a trade mission on food innovation."),
    Entry("Korea launches smart mobility pilot calls", "https://news.example.org/a/2", "urn:a:2"),
    Entry("Undated note on textile fairs", "https://news.example.org/a/3", "urn:a:3",
          published=None),
]  # fmt: skip


# --- the SSRF guard and the override -------------------------------------------------


def test_a_loopback_feed_is_refused_without_the_override_and_harvested_with_it(
    db: Session, sectors: None, feed_server: FeedServer,
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    url = feed_server.serve("/feed.xml", rss(ARTICLES))
    feed = make_feed(db, url)
    monkeypatch.delenv("FORUM_ALLOW_PRIVATE_FEEDS", raising=False)

    [refused] = harvest.harvest_due(session_factory, now=NOW)
    db.refresh(feed)
    assert refused.status == "refused" and refused.failed
    assert feed.last_status == "refused" and "loopback" in (feed.last_error or "")
    assert feed.next_fetch_at == NOW + dt.timedelta(hours=6)
    assert feed_server.requests == []  # refused before any connection
    assert items_of(db) == []

    monkeypatch.setenv("FORUM_ALLOW_PRIVATE_FEEDS", "1")
    [result] = harvest.harvest_due(session_factory, feed_ids=[feed.id], force=True, now=NOW)
    db.refresh(feed)
    assert result.status == "ok" and result.added == 3
    assert feed.last_status == "ok" and feed.last_error is None
    assert feed.items_added == 3 and feed.last_fetched_at == NOW
    assert [i.title for i in items_of(db, feed)] == [e.title for e in ARTICLES]


# --- a second run ---------------------------------------------------------------------


def test_a_second_run_harvests_nothing_new_and_uses_a_conditional_get(
    db: Session, sectors: None, feed_server: FeedServer, session_factory: sessionmaker[Session]
) -> None:
    url = feed_server.serve("/feed.xml", rss(ARTICLES), etag='"v1"')
    feed = make_feed(db, url)
    first = harvest.harvest_due(session_factory, allow_private=True, now=NOW)
    assert [r.added for r in first] == [3]
    db.refresh(feed)
    assert feed.etag == '"v1"'

    later = NOW + dt.timedelta(hours=7)
    [second] = harvest.harvest_due(session_factory, allow_private=True, now=later)
    assert second.status == "not modified" and second.added == 0
    assert feed_server.hits("/feed.xml")[-1]["if-none-match"] == '"v1"'
    db.refresh(feed)
    assert feed.last_status == "not modified" and feed.items_added == 3
    assert feed.next_fetch_at == later + dt.timedelta(hours=6)
    assert len(items_of(db)) == 3


def test_a_server_ignoring_conditional_get_still_gives_nothing_new(
    db: Session, sectors: None, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss(ARTICLES))  # no ETag: always 200
    feed = make_feed(db, url)
    assert harvest.harvest_feed(db, feed, allow_private=True, now=NOW).added == 3
    again = harvest.harvest_feed(db, feed, allow_private=True, now=NOW + dt.timedelta(hours=7))
    assert (again.status, again.added, again.skipped) == ("ok", 0, 3)
    assert len(items_of(db)) == 3


def test_an_entry_without_id_or_link_is_recognised_by_its_title_and_date(
    db: Session, sectors: None, feed_server: FeedServer
) -> None:
    entries = [Entry("A headline without a link"), Entry("Another one", published=None)]
    feed = make_feed(db, feed_server.serve("/feed.xml", rss(entries)))
    assert harvest.harvest_feed(db, feed, allow_private=True, now=NOW).added == 2
    assert harvest.harvest_feed(db, feed, allow_private=True, now=NOW).added == 0


# --- dedup across feeds ------------------------------------------------------------------


def test_the_same_article_in_two_feeds_is_one_item_with_both_sources(
    db: Session, sectors: None, feed_server: FeedServer, session_factory: sessionmaker[Session]
) -> None:
    first = make_feed(db, feed_server.serve("/a.xml", rss(ARTICLES[:2])), name="Agency A")
    copies = [
        # The same URL, with tracking parameters and another host case.
        Entry(ARTICLES[0].title, "https://NEWS.example.org/a/1/?utm_source=rss", "b:1"),
        # Another URL, but a near-identical title on the same day.
        Entry("Korea launches smart-mobility pilot calls!", "https://mirror.example.net/x", "b:2"),
        Entry("Only in feed B", "https://mirror.example.net/only-b", "b:3"),
    ]
    second = make_feed(db, feed_server.serve("/b.xml", atom(copies)), name="Agency B")
    results = harvest.harvest_due(session_factory, allow_private=True, now=NOW)
    assert [(r.name, r.added, r.merged) for r in results] == [
        ("Agency A", 2, 0),
        ("Agency B", 1, 2),
    ]
    items = items_of(db)
    assert len(items) == 3
    by_title = {i.title: i for i in items}
    assert by_title[ARTICLES[0].title].also_from == ["Agency B"]
    assert by_title[ARTICLES[0].title].source_name == "Agency A"
    assert by_title[ARTICLES[1].title].also_from == ["Agency B"]
    assert by_title["Only in feed B"].feed_id == second.id
    assert by_title["Only in feed B"].also_from == []

    # Harvesting both again records nothing twice.
    again = harvest.harvest_due(
        session_factory, feed_ids=[first.id, second.id], force=True, allow_private=True,
        now=NOW + dt.timedelta(hours=7),
    )  # fmt: skip
    assert [(r.added, r.merged) for r in again] == [(0, 0), (0, 0)]
    assert by_title[ARTICLES[0].title].also_from == ["Agency B"]
    assert len(items_of(db)) == 3


def test_an_item_a_member_added_gains_the_feed_as_another_source(
    db: Session, sectors: None, member: object, feed_server: FeedServer
) -> None:
    from forum.intelligence.writes import ItemInput, create_item

    own = create_item(db, member, ItemInput(title="Member's find", url=ARTICLES[0].link))  # type: ignore[arg-type]
    feed = make_feed(db, feed_server.serve("/feed.xml", rss(ARTICLES)), name="Agency A")
    result = harvest.harvest_feed(db, feed, allow_private=True, now=NOW)
    assert (result.added, result.merged) == (2, 1)
    db.refresh(own)
    assert own.also_from == ["Agency A"]


def test_dedup_lookups_are_batched_not_one_query_per_entry(
    db: Session, sectors: None, feed_server: FeedServer, connection: Connection
) -> None:
    entries = [
        Entry(f"Sample headline number {n}", f"https://news.example.org/b/{n}", f"urn:b:{n}")
        for n in range(60)
    ]
    feed = make_feed(db, feed_server.serve("/feed.xml", rss(entries)))
    selects: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "intel_item" in statement:
            selects.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        first = harvest.harvest_feed(db, feed, allow_private=True, now=NOW)
        lookups_first = len(selects)
        selects.clear()
        second = harvest.harvest_feed(db, feed, allow_private=True, now=NOW)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert (first.added, second.skipped) == (60, 60)
    # Known entry ids, known canonical URLs, same-day titles: a few queries per run,
    # whatever the number of entries.
    assert lookups_first <= 4, lookups_first
    assert len(selects) <= 4, selects


# --- broken feeds --------------------------------------------------------------------


def test_a_broken_feed_records_its_error_and_the_others_are_still_harvested(
    db: Session, sectors: None, feed_server: FeedServer, session_factory: sessionmaker[Session]
) -> None:
    missing = make_feed(db, feed_server.base + "/missing.xml", name="Missing")
    html = make_feed(
        db,
        feed_server.serve("/page.html", b"<html><body>Not a feed</body></html>",
                          content_type="text/html"),
        name="Web page",
    )  # fmt: skip
    refused = make_feed(db, "file:///etc/passwd", name="Local file")
    good = make_feed(db, feed_server.serve("/good.xml", rss(ARTICLES)), name="Good")
    results = {r.name: r for r in harvest.harvest_due(session_factory, allow_private=True, now=NOW)}
    assert set(results) == {"Missing", "Web page", "Local file", "Good"}
    assert results["Good"].added == 3
    for feed in (missing, html, refused, good):
        db.refresh(feed)
        assert feed.last_fetched_at == NOW
        assert feed.next_fetch_at == NOW + dt.timedelta(hours=6)
    assert (missing.last_status, "HTTP 404" in (missing.last_error or "")) == ("error", True)
    assert html.last_status == "error" and "unparseable" in (html.last_error or "")
    assert refused.last_status == "refused" and "http" in (refused.last_error or "")
    assert good.last_status == "ok" and good.items_added == 3
    assert {i.feed_id for i in items_of(db)} == {good.id}


def test_a_failed_harvest_keeps_the_old_validators_so_the_next_one_refetches(
    db: Session, sectors: None, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", b"garbage that is not xml", etag='"broken"')
    feed = make_feed(db, url, etag='"old"')
    assert harvest.harvest_feed(db, feed, allow_private=True, now=NOW).failed
    assert feed.etag == '"old"' and feed.last_status == "error"


# --- what items look like ----------------------------------------------------------------


def test_auto_publish_publishes_and_otherwise_items_wait_in_review(
    db: Session, sectors: None, feed_server: FeedServer
) -> None:
    reviewed = make_feed(db, feed_server.serve("/r.xml", rss(ARTICLES[:1])), name="Reviewed")
    published = make_feed(
        db, feed_server.serve("/p.xml", rss(ARTICLES[1:2])), name="Published", auto_publish=True
    )
    harvest.harvest_feed(db, reviewed, allow_private=True, now=NOW)
    harvest.harvest_feed(db, published, allow_private=True, now=NOW)
    assert [i.status for i in items_of(db, reviewed)] == ["review"]
    assert [i.status for i in items_of(db, published)] == ["published"]


def test_items_carry_the_feed_defaults_and_the_tags_found_in_their_text(
    db: Session, sectors: None, feed_server: FeedServer
) -> None:
    feed = make_feed(
        db,
        feed_server.serve("/feed.xml", rss(ARTICLES)),
        name="Trade desk",
        source_url="https://trade.example.org/",
        default_kind="market_study",
        default_countries=["FR"],
        default_sectors=["textile"],
    )
    harvest.harvest_feed(db, feed, allow_private=True, now=NOW)
    japan, korea, undated = items_of(db, feed)
    assert japan.kind == "market_study"
    assert japan.country_codes == ["FR", "JP"]
    assert [s.slug for s in japan.sectors] == ["food", "food-innovation", "textile"]
    assert korea.country_codes == ["FR", "KR"]
    assert "smart-mobility" in {s.slug for s in korea.sectors}
    assert japan.source_name == "Trade desk" and japan.source_url == "https://trade.example.org/"
    assert japan.url == "https://news.example.org/a/1" and japan.entry_id == "urn:a:1"
    assert japan.summary == "Sample: a trade mission on food innovation."
    assert japan.published_at == NOW - dt.timedelta(hours=3) and japan.added_at == NOW
    assert undated.published_at is None and undated.added_at == NOW


# --- the worker --------------------------------------------------------------------------


def test_the_worker_harvests_enabled_feeds_when_they_are_due(
    db: Session, sectors: None, feed_server: FeedServer, settings: Settings,
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("FORUM_ALLOW_PRIVATE_FEEDS", "1")
    due = make_feed(db, feed_server.serve("/due.xml", rss(ARTICLES[:1])), name="Due")
    disabled = make_feed(
        db, feed_server.serve("/off.xml", rss(ARTICLES[1:2])), name="Off", enabled=False
    )
    later = make_feed(
        db,
        feed_server.serve("/later.xml", rss(ARTICLES[2:])),
        name="Later",
        next_fetch_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
    )
    runner = Runner(settings, session_factory, kind="worker")
    runner.run_once()
    task = db.get(PeriodicTask, "harvest-feeds")
    assert task is not None and task.last_status == "ok"
    assert [i.feed_id for i in items_of(db)] == [due.id]
    assert feed_server.hits("/off.xml") == [] and feed_server.hits("/later.xml") == []
    db.refresh(disabled)
    db.refresh(later)
    assert disabled.last_fetched_at is None and later.last_fetched_at is None


def test_a_feed_claimed_by_another_harvester_is_left_alone(
    db: Session, sectors: None, feed_server: FeedServer, session_factory: sessionmaker[Session]
) -> None:
    feed = make_feed(db, feed_server.serve("/feed.xml", rss(ARTICLES)))
    assert harvest.harvest_one(session_factory, feed.id, allow_private=True, now=NOW) is not None
    # Its next time moved on: a second harvester at the same moment gets nothing to do.
    assert harvest.harvest_one(session_factory, feed.id, allow_private=True, now=NOW) is None
    assert len(feed_server.hits("/feed.xml")) == 1


# --- the shipped list --------------------------------------------------------------------


def test_the_shipped_feeds_are_seeded_disabled_once(db: Session, sectors: None) -> None:
    known = known_feeds.known_feeds()
    assert len(known) >= 8
    assert all(k.url.startswith("https://") and k.documentation_url.startswith("https://")
               for k in known)  # fmt: skip
    assert len({k.url for k in known}) == len(known)
    assert known_feeds.seed_known_feeds(db) == len(known)
    feeds = feed_admin.list_feeds(db)
    assert {f.url for f in feeds} == {k.url for k in known}
    assert not any(f.enabled or f.auto_publish for f in feeds)
    assert known_feeds.seed_known_feeds(db) == 0


@pytest.mark.parametrize(
    ("text", "minutes"), [("360", 360), ("90m", 90), ("6h", 360), ("1d", 1440), (" 2H ", 120)]
)
def test_intervals_are_minutes_or_have_a_unit(text: str, minutes: int) -> None:
    assert feed_admin.parse_interval(text) == minutes


@pytest.mark.parametrize("text", ["", "6 hours", "5", "8d", "-1h", "1.5h"])
def test_bad_intervals_are_refused_with_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match=r"interval|Harvest between"):
        feed_admin.parse_interval(text)


# --- the demo ----------------------------------------------------------------------------


def test_the_demo_harvests_its_sample_files_offline_and_once(
    db: Session, sectors: None, settings: Settings
) -> None:
    from forum.demo.feeds import SAMPLE_FEEDS, load_feeds

    summary = load_feeds(db, settings)
    assert "3 sample feeds harvested: 13 new items, 1 recorded as from a second source" in summary
    samples = [f for f in feed_admin.list_feeds(db) if f.url.startswith("https://demo.invalid/")]
    assert len(samples) == len(SAMPLE_FEEDS)
    assert not any(f.enabled for f in feed_admin.list_feeds(db))
    items = [i for i in items_of(db) if i.feed_id in {f.id for f in samples}]
    assert len(items) == 13
    assert all(i.status == "published" and "Sample content" in i.summary for i in items)
    now = dt.datetime.now(dt.UTC)
    assert all(now - dt.timedelta(days=14) <= i.added_at <= now for i in items)
    assert len({i.added_at.date() for i in items}) >= 5
    [both] = [i for i in items if i.also_from]
    assert both.also_from == ["Sample feed: market access notes"]
    assert "JP" in both.country_codes and "food" in {s.slug for s in both.sectors}

    again = load_feeds(db, settings)
    assert "0 public feeds added" in again and "0 new items, 0 recorded" in again
    assert len(items_of(db)) == len(items)
