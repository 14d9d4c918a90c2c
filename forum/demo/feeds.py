"""Demo part: the shipped public feeds (disabled) and three sample feeds harvested offline.

The sample feeds are files shipped in `forum/demo/data/feeds/`, read here and handed to
`harvest.harvest_body`: the demo shows harvesting, dedup across feeds and auto-tagging
without the internet, and no URL a user types can ever make the harvester read a local
file. Every sample entry says it is sample content. The demo feeds get `.invalid`
addresses (RFC 2606: never resolvable) and stay disabled, so the worker never fetches
them; their items are published, dated over the last 14 days.

Idempotent: a second run finds every entry already harvested and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.core.config import Settings
from forum.core.db import utcnow
from forum.demo.registry import demo_part
from forum.intelligence.harvest_store import harvest_body
from forum.intelligence.known_feeds import seed_known_feeds
from forum.intelligence.models import Feed, IntelItem

SAMPLE_BASE = "https://demo.invalid/cluster-forum/sample-feeds/"
SPREAD = dt.timedelta(days=14)
# How long after its publication a sample entry was "harvested".
HARVEST_LAG = dt.timedelta(hours=2)


@dataclass(frozen=True)
class SampleFeed:
    file: str
    name: str
    kind: str


SAMPLE_FEEDS = (
    SampleFeed("cluster-internationalisation.rss", "Sample feed: cluster news", "news"),
    SampleFeed("market-access-notes.atom", "Sample feed: market access notes", "market_study"),
    SampleFeed("funding-and-calls.rss", "Sample feed: funding digest", "news"),
)


def sample_document(name: str) -> bytes:
    return resources.files("forum.demo").joinpath(f"data/feeds/{name}").read_bytes()


def _feed(db: Session, sample: SampleFeed) -> Feed:
    url = SAMPLE_BASE + sample.file
    feed = db.scalar(select(Feed).where(Feed.url == url))
    if feed is None:
        feed = Feed(url=url, name=sample.name, items_added=0)
        db.add(feed)
    feed.default_kind = sample.kind
    feed.default_countries = []
    feed.default_sectors = []
    feed.auto_publish = True
    feed.enabled = False  # an .invalid address: nothing for the worker to fetch
    feed.interval_minutes = 24 * 60
    db.flush()
    return feed


def _spread_dates(db: Session, item_ids: list[int], now: dt.datetime) -> None:
    """Move the new items' dates so the latest is a day old, keeping their spacing,
    within the last 14 days: the sample files' dates are fixed, the demo's are not."""
    items = list(db.scalars(select(IntelItem).where(IntelItem.id.in_(item_ids))))
    dated = [i.published_at for i in items if i.published_at is not None]
    if not dated:
        return
    shift = (now - dt.timedelta(days=1)) - max(dated)
    oldest = now - SPREAD
    for item in items:
        if item.published_at is None:
            item.added_at = now - dt.timedelta(days=1)
            continue
        item.published_at = max(item.published_at + shift, oldest)
        item.added_at = min(item.published_at + HARVEST_LAG, now)
    db.flush()


@demo_part("feeds", order=40)
def load_feeds(session: Session, settings: Settings) -> str:
    known = seed_known_feeds(session)
    now = utcnow()
    added = merged = 0
    for sample in SAMPLE_FEEDS:
        feed = _feed(session, sample)
        result = harvest_body(session, feed, sample_document(sample.file), now=now)
        if result.failed:
            raise RuntimeError(f"sample feed {sample.file}: {result.error}")
        _spread_dates(session, result.item_ids, now)
        added += result.added
        merged += result.merged
    return (
        f"{known} public feeds added (disabled); {len(SAMPLE_FEEDS)} sample feeds harvested: "
        f"{added} new items, {merged} recorded as from a second source"
    )
