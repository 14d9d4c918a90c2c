"""What goes into a member's digest: the sections, their entries and the subject line.

`load_candidates` reads what happened in a window once per planner run (a bounded
number of queries, however many members), indexed by country, sector, category, thread
and partnership; `build_digest` then picks a member's entries from those indexes in
memory. A member's own follows, saved searches and unread notifications are the only
per-member reads, and `load_member_interests` reads them for a whole batch at once.

Only what any member may see goes in: published intelligence, threads and replies that
are not hidden or deleted (members-only categories included: every recipient is a
member), and never the member's own contributions.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlencode

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.digests import tokens
from forum.discovery.documents import html_text
from forum.discovery.models import SavedSearch
from forum.discussions.models import (
    Category,
    GoodPractice,
    Post,
    Thread,
    ThreadCountry,
    thread_sector,
)
from forum.events.dates import format_range
from forum.events.models import Attendance, Event, EventPartnership, event_sector
from forum.intelligence.models import KIND_LABELS as INTEL_KIND_LABELS
from forum.intelligence.models import IntelCountry, IntelItem, intel_sector
from forum.notifications.models import Follow, Notification
from forum.partnerships.models import Partnership
from forum.taxonomy.models import Sector
from forum.taxonomy.regions import UnknownCountryError, expand_codes, get_region_group
from forum.taxonomy.service import get_country
from search.query import parse_query

T = TypeVar("T")

SECTION_CAP = 8
EXCERPT_CHARS = 200
DEADLINE_DAYS = 14
EVENT_DAYS = 30
FOLLOW_LINKS_CAP = 4
DEADLINE_KINDS = ("funding_call", "tender")
NOTIFICATION_KINDS = ("reply", "mention")

SECTION_TITLES = {
    "intel": "New intelligence for your follows",
    "good_practices": "New good practices",
    "threads": "Threads you follow with new replies",
    "saved_searches": "New matches of your saved searches",
    "deadlines": "Calls and tenders closing within 14 days",
    "events": "Upcoming events in your countries and sectors",
    "replies": "Replies and mentions you have not read",
    "highlights": "This week's highlights",
}

# The subject names the news in this order (the sections read in SECTION_TITLES' order).
SUBJECT_ORDER = ("intel", "highlights", "good_practices", "events", "deadlines", "replies",
                 "threads", "saved_searches")  # fmt: skip


# --- what a digest is -------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    title: str
    url: str  # absolute
    meta: str = ""  # one line: "Japan · Food industry · 3 Dec 2026"
    excerpt: str = ""  # plain text, at most EXCERPT_CHARS


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    entries: list[Entry]  # at most SECTION_CAP
    more: int = 0  # how many beyond the entries shown
    more_url: str | None = None  # absolute: the page listing all of them
    # (label, absolute URL of a confirm page whose button POSTs): "Mute Japan".
    follow_links: tuple[tuple[str, str], ...] = ()
    # The section's part of the subject line ("3 new on Japan and Food industry").
    summary: str = ""

    @property
    def total(self) -> int:
        return len(self.entries) + self.more


@dataclass
class Digest:
    user_id: int
    period: dt.date
    window_start: dt.datetime
    window_end: dt.datetime
    sections: list[Section]
    # True: the member follows nothing, and the sections are the platform's highlights.
    highlights: bool = False

    @property
    def is_empty(self) -> bool:
        return not any(section.entries for section in self.sections)

    @property
    def subject(self) -> str:
        """What is inside, in SUBJECT_ORDER, in at most about 200 characters."""
        order = {key: i for i, key in enumerate(SUBJECT_ORDER)}
        ranked = sorted(self.sections, key=lambda s: order.get(s.key, len(order)))
        parts = [s.summary for s in ranked if s.entries and s.summary]
        if not parts:
            return "Your Cluster Forum digest"
        if self.highlights:
            parts.insert(0, "New on Cluster Forum")
        subject = parts[0]
        for part in parts[1:]:
            if len(subject) + len(part) + 3 > 200:
                break
            subject += " · " + part
        return subject

    def counts(self) -> dict[str, int]:
        """Per section key: how many entries it has, those beyond the cap included."""
        return {s.key: s.total for s in self.sections}


# --- what happened in a window -------------------------------------------------------------


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
    text: str  # lower-cased words a saved search may match


@dataclass(frozen=True)
class ThreadCandidate:
    id: int
    title: str
    kind: str
    category: str  # slug
    members_only: bool
    countries: frozenset[str]
    sectors: frozenset[str]
    partnership_id: int | None
    partnership_name: str | None
    author_id: int | None
    created_at: dt.datetime
    excerpt: str
    text: str


@dataclass(frozen=True)
class ReplyCandidate:
    id: int
    thread_id: int
    author_id: int | None
    author_name: str
    created_at: dt.datetime
    excerpt: str
    text: str


@dataclass(frozen=True)
class EventCandidate:
    id: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    when: str
    place: str
    country: str | None
    sectors: frozenset[str]
    partnership_ids: frozenset[int]
    partnerships_going: tuple[str, ...]  # names, sorted
    members_going: int
    created_at: dt.datetime
    text: str


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
    sector_names: dict[str, str]
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

    def intel_by_followers(self) -> list[IntelCandidate]:
        """The new items, those whose countries and sectors most members follow first
        (the highlights of members who follow nothing); sorted once, then kept."""
        if self._by_followers is None:
            counts = self.follower_counts

            def score(item: IntelCandidate) -> int:
                return sum(counts.get(("country", c), 0) for c in item.countries) + sum(
                    counts.get(("sector", s), 0) for s in item.sectors
                )

            self._by_followers = sorted(
                self.intel, key=lambda i: (score(i), i.added_at, i.id), reverse=True
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


def _excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"


def _words(*parts: str | None) -> str:
    return " ".join(" ".join(p.split()) for p in parts if p).casefold()


def _tags(db: Session, stmt: object) -> dict[int, set[str]]:
    out: dict[int, set[str]] = defaultdict(set)
    for owner, value in db.execute(stmt):  # type: ignore[call-overload]
        out[owner].add(value)
    return out


def _country_names(codes: Iterable[str]) -> str:
    names = []
    for code in codes:
        country = get_country(code)
        names.append(country.name if country else code)
    return " ".join(names)


def load_candidates(
    db: Session, *, window_start: dt.datetime, window_end: dt.datetime, now: dt.datetime
) -> Candidates:
    """Everything any digest of this window may hold, in a fixed number of queries.

    New intelligence is what was added and published in the window; new threads and
    replies were written in it; calls and tenders close between `now` and 14 days on;
    events run some day between `now`'s date and 30 days on.
    """
    sector_names = {slug: name for slug, name in db.execute(select(Sector.slug, Sector.name))}
    sector_slug = {sid: slug for sid, slug in db.execute(select(Sector.id, Sector.slug))}
    categories = list(
        db.execute(select(Category.id, Category.slug, Category.name, Category.visibility))
    )
    category_names = {slug: name for _, slug, name, _ in categories}
    category_of = {cid: (slug, visibility == "members") for cid, slug, _, visibility in categories}
    partnership_names = {
        pid: name for pid, name in db.execute(select(Partnership.id, Partnership.name))
    }

    # Intelligence: new in the window, and calls or tenders closing soon.
    new_intel = and_(
        IntelItem.status == "published",
        IntelItem.added_at >= window_start,
        IntelItem.added_at < window_end,
    )
    closing = and_(
        IntelItem.status == "published",
        IntelItem.kind.in_(DEADLINE_KINDS),
        IntelItem.deadline >= now,
        IntelItem.deadline <= now + dt.timedelta(days=DEADLINE_DAYS),
    )
    wanted = or_(new_intel, closing)
    ids = select(IntelItem.id).where(wanted)
    intel_countries = _tags(
        db,
        select(IntelCountry.item_id, IntelCountry.country_code).where(
            IntelCountry.item_id.in_(ids)
        ),
    )
    intel_sectors = _tags(
        db,
        select(intel_sector.c.item_id, Sector.slug)
        .join(Sector, Sector.id == intel_sector.c.sector_id)
        .where(intel_sector.c.item_id.in_(ids)),
    )
    intel: list[IntelCandidate] = []
    deadlines: list[IntelCandidate] = []
    rows = db.execute(
        select(
            IntelItem.id, IntelItem.title, IntelItem.kind, IntelItem.is_global,
            IntelItem.author_id, IntelItem.added_at, IntelItem.deadline,
            func.substr(IntelItem.summary, 1, 1000), func.substr(IntelItem.body, 1, 1000),
        )
        .where(wanted)
        .order_by(IntelItem.added_at.desc(), IntelItem.id.desc())
    )  # fmt: skip
    for item_id, title, kind, is_global, author_id, added_at, deadline, summary, body in rows:
        countries = frozenset(intel_countries.get(item_id, ()))
        slugs = frozenset(intel_sectors.get(item_id, ()))
        candidate = IntelCandidate(
            id=item_id, title=title, kind=kind, countries=countries, sectors=slugs,
            is_global=bool(is_global), author_id=author_id, added_at=added_at,
            deadline=deadline, excerpt=_excerpt(summary or body or ""),
            text=_words(title, summary, body, _country_names(countries),
                        " ".join(sector_names.get(s, s) for s in slugs)),
        )  # fmt: skip
        if window_start <= added_at < window_end:
            intel.append(candidate)
        if (
            kind in DEADLINE_KINDS
            and deadline is not None
            and now <= deadline <= now + dt.timedelta(days=DEADLINE_DAYS)
        ):
            deadlines.append(candidate)
    deadlines.sort(key=lambda i: (i.deadline, i.id))

    # Threads started in the window, and the replies written in it.
    visible_thread = Thread.hidden_at.is_(None)
    new_thread = and_(
        visible_thread, Thread.created_at >= window_start, Thread.created_at < window_end
    )
    new_reply = and_(
        Post.created_at >= window_start,
        Post.created_at < window_end,
        Post.is_opening.is_(False),
        Post.hidden_at.is_(None),
        Post.deleted_at.is_(None),
    )
    replied_ids = (
        select(Post.thread_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(new_reply, visible_thread)
    )
    thread_wanted = or_(new_thread, and_(visible_thread, Thread.id.in_(replied_ids)))
    thread_ids = select(Thread.id).where(thread_wanted)
    thread_countries = _tags(
        db,
        select(ThreadCountry.thread_id, ThreadCountry.country_code).where(
            ThreadCountry.thread_id.in_(thread_ids)
        ),
    )
    thread_sectors: dict[int, set[str]] = defaultdict(set)
    for thread_id, sector_id in db.execute(
        select(thread_sector.c.thread_id, thread_sector.c.sector_id).where(
            thread_sector.c.thread_id.in_(thread_ids)
        )
    ):
        thread_sectors[thread_id].add(sector_slug[sector_id])
    openings: dict[int, str] = {
        thread_id: body
        for thread_id, body in db.execute(
            select(Post.thread_id, func.substr(Post.body_html, 1, 3000)).where(
                Post.is_opening.is_(True),
                Post.thread_id.in_(select(Thread.id).where(new_thread)),
            )
        )
    }
    # A good practice's opening post may be empty: its structured fields say what it is.
    practices: dict[int, str] = {
        thread_id: " ".join(part or "" for part in parts)
        for thread_id, *parts in db.execute(
            select(
                GoodPractice.thread_id,
                func.substr(GoodPractice.approach_html, 1, 2000),
                func.substr(GoodPractice.results_html, 1, 1000),
            ).where(GoodPractice.thread_id.in_(select(Thread.id).where(new_thread)))
        )
    }
    threads: list[ThreadCandidate] = []
    reply_threads: dict[int, ThreadCandidate] = {}
    rows = db.execute(
        select(
            Thread.id, Thread.title, Thread.kind, Thread.category_id, Thread.partnership_id,
            Thread.author_id, Thread.created_at,
        )
        .where(thread_wanted)
        .order_by(Thread.created_at.desc(), Thread.id.desc())
    )  # fmt: skip
    for thread_id, title, kind, category_id, partnership_id, author_id, created_at in rows:
        category, members_only = category_of.get(category_id, ("", True))
        countries = frozenset(thread_countries.get(thread_id, ()))
        slugs = frozenset(thread_sectors.get(thread_id, ()))
        opening = html_text(openings.get(thread_id) or "")
        if thread_id in practices:
            opening = f"{opening} {html_text(practices[thread_id])}".strip()
        thread_candidate = ThreadCandidate(
            id=thread_id, title=title, kind=kind, category=category, members_only=members_only,
            countries=countries, sectors=slugs, partnership_id=partnership_id,
            partnership_name=partnership_names.get(partnership_id) if partnership_id else None,
            author_id=author_id, created_at=created_at, excerpt=_excerpt(opening),
            text=_words(title, opening, _country_names(countries),
                        " ".join(sector_names.get(s, s) for s in slugs)),
        )  # fmt: skip
        if window_start <= created_at < window_end:
            threads.append(thread_candidate)
        reply_threads[thread_id] = thread_candidate
    replies: dict[int, list[ReplyCandidate]] = defaultdict(list)
    rows = db.execute(
        select(
            Post.id, Post.thread_id, Post.author_id, User.name, Post.created_at,
            func.substr(Post.body_html, 1, 2000),
        )
        .join(Thread, Thread.id == Post.thread_id)
        .outerjoin(User, User.id == Post.author_id)
        .where(new_reply, visible_thread)
        .order_by(Post.created_at.desc(), Post.id.desc())
    )  # fmt: skip
    for post_id, thread_id, author_id, author_name, created_at, body_html in rows:
        text = html_text(body_html or "")
        replies[thread_id].append(
            ReplyCandidate(
                id=post_id, thread_id=thread_id, author_id=author_id,
                author_name=author_name or "Former member", created_at=created_at,
                excerpt=_excerpt(text), text=_words(text),
            )
        )  # fmt: skip

    # Events some day of which falls in the next 30 days, with who is going.
    today = now.date()
    horizon = today + dt.timedelta(days=EVENT_DAYS)
    upcoming = and_(
        Event.starts_on.is_not(None),
        Event.starts_on <= horizon,
        func.coalesce(Event.ends_on, Event.starts_on) >= today,
    )
    event_ids = select(Event.id).where(upcoming)
    event_sectors = _tags(
        db,
        select(event_sector.c.event_id, Sector.slug)
        .join(Sector, Sector.id == event_sector.c.sector_id)
        .where(event_sector.c.event_id.in_(event_ids)),
    )
    going: dict[int, set[int]] = defaultdict(set)
    for event_id, partnership_id in db.execute(
        select(EventPartnership.event_id, EventPartnership.partnership_id).where(
            EventPartnership.event_id.in_(event_ids)
        )
    ):
        going[event_id].add(partnership_id)
    members_going: Counter[int] = Counter()
    for event_id, partnership_id, user_id in db.execute(
        select(Attendance.event_id, Attendance.partnership_id, Attendance.user_id)
        .outerjoin(User, User.id == Attendance.user_id)
        .where(
            Attendance.event_id.in_(event_ids),
            Attendance.status == "going",
            or_(Attendance.user_id.is_(None), User.suspended_at.is_(None)),
        )
    ):
        if partnership_id is not None:
            going[event_id].add(partnership_id)
        elif user_id is not None:
            members_going[event_id] += 1
    events: list[EventCandidate] = []
    rows = db.execute(
        select(
            Event.id, Event.name, Event.starts_on, Event.ends_on, Event.date_text, Event.city,
            Event.country_code, Event.location_text, Event.created_at,
            func.substr(Event.description, 1, 1000),
        )
        .where(upcoming)
        .order_by(Event.starts_on, Event.id)
    )  # fmt: skip
    for (
        event_id,
        name,
        starts_on,
        ends_on,
        date_text,
        city,
        country,
        location,
        created_at,
        desc,
    ) in rows:
        names = tuple(
            sorted(
                (partnership_names.get(p, "") for p in going.get(event_id, ())), key=str.casefold
            )
        )
        country_obj = get_country(country) if country else None
        place = location or ", ".join(
            p for p in (city, country_obj.name if country_obj else country) if p
        )
        slugs = frozenset(event_sectors.get(event_id, ()))
        events.append(
            EventCandidate(
                id=event_id, name=name, starts_on=starts_on, ends_on=ends_on or starts_on,
                when=date_text or format_range(starts_on, ends_on), place=place,
                country=country, sectors=slugs,
                partnership_ids=frozenset(going.get(event_id, ())), partnerships_going=names,
                members_going=members_going[event_id], created_at=created_at,
                text=_words(name, desc, place, " ".join(sector_names.get(s, s) for s in slugs)),
            )
        )  # fmt: skip

    # How many members follow each country (a region group counts for its members) and
    # sector: what the highlights rank by.
    follower_counts: Counter[tuple[str, str]] = Counter()
    for kind, target, count in db.execute(
        select(Follow.target_type, Follow.target, func.count())
        .where(Follow.target_type.in_(("country", "region_group", "sector")))
        .group_by(Follow.target_type, Follow.target)
    ):
        if kind == "region_group":
            try:
                codes = expand_codes([target])
            except UnknownCountryError:
                continue
            follower_counts.update({("country", code): count for code in codes})
        else:
            follower_counts[(kind, target)] += count
    return Candidates(
        window_start=window_start,
        window_end=window_end,
        now=now,
        intel=intel,
        deadlines=deadlines,
        threads=threads,
        replies=dict(replies),
        reply_threads=reply_threads,
        events=events,
        follower_counts=dict(follower_counts),
        sector_names=sector_names,
        category_names=category_names,
        partnership_names=partnership_names,
    )


# --- one member's interests ------------------------------------------------------------------


@dataclass(frozen=True)
class UnreadNote:
    id: int
    kind: str
    text: str
    url: str
    created_at: dt.datetime


@dataclass
class MemberInterests:
    """A member's follows (by target type), saved searches (name, query) and unread notes."""

    follows: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    saved_searches: list[tuple[int, str, str]] = field(default_factory=list)
    unread: list[UnreadNote] = field(default_factory=list)

    @property
    def follows_nothing(self) -> bool:
        return not any(self.follows.values()) and not self.saved_searches


