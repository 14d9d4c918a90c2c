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
    """Members following each country, directly or through a region group: the direct
    follows counted in the database (one per member and country), then the few members
    who follow a region group read one by one, a country of their groups counting for them
    only when they do not follow it directly."""
    members = _members(focus or Focus())
    direct: dict[str, int] = {
        code: int(n)
        for code, n in db.execute(
            select(Follow.target, func.count())
            .join(User, User.id == Follow.user_id)
            .where(Follow.target_type == "country", *members)
            .group_by(Follow.target)
        )
    }
    through_groups = select(Follow.user_id).where(Follow.target_type == "region_group")
    followed: dict[int, tuple[set[str], set[str]]] = {}  # member -> (direct, through groups)
    for user_id, kind, target in db.execute(
        select(Follow.user_id, Follow.target_type, Follow.target)
        .join(User, User.id == Follow.user_id)
        .where(
            Follow.target_type.in_(("country", "region_group")),
            Follow.user_id.in_(through_groups),
            *members,
        )
    ):
        codes = followed.setdefault(user_id, (set(), set()))
        if kind == "country":
            codes[0].add(target)
        else:
            group = get_region_group(target)
            codes[1].update(group.members if group else ())
    for own, grouped in followed.values():
        for code in grouped - own:
            direct[code] = direct.get(code, 0) + 1
    counts = {}
    for code, n in direct.items():
        country = get_country(code)
        if country is not None:
            counts[code] = (country.label, n)
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
