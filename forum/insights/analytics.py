"""The figures behind /admin/analytics: is the forum alive, week by week.

Aggregates only: a figure counts members or content in a week, never names anyone. A
count of members from 1 to 4 is withheld (None here, "fewer than 5" on the page), so a
small group cannot be told apart. Weeks run Monday to Sunday, in UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from forum.accounts.activity import active_by_week
from forum.accounts.models import MemberActivity, Membership, User
from forum.core.weeks import monday_of
from forum.discussions.models import Post, Thread, ThreadCountry, thread_sector
from forum.events.models import Event, event_sector
from forum.insights import analytics_focus, focus_weekly
from forum.insights import analytics_tagged as tagged
from forum.insights.analytics_taking_part import taking_part
from forum.insights.weekly import (
    Counted,
    count_weeks,
    count_weeks_split,
    figures,
    rollup,
)
from forum.intelligence.models import IntelCountry, IntelItem, intel_sector
from forum.taxonomy.filters import in_countries, in_sectors
from forum.taxonomy.models import Sector

SMALLEST_GROUP = 5  # a count of members below this (and above 0) is withheld
PERIODS = ("4w", "12w", "12m")
LONGEST = dt.timedelta(days=731)  # two dates at most about two years apart


class PeriodError(ValueError):
    """The period asked for is not one we can show; the message says why."""


@dataclass(frozen=True)
class Period:
    start: dt.date  # the first day counted
    end: dt.date  # the last day counted
    key: str  # "4w", "12w", "12m" or "dates"

    @property
    def weeks(self) -> list[dt.date]:
        """The Monday of every week the period touches, oldest first."""
        monday = self.start - dt.timedelta(days=self.start.weekday())
        out = []
        while monday <= self.end:
            out.append(monday)
            monday += dt.timedelta(days=7)
        return out

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Start and end (exclusive) as UTC times."""
        start = dt.datetime.combine(self.start, dt.time(), dt.UTC)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), dt.UTC)
        return start, end


def choose_period(today: dt.date, period: str = "", start: str = "", end: str = "") -> Period:
    """The period chosen: by name (the last 4 or 12 weeks, the last 12 months) or two
    ISO dates. Raises PeriodError with the reason for anything else."""
    if start or end:
        if not (start and end):
            raise PeriodError("both")
        try:
            first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        except ValueError:
            raise PeriodError("format") from None
        if first > last:
            raise PeriodError("order")
        if last - first > LONGEST:
            raise PeriodError("long")
        return Period(first, last, "dates")
    key = period or "4w"
    if key == "4w":
        return Period(today - dt.timedelta(weeks=4) + dt.timedelta(days=1), today, key)
    if key == "12w":
        return Period(today - dt.timedelta(weeks=12) + dt.timedelta(days=1), today, key)
    if key == "12m":
        return Period(today - dt.timedelta(days=365) + dt.timedelta(days=1), today, key)
    raise PeriodError("name")


def withhold_small(count: int) -> int | None:
    """A count of members as it may be shown: None when 1 to 4 people are in it."""
    return None if 0 < count < SMALLEST_GROUP else count


@dataclass(frozen=True)
class MemberWeek:
    week: dt.date  # its Monday
    registered: int | None
    verified: int | None
    approved: int | None
    active: int | None  # seen signed in that week (accounts.activity)
    taking_part: int | None


MEMBER_FIGURES = ("registered", "verified", "approved", "active", "taking_part")


def count_by_week(moments: Iterable[dt.datetime | None]) -> dict[dt.date, int]:
    """Moments fetched into Python, per week: for a few rows only; a figure over a table
    counts in the database (`weekly.count_weeks`), rolled up weekly (`weekly.rollup`)."""
    out: dict[dt.date, int] = {}
    for moment in moments:
        if moment is not None:
            week = monday_of(moment)
            out[week] = out.get(week, 0) + 1
    return out


@rollup("user_account", ("registered", "verified"))
def _users_live(db: Session, start: dt.datetime, end: dt.datetime) -> dict[str, dict[dt.date, int]]:
    return {
        "registered": count_weeks(db, User.created_at, start, end),
        "verified": count_weeks(db, User.email_verified_at, start, end),
    }


@rollup("membership", ("approved",))
def _memberships_live(
    db: Session, start: dt.datetime, end: dt.datetime
) -> dict[str, dict[dt.date, int]]:
    approved = Membership.status == "approved"
    return {"approved": count_weeks(db, Membership.decided_at, start, end, approved)}


