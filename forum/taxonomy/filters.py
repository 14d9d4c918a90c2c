"""Country and sector filters as every list takes them, validated in one place."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import HTTPException
from sqlalchemy.orm import Session

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
