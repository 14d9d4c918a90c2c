"""The digest's words: section titles, dates and counts as a line of text, excerpts, and
the names of what a member follows, in the language of the member being written to
(`build_digest` and the renderers write inside `i18n.using(member's language)`)."""

from __future__ import annotations

from forum.core import formats
from forum.core.i18n import _, _l, ngettext
from forum.digests.candidates import Candidates
from forum.taxonomy.regions import get_region_group

EXCERPT_CHARS = 200

SECTION_TITLES = {
    "intel": _l("New intelligence for your follows"),
    "good_practices": _l("New good practices"),
    "threads": _l("Threads you follow with new replies"),
    "saved_searches": _l("New matches of your saved searches"),
    "deadlines": _l("Calls and tenders closing within 14 days"),
    "events": _l("Upcoming events in your countries and sectors"),
    "replies": _l("Replies and mentions you have not read"),
    "highlights": _l("This week's highlights"),
}


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """`text` on one line, cut at a word before `limit` characters with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"


def short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def in_days(days: int) -> str:
    """When something starts: "today", "tomorrow", "in 3 days"."""
    if days <= 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    return ngettext("in %(num)s day", "in %(num)s days", days)


def starts(days: int) -> str:
    """When an event starts, or that it runs now: "on now", "today", "in 3 days"."""
    return _("on now") if days < 0 else in_days(days)


def closes(days: int, on: str) -> str:
    """When a call closes, with its date: "closes in 3 days (10 Dec 2026)"."""
    if days <= 0:
        return _("closes today (%(date)s)", date=on)
    if days == 1:
        return _("closes tomorrow (%(date)s)", date=on)
    return ngettext(
        "closes in %(num)s day (%(date)s)", "closes in %(num)s days (%(date)s)", days, date=on
    )


def title_closes(title: str, days: int) -> str:
    """A call's title and when it closes: "EU food tender closes tomorrow"."""
    if days <= 0:
        return _("%(title)s closes today", title=title)
    if days == 1:
        return _("%(title)s closes tomorrow", title=title)
    return ngettext(
        "%(title)s closes in %(num)s day", "%(title)s closes in %(num)s days", days, title=title
    )


def label(target_type: str, target: str, candidates: Candidates) -> str:
    """The name of a follow's target: "Japan", "ASEAN", "Food industry", a partnership."""
    if target_type == "region_group":
        group = get_region_group(target)
        return group.label if group else target
    if target_type == "country":
        return formats.country_name(target)
    if target_type == "sector":
        return candidates.sector_label(target)
    if target_type == "category":
        return candidates.category_names.get(target, target)
    if target_type == "partnership":
        try:
            return candidates.partnership_names.get(int(target), target)
        except ValueError:
            return target
    return target
