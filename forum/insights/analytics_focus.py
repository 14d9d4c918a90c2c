"""What the analytics' country and sector focus means for members and for searches.

Members: those who follow one of the focus's countries, directly or through a region
group that holds one of them (the digest reads follows the same way), and, with sectors,
one of its sectors. Searches: those whose logged country filter names one of the
countries or such a group, and whose sector filter names one of the sectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from forum.discovery.models import SearchLogEntry
from forum.notifications.models import Follow
from forum.taxonomy.regions import load_region_groups


def groups_holding(countries: Sequence[str]) -> list[str]:
    """The codes of the region groups that hold at least one of `countries` (ISO codes)."""
    wanted = set(countries)
    return sorted(g.code for g in load_region_groups().values() if g.members & wanted)


def followers(user_id: Any, countries: Sequence[str], sectors: Sequence[str]) -> list[Any]:
    """Conditions on a column of member ids (`User.id`, `Post.author_id` ...): the member
    follows one of `countries` (or a region group holding one) and one of `sectors`; an
    empty sequence does not narrow."""
    out: list[ColumnElement[bool]] = []
    if countries:
        out.append(
            user_id.in_(
                select(Follow.user_id).where(
                    or_(
                        and_(Follow.target_type == "country", Follow.target.in_(countries)),
                        and_(
                            Follow.target_type == "region_group",
                            Follow.target.in_(groups_holding(countries)),
                        ),
                    )
                )
            )
        )
    if sectors:
        out.append(
            user_id.in_(
                select(Follow.user_id).where(
                    Follow.target_type == "sector", Follow.target.in_(sectors)
                )
            )
        )
    return out


def filter_values(db: Session, column: Any) -> list[Any]:
    """The distinct values (not null) of an indexed column with few of them: a search-log
    filter (`SearchLogEntry.countries` or `.sectors`); found by skipping
    through the index it leads (ix_search_log_countries_cover, ...): one seek per value,
    not a read of the table."""
    seen = select(func.min(column).label("value")).cte("seen", recursive=True)
    following = (
        select(func.min(column)).where(column > seen.c.value).scalar_subquery().label("value")
    )
    seen = seen.union_all(select(following).where(seen.c.value.is_not(None)))
    return [v for v in db.scalars(select(seen.c.value)) if v is not None]


def _naming(values: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """Those of `values` (comma-joined, "JP,g:asean") that name one of `wanted` exactly."""
    chosen = set(wanted)
    return [v for v in values if chosen & set(v.split(","))]


def searches(
    db: Session, countries: Sequence[str], sectors: Sequence[str]
) -> list[ColumnElement[bool]]:
    """Conditions on the search log: its country filter names one of `countries` or a
    region group holding one, and its sector filter one of `sectors`. The filter values
    that do are few: they are found first, then the log is read by its index on them."""
    out: list[ColumnElement[bool]] = []
    if countries:
        wanted = [*countries, *groups_holding(countries)]
        out.append(
            SearchLogEntry.countries.in_(
                _naming(filter_values(db, SearchLogEntry.countries), wanted)
            )
        )
    if sectors:
        out.append(
            SearchLogEntry.sectors.in_(_naming(filter_values(db, SearchLogEntry.sectors), sectors))
        )
    return out
