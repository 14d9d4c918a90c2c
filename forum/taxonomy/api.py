"""JSON routes for countries, region groups and sectors (whole lists, not paginated)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from forum.partnerships import service as partnerships
from forum.partnerships.schemas import PartnershipOut
from forum.taxonomy import regions
from forum.taxonomy.service import get_country, list_countries, list_sectors
from forum.web import AppSettings, DbSession

router = APIRouter(tags=["taxonomy"])


class CountryOut(BaseModel):
    code: str
    name: str
    partnerships: int
    groups: list[str]


class CountryDetail(CountryOut):
    partnership_list: list[PartnershipOut]


class SectorOut(BaseModel):
    slug: str
    name: str
    description: str


class RegionGroupOut(BaseModel):
    code: str
    name: str
    members: list[str]
    source: str
    as_of: dt.date
    source_url: str | None = None


def _group_codes(code: str) -> list[str]:
    return [g.code for g in regions.groups_containing(code)]


@router.get("/countries", response_model=list[CountryOut])
def countries(db: DbSession) -> list[CountryOut]:
    """Every ISO 3166-1 country with the number of partnerships targeting it."""
    counts = partnerships.countries_targeted(db)
    return [
        CountryOut(
            code=c.code,
            name=c.name,
            partnerships=counts.get(c.code, 0),
            groups=_group_codes(c.code),
        )
        for c in list_countries()
    ]


@router.get(
    "/countries/{code}",
    response_model=CountryDetail,
    responses={404: {"description": "Not an ISO 3166-1 alpha-2 code"}},
)
def country(code: str, db: DbSession, settings: AppSettings) -> CountryDetail:
    found = get_country(code)
    if found is None:
        raise HTTPException(404, f"{code!r} is not an ISO 3166-1 alpha-2 country code.")
    rows, _ = partnerships.list_partnerships(
        db, partnerships.PartnershipFilter(countries=[found.code]), limit=100
    )
    return CountryDetail(
        code=found.code,
        name=found.name,
        partnerships=len(rows),
        groups=_group_codes(found.code),
        partnership_list=[PartnershipOut.of(p, settings.base_url) for p in rows],
    )


@router.get("/sectors", response_model=list[SectorOut])
def sectors(db: DbSession) -> list[SectorOut]:
    return [
        SectorOut(slug=s.slug, name=s.name, description=s.description) for s in list_sectors(db)
    ]


@router.get("/region-groups", response_model=list[RegionGroupOut])
def region_groups() -> list[RegionGroupOut]:
    """Named sets of countries accepted wherever countries are (codes start with `g:`)."""
    return [
        RegionGroupOut(
            code=g.code,
            name=g.name,
            members=sorted(g.members),
            source=g.source,
            as_of=g.as_of,
            source_url=g.source_url,
        )
        for g in sorted(regions.load_region_groups().values(), key=lambda g: g.code)
    ]
