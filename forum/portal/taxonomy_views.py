"""Country and sector pages: what the forum holds about one market or one sector."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from forum.accounts.deps import OptionalUser
from forum.core.collation import collated, sort_key
from forum.core.errors import NotFound
from forum.core.formats import format_number
from forum.core.i18n import _
from forum.core.web import DbSession, redirect, render
from forum.intelligence import counts as intelligence_counts
from forum.intelligence import queries as intelligence_queries
from forum.notifications.service import follow_state
from forum.portal import overview
from forum.taxonomy import regions
from forum.taxonomy.service import get_country, get_sector

router = APIRouter(include_in_schema=False)

TOP_COUNTRIES = 12


def _links(param: str, value: str) -> dict[str, str]:
    """The full lists and the feed for one country or sector."""
    query = urlencode({param: value})
    return {
        "intel": f"/intel?{query}",
        "partnerships": f"/partnerships?{query}",
        "discussions": f"/discussions?{query}",
        "atom": f"/feeds/intel.atom?{query}",
        "events": f"/events?{query}",
        "archive": f"/events/archive?{query}",
        "calendar": f"/events.ics?{query}",
    }


def _page_context(found: overview.Overview) -> dict[str, object]:
    items = found.items.items
    return {
        "overview": found,
        "item_total": (
            _("%(count)s+", count=format_number(intelligence_counts.COUNT_CAP))
            if found.items.capped
            else format_number(found.items.total)
        ),
        "item_count": found.items.total,
        "deadline_of": {i.id: intelligence_queries.deadline_state(i) for i in items},
    }


@router.get("/countries", response_class=HTMLResponse)
def countries_index(request: Request, db: DbSession, viewer: OptionalUser) -> HTMLResponse:
    rows = overview.country_counts(db, viewer)
    covered = sorted(
        (r for r in rows if r.total), key=lambda r: (-r.total, sort_key(r.country.label))
    )
    return render(
        request,
        "taxonomy/countries.html",
        {
            "nav": "countries",
            "top": covered[:TOP_COUNTRIES],
            "sections": overview.by_region(rows),
            "groups": collated(regions.load_region_groups().values(), key=lambda g: g.label),
        },
    )


@router.get("/countries/{code}", response_class=HTMLResponse)
def country_page(request: Request, code: str, db: DbSession, viewer: OptionalUser) -> Response:
    country = get_country(code)
    if country is None:
        raise HTTPException(404, _("%(code)s is not an ISO 3166-1 country code.", code=repr(code)))
    if code != country.code:
        return redirect(f"/countries/{country.code}", status_code=301)
    found = overview.country_overview(db, viewer, country.code)
    return render(
        request,
        "taxonomy/country.html",
        {
            "nav": "countries",
            "country": country,
            "groups": regions.groups_containing(country.code),
            "links": _links("country", country.code),
            "following": bool(viewer and follow_state(db, viewer.id, "country", country.code)),
            **_page_context(found),
        },
    )


@router.get("/sectors/{slug}", response_class=HTMLResponse)
def sector_page(request: Request, slug: str, db: DbSession, viewer: OptionalUser) -> HTMLResponse:
    sector = get_sector(db, slug)
    if sector is None:
        raise NotFound("sector")
    found = overview.sector_overview(db, viewer, sector)
    return render(
        request,
        "taxonomy/sector.html",
        {
            "nav": None,
            "sector": sector,
            "markets": overview.sector_markets(db, sector),
            "links": _links("sector", sector.slug),
            "following": bool(viewer and follow_state(db, viewer.id, "sector", sector.slug)),
            **_page_context(found),
        },
    )