@rollup("post", ("replies",))
def _posts_live(db: Session, start: dt.datetime, end: dt.datetime) -> dict[str, dict[dt.date, int]]:
    replies = count_weeks(db, Post.created_at, start, end, Post.is_opening.is_(False))
    return {"replies": replies}


def members(
    db: Session, period: Period, focus: Focus | None = None, counted: Counted | None = None
) -> list[MemberWeek]:
    """Per week: accounts registered, email addresses verified, memberships approved,
    members active (seen signed in that week: the whole week, the record keeps no day)
    and members taking part (posted, replied, added intelligence or marked going:
    `analytics_taking_part`); with a `focus`, only the members who follow it
    (`Focus.members`). Counted in the database; without a focus, closed weeks are read
    from the weekly rollups when the job has stored them; with one, every week is counted
    live, members taking part from the records of the weeks each member took part in."""
    focus = focus or Focus()
    active = active_by_week(
        db, period.weeks[0], period.weeks[-1], *focus.members(MemberActivity.user_id)
    )
    if focus.countries or focus.sectors:
        start, end = period.bounds()
        users = {
            "registered": count_weeks(db, User.created_at, start, end, *focus.members(User.id)),
            "verified": count_weeks(
                db, User.email_verified_at, start, end, *focus.members(User.id)
            ),
        }
        approved = {
            "approved": count_weeks(
                db,
                Membership.decided_at,
                start,
                end,
                Membership.status == "approved",
                *focus.members(Membership.user_id),
            )
        }
        posting = {"taking_part": taking_part(db, period.start, period.end, focus.members)}
    else:
        users = figures(db, "user_account", period.start, period.end, counted=counted)
        approved = figures(db, "membership", period.start, period.end, counted=counted)
        posting = figures(db, "taking_part", period.start, period.end, counted=counted)
    return [
        MemberWeek(
            week,
            withhold_small(users["registered"].get(week, 0)),
            withhold_small(users["verified"].get(week, 0)),
            withhold_small(approved["approved"].get(week, 0)),
            withhold_small(active.get(week, 0)),
            withhold_small(posting["taking_part"].get(week, 0)),
        )
        for week in period.weeks
    ]


@dataclass(frozen=True)
class ContentWeek:
    week: dt.date  # its Monday
    threads: int  # discussions started (not good practices)
    replies: int
    good_practices: int
    items_by_members: int  # intelligence items written by members
    items_harvested: int  # intelligence items a feed brought in
    events: int


CONTENT_FIGURES = (
    "threads",
    "replies",
    "good_practices",
    "items_by_members",
    "items_harvested",
    "events",
)
UNANSWERED_AFTER = dt.timedelta(days=7)


@dataclass(frozen=True)
class Focus:
    """The focus: ISO country codes (a region group expanded) and sector slugs; empty
    means every country, every sector. It narrows content by its tags, members by what
    they follow, and searches by their filters."""

    countries: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    # The search-log conditions, found once per Focus: the view makes one per request,
    # so they are never kept between requests (the filter values used change).
    _searches: list[ColumnElement[bool]] = field(
        default_factory=list, init=False, repr=False, compare=False, hash=False
    )

    def _tagged(
        self,
        owner_id: Any,
        countries: tuple[Any, Any] | ColumnElement[bool],
        sectors: tuple[Any, Any],
    ) -> list[ColumnElement[bool]]:
        """Conditions on rows (`owner_id`) tagged with one of the countries and one of the
        sectors: `countries` a link table's (owner, code) columns, or a condition on the
        row itself (an event has one country); `sectors` a link table's (owner, sector)."""
        out: list[ColumnElement[bool]] = []
        if self.countries:
            if isinstance(countries, tuple):
                out.append(in_countries(owner_id, *countries, self.countries))
            else:
                out.append(countries)
        if self.sectors:
            out.append(in_sectors(owner_id, *sectors, self.sectors))
        return out

    def threads(self) -> list[ColumnElement[bool]]:
        return self._tagged(
            Thread.id,
            (ThreadCountry.thread_id, ThreadCountry.country_code),
            (thread_sector.c.thread_id, thread_sector.c.sector_id),
        )

    def items(self) -> list[ColumnElement[bool]]:
        return self._tagged(
            IntelItem.id,
            (IntelCountry.item_id, IntelCountry.country_code),
            (intel_sector.c.item_id, intel_sector.c.sector_id),
        )

    def events(self) -> list[ColumnElement[bool]]:
        return self._tagged(
            Event.id,
            Event.country_code.in_(self.countries),
            (event_sector.c.event_id, event_sector.c.sector_id),
        )

    def members(self, user_id: Any) -> list[ColumnElement[bool]]:
        """Conditions on a column of member ids: the member follows one of the countries
        (or a region group holding one) and one of the sectors (analytics_focus)."""
        return analytics_focus.followers(user_id, self.countries, self.sectors)

    def searches(self, db: Session) -> list[ColumnElement[bool]]:
        """Conditions on the search log: its filters name one of the countries (or a
        region group holding one) and one of the sectors (analytics_focus); found once
        for this Focus (a page asks four times)."""
        if not self._searches:
            self._searches.extend(analytics_focus.searches(db, self.countries, self.sectors))
        return list(self._searches)


