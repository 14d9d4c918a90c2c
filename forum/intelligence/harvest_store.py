"""Storing one feed's harvest: its new items, the items it also published, its state.

For every entry of a fetched feed: skip it when this feed already gave an item with the
same entry id, or an item with the same canonical URL or a near-identical title on the
same day came from this feed (`dedup.py`); when such an item came from another source,
record this feed's name in that item's `also_from` (one item, both sources) instead of
adding a second item; otherwise add an item: the feed's default kind, its default
countries and sectors plus those the tagger finds in the title and summary, published at
once when the feed auto-publishes, else sent to review.

A feed that fails (refused URL, HTTP error, timeout, unparseable body) keeps its error in
`last_status` / `last_error` and is tried again after its interval, or later when it
failed last time too (`_retry_delay`). Every outcome, failed or not, also adds a row to
`feed_run` (`feed_runs.record_run`) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.core import content_language
from forum.core.db import utcnow
from forum.core.outbox import queue_document
from forum.intelligence import tagging
from forum.intelligence.dedup import (
    Known,
    PreparedEntry,
    chunks,
    existing_items,
    known_entry_ids,
    prepare_entries,
)
from forum.intelligence.feed_admin import DEFAULT_INTERVAL
from forum.intelligence.feed_runs import record_run
from forum.intelligence.fetch import FetchResult
from forum.intelligence.models import INTEL_KINDS, Feed, IntelItem
from forum.intelligence.parse import FeedError, parse_feed
from forum.intelligence.service import IntelError
from forum.intelligence.writes import ItemInput, new_imported_item
from forum.taxonomy.models import Sector
from forum.taxonomy.service import list_sectors

log = logging.getLogger(__name__)

ERROR_MAX = 2000
# A feed that fails again waits twice as long as since its last failed attempt, up to
# this (or its interval, when longer).
MAX_RETRY_DELAY = dt.timedelta(days=1)

STATUS_OK = "ok"
STATUS_NOT_MODIFIED = "not modified"
STATUS_REFUSED = "refused"
STATUS_ERROR = "error"
STATUS_TIMED_OUT = "timed out"
FAILED_STATUSES = frozenset({STATUS_REFUSED, STATUS_ERROR, STATUS_TIMED_OUT})


@dataclass
class HarvestResult:
    """What one feed's harvest did. `status` is the feed's new `last_status`."""

    feed_id: int
    name: str
    status: str
    added: int = 0
    merged: int = 0  # entries recorded as another source of an existing item
    skipped: int = 0  # entries already harvested
    invalid: int = 0  # entries that could not become items
    error: str | None = None
    item_ids: list[int] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    def summary(self) -> str:
        if self.failed:
            return f"{self.status}: {self.error}"
        if self.status == STATUS_NOT_MODIFIED:
            return "not modified since the last harvest"
        parts = [f"{self.added} new"]
        if self.merged:
            parts.append(f"{self.merged} also published by another source")
        if self.skipped:
            parts.append(f"{self.skipped} already harvested")
        if self.invalid:
            parts.append(f"{self.invalid} unusable")
        return ", ".join(parts)


@dataclass(frozen=True)
class Fetched:
    """A fetch's outcome, parsed: what `_apply` stores, or the status and error to
    record. Built with no database transaction open."""

    result: FetchResult | None
    status: str
    error: str | None = None
    entries: Sequence[PreparedEntry] = ()


def read_entries(body: bytes, base_url: str) -> list[PreparedEntry] | str:
    """The document's entries with their dedup keys; or why it is not a feed."""
    try:
        _title, entries = parse_feed(body, base_url=base_url)
    except FeedError as exc:
        return f"unparseable feed: {exc}"
    return prepare_entries(entries)


def _finish(
    feed: Feed, now: dt.datetime, status: str, error: str | None,
    delay: dt.timedelta | None = None,
) -> None:  # fmt: skip
    feed.last_status = status
    feed.last_error = error[:ERROR_MAX] if error else None
    feed.last_fetched_at = now
    if status not in FAILED_STATUSES:
        feed.last_success_at = now
    feed.next_fetch_at = now + (delay or _interval(feed))


