"""Counting published intelligence: per country and sector (their pages and the API),
and the lists' totals and facets, cached per process until the repository changes.

The public list's totals and facet counts read the whole repository (about half a second
at 100,000 items on SQLite); its page of rows reads 20. Counts are kept per process,
keyed by the filter and by the repository's revision (`models.IntelRevision`), which
every flush that changes an item moves on in the same transaction: a change is visible
in the counts of the next request of every process. Only the anonymous view (published
items) is cached; a member's own drafts or a moderator's view are counted each time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, Table, exists, func, select
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import User
from forum.intelligence.models import (
    STATUSES,
    IntelCountry,
    IntelItem,
    IntelRevision,
    intel_sector,
)
from forum.taxonomy.models import Sector

COUNT_CACHE_SIZE = 512
_count_cache: OrderedDict[tuple[object, ...], object] = OrderedDict()
_count_lock = threading.Lock()


# Tag pages count a busy country's items up to here and then say "1,000+": an exact count
# needs every tagged item's status, a lookup per item, which grows with the repository.
COUNT_CAP = 1_000


@dataclass(frozen=True)
class Recent:
    """The newest published items with a tag, specific ones first (their sectors loaded),
    and how many there are (at most COUNT_CAP + 1)."""

    items: list[IntelItem]
    total: int

    @property
    def capped(self) -> bool:
        return self.total > COUNT_CAP


def _recent(db: Session, tags: Table, tagged: ColumnElement[bool], limit: int) -> Recent:
    """`tags` is an item-tag table (`item_id` and the tag); `tagged` picks the tag's rows."""
    # `status || ''` keeps SQLite from using the status index here, so both queries start
    # from the tag's own rows: at most COUNT_CAP + 1 lookups whatever the repository's size.
    unindexed_published = (IntelItem.status + "") == "published"
    from_tag = select(IntelItem).join(tags, tags.c.item_id == IntelItem.id)
    capped = (
        select(IntelItem.id)
        .join(tags, tags.c.item_id == IntelItem.id)
        .where(tagged, unindexed_published)
        .limit(COUNT_CAP + 1)
        .subquery()
    )
    total = db.scalar(select(func.count()).select_from(capped)) or 0
    if total <= COUNT_CAP:
        # A quiet tag: sort its few published items.
        stmt = from_tag.where(tagged, unindexed_published)
    else:
        # A busy tag: walk the newest published items until `limit` of them carry it.
        stmt = select(IntelItem).where(
            IntelItem.status == "published",
            exists().where(tagged, tags.c.item_id == IntelItem.id),
        )
    rows = db.scalars(
        stmt.options(selectinload(IntelItem.sectors))
        # Specific items first (as on a filtered /intel), each group newest first.
        .order_by(IntelItem.specific.desc(), IntelItem.added_at.desc(), IntelItem.id.desc())
        .limit(limit)
    )
    return Recent(list(rows), total)


def recent_for_country(db: Session, code: str, *, limit: int = 10) -> Recent:
    """Published items tagged with the ISO country `code`, specific ones first, each group
    newest added first.

    Global items are left out: they concern every country, so no country page lists them.
    """
    tags = IntelCountry.__table__
    return _recent(db, tags, tags.c.country_code == code, limit)  # type: ignore[arg-type]


def recent_for_sector(db: Session, sector: Sector, *, limit: int = 10) -> Recent:
    """Published items tagged with `sector`, specific ones first, each group newest added
    first."""
    return _recent(db, intel_sector, intel_sector.c.sector_id == sector.id, limit)


def _unpublished_ids() -> Select[int]:
    # Written as `item_id IN (...)` so that SQLite walks the (few) unpublished items on the
    # status index and probes each one's tags, rather than every tag row of a country.
    return select(IntelItem.id).where(
        IntelItem.status.in_([s for s in STATUSES if s != "published"])
    )


def count_by_country(db: Session) -> dict[str, int]:
    """ISO code -> published items tagged with it (codes without any are left out).

    Two GROUP BYs that each stay on an index: all tags, minus the tags of unpublished
    items (a join per tag row would look every item up).
    """
    tagged = db.execute(
        select(IntelCountry.country_code, func.count()).group_by(IntelCountry.country_code)
    )
    hidden = dict(
        db.execute(
            select(IntelCountry.country_code, func.count())
            .where(IntelCountry.item_id.in_(_unpublished_ids()))
            .group_by(IntelCountry.country_code)
        ).all()
    )
    counts = {str(code): int(n) - int(hidden.get(code, 0)) for code, n in tagged.all()}
    return {code: n for code, n in counts.items() if n > 0}


def count_for_country(db: Session, code: str) -> int:
    """Exactly how many published items are tagged with `code` (for the API)."""
    tagged = select(func.count()).where(IntelCountry.country_code == code)
    hidden = select(func.count()).where(
        IntelCountry.country_code == code, IntelCountry.item_id.in_(_unpublished_ids())
    )
    return (db.scalar(tagged) or 0) - (db.scalar(hidden) or 0)


def count_for_sector(db: Session, sector: Sector) -> int:
    """Exactly how many published items are tagged with `sector` (for the API)."""
    tagged = select(func.count()).where(intel_sector.c.sector_id == sector.id)
    hidden = select(func.count()).where(
        intel_sector.c.sector_id == sector.id, intel_sector.c.item_id.in_(_unpublished_ids())
    )
    return (db.scalar(tagged) or 0) - (db.scalar(hidden) or 0)


def revision(db: Session) -> int:
    return db.scalar(select(IntelRevision.value).where(IntelRevision.id == 1)) or 0


T = TypeVar("T")


def cached_counts(
    db: Session, viewer: User | None, key: tuple[object, ...], compute: Callable[[], T]
) -> T:
    """`compute()`, remembered for the anonymous view until the repository changes."""
    if viewer is not None:
        return compute()
    full = (revision(db), *key)
    with _count_lock:
        if full in _count_cache:
            _count_cache.move_to_end(full)
            return _count_cache[full]  # type: ignore[return-value]
    value = compute()
    with _count_lock:
        _count_cache[full] = value
        while len(_count_cache) > COUNT_CACHE_SIZE:
            _count_cache.popitem(last=False)
    return value
