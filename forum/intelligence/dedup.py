"""How the same item is recognised twice: canonical URLs and title keys, looked up one at a
time (`find_duplicate`, for imports) or by the batch (a harvest's entries, a few queries
whatever their number)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from forum.intelligence.models import URL_MAX, Feed, IntelItem
from forum.intelligence.parse import ParsedEntry

TRACKING_PARAMETERS = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|ref)$", re.I)
# Keeps IN (...) lists well under every database's limit on bound parameters.
CHUNK = 500


def canonical_url(url: str | None) -> str | None:
    """`url` without fragment, tracking parameters, default port or host case, for dedup."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query) if not TRACKING_PARAMETERS.match(k))
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https", host, path, query, ""))


def title_key(title: str) -> str:
    """The title as duplicates compare it: lower-case words and numbers, nothing else."""
    return " ".join(re.findall(r"[a-z0-9]+", title.lower()))


def find_duplicate(
    db: Session, *, url: str | None, title: str, day: dt.date | None
) -> IntelItem | None:
    """An item with the same canonical URL, or a near-identical title on the same day."""
    canonical = canonical_url(url)
    if canonical:
        found = db.scalar(select(IntelItem).where(IntelItem.canonical_url == canonical))
        if found is not None:
            return found
    if day is None:
        return None
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    wanted = title_key(title)
    for candidate in db.scalars(
        select(IntelItem).where(
            IntelItem.published_at >= start,
            IntelItem.published_at < start + dt.timedelta(days=1),
        )
        if wanted
        else select(IntelItem).where(false())
    ):
        if title_key(candidate.title) == wanted:
            return candidate
    return None


@dataclass(frozen=True)
class Known:
    """An existing item as the dedup rules see it."""

    item_id: int
    feed_id: int | None


def chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _day_ranges(days: Iterable[dt.date]) -> list[tuple[dt.datetime, dt.datetime]]:
    """Consecutive days merged into [start, end) ranges, for one OR of ranges."""
    ranges: list[tuple[dt.datetime, dt.datetime]] = []
    for day in sorted(set(days)):
        start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], start + dt.timedelta(days=1))
        else:
            ranges.append((start, start + dt.timedelta(days=1)))
    return ranges


@dataclass(frozen=True)
class PreparedEntry:
    entry: ParsedEntry
    url: str | None
    canonical: str | None
    title_key: tuple[dt.date, str] | None


def prepare_entries(entries: Sequence[ParsedEntry]) -> list[PreparedEntry]:
    """Entries with their dedup keys (pure work, done before any transaction)."""
    prepared: list[PreparedEntry] = []
    seen: set[str] = set()
    for entry in entries:
        if entry.entry_id in seen:
            continue
        seen.add(entry.entry_id)
        url = entry.link if entry.link and len(entry.link) <= URL_MAX else None
        key = title_key(entry.title)
        prepared.append(
            PreparedEntry(
                entry=entry,
                url=url,
                canonical=canonical_url(url),
                title_key=(entry.published.date(), key) if entry.published and key else None,
            )
        )
    return prepared


def known_entry_ids(db: Session, feed: Feed, batch: Sequence[PreparedEntry]) -> set[str]:
    """The batch's entry ids this feed already gave items for (one query per chunk)."""
    known: set[str] = set()
    for chunk in chunks([e.entry.entry_id for e in batch]):
        known.update(
            str(v)
            for v in db.scalars(
                select(IntelItem.entry_id).where(
                    IntelItem.feed_id == feed.id, IntelItem.entry_id.in_(chunk)
                )
            )
        )
    return known


def existing_items(
    db: Session, batch: Sequence[PreparedEntry]
) -> tuple[dict[str, Known], dict[tuple[dt.date, str], list[Known]]]:
    """Items with the batch's canonical URLs, and items published on the batch's days by
    title key: two queries (per chunk), whatever the number of entries."""
    by_url: dict[str, Known] = {}
    for chunk in chunks(sorted({e.canonical for e in batch if e.canonical})):
        for item_id, feed_id, canonical in db.execute(
            select(IntelItem.id, IntelItem.feed_id, IntelItem.canonical_url)
            .where(IntelItem.canonical_url.in_(chunk))
            .order_by(IntelItem.id)
        ):
            by_url.setdefault(str(canonical), Known(item_id, feed_id))
    by_title: dict[tuple[dt.date, str], list[Known]] = {}
    wanted = {e.title_key for e in batch if e.title_key}
    for chunk in chunks(_day_ranges(day for day, _key in wanted)):
        rows = db.execute(
            select(IntelItem.id, IntelItem.feed_id, IntelItem.title, IntelItem.published_at)
            .where(
                or_(
                    *(
                        and_(IntelItem.published_at >= lo, IntelItem.published_at < hi)
                        for lo, hi in chunk
                    )
                )
            )
            .order_by(IntelItem.id)
        )
        for item_id, feed_id, title, published in rows:
            key = (published.date(), title_key(title)) if published is not None else None
            if key in wanted:
                by_title.setdefault(key, []).append(Known(item_id, feed_id))
    return by_url, by_title
