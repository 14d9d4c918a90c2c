"""The digest's words: section titles, dates and counts as a line of text, excerpts, and
the names of what a member follows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from forum.digests.candidates import Candidates
from forum.taxonomy.regions import get_region_group
from forum.taxonomy.service import get_country

EXCERPT_CHARS = 200

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


def day(moment: dt.date | dt.datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def in_days(days: int, *, verb: str = "") -> str:
    prefix = f"{verb} " if verb else ""
    if days <= 0:
        return f"{prefix}today"
    if days == 1:
        return f"{prefix}tomorrow"
    return f"{prefix}in {days} days"


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def join_and(labels: Sequence[str]) -> str:
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def label(target_type: str, target: str, candidates: Candidates) -> str:
    """The name of a follow's target: "Japan", "ASEAN", "Food industry", a partnership."""
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
