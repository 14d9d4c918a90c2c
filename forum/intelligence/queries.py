"""Reading intelligence items: one item, the filtered lists (numbered pages for people,
keyset cursors for the API), their facet counts, and the moderators' review queue.

Every query starts from what the viewer may see (`service.visible_items`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.core.errors import NotFound
from forum.core.i18n import _
from forum.core.pagination import InvalidCursorError, Page, decode_cursor, encode_cursor
from forum.intelligence.counts import cached_counts
from forum.intelligence.models import IntelCountry, IntelItem, intel_sector
from forum.intelligence.service import (
    IntelError,
    can_see,
    require_moderator,
    visible_items,
)
from forum.taxonomy.filters import in_countries, in_sectors
from forum.taxonomy.models import Sector

CLOSING_SOON = dt.timedelta(days=14)
REVIEW_PER_PAGE = 20


@dataclass(frozen=True)
class IntelFilter:
    countries: Sequence[str] = ()
    sectors: Sequence[str] = ()
    kinds: Sequence[str] = ()
    sources: Sequence[str] = ()
    published_from: dt.datetime | None = None
    published_to: dt.datetime | None = None
    open_deadlines: bool = False
    include_global: bool = True
    # "My drafts": one author's items with these statuses (still within what the viewer sees).
    author_id: int | None = None
    statuses: Sequence[str] = ()
    # Countries OR sectors (`?match=any`), as a member's follows add up: the digest's
    # "and N more" link lists every item its section could hold. Else both apply.
    match_any: bool = False


SORTS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "added": (IntelItem.added_at.desc(), IntelItem.id.desc()),
    "published": (IntelItem.published_at.desc().nulls_last(), IntelItem.id.desc()),
    "deadline": (IntelItem.deadline.asc().nulls_last(), IntelItem.id.desc()),
}
# The sorts by recency put specific items first when a country or sector filter is on
# (the soonest deadline stays the soonest, whatever its breadth).
SPECIFIC_FIRST_SORTS = ("added", "published")


def specific_first(flt: IntelFilter, sort: str) -> bool:
    """Whether the list of `flt` in `sort` order shows specific items before broader ones."""
    return bool(flt.countries or flt.sectors) and sort in SPECIFIC_FIRST_SORTS


def _order(flt: IntelFilter, sort: str) -> tuple[ColumnElement[Any], ...]:
    if specific_first(flt, sort):
        return (IntelItem.specific.desc(), *SORTS[sort])
    return SORTS[sort]


def _filtered(
    viewer: User | None, flt: IntelFilter, *, now: dt.datetime | None = None
) -> Select[IntelItem]:
    stmt = visible_items(select(IntelItem), viewer)
    tags: list[ColumnElement[bool]] = []
    if flt.countries:
        tagged = in_countries(
            IntelItem.id, IntelCountry.item_id, IntelCountry.country_code, flt.countries
        )
        tags.append(or_(tagged, IntelItem.is_global) if flt.include_global else tagged)
    if flt.sectors:
        tags.append(
            in_sectors(IntelItem.id, intel_sector.c.item_id, intel_sector.c.sector_id, flt.sectors)
        )
    if tags:
        stmt = stmt.where(or_(*tags) if flt.match_any else and_(*tags))
    if flt.kinds:
        stmt = stmt.where(IntelItem.kind.in_(list(flt.kinds)))
    if flt.sources:
        stmt = stmt.where(IntelItem.source_name.in_(list(flt.sources)))
    if flt.published_from is not None:
        stmt = stmt.where(IntelItem.published_at >= flt.published_from)
    if flt.published_to is not None:
        stmt = stmt.where(IntelItem.published_at <= flt.published_to)
    if flt.open_deadlines:
        stmt = stmt.where(IntelItem.deadline >= (now or utcnow()))
    if flt.author_id is not None:
        stmt = stmt.where(IntelItem.author_id == flt.author_id)
    if flt.statuses:
        stmt = stmt.where(IntelItem.status.in_(list(flt.statuses)))
    return stmt


def _loaded(stmt: Select[IntelItem]) -> Select[IntelItem]:
    return stmt.options(
        selectinload(IntelItem.sectors),
        selectinload(IntelItem.country_rows),
        selectinload(IntelItem.attachments),
    )


def page_items(
    db: Session, viewer: User | None, flt: IntelFilter, *, page: int, per_page: int = 20,
    sort: str = "added", base_path: str = "/intel", params: dict[str, object] | None = None,
) -> Page[IntelItem]:  # fmt: skip
    if sort not in SORTS:
        raise IntelError(_("Sort by one of %(known)s.", known=", ".join(SORTS)), "sort")
    stmt = _filtered(viewer, flt)
    total = cached_counts(
        db, viewer, ("total", _filter_key(flt)),
        lambda: db.scalar(stmt.with_only_columns(func.count(IntelItem.id)).order_by(None)) or 0,
    )  # fmt: skip
    rows = db.scalars(
        _loaded(stmt).order_by(*_order(flt, sort)).offset((page - 1) * per_page).limit(per_page)
    )
    return Page(list(rows), page, per_page, total, base_path, params or {})


def facet_counts(db: Session, viewer: User | None, flt: IntelFilter) -> dict[str, dict[str, int]]:
    """Counts by country, sector, kind and source among the items the filter keeps."""
    return cached_counts(
        db, viewer, ("facets", _filter_key(flt)), lambda: _facet_counts(db, viewer, flt)
    )


def _facet_counts(db: Session, viewer: User | None, flt: IntelFilter) -> dict[str, dict[str, int]]:
    ids = _filtered(viewer, flt).with_only_columns(IntelItem.id).subquery()
    countries = db.execute(
        select(IntelCountry.country_code, func.count())
        .where(IntelCountry.item_id.in_(select(ids.c.id)))
        .group_by(IntelCountry.country_code)
    )
    sectors = db.execute(
        select(Sector.slug, func.count())
        .join(intel_sector, intel_sector.c.sector_id == Sector.id)
        .where(intel_sector.c.item_id.in_(select(ids.c.id)))
        .group_by(Sector.slug)
    )
    kinds = db.execute(
        select(IntelItem.kind, func.count())
        .where(IntelItem.id.in_(select(ids.c.id)))
        .group_by(IntelItem.kind)
    )
    sources = db.execute(
        select(IntelItem.source_name, func.count())
        .where(IntelItem.id.in_(select(ids.c.id)), IntelItem.source_name.is_not(None))
        .group_by(IntelItem.source_name)
    )
    return {
        "country": {str(k): int(v) for k, v in countries.all()},
        "sector": {str(k): int(v) for k, v in sectors.all()},
        "kind": {str(k): int(v) for k, v in kinds.all()},
        "source": {str(k): int(v) for k, v in sources.all() if k},
    }


def find_item(db: Session, viewer: User | None, item_id: int) -> IntelItem | None:
    """The item with what its page shows, or None when it is missing or `viewer` may not
    see it."""
    item = db.scalar(_loaded(select(IntelItem).where(IntelItem.id == item_id)))
    return item if item is not None and can_see(viewer, item) else None


def get_item(db: Session, viewer: User | None, item_id: int) -> IntelItem:
    """`find_item`, raising NotFound instead of answering None."""
    item = find_item(db, viewer, item_id)
    if item is None:
        raise NotFound("intelligence item")
    return item


def deadline_state(item: IntelItem, *, now: dt.datetime | None = None) -> str | None:
    """ "closing soon" within 14 days, "closed" once past, else None (no deadline or later)."""
    if item.deadline is None:
        return None
    now = now or utcnow()
    if item.deadline < now:
        return "closed"
    if item.deadline - now <= CLOSING_SOON:
        return "closing soon"
    return None


def count_in_review(db: Session) -> int:
    stmt = select(func.count()).select_from(IntelItem).where(IntelItem.status == "review")
    return db.scalar(stmt) or 0


def page_review_queue(
    db: Session, viewer: User | None, *, page: int, per_page: int = REVIEW_PER_PAGE
) -> Page[IntelItem]:
    """The items waiting for a moderator, oldest first. Raises NotAllowed for anyone else."""
    require_moderator(viewer)
    stmt = select(IntelItem).where(IntelItem.status == "review")
    rows = db.scalars(
        _loaded(stmt)
        .options(selectinload(IntelItem.feed), selectinload(IntelItem.author))
        .order_by(IntelItem.added_at, IntelItem.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return Page(list(rows), page, per_page, count_in_review(db), "/intel/review", {})


# --- the API's cursor pages ------------------------------------------------------------------

# The column each sort walks; `added` is never null, the others sort their nulls last.
_SORT_COLUMNS = {
    "added": IntelItem.added_at,
    "published": IntelItem.published_at,
    "deadline": IntelItem.deadline,
}


def _after_cursor(sort: str, ranked: bool, cursor: str) -> ColumnElement[bool]:
    """The rows after `cursor` in `_order` (SORTS[sort], specific items first when
    `ranked`); InvalidCursorError for a foreign cursor."""
    name, rank, when, last_id = decode_cursor(cursor, arity=4)
    if (
        name != sort
        or not isinstance(when, str)
        or not isinstance(last_id, int)
        or rank not in ((0, 1) if ranked else (-1,))
    ):
        raise InvalidCursorError
    column = _SORT_COLUMNS[sort]
    if when == "":
        if sort == "added":
            raise InvalidCursorError
        after = and_(column.is_(None), IntelItem.id < last_id)
    else:
        try:
            moment = dt.datetime.fromisoformat(when)
        except ValueError as exc:
            raise InvalidCursorError from exc
        if moment.tzinfo is None:
            raise InvalidCursorError
        beyond = column > moment if sort == "deadline" else column < moment
        after = or_(beyond, and_(column == moment, IntelItem.id < last_id))
        if sort != "added":
            after = or_(after, column.is_(None))
    if not ranked:
        return after
    # Specific items (rank 1) come first: after one, every broad item follows too.
    same = IntelItem.specific.is_(True) if rank else IntelItem.specific.is_(False)
    return or_(and_(same, after), IntelItem.specific.is_(False)) if rank else and_(same, after)


def list_items(
    db: Session, viewer: User | None, flt: IntelFilter, *, sort: str = "added",
    cursor: str | None = None, limit: int = 20, rank: bool = True,
) -> tuple[list[IntelItem], str | None]:  # fmt: skip
    """One page of the items `viewer` may see, in SORTS[sort] order (specific items first
    when `rank` and `specific_first`), by keyset cursor.

    Answers the rows and the cursor of the next page (None on the last page). Raises
    IntelError for an unknown sort, InvalidCursorError for a cursor this function did not
    make for the same sort.
    """
    if sort not in SORTS:
        raise IntelError(_("Sort by one of %(known)s.", known=", ".join(SORTS)), "sort")
    ranked = rank and specific_first(flt, sort)
    stmt = _filtered(viewer, flt)
    if cursor:
        stmt = stmt.where(_after_cursor(sort, ranked, cursor))
    rows = list(
        db.scalars(
            _loaded(stmt)
            .options(selectinload(IntelItem.author))
            .order_by(*(_order(flt, sort) if ranked else SORTS[sort]))
            .limit(limit + 1)
        )
    )
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    moment = getattr(last, _SORT_COLUMNS[sort].key)
    flag = int(last.specific) if ranked else -1
    return rows, encode_cursor([sort, flag, moment.isoformat() if moment else "", last.id])


def _filter_key(flt: IntelFilter) -> tuple[object, ...]:
    return (
        tuple(sorted(flt.countries)), tuple(sorted(flt.sectors)), tuple(sorted(flt.kinds)),
        tuple(sorted(flt.sources)), flt.published_from, flt.published_to,
        # Open deadlines depend on the time: keyed by the minute.
        utcnow().replace(second=0, microsecond=0) if flt.open_deadlines else None,
        flt.include_global, flt.author_id, tuple(flt.statuses), flt.match_any,
    )  # fmt: skip