def _interval(feed: Feed) -> dt.timedelta:
    return dt.timedelta(minutes=feed.interval_minutes or DEFAULT_INTERVAL)


def _retry_delay(feed: Feed, now: dt.datetime) -> dt.timedelta:
    """How long a feed that failed now waits: its interval after a success; after a
    failure, twice the time since that failed attempt (so a feed that keeps failing or
    timing out is tried after 6, 12, 24 hours ...), at most MAX_RETRY_DELAY or its
    interval. Read before `_finish` overwrites the last attempt's status and time."""
    interval = _interval(feed)
    if feed.last_status not in FAILED_STATUSES or feed.last_fetched_at is None:
        return interval
    since = now - feed.last_fetched_at
    return max(interval, min(2 * since, MAX_RETRY_DELAY))


def record_failure(
    db: Session, feed: Feed, now: dt.datetime, status: str, error: str, *,
    started_at: dt.datetime | None = None,
) -> HarvestResult:  # fmt: skip
    """Record a failed harvest on the feed and as a run (flushes, never commits)."""
    _finish(feed, now, status, error, _retry_delay(feed, now))
    record_run(db, feed, started_at=started_at, finished_at=now, ok=False, error=error)
    db.flush()
    return HarvestResult(feed.id, feed.name, status, error=error)


def apply_fetch(
    db: Session, feed: Feed, fetched: Fetched, now: dt.datetime, *,
    started_at: dt.datetime | None = None,
) -> HarvestResult:  # fmt: skip
    """Store a fetch's outcome on the feed, as a run, and its new items (flushes, never
    commits). `started_at`: when the harvest began (by default `now`)."""
    if fetched.result is None:
        return record_failure(db, feed, now, fetched.status, fetched.error or "failed",
                              started_at=started_at)  # fmt: skip
    if fetched.status == STATUS_NOT_MODIFIED:
        feed.etag = fetched.result.etag or feed.etag
        feed.last_modified = fetched.result.last_modified or feed.last_modified
        _finish(feed, now, STATUS_NOT_MODIFIED, None)
        record_run(db, feed, started_at=started_at, finished_at=now, ok=True)
        db.flush()
        return HarvestResult(feed.id, feed.name, STATUS_NOT_MODIFIED)
    result = _store(db, feed, fetched.entries, now=now, started_at=started_at)
    # Only a stored harvest moves the validators on: after a failure the next fetch
    # must get the whole document again.
    feed.etag = fetched.result.etag
    feed.last_modified = fetched.result.last_modified
    return result


def harvest_body(
    db: Session,
    feed: Feed,
    body: bytes,
    *,
    now: dt.datetime | None = None,
    base_url: str | None = None,
) -> HarvestResult:
    """Parse a feed document already in hand and store its new entries as `feed`'s.

    The demo uses it (sample files shipped with the forum, read by the demo itself:
    no URL from a user ever reaches a local path), and so may an import.
    """
    now = now or utcnow()
    entries = read_entries(body, base_url or feed.url)
    if isinstance(entries, str):
        return record_failure(db, feed, now, STATUS_ERROR, entries)
    return _store(db, feed, entries, now=now)


def _store(
    db: Session, feed: Feed, entries: Sequence[PreparedEntry], *, now: dt.datetime,
    started_at: dt.datetime | None = None,
) -> HarvestResult:  # fmt: skip
    result = HarvestResult(feed.id, feed.name, STATUS_OK)
    _store_entries(db, feed, entries, now=now, result=result)
    feed.items_added = (feed.items_added or 0) + result.added
    note = f"{result.invalid} entries could not be used" if result.invalid else None
    _finish(feed, now, STATUS_OK, note)
    record_run(db, feed, started_at=started_at, finished_at=now, ok=True, added=result.added,
               duplicates=result.skipped + result.merged)  # fmt: skip
    db.flush()
    return result


