"""JSON routes for countries, region groups and sectors (whole lists, not paginated).

A country's and a sector's detail is its page as JSON: the newest intelligence, the
partnerships and the threads the reader may see, with totals and links to the full lists.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from forum.accounts.deps import ApiOptionalUser
from forum.core.web import AppSettings, DbSession
from forum.discussions.api import load_good_practices
from forum.discussions.models import Thread
from forum.discussions.schemas import ThreadOut
from forum.intelligence import counts as intelligence_counts
from forum.intelligence.models import IntelItem
from forum.intelligence.schemas import IntelOut
from forum.partnerships.models import Partnership
from forum.partnerships.schemas import PartnershipOut
from forum.portal import overview
from forum.taxonomy import regions
from forum.taxonomy.service import get_country, get_sector, list_sectors

router = APIRouter(tags=["taxonomy"])


class CountryOut(BaseModel):
    code: str
    name: str
    partnerships: int = Field(description="Partnerships that target it")
    groups: list[str]
    intel_items: int = Field(0, description="Published intelligence items tagged with it")
    discussions: int = Field(0, description="Threads tagged with it that you may read")


class Links(BaseModel):
    page: str
    intel: str = Field(description="The full list of its intelligence (HTML)")
    intel_api: str = Field(description="The same through the API, by cursor")
    partnerships: str
    discussions: str
    atom: str = Field(description="Atom feed of its intelligence")


def _links(base_url: str, path: str, param: str, value: str) -> Links:
    return Links(
        page=f"{base_url}{path}",
        intel=f"{base_url}/intel?{param}={value}",
        intel_api=f"{base_url}/api/v1/intel?{param}={value}",
        partnerships=f"{base_url}/partnerships?{param}={value}",
        discussions=f"{base_url}/discussions?{param}={value}",
        atom=f"{base_url}/feeds/intel.atom?{param}={value}",
    )


class CountryDetail(CountryOut):
    partnership_list: list[PartnershipOut] = Field(
        description="Up to 100, by name (`partnerships` counts all)"
    )
    intel_list: list[IntelOut] = Field(
        description=f"The {overview.RECENT_ITEMS} newest published items tagged with it"
    )
    thread_list: list[ThreadOut] = Field(
        description=f"The {overview.RECENT_THREADS} most recently active threads you may read"
    )
    links: Links


class SectorOut(BaseModel):
    slug: str
    name: str
    description: str


class SectorDetail(SectorOut):
    intel_items: int = Field(description="Published intelligence items tagged with it")
    partnerships: int
    discussions: int = Field(description="Threads tagged with it that you may read")
    markets: dict[str, int] = Field(
        description="ISO code -> how many of its partnerships target the country"
    )
    intel_list: list[IntelOut]
    partnership_list: list[PartnershipOut]
    thread_list: list[ThreadOut]
    links: Links


class RegionGroupOut(BaseModel):
    code: str
    name: str
    members: list[str]
    source: str
    as_of: dt.date
    source_url: str | None = None


# The API lists a country's or sector's partnerships whole, as it always has.
PARTNERSHIPS_LISTED = 100


def _complete(db: Session, page: overview.Overview) -> None:
    """Load in a few batches what the JSON shows beyond the page: the items' countries,
    authors and attachments, the partnerships' countries, the threads' tags, authors,
    partnerships and good practices."""
    item_ids = [i.id for i in page.items.items]
    if item_ids:
        db.scalars(
            select(IntelItem)
            .where(IntelItem.id.in_(item_ids))
            .options(
                selectinload(IntelItem.country_rows),
                selectinload(IntelItem.author),
                selectinload(IntelItem.attachments),
            )
        ).all()
    partnership_ids = [p.id for p in page.partnerships]
    if partnership_ids:
        db.scalars(
            select(Partnership)
            .where(Partnership.id.in_(partnership_ids))
            .options(selectinload(Partnership.country_rows))
        ).all()
    thread_ids = [t.id for t in page.threads]
    if thread_ids:
        db.scalars(
            select(Thread)
            .where(Thread.id.in_(thread_ids))
            .options(
                selectinload(Thread.sectors),
                selectinload(Thread.country_rows),
                selectinload(Thread.author),
                selectinload(Thread.partnership),
            )
        ).all()
    load_good_practices(db, page.threads)


def _group_codes(code: str) -> list[str]:
    return [g.code for g in regions.groups_containing(code)]


@router.get("/countries", response_model=list[CountryOut])
def countries(db: DbSession, viewer: ApiOptionalUser) -> list[CountryOut]:
    """Every ISO 3166-1 country with its partnerships, intelligence items and threads."""
    return [
        CountryOut(
            code=row.country.code,
            name=row.country.name,
            partnerships=row.partnerships,
            groups=_group_codes(row.country.code),
            intel_items=row.items,
            discussions=row.discussions,
        )
        for row in overview.country_counts(db, viewer)
    ]


@router.get(
    "/countries/{code}",
    response_model=CountryDetail,
    responses={404: {"description": "Not an ISO 3166-1 alpha-2 code"}},
)
def country(
    code: str, db: DbSession, settings: AppSettings, viewer: ApiOptionalUser
) -> CountryDetail:
    """The country page as JSON."""
    found = get_country(code)
    if found is None:
        raise HTTPException(404, f"{code!r} is not an ISO 3166-1 alpha-2 country code.")
    page = overview.country_overview(db, viewer, found.code, partnerships_shown=PARTNERSHIPS_LISTED)
    _complete(db, page)
    base = settings.base_url
    now = dt.datetime.now(dt.UTC)
    return CountryDetail(
        code=found.code,
        name=found.name,
        partnerships=page.partnership_total,
        groups=_group_codes(found.code),
        intel_items=(
            intelligence_counts.count_for_country(db, found.code)
            if page.items.capped
            else page.items.total
        ),
        discussions=page.thread_total,
        partnership_list=[PartnershipOut.of(p, base) for p in page.partnerships],
        intel_list=[IntelOut.of(i, base, now=now) for i in page.items.items],
        thread_list=[ThreadOut.of(t, base) for t in page.threads],
        links=_links(base, found.url, "country", found.code),
    )


@router.get("/sectors", response_model=list[SectorOut])
def sectors(db: DbSession) -> list[SectorOut]:
    return [
        SectorOut(slug=s.slug, name=s.name, description=s.description) for s in list_sectors(db)
    ]


@router.get(
    "/sectors/{slug}",
    response_model=SectorDetail,
    responses={404: {"description": "No such sector"}},
)
def sector(
    slug: str, db: DbSession, settings: AppSettings, viewer: ApiOptionalUser
) -> SectorDetail:
    """The sector page as JSON."""
    found = get_sector(db, slug)
    if found is None:
        raise HTTPException(404, f"unknown sector: {slug!r}")
    page = overview.sector_overview(db, viewer, found, partnerships_shown=PARTNERSHIPS_LISTED)
    _complete(db, page)
    base = settings.base_url
    now = dt.datetime.now(dt.UTC)
    return SectorDetail(
        slug=found.slug,
        name=found.name,
        description=found.description,
        intel_items=(
            intelligence_counts.count_for_sector(db, found)
            if page.items.capped
            else page.items.total
        ),
        partnerships=page.partnership_total,
        discussions=page.thread_total,
        markets={c.code: n for c, n in overview.sector_markets(db, found)},
        intel_list=[IntelOut.of(i, base, now=now) for i in page.items.items],
        partnership_list=[PartnershipOut.of(p, base) for p in page.partnerships],
        thread_list=[ThreadOut.of(t, base) for t in page.threads],
        links=_links(base, f"/sectors/{found.slug}", "sector", found.slug),
    )


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
