"""What happened in a digest's window, read once and shared by every member's digest:
the candidates for its entries, indexed by what members follow (`news.load_candidates`
reads them)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from forum.taxonomy.models import localised_name

DEADLINE_KINDS = ("funding_call", "tender")
DEADLINE_DAYS = 14
EVENT_DAYS = 60


def _at_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


@dataclass(frozen=True)
class IntelCandidate:
    id: int
    title: str
    kind: str
    countries: frozenset[str]
    sectors: frozenset[str]  # slugs
    is_global: bool
    author_id: int | None
    added_at: dt.datetime
    deadline: dt.datetime | None
    excerpt: str
    # The date its search document carries (the source's publication date, if known).
    search_date: dt.datetime
    # Tagged with few countries and sectors (IntelItem.specific): listed before broad items.
    specific: bool


@dataclass(frozen=True)
class ThreadCandidate:
    id: int
    title: str
    kind: str
    category: str  # slug
    countries: frozenset[str]
    sectors: frozenset[str]
    partnership_id: int | None
    partnership_name: str | None
    author_id: int | None
    created_at: dt.datetime
    excerpt: str

    @property
    def search_date(self) -> dt.datetime:
        return self.created_at


@dataclass(frozen=True)
class ReplyCandidate:
    id: int
    thread_id: int
    author_id: int | None
    author_name: str  # "" for a former member (named in the reader's language)
    created_at: dt.datetime
    excerpt: str

    @property
    def search_date(self) -> dt.datetime:
        return self.created_at


@dataclass(frozen=True)
class EventCandidate:
    id: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    # The event's own wording of its dates and place, if any (else the dates, the city
    # and the country's name are written for each member, in their language).
    date_text: str
    location: str
    city: str
    country: str | None
    sectors: frozenset[str]
    partnership_ids: frozenset[int]
    partnerships_going: tuple[str, ...]  # names, sorted
    members_going: int
    created_at: dt.datetime

    @property
    def search_date(self) -> dt.datetime:
        """An event's search document is dated by its first day (forum.discovery.documents)."""
        return _at_midnight(self.starts_on)


@dataclass
class Candidates:
    """What happened in a window, read once and shared by every member's digest.

    Indexed by country, sector, category, thread and partnership, so picking one
    member's entries is set lookups in memory. A member's window may be narrower than
    this one: `build_digest` keeps the entries inside it.
    """

    window_start: dt.datetime
    window_end: dt.datetime
    now: dt.datetime
    intel: list[IntelCandidate]
    deadlines: list[IntelCandidate]
    threads: list[ThreadCandidate]
    replies: dict[int, list[ReplyCandidate]]  # thread id -> replies, newest first
    # The threads started or replied to in the window, by id.
    reply_threads: dict[int, ThreadCandidate]
    events: list[EventCandidate]
    follower_counts: dict[tuple[str, str], int]
    # Each sector's English name and its names in other languages, by slug.
    sector_names: dict[str, tuple[str, dict[str, str]]]
    category_names: dict[str, str]
    partnership_names: dict[int, str]
    intel_by_country: dict[str, list[IntelCandidate]] = field(default_factory=dict)
    intel_by_sector: dict[str, list[IntelCandidate]] = field(default_factory=dict)
    intel_global: list[IntelCandidate] = field(default_factory=list)
    deadlines_by_country: dict[str, list[IntelCandidate]] = field(default_factory=dict)
    deadlines_by_sector: dict[str, list[IntelCandidate]] = field(default_factory=dict)
    deadlines_global: list[IntelCandidate] = field(default_factory=list)
    practices_by_country: dict[str, list[ThreadCandidate]] = field(default_factory=dict)
    practices_by_sector: dict[str, list[ThreadCandidate]] = field(default_factory=dict)
    practices_by_category: dict[str, list[ThreadCandidate]] = field(default_factory=dict)
    practices_by_partnership: dict[int, list[ThreadCandidate]] = field(default_factory=dict)
    events_by_country: dict[str, list[EventCandidate]] = field(default_factory=dict)
    events_by_sector: dict[str, list[EventCandidate]] = field(default_factory=dict)
    events_by_partnership: dict[int, list[EventCandidate]] = field(default_factory=dict)
    _by_followers: list[IntelCandidate] | None = field(default=None, repr=False)
    # Set when the search engine failed while a digest of these candidates was built:
    # the next ones leave their saved searches out without waiting on it again.
    search_unavailable: bool = False
    # What the builders worked out once from these candidates and share, member to
    # member: the pools' bit sets (`pools.py`), the entries as each language and time
    # zone writes them (`member_view.py`). Nothing in it is about one member.
    shared: dict[Any, Any] = field(default_factory=dict, repr=False)

    def sector_label(self, slug: str) -> str:
        """The sector's name in the language the digest is written in (else English)."""
        if slug not in self.sector_names:
            return slug
        return localised_name(*self.sector_names[slug])

    def intel_by_followers(self) -> list[IntelCandidate]:
        """The new items, specific ones first, then those whose countries and sectors most
        members follow first (the highlights of members who follow nothing); sorted once,
        then kept."""
        if self._by_followers is None:
            counts = self.follower_counts

            def score(item: IntelCandidate) -> int:
                return sum(counts.get(("country", c), 0) for c in item.countries) + sum(
                    counts.get(("sector", s), 0) for s in item.sectors
                )

            self._by_followers = sorted(
                self.intel,
                key=lambda i: (i.specific, score(i), i.added_at, i.id),
                reverse=True,
            )
        return self._by_followers

    def __post_init__(self) -> None:
        def by(rows: Iterable[tuple[object, object]]) -> dict:  # type: ignore[type-arg]
            out: dict = defaultdict(list)  # type: ignore[type-arg]
            for key, row in rows:
                out[key].append(row)
            return dict(out)

        self.intel_by_country = by((c, i) for i in self.intel for c in i.countries)
        self.intel_by_sector = by((s, i) for i in self.intel for s in i.sectors)
        self.intel_global = [i for i in self.intel if i.is_global]
        self.deadlines_by_country = by((c, i) for i in self.deadlines for c in i.countries)
        self.deadlines_by_sector = by((s, i) for i in self.deadlines for s in i.sectors)
        self.deadlines_global = [i for i in self.deadlines if i.is_global]
        practices = [t for t in self.threads if t.kind == "good_practice"]
        self.practices_by_country = by((c, t) for t in practices for c in t.countries)
        self.practices_by_sector = by((s, t) for t in practices for s in t.sectors)
        self.practices_by_category = by((t.category, t) for t in practices)
        self.practices_by_partnership = by(
            (t.partnership_id, t) for t in practices if t.partnership_id is not None
        )
        self.events_by_country = by((e.country, e) for e in self.events if e.country)
        self.events_by_sector = by((s, e) for e in self.events for s in e.sectors)
        self.events_by_partnership = by((p, e) for e in self.events for p in e.partnership_ids)
