"""Feed harvesting: the feeds an admin keeps, and turning their entries into items.

Harvesting one feed: fetch it with its ETag and Last-Modified (fetch.py: SSRF guard,
caps), parse it (parse.py), and for every entry

- skip it when this feed already gave an item with the same entry id, or an item with
  the same canonical URL or a near-identical title on the same day came from this feed;
- when such an item came from another source, record this feed's name in that item's
  `also_from` (one item, both sources) instead of adding a second item;
- otherwise add an item: the feed's default kind, its default countries and sectors
  plus those the tagger finds in the title and summary, published at once when the
  feed auto-publishes, else sent to review.

Dedup lookups are batched: one query each for the feed's known entry ids, the known
canonical URLs and the items published on the entries' days, per feed and per run.

A feed that fails (refused URL, HTTP error, timeout, unparseable body) keeps its
error in `last_status` / `last_error` and is tried again after its interval, or
later when it failed last time too (`_retry_delay`); the others go on. `harvest_due`
gives each feed its own transactions and holds none while it fetches and parses, so
a slow server never holds SQLite's write lock. Feeds are claimed by moving
`next_fetch_at` forward in one conditional UPDATE, so the worker and `forum import
feeds` never harvest the same feed at once. Several feeds are fetched side by side,
each within its own deadline, so a slow one holds up no other; with four feeds or
more, a helper process parses them while this one stores (see `_harvest_side_by_side`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing
import re
import ssl
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import cache, partial
from importlib import resources
from typing import Any

import httpx
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from forum.accounts.models import User
from forum.core.audit import record
from forum.core.db import utcnow
from forum.core.errors import PermissionDenied
from forum.core.outbox import queue_document
from forum.core.pagination import Page
from forum.core.text import CONTROL_CHARACTERS_MESSAGE, clean_line, has_control_characters
from forum.intelligence import tagging
from forum.intelligence.fetch import (
    DEFAULT_DEADLINE,
    FetchFailed,
    FetchRefused,
    FetchResult,
    FetchTimedOut,
    check_url,
    fetch_feed,
    private_feeds_allowed,
)
from forum.intelligence.models import INTEL_KINDS, Feed, IntelItem
from forum.intelligence.parse import FeedError, ParsedEntry, parse_feed
from forum.intelligence.service import (
    IntelError,
    ItemInput,
    _title_key,  # the key find_duplicate compares titles by
    canonical_url,
    new_imported_item,
)
from forum.taxonomy.models import Sector
from forum.taxonomy.service import (
    UnknownCountryError,
    UnknownSectorError,
    list_sectors,
    resolve_country_filter,
    resolve_sectors,
)

log = logging.getLogger(__name__)

KNOWN_FEEDS_FILE = "known_feeds.json"
DEFAULT_INTERVAL = 360  # minutes: every 6 hours
MIN_INTERVAL = 15
MAX_INTERVAL = 7 * 24 * 60
NAME_MAX = 200
URL_MAX = 1000
ERROR_MAX = 2000
# Keeps IN (...) lists well under every database's limit on bound parameters.
CHUNK = 500
# How many feeds are fetched at once by default (FORUM_HARVEST_CONCURRENCY).
DEFAULT_CONCURRENCY = 4
# From this many feeds on, a helper process parses what the fetching threads bring.
PARALLEL_MIN_FEEDS = 4
# Results are stored in the run's order, unless the feed whose turn it is has been
# fetching this long while later ones are ready: then those go first.
IN_ORDER_PATIENCE = 0.5  # seconds
# A feed that fails again waits twice as long as since its last failed attempt, up to
# this (or its interval, when longer).
MAX_RETRY_DELAY = dt.timedelta(days=1)

STATUS_OK = "ok"
STATUS_NOT_MODIFIED = "not modified"
STATUS_REFUSED = "refused"
STATUS_ERROR = "error"
STATUS_TIMED_OUT = "timed out"
FAILED_STATUSES = frozenset({STATUS_REFUSED, STATUS_ERROR, STATUS_TIMED_OUT})

_INTERVAL = re.compile(r"^\s*(\d{1,6})\s*([mhd]?)\s*$", re.IGNORECASE)
_UNIT_MINUTES = {"": 1, "m": 1, "h": 60, "d": 24 * 60}


# --- feeds: validation, changes, the shipped list -----------------------------------------


class FeedSettingsError(ValueError):
    """The feed's settings have problems; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class FeedSettings:
    """A feed's settings as typed in the CLI or the admin form (validated by `clean`).

    `countries` may hold region-group codes (`g:asean`), stored as their members;
    `interval` is minutes (`360`) or a number with a unit (`90m`, `6h`, `1d`).
    """

    name: str = ""
    countries: Sequence[str] = ()
    sectors: Sequence[str] = ()
    kind: str = "news"
    interval: str = str(DEFAULT_INTERVAL)
    auto_publish: bool = False
    enabled: bool = False
    source_url: str = ""


