"""HTML pages of the partnership directory."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from forum.accounts import service as accounts
from forum.accounts.deps import OptionalUser
from forum.accounts.models import User
from forum.notifications.service import follow_state
from forum.pagination import page_number
from forum.partnerships import service
from forum.taxonomy.filters import parse_filters
from forum.taxonomy.service import countries_for, list_countries, list_sectors
from forum.web import DbSession, render

router = APIRouter(include_in_schema=False)
PER_PAGE = 20


@router.get("/partnerships", response_class=HTMLResponse)
def directory(
    request: Request,
    db: DbSession,
    country: Annotated[str, Query(max_length=40)] = "",
    sector: Annotated[str, Query(max_length=60)] = "",
    strand: Annotated[str, Query(max_length=2)] = "",
    page: Annotated[str, Query(max_length=6)] = "1",
) -> HTMLResponse:
    countries, sectors = parse_filters(db, [country], [sector])
    strand_value = int(strand) if strand in ("1", "2") else None
    flt = service.PartnershipFilter(countries=countries, sectors=sectors, strand=strand_value)
    params = {"country": country, "sector": sector, "strand": strand}
    listing = service.page_partnerships(
        db, flt, page=page_number(page), per_page=PER_PAGE, params=params
    )
    return render(
        request,
        "partnerships/list.html",
        {
            "nav": "partnerships",
            "listing": listing,
            "countries_of": {p.id: countries_for(p.country_codes) for p in listing.items},
            "filters": params,
            "filtered": any(params.values()),
            "country_options": [(c.code, c.name) for c in list_countries()],
            "sector_options": [(s.slug, s.name) for s in list_sectors(db)],
        },
    )


@router.get("/partnerships/{slug}", response_class=HTMLResponse)
def profile(request: Request, slug: str, db: DbSession, viewer: OptionalUser) -> HTMLResponse:
    partnership = service.get_partnership_by_slug(db, slug)
    if partnership is None:
        raise HTTPException(404, "There is no partnership at this address.")
    membership = viewer.membership if viewer else None
    # Member profiles are for members: visitors see that people exist, not who.
    people = accounts.partnership_members(db, partnership.id) if viewer else []
    coordinator = db.get(User, partnership.coordinator_id) if partnership.coordinator_id else None
    if coordinator is not None and coordinator.is_suspended:
        coordinator = None  # as good as absent: no page, no messages
    return render(
        request,
        "partnerships/detail.html",
        {
            "nav": "partnerships",
            "partnership": partnership,
            "countries": countries_for(partnership.country_codes),
            "viewer": viewer,
            "membership": membership
            if membership and membership.partnership_id == partnership.id
            else None,
            "can_manage": bool(viewer and accounts.can_decide_membership(viewer, partnership)),
            "members": people,
            "coordinator": coordinator,
            "following": bool(
                viewer and follow_state(db, viewer.id, "partnership", str(partnership.id))
            ),
        },
    )