# The content flow with a focus, one source at a time: (db, start, end, focus) -> figure
# -> week -> count. A focus of one country or sector reads closed weeks from the focus
# rollups (`focus_weekly`), which these count live for the other weeks.
FocusedLive = Callable[[Session, dt.datetime, dt.datetime, Focus], dict[str, dict[dt.date, int]]]


def _threads_focused(
    db: Session, start: dt.datetime, end: dt.datetime, focus: Focus
) -> dict[str, dict[dt.date, int]]:
    practices, threads = count_weeks_split(
        db, Thread.created_at, start, end, Thread.kind == "good_practice", *focus.threads()
    )
    return {"threads": threads, "good_practices": practices}


def _replies_focused(
    db: Session, start: dt.datetime, end: dt.datetime, focus: Focus
) -> dict[str, dict[dt.date, int]]:
    on_threads = focus.threads()
    in_focus = [Post.thread_id.in_(select(Thread.id).where(*on_threads))] if on_threads else []
    replies = count_weeks(db, Post.created_at, start, end, Post.is_opening.is_(False), *in_focus)
    return {"replies": replies}


def _items_focused(
    db: Session, start: dt.datetime, end: dt.datetime, focus: Focus
) -> dict[str, dict[dt.date, int]]:
    by_members, harvested = count_weeks_split(
        db, IntelItem.added_at, start, end, IntelItem.feed_id.is_(None), *focus.items()
    )
    return {"items_by_members": by_members, "items_harvested": harvested}


def _events_focused(
    db: Session, start: dt.datetime, end: dt.datetime, focus: Focus
) -> dict[str, dict[dt.date, int]]:
    return {"events": count_weeks(db, Event.created_at, start, end, *focus.events())}


# source -> (its figures, its focused live count, its count by tag)
FOCUSED: dict[str, tuple[tuple[str, ...], FocusedLive, Any]] = {
    "thread": (("threads", "good_practices"), _threads_focused, tagged.threads_by_tag),
    "post": (("replies",), _replies_focused, tagged.replies_by_tag),
    "intel_item": (
        ("items_by_members", "items_harvested"),
        _items_focused,
        tagged.items_by_tag,
    ),
    "event": (("events",), _events_focused, tagged.events_by_tag),
}


def focus_key(db: Session, focus: Focus) -> str | None:
    """The key of `focus` in the focus rollups: the whole forum, one country or one
    sector; None for any other (several countries, a country and a sector)."""
    if not focus.countries and not focus.sectors:
        return focus_weekly.WHOLE
    if len(focus.countries) == 1 and not focus.sectors:
        return focus_weekly.country_key(focus.countries[0])
    if len(focus.sectors) == 1 and not focus.countries:
        found = db.scalar(select(Sector.id).where(Sector.slug == focus.sectors[0]))
        return None if found is None else focus_weekly.sector_key(found)
    return None


def _focused_flow(
    db: Session, period: Period, focus: Focus, key: str | None, source: str
) -> dict[str, dict[dt.date, int]]:
    names, live, by_tag = FOCUSED[source]
    if key is None:
        return live(db, *period.bounds(), focus)
    return focus_weekly.focus_figures(
        db, source, names, key, period.start, period.end, of_key(by_tag, key)
    )


def of_key(by_tag: Any, key: str) -> focus_weekly.Live:
    """The live count of one focus key from a count by tag (`analytics_tagged`)."""

    def live(db: Session, low: dt.datetime, high: dt.datetime) -> dict[str, dict[dt.date, int]]:
        found: dict[str, dict[dt.date, int]] = by_tag(db, low, high, key).get(key, {})
        return found

    return live


