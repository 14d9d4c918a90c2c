"""Lists of threads a viewer may see: filtered by category, kind, countries, sectors or
partnership, as numbered pages, keyset pages (API and feeds), or the few most recent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.core.pagination import InvalidCursorError, Page, decode_cursor, encode_cursor
from forum.discussions import reading
from forum.discussions.models import Category, Thread, ThreadCountry, thread_sector
from forum.discussions.service import _visible_threads, _with_tags
from forum.taxonomy.filters import in_countries, in_sectors


@dataclass(frozen=True)
class ThreadFilter:
    category: Category | None = None
    kind: str | None = None
    # A kind left out (a partnership's profile lists its good practices apart).
    not_kind: str | None = None
    countries: Sequence[str] = ()
    sectors: Sequence[str] = ()
    partnership_id: int | None = None
    # "latest" (every thread), "unread" or "new" (forum.discussions.reading): the last
    # two need a signed-in viewer and are ignored for a visitor.
    view: str = "latest"


def _filtered(viewer: User | None, flt: ThreadFilter) -> Select[Thread]:
    stmt = _visible_threads(viewer)
    if viewer is not None and flt.view == "unread":
        stmt = reading.only_unread(stmt, viewer)
    elif viewer is not None and flt.view == "new":
        stmt = reading.only_new(stmt, viewer, now=utcnow())
    if flt.category is not None:
        stmt = stmt.where(Thread.category_id == flt.category.id)
    if flt.kind:
        stmt = stmt.where(Thread.kind == flt.kind)
    if flt.not_kind:
        stmt = stmt.where(Thread.kind != flt.not_kind)
    if flt.countries:
        stmt = stmt.where(
            in_countries(
                Thread.id, ThreadCountry.thread_id, ThreadCountry.country_code, flt.countries
            )
        )
    if flt.sectors:
        stmt = stmt.where(
            in_sectors(Thread.id, thread_sector.c.thread_id, thread_sector.c.sector_id, flt.sectors)
        )
    if flt.partnership_id is not None:
        stmt = stmt.where(Thread.partnership_id == flt.partnership_id)
    return stmt


def page_threads(
    db: Session, viewer: User | None, flt: ThreadFilter, *, page: int, per_page: int = 25,
    base_path: str = "/discussions", params: Mapping[str, object] | None = None,
) -> Page[Thread]:  # fmt: skip
    """Pinned first, then by last activity."""
    stmt = _filtered(viewer, flt)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(
        _with_tags(stmt)
        .order_by(Thread.pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return Page(list(rows), page, per_page, total, base_path, dict(params or {}))


def list_threads(
    db: Session, viewer: User | None, flt: ThreadFilter, *, cursor: str | None, limit: int
) -> tuple[list[Thread], str | None]:
    """Newest activity first, by keyset cursor (for the API and feeds)."""
    stmt = _filtered(viewer, flt)
    if cursor:
        when, last_id = decode_cursor(cursor, arity=2)
        if not isinstance(when, str) or not isinstance(last_id, int):
            raise InvalidCursorError
        try:
            moment = dt.datetime.fromisoformat(when)
        except ValueError as exc:
            raise InvalidCursorError from exc
        if moment.tzinfo is None:
            raise InvalidCursorError
        stmt = stmt.where(
            or_(
                Thread.last_activity_at < moment,
                and_(Thread.last_activity_at == moment, Thread.id < last_id),
            )
        )
    rows = list(
        db.scalars(
            _with_tags(stmt)
            .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
            .limit(limit + 1)
        )
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].last_activity_at.isoformat(), rows[-1].id])
    return rows, next_cursor


# --- for the country and sector pages ------------------------------------------------------------


def recent_threads(
    db: Session, viewer: User | None, flt: ThreadFilter, *, limit: int = 10
) -> tuple[list[Thread], int]:
    """The most recently active threads `viewer` may see under `flt`, and how many there are.

    The count matches what the paginated list (`page_threads`) shows for the same filter.
    The threads come with their category loaded and nothing else: callers that show more
    load it.
    """
    stmt = _filtered(viewer, flt)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if not total:
        return [], 0
    rows = db.scalars(
        stmt.options(contains_eager(Thread.category))
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(limit)
    )
    return list(rows), total


def count_threads_by_country(db: Session, viewer: User | None) -> dict[str, int]:
    """ISO code -> threads tagged with it that `viewer` may see, in one GROUP BY."""
    visible = _visible_threads(viewer).with_only_columns(Thread.id)
    rows = db.execute(
        select(ThreadCountry.country_code, func.count())
        .where(ThreadCountry.thread_id.in_(visible))
        .group_by(ThreadCountry.country_code)
    )
    return {str(code): int(count) for code, count in rows.all()}
