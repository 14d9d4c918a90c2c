"""JSON routes of the partnership directory."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from forum.pagination import MAX_PAGE_SIZE
from forum.partnerships import service
from forum.partnerships.schemas import PartnershipList, PartnershipOut
from forum.taxonomy.filters import parse_filters
from forum.web import AppSettings, DbSession

router = APIRouter(tags=["partnerships"])


@router.get("/partnerships", response_model=PartnershipList)
def list_partnerships(
    db: DbSession,
    settings: AppSettings,
    country: Annotated[
        list[str], Query(description="ISO 3166-1 alpha-2 code or region group (g:eu27); repeatable")
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    sector: Annotated[list[str], Query(description="sector slug; repeatable")] = [],  # noqa: B006
    strand: Annotated[int | None, Query(ge=1, le=2)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> PartnershipList:
    """Partnerships by name; filters combine (a country OR another, AND a sector ...)."""
    countries, sectors = parse_filters(db, country, sector)
    flt = service.PartnershipFilter(countries=countries, sectors=sectors, strand=strand)
    rows, next_cursor = service.list_partnerships(db, flt, cursor=cursor, limit=limit)
    return PartnershipList(
        items=[PartnershipOut.of(p, settings.base_url) for p in rows], next=next_cursor
    )


@router.get(
    "/partnerships/{partnership_id}",
    response_model=PartnershipOut,
    responses={404: {"description": "No such partnership"}},
)
def get_partnership(partnership_id: int, db: DbSession, settings: AppSettings) -> PartnershipOut:
    partnership = service.get_partnership(db, partnership_id)
    if partnership is None:
        raise HTTPException(404, "No partnership with this id.")
    return PartnershipOut.of(partnership, settings.base_url)