def load_member_interests(
    db: Session, user_ids: Sequence[int], *, since: dt.datetime | None = None
) -> dict[int, MemberInterests]:
    """The interests of several members in three queries (every id has an entry).

    Unread notifications are replies and mentions created at or after `since`, on posts
    and threads that are still visible.
    """
    out = {user_id: MemberInterests() for user_id in user_ids}
    if not out:
        return out
    ids = list(out)
    for user_id, kind, target in db.execute(
        select(Follow.user_id, Follow.target_type, Follow.target).where(Follow.user_id.in_(ids))
    ):
        out[user_id].follows[kind].add(target)
    for user_id, saved_id, name, query in db.execute(
        select(SavedSearch.user_id, SavedSearch.id, SavedSearch.name, SavedSearch.query)
        .where(SavedSearch.user_id.in_(ids))
        .order_by(SavedSearch.id)
    ):
        out[user_id].saved_searches.append((saved_id, name, query))
    notes = (
        select(
            Notification.user_id, Notification.id, Notification.kind, Notification.text,
            Notification.url, Notification.created_at,
        )
        .outerjoin(Post, Post.id == Notification.post_id)
        .outerjoin(Thread, Thread.id == Notification.thread_id)
        .where(
            Notification.user_id.in_(ids),
            Notification.read_at.is_(None),
            Notification.kind.in_(NOTIFICATION_KINDS),
            Post.hidden_at.is_(None),
            Post.deleted_at.is_(None),
            Thread.hidden_at.is_(None),
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )  # fmt: skip
    if since is not None:
        notes = notes.where(Notification.created_at >= since)
    for user_id, note_id, kind, text, url, created_at in db.execute(notes):
        out[user_id].unread.append(UnreadNote(note_id, kind, text, url, created_at))
    return out


# --- saved searches, matched in memory ------------------------------------------------------


_WORD_EDGES = "\"'.,;:!?()[]{}«»“”‘’"


@dataclass(frozen=True)
class SavedSearchMatcher:
    """A saved search's filters and words, matched against the window's candidates.

    Matching here rather than in the search engine keeps a digest independent of the
    engine (it is built even while the engine is down) and costs no query. Words match
    as parts of the title, text and tag names, all of them required, as the search page
    requires every word.
    """

    words: tuple[str, ...]
    countries: frozenset[str]
    sectors: frozenset[str]
    kinds: frozenset[str]
    subkinds: frozenset[str]
    categories: frozenset[str]
    date_from: dt.datetime | None
    date_to: dt.datetime | None

    @classmethod
    def of(cls, query_string: str) -> SavedSearchMatcher | None:
        """The matcher of a saved search's query string, or None when it is not valid."""
        from forum.discovery.saved import params_of
        from forum.discovery.service import SearchInputError

        try:
            params = params_of(query_string)
        except SearchInputError:
            return None
        parsed = parse_query(params.q)
        try:
            countries = frozenset(expand_codes([*params.countries, *parsed.countries]))
        except UnknownCountryError:
            return None
        start = params.date_from or parsed.after
        end = params.date_to + dt.timedelta(days=1) if params.date_to else parsed.before
        words = tuple(
            w for w in (raw.strip(_WORD_EDGES) for raw in parsed.text.casefold().split()) if w
        )
        matcher = cls(
            words=words,
            countries=countries,
            sectors=frozenset([*params.sectors, *parsed.sectors]),
            kinds=frozenset([*params.kinds, *parsed.kinds]),
            subkinds=frozenset([*params.subkinds, *parsed.subkinds]),
            categories=frozenset([*params.categories, *parsed.categories]),
            date_from=dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC) if start else None,
            date_to=dt.datetime.combine(end, dt.time(), tzinfo=dt.UTC) if end else None,
        )
        empty = not (words or countries or matcher.sectors or matcher.kinds or matcher.subkinds
                     or matcher.categories)  # fmt: skip
        return None if empty else matcher

    def matches(
        self, kind: str, subkind: str | None, countries: frozenset[str], sectors: frozenset[str],
        category: str | None, text: str, when: dt.datetime,
    ) -> bool:  # fmt: skip
        if self.kinds and kind not in self.kinds:
            return False
        if self.subkinds and subkind not in self.subkinds:
            return False
        if self.categories and category not in self.categories:
            return False
        if self.countries and not self.countries & countries:
            return False
        if self.sectors and not self.sectors & sectors:
            return False
        if self.date_from is not None and when < self.date_from:
            return False
        if self.date_to is not None and when >= self.date_to:
            return False
        return all(word in text for word in self.words)