@dataclass(frozen=True)
class CleanSettings:
    name: str
    countries: list[str]
    sectors: list[str]
    kind: str
    interval_minutes: int
    auto_publish: bool
    enabled: bool
    source_url: str | None


def split_codes(text: str) -> list[str]:
    """`"JP, KR g:asean"` → `["JP", "KR", "g:asean"]` (commas or spaces between codes)."""
    return [part for part in re.split(r"[,\s]+", text.strip()) if part]


def parse_interval(text: str) -> int:
    """Minutes from `360`, `90m`, `6h` or `1d`; raises ValueError saying what is accepted."""
    match = _INTERVAL.match(text or "")
    if not match:
        raise ValueError(
            f"Give the interval in minutes (360) or with a unit (90m, 6h, 1d), not {text!r}."
        )
    minutes = int(match.group(1)) * _UNIT_MINUTES[match.group(2).lower()]
    if not MIN_INTERVAL <= minutes <= MAX_INTERVAL:
        raise ValueError(
            f"Harvest between every {MIN_INTERVAL} minutes and every {MAX_INTERVAL // 1440} days."
        )
    return minutes


def format_interval(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def _http_url(value: str) -> str | None:
    parts = urllib.parse.urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return value


def check_feed_url(
    url: str, *, allow_private: bool, deadline: float = DEFAULT_DEADLINE
) -> tuple[str, str | None]:
    """The URL to store and a warning, or FeedSettingsError saying why it is refused.

    Without FORUM_ALLOW_PRIVATE_FEEDS the SSRF guard runs now (it runs again on every
    fetch): loopback, private and other non-public addresses are refused. A host that
    does not resolve at the moment (within `deadline` seconds) is accepted with a
    warning; its harvest records the error until it resolves.
    """
    url = url.strip()
    if not url:
        raise FeedSettingsError({"url": "Give the feed's address."})
    if len(url) > URL_MAX:
        raise FeedSettingsError({"url": f"Keep the address under {URL_MAX} characters."})
    if has_control_characters(url):
        raise FeedSettingsError({"url": CONTROL_CHARACTERS_MESSAGE})
    if _http_url(url) is None:
        raise FeedSettingsError({"url": "Give an address starting with http:// or https://."})
    if allow_private:
        return url, None
    try:
        check_url(url, allow_private=False, timeout=deadline)
    except FetchRefused as exc:
        raise FeedSettingsError({"url": f"This address is refused: {exc}."}) from exc
    except FetchFailed as exc:
        return url, f"The address does not resolve now ({exc}); harvests will report it."
    return url, None


def clean(db: Session, data: FeedSettings, *, default_name: str = "") -> CleanSettings:
    """Validate every field at once; raises FeedSettingsError naming each bad one."""
    errors: dict[str, str] = {}
    name = clean_line(data.name) or default_name
    if not name:
        errors["name"] = "Give the feed a name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Keep the name under {NAME_MAX} characters."
    countries: list[str] = []
    try:
        countries = resolve_country_filter(list(data.countries))
    except UnknownCountryError as exc:
        errors["countries"] = (
            f"Unknown country or region group {exc.code!r}: use ISO codes such as JP "
            "or groups such as g:asean."
        )
    sectors: list[str] = []
    try:
        sectors = [s.slug for s in resolve_sectors(db, list(data.sectors))]
    except UnknownSectorError as exc:
        known = ", ".join(s.slug for s in list_sectors(db)) or "none yet (forum init adds them)"
        errors["sectors"] = f"Unknown sector {exc.slug!r}: the sectors are {known}."
    if data.kind not in INTEL_KINDS:
        errors["kind"] = f"Unknown kind {data.kind!r}: use one of {', '.join(INTEL_KINDS)}."
    interval = DEFAULT_INTERVAL
    try:
        interval = parse_interval(data.interval)
    except ValueError as exc:
        errors["interval"] = str(exc)
    source_url = data.source_url.strip() or None
    if source_url and (len(source_url) > URL_MAX or _http_url(source_url) is None):
        errors["source_url"] = "Give the publisher's site as an http:// or https:// address."
    if errors:
        raise FeedSettingsError(errors)
    return CleanSettings(
        name=name,
        countries=countries,
        sectors=sectors,
        kind=data.kind,
        interval_minutes=interval,
        auto_publish=data.auto_publish,
        enabled=data.enabled,
        source_url=source_url,
    )


def require_admin(actor: User | None) -> None:
    """Admins manage feeds; `None` is the operator at the command line."""
    if actor is not None and not actor.is_admin:
        raise PermissionDenied("Only admins manage harvested feeds.")


def _state(feed: Feed) -> dict[str, Any]:
    return {
        "name": feed.name,
        "countries": list(feed.default_countries or []),
        "sectors": list(feed.default_sectors or []),
        "kind": feed.default_kind,
        "interval_minutes": feed.interval_minutes,
        "auto_publish": feed.auto_publish,
        "enabled": feed.enabled,
        "source_url": feed.source_url,
    }


def create_feed(
    db: Session,
    actor: User | None,
    url: str,
    data: FeedSettings,
    *,
    allow_private: bool,
    deadline: float = DEFAULT_DEADLINE,
) -> tuple[Feed, str | None]:
    """A new feed and a warning (or None). Raises FeedSettingsError or PermissionDenied.

    `deadline` bounds the address's DNS lookup (FORUM_FETCH_DEADLINE)."""
    require_admin(actor)
    errors: dict[str, str] = {}
    warning: str | None = None
    try:
        url, warning = check_feed_url(url, allow_private=allow_private, deadline=deadline)
    except FeedSettingsError as exc:
        errors.update(exc.errors)
    host = urllib.parse.urlsplit(url.strip()).hostname or ""
    try:
        settings = clean(db, data, default_name=host)
    except FeedSettingsError as exc:
        errors.update(exc.errors)
    if "url" not in errors:
        taken = db.scalar(select(Feed).where(Feed.url == url))
        if taken is not None:
            errors["url"] = f"This feed is already harvested as {taken.name!r} (#{taken.id})."
    if errors:
        raise FeedSettingsError(errors)
    feed = Feed(url=url, items_added=0)
    _assign(feed, settings)
    db.add(feed)
    db.flush()
    record(
        db, actor=actor, action="feed.create", object_type="feed", object_id=feed.id,
        object_label=feed.name, details={"url": url, **_state(feed)},
    )  # fmt: skip
    return feed, warning


def _assign(feed: Feed, settings: CleanSettings) -> None:
    feed.name = settings.name
    feed.default_countries = settings.countries
    feed.default_sectors = settings.sectors
    feed.default_kind = settings.kind
    if feed.interval_minutes != settings.interval_minutes and feed.last_fetched_at:
        feed.next_fetch_at = feed.last_fetched_at + dt.timedelta(minutes=settings.interval_minutes)
    feed.interval_minutes = settings.interval_minutes
    feed.auto_publish = settings.auto_publish
    feed.enabled = settings.enabled
    feed.source_url = settings.source_url


def update_feed(db: Session, actor: User | None, feed: Feed, data: FeedSettings) -> dict[str, Any]:
    """Apply the settings; answers the changed fields (audited), empty when none changed."""
    require_admin(actor)
    settings = clean(db, data)
    before = _state(feed)
    _assign(feed, settings)
    after = _state(feed)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changes:
        db.flush()
        record(
            db, actor=actor, action="feed.update", object_type="feed", object_id=feed.id,
            object_label=feed.name, details=changes,
        )  # fmt: skip
    return changes


def set_enabled(db: Session, actor: User | None, feed: Feed, enabled: bool) -> bool:
    """Enable or disable harvesting; answers whether anything changed (audited)."""
    require_admin(actor)
    if feed.enabled == enabled:
        return False
    feed.enabled = enabled
    db.flush()
    record(
        db, actor=actor, action="feed.enable" if enabled else "feed.disable",
        object_type="feed", object_id=feed.id, object_label=feed.name,
    )  # fmt: skip
    return True


def delete_feed(db: Session, actor: User | None, feed: Feed) -> None:
    """Remove the feed; its items stay, without their link to it (the table's SET NULL)."""
    require_admin(actor)
    record(
        db, actor=actor, action="feed.delete", object_type="feed", object_id=feed.id,
        object_label=feed.name, details={"url": feed.url, "items_added": feed.items_added},
    )  # fmt: skip
    db.execute(update(IntelItem).where(IntelItem.feed_id == feed.id).values(feed_id=None))
    db.delete(feed)
    db.flush()


def get_feed(db: Session, feed_id: int) -> Feed | None:
    return db.get(Feed, feed_id)


def find_feed(db: Session, id_or_url: str) -> Feed | None:
    """The feed with this number or this exact URL."""
    value = id_or_url.strip()
    if value.isdigit():
        return db.get(Feed, int(value))
    return db.scalar(select(Feed).where(Feed.url == value))


def list_feeds(db: Session) -> list[Feed]:
    return list(db.scalars(select(Feed).order_by(Feed.name, Feed.id)))


def page_feeds(db: Session, *, page: int, per_page: int = 25) -> Page[Feed]:
    """Every feed by name: enabled or not, with its harvest state."""
    total = db.scalar(select(func.count()).select_from(Feed)) or 0
    items = list(
        db.scalars(
            select(Feed).order_by(Feed.name, Feed.id).offset((page - 1) * per_page).limit(per_page)
        )
    )
    return Page(items, page, per_page, total, "/admin/feeds", {})


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
        if feed.kind not in INTEL_KINDS or _http_url(feed.url) is None:
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


# --- harvesting ----------------------------------------------------------------------------


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
class _Fetched:
    """A fetch's outcome, parsed: what `_apply` stores, or the status and error to
    record. Built with no database transaction open."""

    result: FetchResult | None
    status: str
    error: str | None = None
    entries: Sequence[_Entry] = ()


def _read(body: bytes, base_url: str) -> list[_Entry] | str:
    """The document's entries with their dedup keys; or why it is not a feed."""
    try:
        _title, entries = parse_feed(body, base_url=base_url)
    except FeedError as exc:
        return f"unparseable feed: {exc}"
    return _prepare(entries)


@cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every fetch: building one reads the CA bundle,
    which costs more than fetching a small feed (~0.1 s)."""
    return httpx.create_ssl_context()


def _fetch(
    url: str,
    etag: str | None,
    last_modified: str | None,
    *,
    allow_private: bool,
    transport: httpx.BaseTransport | None,
    deadline: float = DEFAULT_DEADLINE,
    read: Callable[[bytes, str], list[_Entry] | str] = _read,
) -> _Fetched:
    """Fetch (within `deadline` seconds) and `read` one feed; never raises."""
    try:
        result = fetch_feed(
            url, etag=etag, last_modified=last_modified, allow_private=allow_private,
            timeout=deadline, transport=transport,
            ssl_context=_tls_context() if transport is None else None,
        )  # fmt: skip
        if result.status == 304:
            return _Fetched(result, STATUS_NOT_MODIFIED)
        entries = read(result.body or b"", result.final_url)
    except FetchRefused as exc:
        return _Fetched(None, STATUS_REFUSED, f"refused: {exc}")
    except FetchTimedOut as exc:
        return _Fetched(None, STATUS_TIMED_OUT, str(exc))
    except FetchFailed as exc:
        return _Fetched(None, STATUS_ERROR, str(exc))
    except Exception as exc:  # a broken feed must never stop the others
        log.exception("unexpected error fetching %s", url)
        return _Fetched(None, STATUS_ERROR, f"{type(exc).__name__}: {exc}")
    if isinstance(entries, str):
        return _Fetched(None, STATUS_ERROR, entries)
    return _Fetched(result, STATUS_OK, entries=entries)


def _finish(
    feed: Feed, now: dt.datetime, status: str, error: str | None,
    delay: dt.timedelta | None = None,
) -> None:  # fmt: skip
    feed.last_status = status
    feed.last_error = error[:ERROR_MAX] if error else None
    feed.last_fetched_at = now
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


def _record_failure(feed: Feed, now: dt.datetime, status: str, error: str) -> HarvestResult:
    _finish(feed, now, status, error, _retry_delay(feed, now))
    return HarvestResult(feed.id, feed.name, status, error=error)


def _apply(db: Session, feed: Feed, fetched: _Fetched, now: dt.datetime) -> HarvestResult:
    """Store a fetch's outcome on the feed and its new items (flushes, never commits)."""
    if fetched.result is None:
        return _record_failure(feed, now, fetched.status, fetched.error or "failed")
    if fetched.status == STATUS_NOT_MODIFIED:
        feed.etag = fetched.result.etag or feed.etag
        feed.last_modified = fetched.result.last_modified or feed.last_modified
        _finish(feed, now, STATUS_NOT_MODIFIED, None)
        db.flush()
        return HarvestResult(feed.id, feed.name, STATUS_NOT_MODIFIED)
    result = _store(db, feed, fetched.entries, now=now)
    # Only a stored harvest moves the validators on: after a failure the next fetch
    # must get the whole document again.
    feed.etag = fetched.result.etag
    feed.last_modified = fetched.result.last_modified
    return result


def harvest_feed(
    db: Session,
    feed: Feed,
    *,
    allow_private: bool,
    now: dt.datetime | None = None,
    transport: httpx.BaseTransport | None = None,
    deadline: float = DEFAULT_DEADLINE,
) -> HarvestResult:
    """Fetch and store one feed in the caller's transaction (flushes, never commits).

    The fetch happens inside that transaction: callers that must not hold a write
    lock meanwhile (the worker) use `harvest_due`.
    """
    now = now or utcnow()
    fetched = _fetch(feed.url, feed.etag, feed.last_modified, allow_private=allow_private,
                     transport=transport, deadline=deadline)  # fmt: skip
    return _apply(db, feed, fetched, now)


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
    entries = _read(body, base_url or feed.url)
    if isinstance(entries, str):
        return _record_failure(feed, now, STATUS_ERROR, entries)
    return _store(db, feed, entries, now=now)


def _store(
    db: Session, feed: Feed, entries: Sequence[_Entry], *, now: dt.datetime
) -> HarvestResult:
    result = HarvestResult(feed.id, feed.name, STATUS_OK)
    _store_entries(db, feed, entries, now=now, result=result)
    feed.items_added = (feed.items_added or 0) + result.added
    note = f"{result.invalid} entries could not be used" if result.invalid else None
    _finish(feed, now, STATUS_OK, note)
    db.flush()
    return result


@dataclass(frozen=True)
class _Known:
    """An existing item as the dedup rules see it."""

    item_id: int
    feed_id: int | None


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
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
class _Entry:
    entry: ParsedEntry
    url: str | None
    canonical: str | None
    title_key: tuple[dt.date, str] | None


def _prepare(entries: Sequence[ParsedEntry]) -> list[_Entry]:
    """Entries with their dedup keys (pure work, done before any transaction)."""
    prepared: list[_Entry] = []
    seen: set[str] = set()
    for entry in entries:
        if entry.entry_id in seen:
            continue
        seen.add(entry.entry_id)
        url = entry.link if entry.link and len(entry.link) <= URL_MAX else None
        key = _title_key(entry.title)
        prepared.append(
            _Entry(
                entry=entry,
                url=url,
                canonical=canonical_url(url),
                title_key=(entry.published.date(), key) if entry.published and key else None,
            )
        )
    return prepared


def _known_entry_ids(db: Session, feed: Feed, batch: Sequence[_Entry]) -> set[str]:
    """The batch's entry ids this feed already gave items for (one query per chunk)."""
    known: set[str] = set()
    for chunk in _chunks([e.entry.entry_id for e in batch]):
        known.update(
            str(v)
            for v in db.scalars(
                select(IntelItem.entry_id).where(
                    IntelItem.feed_id == feed.id, IntelItem.entry_id.in_(chunk)
                )
            )
        )
    return known


def _existing(
    db: Session, batch: Sequence[_Entry]
) -> tuple[dict[str, _Known], dict[tuple[dt.date, str], list[_Known]]]:
    """Items with the batch's canonical URLs, and items published on the batch's days by
    title key: two queries (per chunk), whatever the number of entries."""
    by_url: dict[str, _Known] = {}
    for chunk in _chunks(sorted({e.canonical for e in batch if e.canonical})):
        for item_id, feed_id, canonical in db.execute(
            select(IntelItem.id, IntelItem.feed_id, IntelItem.canonical_url)
            .where(IntelItem.canonical_url.in_(chunk))
            .order_by(IntelItem.id)
        ):
            by_url.setdefault(str(canonical), _Known(item_id, feed_id))
    by_title: dict[tuple[dt.date, str], list[_Known]] = {}
    wanted = {e.title_key for e in batch if e.title_key}
    for chunk in _chunks(_day_ranges(day for day, _key in wanted)):
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
            key = (published.date(), _title_key(title)) if published is not None else None
            if key in wanted:
                by_title.setdefault(key, []).append(_Known(item_id, feed_id))
    return by_url, by_title


def _store_entries(
    db: Session, feed: Feed, batch: Sequence[_Entry], *, now: dt.datetime,
    result: HarvestResult,
) -> None:  # fmt: skip
    known_ids = _known_entry_ids(db, feed, batch)
    result.skipped += sum(1 for e in batch if e.entry.entry_id in known_ids)
    batch = [e for e in batch if e.entry.entry_id not in known_ids]
    if not batch:
        return
    by_url, by_title = _existing(db, batch)
    sectors = {s.slug: s for s in list_sectors(db)}
    status = "published" if feed.auto_publish else "review"
    new_items: list[IntelItem] = []
    merge_into: dict[int, None] = {}  # item ids, in order, that gain this feed as a source
    mine = _Known(0, feed.id)  # stands for this run's new items, whose ids come at the flush
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
    for chunk in _chunks(item_ids):
        for item in db.scalars(select(IntelItem).where(IntelItem.id.in_(chunk))):
            sources = list(item.also_from or [])
            if feed.name in sources or feed.name == item.source_name:
                result.skipped += 1
                continue
            item.also_from = [*sources, feed.name]  # a new list: JSON columns track assignment
            result.merged += 1


def _new_item(
    feed: Feed,
    prepared: _Entry,
    sectors: dict[str, Sector],
    *,
    status: str,
    now: dt.datetime,
) -> IntelItem | None:
    """An item for this entry, not yet added to the session; None when it is unusable.

    Made by `service.new_imported_item` (what `create_imported_item` stores), without a
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
        language=entry.language,
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


# --- harvesting due feeds, one transaction at a time ---------------------------------------


def due_feed_ids(db: Session, *, now: dt.datetime | None = None) -> list[int]:
    """Enabled feeds whose next harvest time has come (never harvested: at once)."""
    now = now or utcnow()
    return list(
        db.scalars(
            select(Feed.id)
            .where(
                Feed.enabled.is_(True), or_(Feed.next_fetch_at.is_(None), Feed.next_fetch_at <= now)
            )
            .order_by(Feed.next_fetch_at.asc().nulls_first(), Feed.id)
        )
    )


def enabled_feed_ids(db: Session) -> list[int]:
    return list(db.scalars(select(Feed.id).where(Feed.enabled.is_(True)).order_by(Feed.id)))


def _claim(db: Session, feed_id: int, now: dt.datetime, *, force: bool) -> Feed | None:
    """Take this feed's harvest, moving its next time on; None when another took it
    (or, unless forced, when it is not due or not enabled any more)."""
    feed = db.get(Feed, feed_id)
    if feed is None:
        return None
    stmt = update(Feed).where(Feed.id == feed_id)
    if not force:
        stmt = stmt.where(
            Feed.enabled.is_(True), or_(Feed.next_fetch_at.is_(None), Feed.next_fetch_at <= now)
        )
    lease = now + dt.timedelta(minutes=feed.interval_minutes or DEFAULT_INTERVAL)
    claimed = db.execute(
        stmt.values(next_fetch_at=lease).execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not claimed:
        return None
    db.refresh(feed)
    return feed


@dataclass(frozen=True)
class _Claimed:
    """What a fetch needs of a claimed feed, read in the claim's short transaction."""

    feed_id: int
    name: str
    url: str
    etag: str | None
    last_modified: str | None


def _claim_for_fetch(
    factory: sessionmaker[Session], feed_id: int, now: dt.datetime, *, force: bool
) -> _Claimed | None:
    with factory() as db:
        feed = _claim(db, feed_id, now, force=force)
        if feed is None:
            db.rollback()
            return None
        claimed = _Claimed(feed.id, feed.name, feed.url, feed.etag, feed.last_modified)
        db.commit()
    return claimed


def _store_fetched(
    factory: sessionmaker[Session], claimed: _Claimed, fetched: _Fetched, now: dt.datetime
) -> HarvestResult | None:
    """Store one fetch in its own transaction; a failure is rolled back and recorded."""
    with factory() as db:
        try:
            feed = db.get(Feed, claimed.feed_id)
            if feed is None:  # deleted meanwhile
                db.rollback()
                return None
            result = _apply(db, feed, fetched, now)
            db.commit()
            return result
        except Exception as exc:
            db.rollback()
            log.exception("storing the harvest of feed %s failed", claimed.feed_id)
            error = f"{type(exc).__name__}: {exc}"
            feed = db.get(Feed, claimed.feed_id)
            if feed is None:
                return HarvestResult(claimed.feed_id, claimed.name, STATUS_ERROR, error=error)
            failure = _record_failure(feed, now, STATUS_ERROR, error)
            db.commit()
            return failure


def harvest_one(
    factory: sessionmaker[Session],
    feed_id: int,
    *,
    allow_private: bool,
    force: bool = False,
    now: dt.datetime | None = None,
    transport: httpx.BaseTransport | None = None,
    deadline: float = DEFAULT_DEADLINE,
) -> HarvestResult | None:
    """Claim, fetch and parse (outside any transaction), then store one feed.

    None when the feed was not claimed (another harvester has it, or it is not due).
    """
    claimed = _claim_for_fetch(factory, feed_id, now or utcnow(), force=force)
    if claimed is None:
        return None
    fetched = _fetch(claimed.url, claimed.etag, claimed.last_modified,
                     allow_private=allow_private, transport=transport,
                     deadline=deadline)  # fmt: skip
    return _store_fetched(factory, claimed, fetched, now or utcnow())


def _read_in_helper(helper: ProcessPoolExecutor, body: bytes, base_url: str) -> list[_Entry] | str:
    """`_read` in the helper process; here instead if the helper died.

    The helper does not tag: most entries of a feed are usually known already, and
    tagging them all would cost more than it saves (measured: 46 s instead of 16 s for
    a second harvest of the benchmark's 10,000 known entries, under load).
    """
    try:
        return helper.submit(_read, body, base_url).result()
    except Exception as exc:  # BrokenProcessPool, mostly
        log.warning("feed helper process failed (%r); parsing in-process", exc)
        return _read(body, base_url)


@dataclass(frozen=True)
class _InFlight:
    claimed: _Claimed
    future: Future[_Fetched]
    started: float  # time.monotonic()


def _next_ready(in_flight: deque[_InFlight]) -> _InFlight:
    """The next fetch to store: the oldest, unless it has been running for
    IN_ORDER_PATIENCE while a later one is done (then the first such). Blocks."""
    while True:
        head = in_flight[0]
        if head.future.done():
            return head
        later = next((f for f in in_flight if f.future.done()), None)
        patience = head.started + IN_ORDER_PATIENCE - time.monotonic()
        if later is not None and patience <= 0:
            return later
        if later is not None:
            wait([head.future], timeout=patience)
        else:
            wait([f.future for f in in_flight], return_when=FIRST_COMPLETED)


def _harvest_side_by_side(
    factory: sessionmaker[Session],
    feed_ids: Sequence[int],
    *,
    allow_private: bool,
    force: bool,
    now: dt.datetime | None,
    transport: httpx.BaseTransport | None,
    deadline: float,
    concurrency: int,
    helper: bool,
) -> Iterator[HarvestResult]:
    """Fetch up to `concurrency` feeds at once in threads, store them here one by one.

    Each fetch has its own deadline, so a slow or hostile server holds up its own
    feed and no other. Claims and stores stay in this thread (one database writer;
    the session factory may be bound to one connection). With `helper`, a helper
    process parses what the threads fetched: parsing is most of a harvest's work and
    CPU-bound, so on two cores this nearly halves a harvest of many feeds. The helper
    never touches the network or the database.
    """
    remaining = iter(feed_ids)
    in_flight: deque[_InFlight] = deque()
    with ExitStack() as stack:
        threads = stack.enter_context(
            ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="harvest")
        )
        read: Callable[[bytes, str], list[_Entry] | str] = _read
        if helper:
            spawn = multiprocessing.get_context("spawn")  # no fork of a threaded process
            parser = stack.enter_context(ProcessPoolExecutor(max_workers=1, mp_context=spawn))
            read = partial(_read_in_helper, parser)

        def fill() -> None:
            # Every fetch in flight has a thread: none waits in the pool's queue, so
            # `started` is when its deadline began.
            while len(in_flight) < concurrency:
                claimed = next(
                    (c for feed_id in remaining
                     if (c := _claim_for_fetch(factory, feed_id, now or utcnow(),
                                               force=force)) is not None),
                    None,
                )  # fmt: skip
                if claimed is None:
                    return
                future = threads.submit(
                    _fetch, claimed.url, claimed.etag, claimed.last_modified,
                    allow_private=allow_private, transport=transport, deadline=deadline,
                    read=read,
                )  # fmt: skip
                in_flight.append(_InFlight(claimed, future, time.monotonic()))

        try:
            fill()
            while in_flight:
                ready = _next_ready(in_flight)
                in_flight.remove(ready)
                fill()  # the next fetch runs while this one is stored
                try:
                    fetched = ready.future.result()
                except Exception as exc:  # _fetch catches everything; this is a last guard
                    log.exception("fetching feed %s failed", ready.claimed.feed_id)
                    fetched = _Fetched(None, STATUS_ERROR, f"{type(exc).__name__}: {exc}")
                result = _store_fetched(factory, ready.claimed, fetched, now or utcnow())
                if result is not None:
                    yield result
        finally:
            for waiting in in_flight:
                waiting.future.cancel()


