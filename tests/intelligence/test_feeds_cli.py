"""`forum feeds add|list` and `forum import feeds` through typer's CliRunner on a database of their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from forum.cli import app
from forum.core.db import make_engine, make_session_factory
from forum.intelligence.known_feeds import known_feeds
from forum.intelligence.models import Feed, IntelItem
from tests.intelligence.test_harvest import (
    ARTICLES,
    FeedServer,
    rss,
)
from tests.intelligence.test_harvest import feed_server as feed_server  # the fixture

runner = CliRunner()


class Forum:
    """Runs `forum ...` in-process against one scratch database."""

    def __init__(self, data_dir: Path, url: str) -> None:
        self.env = {"FORUM_DATA_DIR": str(data_dir), "FORUM_DATABASE_URL": url,
                    "FORUM_ALLOW_PRIVATE_FEEDS": ""}  # fmt: skip
        self.engine = make_engine(url)

    def __call__(self, *args: str, private: bool = False, stdin: str | None = None) -> Result:
        env = {**self.env, "FORUM_ALLOW_PRIVATE_FEEDS": "1" if private else ""}
        return runner.invoke(app, list(args), env=env, input=stdin)

    def session(self) -> Session:
        return make_session_factory(self.engine, writer=False)()

    def feeds(self) -> list[Feed]:
        with self.session() as db:
            return list(db.scalars(select(Feed).order_by(Feed.id)))

    def items(self) -> list[IntelItem]:
        with self.session() as db:
            return list(db.scalars(select(IntelItem).order_by(IntelItem.id)))


@pytest.fixture
def forum(tmp_path: Path, scratch_url: str) -> Iterator[Forum]:
    cli = Forum(tmp_path, scratch_url)
    init = cli("init", "--admin", "root@example.eu", "--password-stdin",
               stdin="a long enough password\n")  # fmt: skip
    assert init.exit_code == 0, init.output
    yield cli
    cli.engine.dispose()


def test_init_adds_the_shipped_feeds_disabled(forum: Forum) -> None:
    feeds = forum.feeds()
    assert {f.url for f in feeds} == {k.url for k in known_feeds()}
    assert not any(f.enabled for f in feeds)
    listing = forum("feeds", "list")
    assert listing.exit_code == 0
    assert "WTO: latest news\tdisabled\tnever harvested\t0\t-\t" in listing.output


def test_feeds_add_names_an_unknown_country_or_sector_and_exits_2(
    forum: Forum, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss(ARTICLES))
    before = len(forum.feeds())
    country = forum("feeds", "add", url, "--countries", "JP,XX", private=True)
    assert country.exit_code == 2
    assert "'XX'" in country.output
    sector = forum("feeds", "add", url, "--sectors", "food,health", private=True)
    assert sector.exit_code == 2
    assert "'health'" in sector.output and "healthcare" in sector.output
    for args in (("--kind", "gossip"), ("--interval", "5"), ("--interval", "6 hours")):
        bad = forum("feeds", "add", url, *args, private=True)
        assert bad.exit_code == 2, args
    assert len(forum.feeds()) == before


def test_feeds_add_refuses_a_loopback_feed_unless_private_feeds_are_allowed(
    forum: Forum, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss(ARTICLES))
    refused = forum("feeds", "add", url)
    assert refused.exit_code == 2
    assert "loopback" in refused.output
    for scheme in ("file:///etc/passwd", "ftp://example.org/feed"):
        assert forum("feeds", "add", scheme, private=True).exit_code == 2

    added = forum(
        "feeds", "add", url, "--name", "Asia desk", "--countries", "JP,KR,g:asean",
        "--sectors", "food,healthcare", "--kind", "market_study", "--interval", "6h",
        "--auto-publish", "--enable", private=True,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Asia desk" in added.output
    feed = forum.feeds()[-1]
    assert feed.url == url and feed.name == "Asia desk"
    assert {"JP", "KR", "VN", "SG"} <= set(feed.default_countries)
    assert not any(c.startswith("g:") for c in feed.default_countries)
    assert feed.default_sectors == ["food", "healthcare"]
    assert (feed.default_kind, feed.interval_minutes) == ("market_study", 360)
    assert feed.auto_publish and feed.enabled

    duplicate = forum("feeds", "add", url, private=True)
    assert duplicate.exit_code == 2 and "already harvested" in duplicate.output


def test_import_feeds_harvests_due_feeds_reports_each_and_skips_them_until_due_again(
    forum: Forum, feed_server: FeedServer
) -> None:
    good = feed_server.serve("/good.xml", rss(ARTICLES), etag='"g1"')
    broken = feed_server.base + "/missing.xml"
    assert forum("feeds", "add", good, "--name", "Good", "--enable", private=True).exit_code == 0
    assert (
        forum("feeds", "add", broken, "--name", "Broken", "--enable", private=True).exit_code == 0
    )

    first = forum("import", "feeds", private=True)
    assert first.exit_code == 0, first.output
    assert "Good: 3 new" in first.output
    assert "Broken: error: HTTP 404" in first.output
    assert "2 feeds harvested: 3 new items, 1 failed" in first.output
    assert [i.status for i in forum.items()] == ["review"] * 3

    assert "no feed is due" in forum("import", "feeds", private=True).output
    again = forum("import", "feeds", "--all", private=True)
    assert "Good: not modified" in again.output
    assert feed_server.hits("/good.xml")[-1]["if-none-match"] == '"g1"'
    assert len(forum.items()) == 3


def test_import_feeds_without_the_override_refuses_loopback_and_exits_1(
    forum: Forum, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss(ARTICLES))
    assert forum("feeds", "add", url, "--enable", private=True).exit_code == 0
    result = forum("import", "feeds")
    assert result.exit_code == 1
    assert "refused" in result.output and "loopback" in result.output
    assert forum.items() == [] and feed_server.requests == []


def test_import_feeds_harvests_a_named_feed_even_when_disabled(
    forum: Forum, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss(ARTICLES))
    assert forum("feeds", "add", url, "--name", "Quiet", private=True).exit_code == 0
    feed = forum.feeds()[-1]
    assert "no feed is due" in forum("import", "feeds", private=True).output
    named = forum("import", "feeds", "--feed", str(feed.id), private=True)
    assert named.exit_code == 0 and "Quiet: 3 new" in named.output
    by_url = forum("import", "feeds", "--feed", url, private=True)
    assert "0 new, 3 already harvested" in by_url.output
    unknown = forum("import", "feeds", "--feed", "9999", private=True)
    assert unknown.exit_code == 2 and "no feed '9999'" in unknown.output