@rollup("thread", ("threads", "good_practices"))
def _threads_live(
    db: Session, start: dt.datetime, end: dt.datetime
) -> dict[str, dict[dt.date, int]]:
    practices, threads = count_weeks_split(
        db, Thread.created_at, start, end, Thread.kind == "good_practice"
    )
    return {"threads": threads, "good_practices": practices}


@rollup("intel_item", ("items_by_members", "items_harvested"))
def _items_live(db: Session, start: dt.datetime, end: dt.datetime) -> dict[str, dict[dt.date, int]]:
    by_members, harvested = count_weeks_split(
        db, IntelItem.added_at, start, end, IntelItem.feed_id.is_(None)
    )
    return {"items_by_members": by_members, "items_harvested": harvested}


@rollup("event", ("events",))
def _events_live(
    db: Session, start: dt.datetime, end: dt.datetime
) -> dict[str, dict[dt.date, int]]:
    return {"events": count_weeks(db, Event.created_at, start, end)}


def content(
    db: Session, period: Period, focus: Focus | None = None, counted: Counted | None = None
) -> list[ContentWeek]:
    """Per week: what was written, in any state it is in now (later hidden or deleted
    included: this is the flow of writing, not what readers see today); with a `focus`,
    only what is tagged with one of its countries and one of its sectors (a reply by its
    thread's tags). Closed weeks come from the weekly rollups when the job has stored
    them (with a focus of one country or one sector, from those by focus); with a focus
    of several countries, or of a country and a sector, every week is counted live."""
    focus = focus or Focus()
    flow: dict[str, dict[dt.date, int]] = {}
    if focus.countries or focus.sectors:
        key = focus_key(db, focus)
        for source in FOCUSED:
            flow.update(_focused_flow(db, period, focus, key, source))
    else:
        for source in ("thread", "post", "intel_item", "event"):
            flow.update(figures(db, source, period.start, period.end, counted=counted))
    return [
        ContentWeek(week, *(flow[figure].get(week, 0) for figure in CONTENT_FIGURES))
        for week in period.weeks
    ]


def no_reply(focus: Focus) -> list[ColumnElement[bool]]:
    """A discussion (not a good practice), not hidden, that nobody has replied to; with a
    `focus`, tagged with one of its countries and one of its sectors."""
    return [*tagged.no_reply_rule(), *focus.threads()]


def unanswered_conditions(
    period: Period, now: dt.datetime, focus: Focus | None = None
) -> list[ColumnElement[bool]]:
    """What makes a thread "unanswered": a discussion (not a good practice) started in the
    period, at least 7 days ago, not hidden, that nobody has replied to; with a `focus`,
    tagged with one of its countries and one of its sectors. The count and the list of
    /admin/analytics/unanswered both use it."""
    start, end = period.bounds()
    return [
        Thread.created_at >= start,
        Thread.created_at < min(end, now - UNANSWERED_AFTER),
        *no_reply(focus or Focus()),
    ]


def unanswered(db: Session, period: Period, now: dt.datetime, focus: Focus | None = None) -> int:
    """How many threads `unanswered_conditions` holds for. The days wholly 7 days ago or
    more, from the focus rollups where stored (whole forum, one country, one sector), the
    rest of the last such day counted live; any other focus counted live."""
    focus = focus or Focus()
    key = focus_key(db, focus)
    if key is None:
        found = db.scalar(
            select(func.count(Thread.id)).where(*unanswered_conditions(period, now, focus))
        )
        return int(found or 0)
    start, end = period.bounds()
    cutoff = min(end, now - UNANSWERED_AFTER)
    if cutoff <= start:
        return 0
    last_day = cutoff.astimezone(dt.UTC).date() - dt.timedelta(days=1)  # wholly before it
    total = 0
    if last_day >= period.start:
        weekly = focus_weekly.focus_figures(
            db,
            "unanswered",
            ("no_reply",),
            key,
            period.start,
            last_day,
            of_key(tagged.unanswered_by_tag, key),
        )
        total += sum(weekly["no_reply"].values())
    rest = max(start, dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), dt.UTC))
    if rest < cutoff:  # less than a day: read by time
        counted = of_key(tagged.unanswered_by_tag, key)(db, rest, cutoff)
        total += sum(counted.get("no_reply", {}).values())
    return total
