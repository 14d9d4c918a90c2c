"""Members by what they follow and by partnership, for /admin/analytics: how many members
follow each country and each sector, and how many belong to each partnership.

Today's figures, whatever the period: unfollowing deletes a follow and leaving deletes a
membership, so earlier states are not kept. Members are the accounts with a verified
address that are not suspended (a deleted account kept as "Former member" is suspended).
A member following a region group counts for each of its countries, once however many of
their follows name the country. A count of 1 to 4 members is withheld (None).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from forum.accounts.models import Membership, User
from forum.insights.analytics import SMALLEST_GROUP, Focus, withhold_small
from forum.notifications.models import Follow
from forum.partnerships.models import Partnership
from forum.taxonomy.models import Sector
from forum.taxonomy.regions import get_region_group
from forum.taxonomy.service import get_country

TOP = 15  # rows in each chart and page table; the CSV and the API give them all


@dataclass(frozen=True)
class MemberCount:
    key: str  # an ISO country code, a sector slug or a partnership slug
    label: str  # its name, in the reader's language for a country
    members: int | None  # None: 1 to 4 members, withheld


def _members(focus: Focus) -> list[ColumnElement[bool]]:
    return [
        User.email_verified_at.is_not(None),
        User.suspended_at.is_(None),
        *focus.members(User.id),
    ]


def _ranked(counts: dict[str, tuple[str, int]]) -> list[MemberCount]:
    """Most members first, ties by name; the withheld rows last, by name only, so that
    their order tells nothing of their size."""
    rows = sorted(
        counts.items(),
        key=lambda kv: (-kv[1][1] if kv[1][1] >= SMALLEST_GROUP else 0, kv[1][0].casefold()),
    )
    return [MemberCount(key, label, withhold_small(n)) for key, (label, n) in rows if n > 0]


def by_country(db: Session, focus: Focus | None = None) -> list[MemberCount]:
    """Members following each country, directly or through a region group."""
    people: dict[str, set[int]] = {}
    rows = db.execute(
        select(Follow.user_id, Follow.target_type, Follow.target)
        .join(User, User.id == Follow.user_id)
        .where(Follow.target_type.in_(("country", "region_group")), *_members(focus or Focus()))
    )
    for user_id, kind, target in rows:
        if kind == "country":
            codes: frozenset[str] | tuple[str] = (target,)
        else:
            group = get_region_group(target)
            codes = group.members if group else frozenset()
        for code in codes:
            people.setdefault(code, set()).add(user_id)
    counts = {}
    for code, ids in people.items():
        country = get_country(code)
        if country is not None:
            counts[code] = (country.label, len(ids))
    return _ranked(counts)


def by_sector(db: Session, focus: Focus | None = None) -> list[MemberCount]:
    """Members following each sector."""
    rows = db.execute(
        select(Sector.slug, Sector.name, func.count(Follow.user_id))
        .join(Follow, (Follow.target_type == "sector") & (Follow.target == Sector.slug))
        .join(User, User.id == Follow.user_id)
        .where(*_members(focus or Focus()))
        .group_by(Sector.slug, Sector.name)
    )
    return _ranked({slug: (name, int(n)) for slug, name, n in rows})


def by_partnership(db: Session, focus: Focus | None = None) -> list[MemberCount]:
    """Members of each partnership: approved memberships."""
    rows = db.execute(
        select(Partnership.slug, Partnership.name, func.count(Membership.id))
        .join(Membership, Membership.partnership_id == Partnership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.status == "approved", *_members(focus or Focus()))
        .group_by(Partnership.slug, Partnership.name)
    )
    return _ranked({slug: (name, int(n)) for slug, name, n in rows})


# section of the CSV and the API -> (how to count, the name of its key column)
SECTIONS: dict[str, tuple[Callable[[Session, Focus | None], list[MemberCount]], str]] = {
    "members-countries": (by_country, "country"),
    "members-sectors": (by_sector, "sector"),
    "members-partnerships": (by_partnership, "partnership"),
}


def csv_rows(db: Session, section: str, focus: Focus, fewer: str) -> list[list[str]]:
    """A header row, then one row per country, sector or partnership; a withheld count
    as `fewer` ("fewer than 5" in the reader's language)."""
    count, key = SECTIONS[section]
    return [[key, "name", "members"]] + [
        [r.key, r.label, fewer if r.members is None else str(r.members)] for r in count(db, focus)
    ]


def api_rows(db: Session, section: str, focus: Focus) -> list[dict[str, Any]]:
    """One object per row; a withheld count is null."""
    count, key = SECTIONS[section]
    return [{key: r.key, "name": r.label, "members": r.members} for r in count(db, focus)]
