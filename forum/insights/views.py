"""/insights: the report's Figure 1 live, events by country, activity by sector, joint missions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from forum.core.i18n import _, _l
from forum.core.pagination import Page, page_number
from forum.core.web import DbSession, render
from forum.events import missions
from forum.insights import charts, service
from forum.partnerships.service import get_partnership_by_slug

router = APIRouter(include_in_schema=False)
TOP_COUNTRIES = 15  # bars beside the map; the table lists every country
TOP_EVENT_COUNTRIES = 12
HINTS_PREVIEW = 5
HINTS_PER_PAGE = 20
SHOW = {
    "events": _l("Events several partnerships are going to"),
    "countries": _l("Countries by quarter"),
}


def _country_bars(rows: list[service.CountryCount], levels: list[charts.Level]) -> charts.BarChart:
    return charts.bar_chart(
        [(r.country.label, r.count, f"map-level-{charts.level_of(r.count, levels)}") for r in rows]
    )


def _event_bars(rows: list[service.CountryCount]) -> charts.BarChart:
    return charts.bar_chart([(r.country.label, r.count, "bar-events") for r in rows])


@router.get("/insights", response_class=HTMLResponse)
def insights(request: Request, db: DbSession) -> HTMLResponse:
    targeted = service.countries_targeted(db)
    world = charts.world_map({r.country.code: r.count for r in targeted})
    events = service.events_by_country(db)
    activity = service.activity_by_sector(db)
    event_hints = missions.event_hints(db)
    quarter_hints = missions.quarter_hints(db)
    return render(
        request,
        "insights/index.html",
        {
            "nav": "insights",
            "targeted": targeted,
            "world": world,
            "targeted_bars": _country_bars(targeted[:TOP_COUNTRIES], world.levels),
            "top_countries": TOP_COUNTRIES,
            "events": events,
            "inside_bars": _event_bars(events.inside[:TOP_EVENT_COUNTRIES]),
            "outside_bars": _event_bars(events.outside[:TOP_EVENT_COUNTRIES]),
            "top_event_countries": TOP_EVENT_COUNTRIES,
            "activity": activity,
            "activity_chart": charts.column_chart(
                [a.sector.label for a in activity],
                [
                    (_("Threads"), [a.threads for a in activity], "bar-threads"),
                    (_("Intelligence items"), [a.items for a in activity], "bar-items"),
                    (_("Events"), [a.events for a in activity], "bar-events"),
                ],
            ),
            "event_hints": event_hints[:HINTS_PREVIEW],
            "event_hint_total": len(event_hints),
            "quarter_hints": quarter_hints[:HINTS_PREVIEW],
            "quarter_hint_total": len(quarter_hints),
        },
    )


@router.get("/insights/joint-missions", response_class=HTMLResponse)
def joint_missions(
    request: Request,
    db: DbSession,
    show: Annotated[str, Query(max_length=20)] = "events",
    partnership: Annotated[str, Query(max_length=80)] = "",
    page: Annotated[str, Query(max_length=6)] = "1",
) -> HTMLResponse:
    if show not in SHOW:
        raise HTTPException(422, _("`show` is one of: %(values)s.", values=", ".join(SHOW)))
    chosen = None
    if partnership:
        chosen = get_partnership_by_slug(db, partnership)
        if chosen is None:
            raise HTTPException(422, _("There is no partnership %(slug)s.", slug=repr(partnership)))
    pid = chosen.id if chosen else None
    found: list[missions.EventHint] | list[missions.QuarterHint]
    if show == "events":
        found = missions.event_hints(db, partnership_id=pid)
    else:
        found = missions.quarter_hints(db, partnership_id=pid)
    number = page_number(page)
    start = (number - 1) * HINTS_PER_PAGE
    listing = Page(
        list(found[start : start + HINTS_PER_PAGE]),
        number,
        HINTS_PER_PAGE,
        len(found),
        "/insights/joint-missions",
        {"show": show, "partnership": partnership},
    )
    return render(
        request,
        "insights/joint_missions.html",
        {
            "nav": "insights",
            "show": show,
            "show_options": SHOW,
            "partnership": chosen,
            "listing": listing,
        },
    )
