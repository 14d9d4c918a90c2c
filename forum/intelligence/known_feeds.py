"""The public feeds shipped with the forum (data/known_feeds.json), added disabled on request."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.intelligence.feed_admin import DEFAULT_INTERVAL, NAME_MAX, http_url
from forum.intelligence.models import INTEL_KINDS, Feed
from forum.taxonomy.service import list_sectors, resolve_country_filter

KNOWN_FEEDS_FILE = "known_feeds.json"


@dataclass(frozen=True)
class KnownFeed:
    """One public feed shipped with the forum (data/known_feeds.json)."""

    url: str
    name: str
    publisher: str
    documentation_url: str
    kind: str
    countries: tuple[str, ...]
    sectors: tuple[str, ...]
    note: str


@cache
def known_feeds() -> tuple[KnownFeed, ...]:
    """The shipped list; raises ValueError when the file is malformed."""
    raw = json.loads(
        resources.files("forum.intelligence")
        .joinpath(f"data/{KNOWN_FEEDS_FILE}")
        .read_text("utf-8")
    )
    feeds: list[KnownFeed] = []
    for entry in raw["feeds"]:
        feed = KnownFeed(
            url=entry["url"],
            name=entry["name"],
            publisher=entry["publisher"],
            documentation_url=entry["documentation_url"],
            kind=entry.get("kind", "news"),
            countries=tuple(entry.get("countries", ())),
            sectors=tuple(entry.get("sectors", ())),
            note=entry.get("note", ""),
        )
        if feed.kind not in INTEL_KINDS or http_url(feed.url) is None:
            raise ValueError(f"{KNOWN_FEEDS_FILE}: bad entry {feed.name!r}")
        feeds.append(feed)
    return tuple(feeds)


def seed_known_feeds(db: Session) -> int:
    """Add the shipped feeds that are missing (by URL), disabled; answers how many.

    Feeds already present keep their settings, so an admin's choices survive a rerun.
    Sectors unknown to this instance are left out.
    """
    existing = set(db.scalars(select(Feed.url)))
    sectors = {s.slug for s in list_sectors(db)}
    added = 0
    for known in known_feeds():
        if known.url in existing:
            continue
        db.add(
            Feed(
                url=known.url,
                name=known.name[:NAME_MAX],
                source_url=known.documentation_url,
                default_countries=resolve_country_filter(list(known.countries)),
                default_sectors=[s for s in known.sectors if s in sectors],
                default_kind=known.kind,
                interval_minutes=DEFAULT_INTERVAL,
                auto_publish=False,
                enabled=False,
                items_added=0,
            )
        )
        added += 1
    db.flush()
    return added