# --- building one member's digest -------------------------------------------------------------


def _day(moment: dt.date | dt.datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def _in_days(days: int, *, verb: str = "") -> str:
    prefix = f"{verb} " if verb else ""
    if days <= 0:
        return f"{prefix}today"
    if days == 1:
        return f"{prefix}tomorrow"
    return f"{prefix}in {days} days"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _label(target_type: str, target: str, candidates: Candidates) -> str:
    if target_type == "region_group":
        group = get_region_group(target)
        return group.name if group else target
    if target_type == "country":
        country = get_country(target)
        return country.name if country else target
    if target_type == "sector":
        return candidates.sector_names.get(target, target)
    if target_type == "category":
        return candidates.category_names.get(target, target)
    if target_type == "partnership":
        try:
            return candidates.partnership_names.get(int(target), target)
        except ValueError:
            return target
    return target


def _and(labels: Sequence[str]) -> str:
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


class _Builder:
    """One member's digest from shared candidates: every lookup is in memory."""

    def __init__(
        self,
        settings: Settings,
        user: User,
        candidates: Candidates,
        interests: MemberInterests,
        *,
        window_start: dt.datetime,
        window_end: dt.datetime,
        now: dt.datetime,
    ) -> None:
        self.settings = settings
        self.base = settings.base_url.rstrip("/")
        self.user = user
        self.c = candidates
        self.interests = interests
        self.start = window_start
        self.end = window_end
        self.now = now
        follows = interests.follows
        # Followed country (ISO) -> the follow it comes from: ("country", "JP") or a group.
        self.country_source: dict[str, tuple[str, str]] = {}
        # The followed countries and groups as list pages take them ("JP", "g:asean").
        self.country_filter: list[str] = []
        for kind in ("country", "region_group"):
            for code in sorted(follows.get(kind, ())):
                try:
                    members = expand_codes([code])
                except UnknownCountryError:
                    continue  # a follow of a code the taxonomy no longer knows
                self.country_filter.append(code)
                for member in members:
                    self.country_source.setdefault(member, (kind, code))
        self.sectors = set(follows.get("sector", ()))
        self.categories = set(follows.get("category", ()))
        self.threads = {int(t) for t in follows.get("thread", ()) if t.isdigit()}
        self.partnerships = {int(p) for p in follows.get("partnership", ()) if p.isdigit()}

    # -- helpers

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base + (path if path.startswith("/") else "/" + path)

    def in_window(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end

    def mine(self, author_id: int | None) -> bool:
        return author_id is not None and author_id == self.user.id

    def may_see(self, thread: ThreadCandidate) -> bool:
        # Members-only categories are for signed-in members, which every recipient is.
        return not thread.members_only or self.user.id is not None

    def interest_link(self, action: str, target_type: str, target: str) -> tuple[str, str]:
        label = _label(target_type, target, self.c)
        token = tokens.interest_token(
            self.settings.secret_key or "", self.user.id, action, target_type, target
        )
        verb = "Follow" if action == "follow" else "Mute"
        return f"{verb} {label}", self.url(f"/digests/interest/{token}")

    def tags_line(
        self, countries: Iterable[str], sectors: Iterable[str], *, is_global: bool = False
    ) -> tuple[str, str]:
        """("Japan, Korea", "Food industry") for an entry's meta line, shortened past a few."""
        names = sorted(
            (country.name if (country := get_country(code)) else code) for code in countries
        )
        if len(names) > 3:
            names = [*names[:3], f"+{len(names) - 3}"]
        if is_global:
            names.append("Global")
        slugs = sorted(self.c.sector_names.get(s, s) for s in sectors)
        if len(slugs) > 2:
            slugs = [*slugs[:2], f"+{len(slugs) - 2}"]
        return ", ".join(names), ", ".join(slugs)

    def section(
        self, key: str, rows: Sequence[T], make: Callable[[T], Entry], *,
        more_url: str | None = None, follow_links: Sequence[tuple[str, str]] = (),
        summary: str = "", title: str | None = None, total: int | None = None,
    ) -> Section:  # fmt: skip
        """A section of the first SECTION_CAP of `rows` (only those are made entries);
        `total` when `rows` holds only the first ones of more."""
        shown = [make(row) for row in rows[:SECTION_CAP]]
        return Section(
            key=key,
            title=title or SECTION_TITLES[key],
            entries=shown,
            more=(len(rows) if total is None else total) - len(shown),
            more_url=self.url(more_url) if more_url else None,
            follow_links=tuple(follow_links[:FOLLOW_LINKS_CAP]),
            summary=summary if shown else "",
        )

    def list_filter(self) -> list[tuple[str, str]]:
        if self.country_filter:
            return [("country", c) for c in self.country_filter[:20]]
        return [("sector", s) for s in sorted(self.sectors)[:20]]

    def matched_follows(
        self, countries: Iterable[str], sectors: Iterable[str]
    ) -> list[tuple[str, str]]:
        """The member's follows an item is there for: ("country", "JP"), ("sector", "food")."""
        found = [self.country_source[c] for c in sorted(countries) if c in self.country_source]
        found += [("sector", s) for s in sorted(sectors) if s in self.sectors]
        return list(dict.fromkeys(found))

    def mute_links(self, matched: Counter[tuple[str, str]]) -> list[tuple[str, str]]:
        return [
            self.interest_link("mute", kind, target) for (kind, target), _ in matched.most_common()
        ]

    def follow_suggestions(
        self, shown: Sequence[IntelCandidate | ThreadCandidate]
    ) -> list[tuple[str, str]]:
        """ "Follow Japan" links for the countries and sectors most of `shown` are tagged with."""
        tags: Counter[tuple[str, str]] = Counter()
        for row in shown:
            tags.update(("country", c) for c in row.countries)
            tags.update(("sector", s) for s in row.sectors)
        out = []
        for (kind, target), _ in tags.most_common():
            if kind == "country" and target in self.country_source:
                continue
            if kind == "sector" and target in self.sectors:
                continue
            out.append(self.interest_link("follow", kind, target))
        return out

    # -- sections

    def intel_for_follows(self) -> Section:
        pool: dict[int, IntelCandidate] = {}
        for code in self.country_source:
            for item in self.c.intel_by_country.get(code, ()):
                pool[item.id] = item
        if self.country_source:
            for item in self.c.intel_global:
                pool[item.id] = item
        for slug in self.sectors:
            for item in self.c.intel_by_sector.get(slug, ()):
                pool[item.id] = item
        # Only the first SECTION_CAP are sorted: a week of a busy repository puts
        # hundreds of items in a member's pool (the digest bench).
        any_country = bool(self.country_source)
        scored = []
        matched: Counter[tuple[str, str]] = Counter()
        for item in pool.values():
            if not self.in_window(item.added_at) or self.mine(item.author_id):
                continue
            hits = self.matched_follows(item.countries, item.sectors)
            matched.update(hits)
            sector_hit = any(kind == "sector" for kind, _ in hits)
            country_hit = any(kind != "sector" for kind, _ in hits) or (
                item.is_global and any_country
            )
            scored.append((-(country_hit + sector_hit), -item.added_at.timestamp(), -item.id, item))
        first = heapq.nsmallest(SECTION_CAP, scored, key=lambda row: row[:3])
        items = [item for *_, item in first]
        labels = [_label(k, t, self.c) for (k, t), _ in matched.most_common(2)]
        summary = (
            f"{len(scored)} new on {_and(labels)}" if labels else _plural(len(scored), "new item")
        )
        # List pages combine countries AND sectors while follows add up: the link lists
        # the followed countries (or, without any, the sectors) since the window opened.
        query = self.list_filter()
        query.append(("from", self.start.date().isoformat()))
        return self.section(
            "intel", items, self.intel_entry, more_url="/intel?" + urlencode(query),
            follow_links=self.mute_links(matched), summary=summary, total=len(scored),
        )  # fmt: skip

    def intel_entry(self, item: IntelCandidate, *, meta_tail: str = "") -> Entry:
        where, what = self.tags_line(item.countries, item.sectors, is_global=item.is_global)
        parts = [INTEL_KIND_LABELS.get(item.kind, item.kind), where, what]
        parts.append(meta_tail or _day(item.added_at))
        return Entry(
            title=item.title,
            url=self.url(f"/intel/{item.id}"),
            meta=" · ".join(p for p in parts if p),
            excerpt=item.excerpt,
        )

    def good_practices(self) -> Section:
        pool: dict[int, ThreadCandidate] = {}
        for code in self.country_source:
            for t in self.c.practices_by_country.get(code, ()):
                pool[t.id] = t
        for slug in self.sectors:
            for t in self.c.practices_by_sector.get(slug, ()):
                pool[t.id] = t
        for slug in self.categories:
            for t in self.c.practices_by_category.get(slug, ()):
                pool[t.id] = t
        for pid in self.partnerships:
            for t in self.c.practices_by_partnership.get(pid, ()):
                pool[t.id] = t
        for tid in self.threads:
            followed = self.c.reply_threads.get(tid)
            if followed is not None and followed.kind == "good_practice":
                pool[followed.id] = followed
        chosen = [
            t for t in pool.values()
            if self.in_window(t.created_at) and not self.mine(t.author_id) and self.may_see(t)
        ]  # fmt: skip
        chosen.sort(key=lambda t: (t.created_at, t.id), reverse=True)
        matched: Counter[tuple[str, str]] = Counter()
        for t in chosen:
            matched.update(self.matched_follows(t.countries, t.sectors))
        return self.section(
            "good_practices", chosen, self.thread_entry, more_url="/discussions?kind=good_practice",
            follow_links=self.mute_links(matched),
            summary=_plural(len(chosen), "good practice"),
        )  # fmt: skip

    def thread_entry(self, t: ThreadCandidate) -> Entry:
        where, what = self.tags_line(t.countries, t.sectors)
        parts = [t.partnership_name or "", where, what, _day(t.created_at)]
        return Entry(
            title=t.title,
            url=self.url(f"/threads/{t.id}"),
            meta=" · ".join(p for p in parts if p),
            excerpt=t.excerpt,
        )

    def followed_threads(self) -> Section:
        rows = []
        for tid in self.threads:
            thread = self.c.reply_threads.get(tid)
            if thread is None or not self.may_see(thread):
                continue
            replies = [
                r for r in self.c.replies.get(tid, ())
                if self.in_window(r.created_at) and not self.mine(r.author_id)
            ]  # fmt: skip
            if replies:
                rows.append((replies[0].created_at, tid, thread, replies))
        rows.sort(key=lambda row: (row[0], row[1]), reverse=True)
        entries = []
        for _, _, thread, replies in rows:
            newest = replies[0]
            entries.append(
                Entry(
                    title=thread.title,
                    url=self.url(f"/posts/{newest.id}"),
                    meta=f"{_plural(len(replies), 'new reply', 'new replies')} · "
                    f"latest by {newest.author_name}, {_day(newest.created_at)}",
                    excerpt=newest.excerpt,
                )
            )
        total = sum(len(r[3]) for r in rows)
        return self.section(
            "threads", entries, _as_is, more_url="/discussions",
            summary=_plural(total, "reply", "replies") + " in threads you follow",
        )  # fmt: skip

    def saved_searches(self) -> Section:
        entries: list[Entry] = []
        seen: set[str] = set()
        names: list[str] = []
        for _saved_id, name, query in self.interests.saved_searches:
            matcher = SavedSearchMatcher.of(query)
            if matcher is None:
                continue
            found = 0
            for key, entry in self.search_matches(matcher, name):
                if key not in seen:
                    seen.add(key)
                    entries.append(entry)
                    found += 1
            if found:
                names.append(name)
        summary = (
            _plural(len(entries), "match", "matches") + " for “" + names[0] + "”" if names else ""
        )
        if len(names) > 1:
            summary = _plural(len(entries), "saved-search match", "saved-search matches")
        return self.section(
            "saved_searches", entries, _as_is, more_url="/settings/searches", summary=summary,
        )  # fmt: skip

    def search_matches(self, matcher: SavedSearchMatcher, name: str) -> Iterable[tuple[str, Entry]]:
        """(document key, entry) of what `matcher` finds in the member's window."""

        def tagged(entry: Entry) -> Entry:
            return Entry(entry.title, entry.url, f"{entry.meta} · matches “{name}”", entry.excerpt)

        for item in self.c.intel:
            if (
                self.in_window(item.added_at)
                and not self.mine(item.author_id)
                and matcher.matches("intel", item.kind, item.countries, item.sectors, None,
                                    item.text, item.added_at)
            ):  # fmt: skip
                yield f"intel:{item.id}", tagged(self.intel_entry(item))
        for t in self.c.threads:
            if (
                self.in_window(t.created_at)
                and not self.mine(t.author_id)
                and self.may_see(t)
                and matcher.matches("thread", t.kind, t.countries, t.sectors, t.category,
                                    t.text, t.created_at)
            ):  # fmt: skip
                yield f"thread:{t.id}", tagged(self.thread_entry(t))
        for tid, replies in self.c.replies.items():
            thread = self.c.reply_threads.get(tid)
            if thread is None or not self.may_see(thread):
                continue
            for r in replies:
                if (
                    self.in_window(r.created_at)
                    and not self.mine(r.author_id)
                    and matcher.matches("post", thread.kind, thread.countries, thread.sectors,
                                        thread.category, r.text, r.created_at)
                ):  # fmt: skip
                    yield f"post:{r.id}", tagged(self.reply_entry(thread, r))
        for e in self.c.events:
            countries = frozenset([e.country]) if e.country else frozenset()
            if self.in_window(e.created_at) and matcher.matches(
                "event", None, countries, e.sectors, None, e.text, e.created_at
            ):
                yield f"event:{e.id}", tagged(self.event_entry(e))

    def reply_entry(self, thread: ThreadCandidate, reply: ReplyCandidate) -> Entry:
        return Entry(
            title=f"Re: {thread.title}",
            url=self.url(f"/posts/{reply.id}"),
            meta=f"Reply by {reply.author_name} · {_day(reply.created_at)}",
            excerpt=reply.excerpt,
        )

    def deadlines(self) -> Section:
        pool: dict[int, IntelCandidate] = {}
        for code in self.country_source:
            for item in self.c.deadlines_by_country.get(code, ()):
                pool[item.id] = item
        if self.country_source:
            for item in self.c.deadlines_global:
                pool[item.id] = item
        for slug in self.sectors:
            for item in self.c.deadlines_by_sector.get(slug, ()):
                pool[item.id] = item
        chosen = sorted(
            (
                i for i in pool.values()
                if i.deadline is not None and not self.mine(i.author_id)
                and self.now <= i.deadline <= self.now + dt.timedelta(days=DEADLINE_DAYS)
            ),
            key=lambda i: (i.deadline, i.id),
        )  # fmt: skip

        def entry(item: IntelCandidate) -> Entry:
            assert item.deadline is not None
            days = (item.deadline.date() - self.now.date()).days
            closes = _in_days(days, verb="closes") + f" ({_day(item.deadline)})"
            return self.intel_entry(item, meta_tail=closes)

        summary = ""
        if chosen:
            first = chosen[0]
            assert first.deadline is not None
            soonest = _in_days((first.deadline.date() - self.now.date()).days, verb="closes")
            summary = (
                f"{_short(first.title)} {soonest}"
                if len(chosen) == 1
                else f"{len(chosen)} calls closing, first {soonest.removeprefix('closes ')}"
            )
        query = [("kind", k) for k in DEADLINE_KINDS] + [("open", "1"), ("sort", "deadline")]
        query += self.list_filter()
        return self.section(
            "deadlines", chosen, entry, more_url="/intel?" + urlencode(query), summary=summary
        )

    def events(self) -> Section:
        pool: dict[int, EventCandidate] = {}
        for code in self.country_source:
            for e in self.c.events_by_country.get(code, ()):
                pool[e.id] = e
        for slug in self.sectors:
            for e in self.c.events_by_sector.get(slug, ()):
                pool[e.id] = e
        for pid in self.partnerships:
            for e in self.c.events_by_partnership.get(pid, ()):
                pool[e.id] = e
        chosen = sorted(pool.values(), key=lambda e: (e.starts_on, e.id))
        summary = ""
        if chosen:
            first = chosen[0]
            days = (first.starts_on - self.now.date()).days
            summary = f"{_short(first.name)} {'on now' if days < 0 else _in_days(days)}"
        query = self.list_filter()
        return self.section(
            "events", chosen, self.event_entry, more_url="/events" + ("?" + urlencode(query) if query else ""),
            summary=summary,
        )  # fmt: skip

    def event_entry(self, e: EventCandidate) -> Entry:
        days = (e.starts_on - self.now.date()).days
        when = "on now" if days < 0 else _in_days(days)
        meta = " · ".join(p for p in (e.when, e.place, when) if p)
        going = []
        if e.partnerships_going:
            names = list(e.partnerships_going[:3])
            if len(e.partnerships_going) > 3:
                names.append(_plural(len(e.partnerships_going) - 3, "more partnership"))
            going.append(_and(names))
        if e.members_going:
            going.append(_plural(e.members_going, "member"))
        excerpt = ("Going: " + "; ".join(going)) if going else "Nobody has said they are going yet."
        return Entry(
            title=e.name, url=self.url(f"/events/{e.id}"), meta=meta, excerpt=_excerpt(excerpt)
        )

    def unread(self) -> Section:
        notes = [
            n
            for n in self.interests.unread
            if n.created_at < self.end and n.created_at >= self.start
        ]

        def entry(n: UnreadNote) -> Entry:
            what = "Mention" if n.kind == "mention" else "Reply"
            return Entry(
                title=_excerpt(n.text or what, 150),
                url=self.url(n.url or "/notifications"),
                meta=f"{what} · {_day(n.created_at)}",
            )

        mentions = sum(1 for n in notes if n.kind == "mention")
        replies = len(notes) - mentions
        bits = []
        if replies:
            bits.append(_plural(replies, "unread reply", "unread replies"))
        if mentions:
            bits.append(_plural(mentions, "mention"))
        return self.section(
            "replies", notes, entry, more_url="/notifications", summary=" and ".join(bits)
        )

    def highlights(self) -> list[Section]:
        items = [
            i
            for i in self.c.intel_by_followers()
            if self.in_window(i.added_at) and not self.mine(i.author_id)
        ]
        practices = [
            t for t in self.c.threads
            if t.kind == "good_practice" and self.in_window(t.created_at)
            and not self.mine(t.author_id) and self.may_see(t)
        ]  # fmt: skip
        return [
            self.section(
                "highlights", items, self.intel_entry,
                more_url="/intel?" + urlencode([("from", self.start.date().isoformat())]),
                follow_links=self.follow_suggestions(items[:SECTION_CAP]),
                summary=_plural(len(items), "new item"),
            ),
            self.section(
                "good_practices", practices, self.thread_entry,
                more_url="/discussions?kind=good_practice",
                follow_links=self.follow_suggestions(practices[:SECTION_CAP]),
                summary=_plural(len(practices), "good practice"),
            ),
        ]  # fmt: skip

    def build(self) -> tuple[list[Section], bool]:
        if self.interests.follows_nothing:
            sections = [*self.highlights(), self.unread()]
            return sections, True
        sections = [
            self.intel_for_follows(),
            self.good_practices(),
            self.followed_threads(),
            self.saved_searches(),
            self.deadlines(),
            self.events(),
            self.unread(),
        ]
        return sections, False


def _as_is(entry: Entry) -> Entry:
    return entry


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def build_digest(
    db: Session,
    settings: Settings,
    user: User,
    *,
    period: dt.date,
    window_start: dt.datetime,
    window_end: dt.datetime,
    now: dt.datetime,
    candidates: Candidates | None = None,
    interests: MemberInterests | None = None,
) -> Digest:
    """The member's digest for `period`, covering `window_start` to `window_end`.

    `candidates` may cover a wider window (the sender shares one between members whose
    windows differ): only what falls inside the member's own window is kept. Without
    `candidates` they are loaded for this window; without `interests` the member's are
    read (three small queries).
    """
    if candidates is None:
        candidates = load_candidates(db, window_start=window_start, window_end=window_end, now=now)
    if interests is None:
        interests = load_member_interests(db, [user.id], since=window_start)[user.id]
    builder = _Builder(
        settings, user, candidates, interests,
        window_start=window_start, window_end=window_end, now=now,
    )  # fmt: skip
    sections, highlights = builder.build()
    return Digest(
        user_id=user.id,
        period=period,
        window_start=window_start,
        window_end=window_end,
        sections=[s for s in sections if s.entries],
        highlights=highlights,
    )


__all__ = [
    "Candidates",
    "Digest",
    "Entry",
    "MemberInterests",
    "Section",
    "build_digest",
    "load_candidates",
    "load_member_interests",
]
