"""What a digest is: its sections, their entries, and the subject line that sums them up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from forum.core.i18n import _

SITE_NAME = "Cluster Forum"

# The subject names the news in this order (the sections read in
# wording.SECTION_TITLES' order).
SUBJECT_ORDER = ("intel", "highlights", "good_practices", "events", "deadlines", "replies",
                 "threads", "saved_searches")  # fmt: skip


@dataclass(frozen=True)
class Entry:
    title: str
    url: str  # absolute
    meta: str = ""  # one line: "Japan · Food industry · 3 Dec 2026"
    excerpt: str = ""  # plain text, at most wording.EXCERPT_CHARS
    # mailto: the member's reply address for the entry's latest post ("" without one).
    reply_mailto: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    entries: list[Entry]  # at most member_view.SECTION_CAP
    more: int = 0  # how many beyond the entries shown
    more_url: str | None = None  # absolute: the page listing all of them
    # (label, absolute URL of a confirm page whose button POSTs): "Mute Japan".
    follow_links: tuple[tuple[str, str], ...] = ()
    # One address for all of them (a page listing each with its button), so the
    # plain-text part shows one link instead of several long ones; None without links.
    follow_all_url: str | None = None
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
        """What is inside, in SUBJECT_ORDER, in at most about 200 characters, in the
        language being written (the renderers write in the member's)."""
        order = {key: i for i, key in enumerate(SUBJECT_ORDER)}
        ranked = sorted(self.sections, key=lambda s: order.get(s.key, len(order)))
        parts = [s.summary for s in ranked if s.entries and s.summary]
        if not parts:
            return _("Your %(site)s digest", site=SITE_NAME)
        if self.highlights:
            parts.insert(0, _("New on %(site)s", site=SITE_NAME))
        subject = parts[0]
        for part in parts[1:]:
            if len(subject) + len(part) + 3 > 200:
                break
            subject += " · " + part
        return subject

    def counts(self) -> dict[str, int]:
        """Per section key: how many entries it has, those beyond the cap included."""
        return {s.key: s.total for s in self.sections}
