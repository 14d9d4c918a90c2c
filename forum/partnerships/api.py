"""JSON routes of the partnership directory."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from forum.core.errors import NotFound
from forum.core.pagination import MAX_PAGE_SIZE
from forum.core.web import AppSettings, DbSession, QueryValue, RowId
from forum.partnerships import matching, service
from forum.partnerships.schemas import PartnershipList, PartnershipOut, SectorRef
from forum.taxonomy.filters import parse_filters

router = APIRouter(tags=["partnerships"])


class MatchOut(BaseModel):
    partnership: PartnershipOut
    score: int
    shared_countries: list[str]
    shared_sectors: list[SectorRef]
    reason: str
    reasons: list[str]

    @classmethod
    def of(cls, match: matching.Match, base_url: str) -> MatchOut:
        return cls(
            partnership=PartnershipOut.of(match.partnership, base_url),
            score=match.score,
            shared_countries=[c.code for c in match.shared_countries],
            shared_sectors=[SectorRef(slug=s.slug, name=s.name) for s in match.shared_sectors],
            reason=match.reason,
            reasons=match.reasons,
        )


class MatchList(BaseModel):
    items: list[MatchOut]
    next: str | None


@router.get("/partnerships", response_model=PartnershipList)
def list_partnerships(
    db: DbSession,
    settings: AppSettings,
    country: Annotated[
        list[QueryValue],
        Query(description="ISO 3166-1 alpha-2 code or region group (g:eu27); repeatable"),
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    sector: Annotated[list[QueryValue], Query(description="sector slug; repeatable")] = [],  # noqa: B006
    strand: Annotated[int | None, Query(ge=1, le=2)] = None,
    cursor: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
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
def get_partnership(partnership_id: RowId, db: DbSession, settings: AppSettings) -> PartnershipOut:
    partnership = service.get_partnership(db, partnership_id)
    if partnership is None:
        raise NotFound("partnership")
    return PartnershipOut.of(partnership, settings.base_url)


@router.get(
    "/partnerships/{partnership_id}/matches",
    response_model=MatchList,
    responses={404: {"description": "No such partnership"}, 422: {"description": "Bad cursor"}},
)
def list_matches(
    partnership_id: RowId,
    db: DbSession,
    settings: AppSettings,
    cursor: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> MatchList:
    """Other partnerships by score = 2 × shared target countries + 3 × shared sectors, then
    by name; partnerships with nothing in common are left out. Each match says why."""
    partnership = service.get_partnership(db, partnership_id)
    if partnership is None:
        raise NotFound("partnership")
    rows, next_cursor = matching.list_matches(
        db, matching.interests_of_partnership(partnership), cursor=cursor, limit=limit
    )
    return MatchList(items=[MatchOut.of(m, settings.base_url) for m in rows], next=next_cursor)
