"""Rules for partnerships: the directory's filters, lookups and writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from forum.core.pagination import InvalidCursorError, Page, decode_cursor, encode_cursor
from forum.partnerships.models import (
    Agreement,
    Partnership,
    PartnershipCountry,
    partnership_sector,
)
from forum.taxonomy.filters import in_countries, in_sectors

STRANDS = (1, 2)


@dataclass(frozen=True)
class PartnershipFilter:
    """Directory filters; `countries` are ISO codes (region groups already expanded)."""

    countries: Sequence[str] = field(default_factory=tuple)
    sectors: Sequence[str] = field(default_factory=tuple)
    strand: int | None = None


def _filtered(flt: PartnershipFilter) -> Select[Partnership]:
    stmt = select(Partnership)
    if flt.countries:
        stmt = stmt.where(
            in_countries(
                Partnership.id,
                PartnershipCountry.partnership_id,
                PartnershipCountry.country_code,
                flt.countries,
            )
        )
    if flt.sectors:
        stmt = stmt.where(
            in_sectors(
                Partnership.id,
                partnership_sector.c.partnership_id,
                partnership_sector.c.sector_id,
                flt.sectors,
            )
        )
    if flt.strand is not None:
        stmt = stmt.where(Partnership.strand == flt.strand)
    return stmt


def _loaded(stmt: Select[Partnership]) -> Select[Partnership]:
    return stmt.options(selectinload(Partnership.sectors), selectinload(Partnership.country_rows))


def list_partnerships(
    session: Session, flt: PartnershipFilter, *, cursor: str | None = None, limit: int = 20
) -> tuple[list[Partnership], str | None]:
    """A page of the directory ordered by name, and the cursor of the next page or None.

    Raises InvalidCursorError for a cursor this function did not make.
    """
    stmt = _filtered(flt)
    if cursor:
        name, last_id = decode_cursor(cursor, arity=2)
        if not isinstance(name, str) or not isinstance(last_id, int):
            raise InvalidCursorError
        stmt = stmt.where(
            or_(Partnership.name > name, and_(Partnership.name == name, Partnership.id > last_id))
        )
    rows = list(
        session.scalars(_loaded(stmt).order_by(Partnership.name, Partnership.id).limit(limit + 1))
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].name, rows[-1].id])
    return rows, next_cursor


def page_partnerships(
    session: Session,
    flt: PartnershipFilter,
    *,
    page: int,
    per_page: int,
    params: Mapping[str, object],
    base_path: str = "/partnerships",
) -> Page[Partnership]:
    stmt = _filtered(flt)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(
        session.scalars(
            _loaded(stmt)
            .order_by(Partnership.name, Partnership.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(items, page, per_page, total, base_path, dict(params))


def get_partnership(session: Session, partnership_id: int) -> Partnership | None:
    return session.scalar(_loaded(select(Partnership).where(Partnership.id == partnership_id)))


def get_partnership_by_slug(session: Session, slug: str) -> Partnership | None:
    return session.scalar(_loaded(select(Partnership).where(Partnership.slug == slug)))


def find_partnership_by_name(session: Session, name: str) -> Partnership | None:
    """The partnership called `name` or known by it as an alias (case-insensitive)."""
    wanted = name.strip().casefold()
    exact = session.scalar(select(Partnership).where(func.lower(Partnership.name) == wanted))
    if exact is not None:
        return exact
    # Aliases live in a JSON list: rare enough to scan in Python on both databases.
    for partnership in session.scalars(select(Partnership)):
        names = [partnership.name, *partnership.aliases]
        if any(n.casefold() == wanted for n in names):
            return partnership
    return None


def countries_targeted(session: Session) -> dict[str, int]:
    """ISO code -> how many partnerships target it (the report's Figure 1)."""
    rows = session.execute(
        select(PartnershipCountry.country_code, func.count()).group_by(
            PartnershipCountry.country_code
        )
    )
    return {code: count for code, count in rows}


# --- cooperation agreements --------------------------------------------------------------


def _agreements() -> Select[Agreement]:
    return select(Agreement).options(
        selectinload(Agreement.partnership).selectinload(Partnership.sectors)
    )


def page_agreements(
    session: Session,
    *,
    partnership_id: int | None = None,
    country: str | None = None,
    page: int = 1,
    per_page: int = 20,
    base_path: str,
    params: Mapping[str, object] | None = None,
) -> Page[Agreement]:
    """Agreements of one partnership or with counterparts in one country, in the order recorded."""
    stmt = select(Agreement)
    if partnership_id is not None:
        stmt = stmt.where(Agreement.partnership_id == partnership_id)
    if country is not None:
        stmt = stmt.where(Agreement.counterpart_country == country.upper())
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        _agreements()
        .where(Agreement.id.in_(stmt.with_only_columns(Agreement.id)))
        .order_by(Agreement.partnership_id, Agreement.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return Page(list(rows), page, per_page, total, base_path, dict(params or {}))


def agreements_for_country(session: Session, code: str, *, limit: int = 50) -> list[Agreement]:
    """Agreements whose counterpart is in country `code` (ISO alpha-2), by partnership name.

    Agreements whose counterpart's country is unknown are on no country's list.
    """
    return list(
        session.scalars(
            _agreements()
            .join(Partnership, Partnership.id == Agreement.partnership_id)
            .where(Agreement.counterpart_country == code.upper())
            .order_by(Partnership.name, Agreement.id)
            .limit(limit)
        )
    )


def count_agreements_for_country(session: Session, code: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Agreement)
            .where(Agreement.counterpart_country == code.upper())
        )
        or 0
    )


def first_partnerships(
    session: Session, flt: PartnershipFilter, *, limit: int
) -> tuple[list[Partnership], int]:
    """The directory's first `limit` partnerships for `flt` (by name), and how many it lists.

    The partnerships come with their sectors loaded; the total rides along as a window count.
    """
    rows = session.execute(
        _filtered(flt)
        .add_columns(func.count().over())
        .options(selectinload(Partnership.sectors))
        .order_by(Partnership.name, Partnership.id)
        .limit(limit)
    ).all()
    return [row[0] for row in rows], int(rows[0][1]) if rows else 0


def countries_targeted_in_sector(session: Session, sector_id: int) -> dict[str, int]:
    """ISO code -> how many partnerships of the sector target it."""
    rows = session.execute(
        select(PartnershipCountry.country_code, func.count())
        .join(
            partnership_sector,
            partnership_sector.c.partnership_id == PartnershipCountry.partnership_id,
        )
        .where(partnership_sector.c.sector_id == sector_id)
        .group_by(PartnershipCountry.country_code)
    )
    return {code: count for code, count in rows}
