"""One member's view of a digest's candidates: their follows resolved (countries through
region groups), the links to follow or mute, and the entries and sections as they read."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar
from urllib.parse import quote, urlencode

from forum.accounts.models import User
from forum.core import i18n
from forum.core.collation import collated
from forum.core.config import Settings
from forum.core.formats import country_name, format_date, format_list
from forum.core.i18n import _, ngettext
from forum.digests import tokens
from forum.digests.candidates import (
    Candidates,
    EventCandidate,
    IntelCandidate,
    ReplyCandidate,
    ThreadCandidate,
)
from forum.digests.digest import Entry, Section
from forum.digests.interests import MemberInterests
from forum.digests.wording import SECTION_TITLES, excerpt, label, starts
from forum.events.dates import format_range
from forum.intelligence.models import KIND_LABELS as INTEL_KIND_LABELS
from forum.notifications.reply_address import reply_address
from forum.taxonomy.regions import UnknownCountryError, expand_codes

T = TypeVar("T")

SECTION_CAP = 8
FOLLOW_LINKS_CAP = 4


class MemberView:
    """A member's follows resolved against shared candidates, and how their digest says
    things: links, meta lines, sections capped, entries. Every lookup is in memory."""

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
        # Each follow/mute link's address -> (action, target type, target).
        self._choices: dict[str, tuple[str, str, str]] = {}

    # -- helpers

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base + (path if path.startswith("/") else "/" + path)

    def reply_mailto(self, post_id: int, title: str) -> str:
        """A `mailto:` link answering the post by email (docs/email.md), or "" when the
        forum receives no mail."""
        address = reply_address(
            self.settings.secret_key, self.settings.inbound_domain, self.user.id, post_id,
            now=self.now,
        )  # fmt: skip
        if address is None:
            return ""
        return f"mailto:{address}?" + urlencode({"subject": _("Re: %(title)s", title=title)},
                                                 quote_via=quote)  # fmt: skip

    def in_window(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end

    def mine(self, author_id: int | None) -> bool:
        return author_id is not None and author_id == self.user.id

    def interest_link(self, action: str, target_type: str, target: str) -> tuple[str, str]:
        name = label(target_type, target, self.c)
        token = tokens.interest_token(
            self.settings.secret_key or "", self.user.id, action, target_type, target
        )
        text = (
            _("Follow %(name)s", name=name) if action == "follow" else _("Mute %(name)s", name=name)
        )
        url = self.url(f"/digests/interest/{token}")
        self._choices[url] = (action, target_type, target)
        return text, url

    def follow_all_url(self, links: Sequence[tuple[str, str]]) -> str | None:
        """One address for these follow/mute links: the link itself when there is one."""
        if len(links) <= 1:
            return links[0][1] if links else None
        choices = [self._choices[url] for _label, url in links if url in self._choices]
        token = tokens.interests_token(self.settings.secret_key or "", self.user.id, choices)
        return self.url(f"/digests/interests/{token}")

    def tags_line(
        self, countries: Iterable[str], sectors: Iterable[str], *, is_global: bool = False
    ) -> tuple[str, str]:
        """("Japan, Korea", "Food industry") for an entry's meta line, shortened past a few."""
        names = collated((country_name(code) for code in countries), key=str)
        if len(names) > 3:
            names = [*names[:3], f"+{len(names) - 3}"]
        if is_global:
            names.append(_("Global"))
        slugs = collated((self.c.sector_label(s) for s in sectors), key=str)
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
        links = tuple(follow_links[:FOLLOW_LINKS_CAP])
        return Section(
            key=key,
            title=title or str(SECTION_TITLES[key]),
            entries=shown,
            more=(len(rows) if total is None else total) - len(shown),
            more_url=self.url(more_url) if more_url else None,
            follow_links=links,
            follow_all_url=self.follow_all_url(links),
            summary=summary if shown else "",
        )

    def intel_filter(self) -> list[tuple[str, str]]:
        """The intelligence list's filters for every item the member's follows bring:
        the followed countries and sectors, either of them (`match=any`) when both."""
        query = [("country", c) for c in self.country_filter[:20]]
        query += [("sector", s) for s in sorted(self.sectors)[:20]]
        if self.country_filter and self.sectors:
            query.append(("match", "any"))
        return query

    def events_filter(self) -> list[tuple[str, str]]:
        """The events list's filters for every event the section may hold: the followed
        countries, sectors and partnerships, any of them (`match=any`) when several kinds."""
        query = [("country", c) for c in self.country_filter[:20]]
        query += [("sector", s) for s in sorted(self.sectors)[:20]]
        query += [("partnership", str(p)) for p in sorted(self.partnerships)[:20]]
        if len({name for name, _value in query}) > 1:
            query.append(("match", "any"))
        return query

    def matched_follows(
        self, countries: Iterable[str], sectors: Iterable[str]
    ) -> list[tuple[str, str]]:
        """The member's follows an item is there for: ("country", "JP"), ("sector", "food")."""
        found = [self.country_source[c] for c in sorted(countries) if c in self.country_source]
        found += [("sector", s) for s in sorted(sectors) if s in self.sectors]
        return list(dict.fromkeys(found))

    def mute_links(self, matched: Iterable[tuple[tuple[str, str], int]]) -> list[tuple[str, str]]:
        """ "Mute Japan" links for the follows `matched` names (most matched first)."""
        # Only the links a section shows are made (each signs a token).
        return [
            self.interest_link("mute", kind, target)
            for (kind, target), _ in itertools.islice(matched, FOLLOW_LINKS_CAP)
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
        for (kind, target), _count in tags.most_common():
            if kind == "country" and target in self.country_source:
                continue
            if kind == "sector" and target in self.sectors:
                continue
            out.append(self.interest_link("follow", kind, target))
            if len(out) == FOLLOW_LINKS_CAP:  # what a section shows
                break
        return out

    # -- entries

    def shared_entry(self, key: tuple[object, ...], make: Callable[[], Entry]) -> Entry:
        """An entry that says nothing about its reader (no token, no reply address): made
        once per candidate set, language and time zone, then shared by every member's
        digest that lists it (`Candidates.shared`)."""
        choice = i18n.current()
        full = ("entry", *key, self.base, choice.language, choice.timezone)
        found = self.c.shared.get(full)
        if found is None:
            found = self.c.shared[full] = make()
        return found

    def intel_entry(self, item: IntelCandidate, *, meta_tail: str = "") -> Entry:
        return self.shared_entry(
            ("intel", item.id, meta_tail), lambda: self._intel_entry(item, meta_tail)
        )

    def _intel_entry(self, item: IntelCandidate, meta_tail: str) -> Entry:
        where, what = self.tags_line(item.countries, item.sectors, is_global=item.is_global)
        parts = [str(INTEL_KIND_LABELS.get(item.kind, item.kind)), where, what]
        parts.append(meta_tail or format_date(item.added_at))
        return Entry(
            title=item.title,
            url=self.url(f"/intel/{item.id}"),
            meta=" · ".join(p for p in parts if p),
            excerpt=item.excerpt,
        )

    def thread_entry(self, t: ThreadCandidate) -> Entry:
        return self.shared_entry(("thread", t.id), lambda: self._thread_entry(t))

    def _thread_entry(self, t: ThreadCandidate) -> Entry:
        where, what = self.tags_line(t.countries, t.sectors)
        parts = [t.partnership_name or "", where, what, format_date(t.created_at)]
        return Entry(
            title=t.title,
            url=self.url(f"/threads/{t.id}"),
            meta=" · ".join(p for p in parts if p),
            excerpt=t.excerpt,
        )

    def reply_entry(self, thread: ThreadCandidate, reply: ReplyCandidate) -> Entry:
        return Entry(
            title=_("Re: %(title)s", title=thread.title),
            url=self.url(f"/posts/{reply.id}"),
            meta=_(
                "Reply by %(name)s · %(date)s",
                name=reply.author_name or _("Former member"),
                date=format_date(reply.created_at),
            ),
            excerpt=reply.excerpt,
            reply_mailto=self.reply_mailto(reply.id, thread.title),
        )

    def event_entry(self, e: EventCandidate) -> Entry:
        # "in 3 days": counted from the builder's `now`.
        return self.shared_entry(("event", e.id, self.now.date()), lambda: self._event_entry(e))

    def _event_entry(self, e: EventCandidate) -> Entry:
        days = (e.starts_on - self.now.date()).days
        # The dates and the country in the member's language: candidates are shared.
        dates = e.date_text or format_range(e.starts_on, e.ends_on)
        place = e.location or ", ".join(
            p for p in (e.city, country_name(e.country) if e.country else "") if p
        )
        meta = " · ".join(p for p in (dates, place, starts(days)) if p)
        going = []
        if e.partnerships_going:
            names = list(e.partnerships_going[:3])
            if len(e.partnerships_going) > 3:
                more = len(e.partnerships_going) - 3
                names.append(
                    ngettext("%(num)s more partnership", "%(num)s more partnerships", more)
                )
            going.append(format_list(names))
        if e.members_going:
            going.append(ngettext("%(num)s member", "%(num)s members", e.members_going))
        text = (
            _("Going: %(who)s", who="; ".join(going))
            if going
            else _("Nobody has said they are going yet.")
        )
        return Entry(
            title=e.name, url=self.url(f"/events/{e.id}"), meta=meta, excerpt=excerpt(text)
        )
