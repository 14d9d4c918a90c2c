"""Country and sector filters as every list takes them, validated in one place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import HTTPException
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from forum.taxonomy.models import Sector
from forum.taxonomy.service import (
    UnknownCountryError,
    UnknownSectorError,
    resolve_country_filter,
    resolve_sectors,
)


def parse_filters(
    session: Session, countries: Sequence[str], sectors: Sequence[str]
) -> tuple[list[str], list[str]]:
    """ISO codes (region groups expanded) and sector slugs; 422 naming an unknown value."""
    try:
        codes = resolve_country_filter(countries)
    except UnknownCountryError as exc:
        raise HTTPException(422, str(exc)) from exc
    try:
        slugs = [s.slug for s in resolve_sectors(session, sectors)]
    except UnknownSectorError as exc:
        raise HTTPException(422, str(exc)) from exc
    return codes, slugs


# A mapped attribute or a table's column: the link tables are of both kinds.
Column = ColumnElement[Any] | InstrumentedAttribute[Any]


def in_countries(
    owner_id: Column,
    link_owner: Column,
    link_code: Column,
    codes: Sequence[str],
) -> ColumnElement[bool]:
    """A condition: the row (`owner_id`) is tagged, through a link table of (owner, country
    code), with one of `codes`."""
    return owner_id.in_(select(link_owner).where(link_code.in_(list(codes))))


def in_sectors(
    owner_id: Column,
    link_owner: Column,
    link_sector: Column,
    slugs: Sequence[str],
) -> ColumnElement[bool]:
    """A condition: the row (`owner_id`) is tagged, through a link table of (owner, sector
    id), with one of the sectors `slugs` name."""
    return owner_id.in_(
        select(link_owner)
        .join(Sector, Sector.id == link_sector)
        .where(Sector.slug.in_(list(slugs)))
    )