def harvest_due(
    factory: sessionmaker[Session],
    *,
    feed_ids: Sequence[int] | None = None,
    force: bool = False,
    allow_private: bool | None = None,
    now: dt.datetime | None = None,
    transport: httpx.BaseTransport | None = None,
    on_result: Callable[[HarvestResult], None] | None = None,
    parallel: bool = True,
    deadline: float = DEFAULT_DEADLINE,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[HarvestResult]:
    """Harvest the due feeds (or `feed_ids`; `force` ignores due times and `enabled`).

    Each feed has its own transactions; a failing feed is recorded and the others go
    on. `allow_private` defaults to FORUM_ALLOW_PRIVATE_FEEDS. Each fetch gives up
    after `deadline` seconds (FORUM_FETCH_DEADLINE) and up to `concurrency` feeds
    (FORUM_HARVEST_CONCURRENCY) are fetched at once, so a slow feed delays the others
    by nothing (or, when `concurrency` slow ones fill every place, by one deadline).
    From PARALLEL_MIN_FEEDS feeds on (unless `parallel` is False or a test transport is
    given), a helper process parses them. `on_result` is called as each feed is stored.
    """
    allow = private_feeds_allowed() if allow_private is None else allow_private
    if feed_ids is None:
        with factory() as db:
            feed_ids = due_feed_ids(db, now=now)
            db.rollback()
    results: list[HarvestResult] = []
    if len(feed_ids) > 1:
        helper = parallel and transport is None and len(feed_ids) >= PARALLEL_MIN_FEEDS
        harvested: Iterable[HarvestResult] = _harvest_side_by_side(
            factory, feed_ids, allow_private=allow, force=force, now=now, transport=transport,
            deadline=deadline, concurrency=max(1, concurrency), helper=helper,
        )  # fmt: skip
    else:
        harvested = (
            result
            for feed_id in feed_ids
            if (result := harvest_one(factory, feed_id, allow_private=allow, force=force,
                                      now=now, transport=transport,
                                      deadline=deadline)) is not None
        )  # fmt: skip
    for result in harvested:
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def recent_items(db: Session, feed: Feed, *, limit: int = 10) -> list[IntelItem]:
    """The feed's latest items, newest first (the admin page shows them)."""
    return list(
        db.scalars(
            select(IntelItem)
            .where(IntelItem.feed_id == feed.id)
            .options(selectinload(IntelItem.sectors))
            .order_by(IntelItem.added_at.desc(), IntelItem.id.desc())
            .limit(limit)
        )
    )
