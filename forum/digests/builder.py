"""Building one member's digest from shared candidates: its sections, each picked in
memory from what the member follows, and the platform's highlights for a member who
follows nothing. Saved searches ask the search engine (`saved_searches`)."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import i18n
from forum.core.config import Settings
from forum.core.formats import format_date, format_list
from forum.core.i18n import _, ngettext, pgettext
from forum.digests.candidates import (
    DEADLINE_KINDS,
    Candidates,
    EventCandidate,
    IntelCandidate,
    ThreadCandidate,
)
from forum.digests.digest import Digest, Entry, Section
from forum.digests.interests import MemberInterests, UnreadNote, load_member_interests
from forum.digests.member_view import SECTION_CAP, MemberView
from forum.digests.news import load_candidates
from forum.digests.pools import new_by_followers, pick_deadlines, pick_intel
from forum.digests.saved_searches import matching_documents, saved_search_query
from forum.digests.wording import (
    closes,
    excerpt,
    in_days,
    label,
    short,
    starts,
    title_closes,
)
from forum.discovery.sync import search_engine
from forum.notifications.wording import describe
from search.engine import SearchEngine, SearchError

log = logging.getLogger(__name__)


class _Builder(MemberView):
    """One member's digest: every lookup is in memory but the saved searches'."""

    def __init__(
        self,
        db: Session,
        settings: Settings,
        user: User,
        candidates: Candidates,
        interests: MemberInterests,
        *,
        window_start: dt.datetime,
        window_end: dt.datetime,
        now: dt.datetime,
        search: SearchEngine | None,
    ) -> None:
        super().__init__(
            settings, user, candidates, interests,
            window_start=window_start, window_end=window_end, now=now,
        )  # fmt: skip
        self.db = db
        self._search = search

    def engine(self) -> SearchEngine:
        if self._search is None:
            self._search = search_engine(self.settings)
        return self._search

    # -- sections

    def intel_for_follows(self) -> Section:
        # The items of the followed countries (and the global ones, for a member who
        # follows a country) and sectors, in the window and not the member's own. Specific
        # items first; then those matching a followed country and a followed sector; each
        # group newest first. Picked as bit sets (`pools`): a week of a busy repository
        # puts hundreds of items in a member's pool (the digest bench).
        picked = pick_intel(self, SECTION_CAP)
        labels = [label(k, t, self.c) for (k, t), _ in picked.matched[:2]]
        summary = (
            ngettext("%(num)s new on %(names)s", "%(num)s new on %(names)s", picked.total,
                     names=format_list(labels))
            if labels
            else ngettext("%(num)s new item", "%(num)s new items", picked.total)
        )  # fmt: skip
        # Follows add up: the link lists the items of the followed countries or sectors
        # (`match=any`), newest added first. No `from`: the list's dates are the sources'
        # publication dates, and an item added this week may have been published before.
        query = self.intel_filter()
        return self.section(
            "intel", picked.first, self.intel_entry,
            more_url="/intel" + ("?" + urlencode(query) if query else ""),
            follow_links=self.mute_links(picked.matched), summary=summary, total=picked.total,
        )  # fmt: skip

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
            if self.in_window(t.created_at) and not self.mine(t.author_id)
        ]  # fmt: skip
        chosen.sort(key=lambda t: (t.created_at, t.id), reverse=True)
        matched: Counter[tuple[str, str]] = Counter()
        for t in chosen:
            matched.update(self.matched_follows(t.countries, t.sectors))
        return self.section(
            "good_practices", chosen, self.thread_entry, more_url="/discussions?kind=good_practice",
            follow_links=self.mute_links(matched.most_common()),
            summary=ngettext("%(num)s good practice", "%(num)s good practices", len(chosen)),
        )  # fmt: skip

    def followed_threads(self) -> Section:
        rows = []
        for tid in self.threads:
            thread = self.c.reply_threads.get(tid)
            if thread is None:
                continue
            replies = [
                r for r in self.c.replies.get(tid, ())
                if self.in_window(r.created_at) and not self.mine(r.author_id)
            ]  # fmt: skip
            if replies:
                rows.append((replies[0].created_at, tid, thread, replies))
        rows.sort(key=lambda row: (row[0], row[1]), reverse=True)
        entries = []
        for _newest_at, _tid, thread, replies in rows:
            newest = replies[0]
            entries.append(
                Entry(
                    title=thread.title,
                    url=self.url(f"/posts/{newest.id}"),
                    meta=ngettext(
                        "%(num)s new reply · latest by %(name)s, %(date)s",
                        "%(num)s new replies · latest by %(name)s, %(date)s",
                        len(replies),
                        name=newest.author_name or _("Former member"),
                        date=format_date(newest.created_at),
                    ),
                    excerpt=newest.excerpt,
                    reply_mailto=self.reply_mailto(newest.id, thread.title),
                )
            )
        total = sum(len(r[3]) for r in rows)
        return self.section(
            "threads", entries, _as_is, more_url="/discussions",
            summary=ngettext(
                "%(num)s reply in threads you follow", "%(num)s replies in threads you follow",
                total,
            ),
        )  # fmt: skip

    def saved_searches(self) -> Section:
        entries: list[Entry] = []
        names: list[str] = []
        new = self.new_documents() if self.interests.saved_searches else []
        if new and not self.c.search_unavailable:
            # Every search is narrowed to the dates the window's documents carry.
            dates = [date for _, date, _ in new]
            since, until = min(dates), max(dates) + dt.timedelta(seconds=1)
            seen: set[str] = set()
            for _saved_id, name, query_string in self.interests.saved_searches:
                query = saved_search_query(self.db, query_string)
                if query is None:
                    continue
                try:
                    found = matching_documents(self.engine(), query, date_from=since, date_to=until)
                except SearchError as exc:
                    log.warning("saved searches left out of the digest (search engine: %s)", exc)
                    self.c.search_unavailable = True
                    return self.section("saved_searches", [], _as_is)
                hits = [(key, make) for key, _, make in new if key in found and key not in seen]
                for key, make in hits:
                    seen.add(key)
                    entries.append(make(name))
                if hits:
                    names.append(name)
        summary = ""
        if len(names) == 1:
            summary = ngettext(
                "%(num)s match for “%(name)s”", "%(num)s matches for “%(name)s”", len(entries),
                name=names[0],
            )  # fmt: skip
        elif names:
            summary = ngettext(
                "%(num)s saved-search match", "%(num)s saved-search matches", len(entries)
            )
        return self.section(
            "saved_searches", entries, _as_is, more_url="/settings/searches", summary=summary,
        )  # fmt: skip

    def new_documents(self) -> list[tuple[str, dt.datetime, Callable[[str], Entry]]]:
        """What a saved search may find in the member's window, in the section's order:
        (search document id, the document's date, its entry naming the search, made
        only for the documents found)."""
        out: list[tuple[str, dt.datetime, Callable[[str], Entry]]] = []
        for item in self.c.intel:
            if self.in_window(item.added_at) and not self.mine(item.author_id):
                made = partial(self.intel_entry, item)
                out.append((f"intel:{item.id}", item.search_date, partial(_tagged, made)))
        for t in self.c.threads:
            if self.in_window(t.created_at) and not self.mine(t.author_id):
                made = partial(self.thread_entry, t)
                out.append((f"thread:{t.id}", t.search_date, partial(_tagged, made)))
        for tid, replies in self.c.replies.items():
            thread = self.c.reply_threads.get(tid)
            if thread is None:
                continue
            for r in replies:
                if self.in_window(r.created_at) and not self.mine(r.author_id):
                    made = partial(self.reply_entry, thread, r)
                    out.append((f"post:{r.id}", r.search_date, partial(_tagged, made)))
        for e in self.c.events:
            if self.in_window(e.created_at):
                made = partial(self.event_entry, e)
                out.append((f"event:{e.id}", e.search_date, partial(_tagged, made)))
        return out

    def deadlines(self) -> Section:
        # Calls and tenders of the followed countries (any global one, for a member who
        # follows a country) and sectors closing in DEADLINE_DAYS, soonest first (`pools`).
        picked = pick_deadlines(self, SECTION_CAP)
        chosen = picked.first

        def entry(item: IntelCandidate) -> Entry:
            assert item.deadline is not None
            days = (item.deadline.date() - self.now.date()).days
            return self.intel_entry(item, meta_tail=closes(days, format_date(item.deadline)))

        summary = ""
        if chosen:
            first = chosen[0]
            assert first.deadline is not None
            days = (first.deadline.date() - self.now.date()).days
            summary = (
                title_closes(short(first.title), days)
                if picked.total == 1
                else ngettext(
                    "%(num)s call closing, first %(when)s", "%(num)s calls closing, first %(when)s",
                    picked.total, when=in_days(days),
                )
            )  # fmt: skip
        query = [("kind", k) for k in DEADLINE_KINDS] + [("open", "1"), ("sort", "deadline")]
        query += self.intel_filter()
        return self.section(
            "deadlines", chosen, entry, more_url="/intel?" + urlencode(query), summary=summary,
            total=picked.total,
        )  # fmt: skip

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
            summary = _("%(name)s %(when)s", name=short(first.name), when=starts(days))
        query = self.events_filter()
        return self.section(
            "events", chosen, self.event_entry, more_url="/events" + ("?" + urlencode(query) if query else ""),
            summary=summary,
        )  # fmt: skip

    def unread(self) -> Section:
        notes = [
            n
            for n in self.interests.unread
            if n.created_at < self.end and n.created_at >= self.start
        ]

        mention, reply = _("Mention"), pgettext("notification kind", "Reply")

        def entry(n: UnreadNote) -> Entry:
            what = mention if n.kind == "mention" else reply
            return Entry(
                title=excerpt(_note_title(n) or what, 150),
                url=self.url(n.url or "/notifications"),
                meta=f"{what} · {format_date(n.created_at)}",
                excerpt=n.excerpt,
            )

        mentions = sum(1 for n in notes if n.kind == "mention")
        replies = len(notes) - mentions
        unread = ngettext("%(num)s unread reply", "%(num)s unread replies", replies)
        mentioned = ngettext("%(num)s mention", "%(num)s mentions", mentions)
        if replies and mentions:
            summary = _("%(replies)s and %(mentions)s", replies=unread, mentions=mentioned)
        else:
            summary = unread if replies else mentioned if mentions else ""
        return self.section("replies", notes, entry, more_url="/notifications", summary=summary)

    def highlights(self) -> list[Section]:
        items = new_by_followers(self)
        practices = [
            t for t in self.c.threads
            if t.kind == "good_practice" and self.in_window(t.created_at)
            and not self.mine(t.author_id)
        ]  # fmt: skip
        return [
            self.section(
                "highlights", items, self.intel_entry,
                more_url="/intel",  # newest added first (see intel_for_follows)
                follow_links=self.follow_suggestions(items[:SECTION_CAP]),
                summary=ngettext("%(num)s new item", "%(num)s new items", len(items)),
            ),
            self.section(
                "good_practices", practices, self.thread_entry,
                more_url="/discussions?kind=good_practice",
                follow_links=self.follow_suggestions(practices[:SECTION_CAP]),
                summary=ngettext("%(num)s good practice", "%(num)s good practices", len(practices)),
            ),
        ]  # fmt: skip

    def build(self, only: Sequence[str] | None = None) -> tuple[list[Section], bool]:
        if only is not None:
            makers = {"threads": self.followed_threads, "intel": self.intel_for_follows,
                      "good_practices": self.good_practices, "events": self.events}  # fmt: skip
            return [makers[key]() for key in only], False
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


def _tagged(make: Callable[[], Entry], name: str) -> Entry:
    entry = make()
    matches = _("matches “%(name)s”", name=name)
    return replace(entry, meta=f"{entry.meta} · {matches}")


def _note_title(note: UnreadNote) -> str:
    """What the notification says, in the reader's language (the stored text was written
    in the language of whoever caused it)."""
    return describe(
        note.kind, actor=note.actor_name or None, title=note.thread_title or None, stored=note.text
    )


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
    search: SearchEngine | None = None,
    only: Sequence[str] | None = None,
) -> Digest:
    """The member's digest for `period`, covering `window_start` to `window_end`.

    `candidates` may cover a wider window (the sender shares one between members whose
    windows differ): only what falls inside the member's own window is kept. Without
    `candidates` they are loaded for this window; without `interests` the member's are
    read (three small queries). Saved searches run on `search`, by default the settings'
    engine; when it cannot answer, their section is left out (and logged), and so in the
    next digests built from the same `candidates`. `only` names the sections to build
    ("threads", "intel", "good_practices", "events"), in that order, for pages that show a
    few of them ("Since your last visit"); without it, the digest's own.
    """
    if candidates is None:
        candidates = load_candidates(db, window_start=window_start, window_end=window_end, now=now)
    if interests is None:
        interests = load_member_interests(db, [user.id], since=window_start)[user.id]
    builder = _Builder(
        db, settings, user, candidates, interests,
        window_start=window_start, window_end=window_end, now=now, search=search,
    )  # fmt: skip
    # Written in the member's language and time zone, whoever asks for it (the sender,
    # a preview, the "view in browser" link opened signed out).
    with i18n.using(user.language, user.timezone):
        sections, highlights = builder.build(only)
    return Digest(
        user_id=user.id,
        period=period,
        window_start=window_start,
        window_end=window_end,
        sections=[s for s in sections if s.entries],
        highlights=highlights,
    )