def _store_entries(
    db: Session, feed: Feed, batch: Sequence[PreparedEntry], *, now: dt.datetime,
    result: HarvestResult,
) -> None:  # fmt: skip
    known_ids = known_entry_ids(db, feed, batch)
    result.skipped += sum(1 for e in batch if e.entry.entry_id in known_ids)
    batch = [e for e in batch if e.entry.entry_id not in known_ids]
    if not batch:
        return
    by_url, by_title = existing_items(db, batch)
    sectors = {s.slug: s for s in list_sectors(db)}
    status = "published" if feed.auto_publish else "review"
    new_items: list[IntelItem] = []
    merge_into: dict[int, None] = {}  # item ids, in order, that gain this feed as a source
    mine = Known(0, feed.id)  # stands for this run's new items, whose ids come at the flush
    for prepared in batch:
        match = by_url.get(prepared.canonical) if prepared.canonical else None
        if match is None and prepared.title_key:
            same_day = by_title.get(prepared.title_key, [])
            match = next((k for k in same_day if k.feed_id == feed.id), None) or next(
                iter(same_day), None
            )
        if match is not None:
            if match.feed_id == feed.id:
                result.skipped += 1
            else:
                merge_into[match.item_id] = None
            continue
        item = _new_item(feed, prepared, sectors, status=status, now=now)
        if item is None:
            result.invalid += 1
            continue
        db.add(item)
        new_items.append(item)
        if prepared.canonical:
            by_url[prepared.canonical] = mine
        if prepared.title_key:
            by_title.setdefault(prepared.title_key, []).append(mine)
    # One flush for the whole batch: the inserts go out as multi-row statements.
    db.flush()
    for item in new_items:
        if status == "published":
            queue_document(db, f"intel:{item.id}")
        result.item_ids.append(item.id)
    result.added += len(new_items)
    if merge_into:
        _add_source(db, feed, list(merge_into), result)


def _add_source(db: Session, feed: Feed, item_ids: list[int], result: HarvestResult) -> None:
    """Record `feed` among the other sources of these items; count those that changed."""
    for chunk in chunks(item_ids):
        for item in db.scalars(select(IntelItem).where(IntelItem.id.in_(chunk))):
            sources = list(item.also_from or [])
            if feed.name in sources or feed.name == item.source_name:
                result.skipped += 1
                continue
            item.also_from = [*sources, feed.name]  # a new list: JSON columns track assignment
            result.merged += 1


def _new_item(
    feed: Feed,
    prepared: PreparedEntry,
    sectors: dict[str, Sector],
    *,
    status: str,
    now: dt.datetime,
) -> IntelItem | None:
    """An item for this entry, not yet added to the session; None when it is unusable.

    Made by `writes.new_imported_item` (what `create_imported_item` stores), without a
    flush per item: a harvest adds its items in one flush, which keeps 10,000 entries
    within the benchmark's budget.
    """
    entry = prepared.entry
    # Tagged here, for new entries only: most entries of a feed are known already.
    tags = tagging.tag(entry.title, entry.summary)
    countries = set(feed.default_countries or []) | set(tags.countries)
    slugs = list(dict.fromkeys([*(feed.default_sectors or []), *sorted(tags.sectors)]))
    data = ItemInput(
        title=entry.title,
        kind=feed.default_kind if feed.default_kind in INTEL_KINDS else "news",
        summary=entry.summary,
        countries=sorted(countries),
        sectors=[sectors[s] for s in slugs if s in sectors],
        url=prepared.url,
        source_name=feed.name,
        source_url=feed.source_url,
        # The feed's declared language when it is one; else detected from the text.
        language=content_language.declared(entry.language),
        published_at=entry.published,
    )
    try:
        return new_imported_item(
            data,
            status=status,
            added_at=now,
            feed_id=feed.id,
            entry_id=entry.entry_id,
            source_note=f"Harvested from the feed {feed.name} ({feed.url})"[:1000],
        )
    except IntelError as exc:
        log.info("feed %s: entry %r not stored: %s", feed.id, entry.entry_id, exc)
        return None
