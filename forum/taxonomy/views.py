"""Country and sector pages: what the forum holds about one market or one sector."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from forum.accounts.deps import OptionalUser
from forum.notifications.service import follow_state
from forum.partnerships import service as partnerships
from forum.taxonomy import regions
from forum.taxonomy.service import countries_for, get_country, get_sector, list_countries
from forum.web import DbSession, render

router = APIRouter(include_in_schema=False)


@router.get("/countries", response_class=HTMLResponse)
def countries_index(request: Request, db: DbSession) -> HTMLResponse:
    targeted = partnerships.countries_targeted(db)
    everything = list_countries()
    return render(
        request,
        "taxonomy/countries.html",
        {
            "nav": "countries",
            "targeted": sorted(
                ((c, targeted[c.code]) for c in everything if c.code in targeted),
                key=lambda pair: (-pair[1], pair[0].name),
            ),
            "groups": sorted(regions.load_region_groups().values(), key=lambda g: g.name),
            "countries": everything,
        },
    )


@router.get("/countries/{code}", response_class=HTMLResponse)
def country_page(request: Request, code: str, db: DbSession, viewer: OptionalUser) -> HTMLResponse:
    country = get_country(code)
    if country is None:
        raise HTTPException(404, f"{code!r} is not an ISO 3166-1 country code.")
    if code != country.code:
        from forum.web import redirect

        return redirect(f"/countries/{country.code}", status_code=301)  # type: ignore[return-value]
    flt = partnerships.PartnershipFilter(countries=[country.code])
    rows, _ = partnerships.list_partnerships(db, flt, limit=100)
    return render(
        request,
        "taxonomy/country.html",
        {
            "nav": "countries",
            "country": country,
            "partnerships": rows,
            "groups": regions.groups_containing(country.code),
            "following": bool(viewer and follow_state(db, viewer.id, "country", country.code)),
        },
    )


@router.get("/sectors/{slug}", response_class=HTMLResponse)
def sector_page(request: Request, slug: str, db: DbSession, viewer: OptionalUser) -> HTMLResponse:
    sector = get_sector(db, slug)
    if sector is None:
        raise HTTPException(404, "There is no sector at this address.")
    flt = partnerships.PartnershipFilter(sectors=[sector.slug])
    rows, _ = partnerships.list_partnerships(db, flt, limit=100)
    return render(
        request,
        "taxonomy/sector.html",
        {
            "nav": None,
            "sector": sector,
            "partnerships": rows,
            "countries": countries_for({code for p in rows for code in p.country_codes}),
            "following": bool(viewer and follow_state(db, viewer.id, "sector", sector.slug)),
        },
    )
