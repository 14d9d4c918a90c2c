"""What is new in a digest's window, for every member at once: the queries behind the
candidates (a fixed number of them, however many members).

Only what a digest may carry is read, by each domain's own rule: published intelligence
(`published_items`), and threads and replies a digest reader may read
(`visible_threads`, `visible_posts` with `DIGEST_READER`: members-only categories
included, since every recipient is a member, and nothing hidden or deleted, even for a
moderator).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.privacy import FORMER_MEMBER_NAME
from forum.digests.candidates import (
    DEADLINE_DAYS,
    DEADLINE_KINDS,
    EVENT_DAYS,
    Candidates,
    EventCandidate,
    IntelCandidate,
    ReplyCandidate,
    ThreadCandidate,
)
from forum.digests.wording import excerpt
from forum.discovery.documents import html_text
from forum.discussions.models import (
    Category,
    GoodPractice,
    Post,
    Thread,
    ThreadCountry,
    thread_sector,
)
from forum.discussions.service import (
    DIGEST_READER,
    lead_html,
    visible_posts,
    visible_threads,
)
from forum.events.models import Attendance, Event, EventPartnership, event_sector
from forum.intelligence.models import IntelCountry, IntelItem, intel_sector
from forum.intelligence.service import published_items
from forum.notifications.models import Follow
from forum.partnerships.models import Partnership
from forum.taxonomy.models import Sector
from forum.taxonomy.regions import UnknownCountryError, expand_codes


def _tags(db: Session, stmt: Any) -> dict[int, set[str]]:
    out: dict[int, set[str]] = defaultdict(set)
    for owner, value in db.execute(stmt):
        out[owner].add(value)
    return out


def load_candidates(
    db: Session, *, window_start: dt.datetime, window_end: dt.datetime, now: dt.datetime
) -> Candidates:
    """Everything any digest of this window may hold, in a fixed number of queries.

    New intelligence is what was added and published in the window; new threads and
    replies were written in it; calls and tenders close between `now` and 14 days on;
    events run some day between `now`'s date and 30 days on.
    """
    sector_names = {
        slug: (name, dict(names or {}))
        for slug, name, names in db.execute(select(Sector.slug, Sector.name, Sector.names))
    }
    category_names = {slug: name for slug, name in db.execute(select(Category.slug, Category.name))}
    partnership_names = {
        pid: name for pid, name in db.execute(select(Partnership.id, Partnership.name))
    }
    intel, deadlines = _intel(db, window_start=window_start, window_end=window_end, now=now)
    threads, reply_threads, replies = _discussions(
        db, window_start=window_start, window_end=window_end, names=partnership_names
    )
    return Candidates(
        window_start=window_start,
        window_end=window_end,
        now=now,
        intel=intel,
        deadlines=deadlines,
        threads=threads,
        replies=replies,
        reply_threads=reply_threads,
        events=_events(db, now=now, names=partnership_names),
        follower_counts=_follower_counts(db),
        sector_names=sector_names,
        category_names=category_names,
        partnership_names=partnership_names,
    )


def _intel(
    db: Session, *, window_start: dt.datetime, window_end: dt.datetime, now: dt.datetime
) -> tuple[list[IntelCandidate], list[IntelCandidate]]:
    """The items new in the window, and the calls and tenders closing soon (by deadline)."""
    closes_by = now + dt.timedelta(days=DEADLINE_DAYS)
    new_intel = and_(IntelItem.added_at >= window_start, IntelItem.added_at < window_end)
    closing = and_(
        IntelItem.kind.in_(DEADLINE_KINDS),
        IntelItem.deadline >= now,
        IntelItem.deadline <= closes_by,
    )
    wanted = or_(new_intel, closing)
    ids = published_items(select(IntelItem.id).where(wanted))
    countries_of = _tags(
        db,
        select(IntelCountry.item_id, IntelCountry.country_code).where(
            IntelCountry.item_id.in_(ids)
        ),
    )
    sectors_of = _tags(
        db,
        select(intel_sector.c.item_id, Sector.slug)
        .join(Sector, Sector.id == intel_sector.c.sector_id)
        .where(intel_sector.c.item_id.in_(ids)),
    )
    intel: list[IntelCandidate] = []
    deadlines: list[IntelCandidate] = []
    rows = db.execute(
        published_items(
            select(
                IntelItem.id, IntelItem.title, IntelItem.kind, IntelItem.is_global,
                IntelItem.author_id, IntelItem.added_at, IntelItem.published_at,
                IntelItem.deadline, func.substr(IntelItem.summary, 1, 1000),
                func.substr(IntelItem.body, 1, 1000), IntelItem.specific,
            ).where(wanted)
        ).order_by(IntelItem.added_at.desc(), IntelItem.id.desc())
    )  # fmt: skip
    for (item_id, title, kind, is_global, author_id, added_at, published_at, deadline,
         summary, body, specific) in rows:  # fmt: skip
        candidate = IntelCandidate(
            id=item_id, title=title, kind=kind,
            countries=frozenset(countries_of.get(item_id, ())),
            sectors=frozenset(sectors_of.get(item_id, ())),
            is_global=bool(is_global), author_id=author_id, added_at=added_at,
            deadline=deadline, excerpt=excerpt(summary or body or ""),
            search_date=published_at or added_at, specific=bool(specific),
        )  # fmt: skip
        if window_start <= added_at < window_end:
            intel.append(candidate)
        if kind in DEADLINE_KINDS and deadline is not None and now <= deadline <= closes_by:
            deadlines.append(candidate)
    deadlines.sort(key=lambda i: (i.deadline, i.id))
    return intel, deadlines


def _discussions(
    db: Session, *, window_start: dt.datetime, window_end: dt.datetime, names: dict[int, str]
) -> tuple[list[ThreadCandidate], dict[int, ThreadCandidate], dict[int, list[ReplyCandidate]]]:
    """The threads started in the window; the threads started or replied to in it, by id;
    and the replies written in it, by thread, newest first."""
    sector_slug = {sid: slug for sid, slug in db.execute(select(Sector.id, Sector.slug))}
    category_slug = {cid: slug for cid, slug in db.execute(select(Category.id, Category.slug))}
    in_window = and_(Thread.created_at >= window_start, Thread.created_at < window_end)
    new_threads = visible_threads(select(Thread.id).where(in_window), DIGEST_READER)
    new_reply = and_(
        Post.created_at >= window_start, Post.created_at < window_end, Post.is_opening.is_(False)
    )

    def readable_replies(stmt: Any) -> Any:
        """`stmt` over the window's replies, narrowed to those a digest reader may read."""
        joined = stmt.join(Thread, Thread.id == Post.thread_id).where(new_reply)
        return visible_posts(visible_threads(joined, DIGEST_READER), DIGEST_READER)

    wanted = or_(in_window, Thread.id.in_(readable_replies(select(Post.thread_id))))
    thread_ids = visible_threads(select(Thread.id).where(wanted), DIGEST_READER)
    countries_of = _tags(
        db,
        select(ThreadCountry.thread_id, ThreadCountry.country_code).where(
            ThreadCountry.thread_id.in_(thread_ids)
        ),
    )
    sectors_of: dict[int, set[str]] = defaultdict(set)
    for thread_id, sector_id in db.execute(
        select(thread_sector.c.thread_id, thread_sector.c.sector_id).where(
            thread_sector.c.thread_id.in_(thread_ids)
        )
    ):
        sectors_of[thread_id].add(sector_slug[sector_id])
    openings: dict[int, str] = {
        thread_id: body
        for thread_id, body in db.execute(
            select(Post.thread_id, func.substr(Post.body_html, 1, 3000)).where(
                Post.is_opening.is_(True), Post.thread_id.in_(new_threads)
            )
        )
    }
    # A good practice is quoted by its own first field, not its opening post (lead_html).
    practices: dict[int, tuple[str, str]] = {
        thread_id: (challenge or "", approach or "")
        for thread_id, challenge, approach in db.execute(
            select(
                GoodPractice.thread_id,
                func.substr(GoodPractice.challenge_html, 1, 2000),
                func.substr(GoodPractice.approach_html, 1, 2000),
            ).where(GoodPractice.thread_id.in_(new_threads))
        )
    }
    threads: list[ThreadCandidate] = []
    reply_threads: dict[int, ThreadCandidate] = {}
    rows = db.execute(
        visible_threads(
            select(
                Thread.id, Thread.title, Thread.kind, Thread.category_id, Thread.partnership_id,
                Thread.author_id, Thread.created_at,
            ).where(wanted),
            DIGEST_READER,
        ).order_by(Thread.created_at.desc(), Thread.id.desc())
    )  # fmt: skip
    for thread_id, title, kind, category_id, partnership_id, author_id, created_at in rows:
        challenge, approach = practices.get(thread_id, ("", ""))
        opening = html_text(
            lead_html(
                openings.get(thread_id) or "", challenge_html=challenge, approach_html=approach
            )
        )
        candidate = ThreadCandidate(
            id=thread_id, title=title, kind=kind, category=category_slug.get(category_id, ""),
            countries=frozenset(countries_of.get(thread_id, ())),
            sectors=frozenset(sectors_of.get(thread_id, ())), partnership_id=partnership_id,
            partnership_name=names.get(partnership_id) if partnership_id else None,
            author_id=author_id, created_at=created_at, excerpt=excerpt(opening),
        )  # fmt: skip
        if window_start <= created_at < window_end:
            threads.append(candidate)
        reply_threads[thread_id] = candidate
    replies: dict[int, list[ReplyCandidate]] = defaultdict(list)
    reply_rows = db.execute(
        readable_replies(
            select(
                Post.id, Post.thread_id, Post.author_id, User.name, Post.created_at,
                func.substr(Post.body_html, 1, 2000),
            )
        )
        .outerjoin(User, User.id == Post.author_id)
        .order_by(Post.created_at.desc(), Post.id.desc())
    )  # fmt: skip
    for post_id, thread_id, author_id, author_name, created_at, body_html in reply_rows:
        replies[thread_id].append(
            ReplyCandidate(
                id=post_id, thread_id=thread_id, author_id=author_id,
                author_name=_shown_name(author_name), created_at=created_at,
                excerpt=excerpt(html_text(body_html or "")),
            )
        )  # fmt: skip
    return threads, reply_threads, dict(replies)


