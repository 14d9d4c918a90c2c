"""What the analytics' country and sector focus means for members and for searches.

Members: those who follow one of the focus's countries, directly or through a region
group that holds one of them (the digest reads follows the same way), and, with sectors,
one of its sectors. Searches: those whose logged country filter names one of the
countries or such a group, and whose sector filter names one of the sectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, literal, or_, select

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


def _names_one_of(column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """The comma-joined `column` ("JP,g:asean") holds one of `values` exactly."""
    padded = literal(",") + column + literal(",")
    return or_(*(padded.contains(f",{value},", autoescape=True) for value in values))


def searches(countries: Sequence[str], sectors: Sequence[str]) -> list[ColumnElement[bool]]:
    """Conditions on the search log: its country filter names one of `countries` or a
    region group holding one, and its sector filter one of `sectors`."""
    out = []
    if countries:
        out.append(
            _names_one_of(SearchLogEntry.countries, [*countries, *groups_holding(countries)])
        )
    if sectors:
        out.append(_names_one_of(SearchLogEntry.sectors, sectors))
    return out