def _shown_name(name: str | None) -> str:
    """A member's name, "" for an erased account (each digest names it in its reader's
    language: the row's stored name is the English record)."""
    return "" if not name or name == FORMER_MEMBER_NAME else name


def _events(db: Session, *, now: dt.datetime, names: dict[int, str]) -> list[EventCandidate]:
    """Events some day of which falls in the next 30 days, with who is going."""
    today = now.date()
    horizon = today + dt.timedelta(days=EVENT_DAYS)
    upcoming = and_(
        Event.starts_on.is_not(None),
        Event.starts_on <= horizon,
        func.coalesce(Event.ends_on, Event.starts_on) >= today,
    )
    event_ids = select(Event.id).where(upcoming)
    sectors_of = _tags(
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
    for event_id, partnership, user_id in db.execute(
        select(Attendance.event_id, Attendance.partnership_id, Attendance.user_id)
        .outerjoin(User, User.id == Attendance.user_id)
        .where(
            Attendance.event_id.in_(event_ids),
            Attendance.status == "going",
            or_(Attendance.user_id.is_(None), User.suspended_at.is_(None)),
        )
    ):
        if partnership is not None:
            going[event_id].add(partnership)
        elif user_id is not None:
            members_going[event_id] += 1
    events: list[EventCandidate] = []
    rows = db.execute(
        select(
            Event.id, Event.name, Event.starts_on, Event.ends_on, Event.date_text, Event.city,
            Event.country_code, Event.location_text, Event.created_at,
        )
        .where(upcoming)
        .order_by(Event.starts_on, Event.id)
    )  # fmt: skip
    for event_id, name, starts_on, ends_on, date_text, city, country, location, created_at in rows:
        if starts_on is None:
            continue  # ruled out by the query: an event without a date is never upcoming
        events.append(
            EventCandidate(
                id=event_id, name=name, starts_on=starts_on, ends_on=ends_on or starts_on,
                date_text=date_text or "", location=location or "", city=city or "",
                country=country, sectors=frozenset(sectors_of.get(event_id, ())),
                partnership_ids=frozenset(going.get(event_id, ())),
                partnerships_going=_sorted_names(names, going.get(event_id, ())),
                members_going=members_going[event_id], created_at=created_at,
            )
        )  # fmt: skip
    return events


def _sorted_names(names: dict[int, str], ids: Iterable[int]) -> tuple[str, ...]:
    return tuple(sorted((names.get(p, "") for p in ids), key=str.casefold))


def _follower_counts(db: Session) -> dict[tuple[str, str], int]:
    """How many members follow each country (a region group counts for its members) and
    sector: what the highlights rank by."""
    counts: Counter[tuple[str, str]] = Counter()
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
            counts.update({("country", code): count for code in codes})
        else:
            counts[(kind, target)] += count
    return dict(counts)
