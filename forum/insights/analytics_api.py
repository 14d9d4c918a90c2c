"""GET /api/v1/admin/analytics/{section}: the figures of /admin/analytics as JSON.

A bearer token of a moderator or admin (`accounts.service.can_moderate`); without one 401,
anyone else 403. The same query string and the same figures as the page and its CSVs; a
withheld count of members (fewer than 5) is null.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException

from forum.accounts.deps import ApiUser
from forum.accounts.models import User
from forum.accounts.service import can_moderate
from forum.core.db import utcnow
from forum.core.web import DbSession
from forum.insights import analytics
from forum.insights import analytics_content as by_source
from forum.insights import analytics_email as email
from forum.insights import analytics_harvest as harvesting
from forum.insights import analytics_members as member_groups
from forum.insights import analytics_searches as searches
from forum.insights.analytics_views import SECTIONS, Chosen

router = APIRouter(tags=["analytics"])


def _weekly(rows: list[Any], figures: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"week": r.week.isoformat(), **{f: getattr(r, f) for f in figures}} for r in rows]


_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid token"},
    403: {"description": "The token is not a moderator's or an admin's"},
    404: {"description": "No such section"},
    422: {"description": "A bad period, date, country or sector"},
}


def api_moderator(user: ApiUser) -> User:
    """The token's owner, a moderator or admin; 403 for anyone else."""
    if not can_moderate(user):
        raise HTTPException(403, "The analytics are for the platform's moderators and admins.")
    return user


def api_section(section: str) -> str:
    """The section of the path, or a 404 (before the period is looked at)."""
    if section not in SECTIONS:
        raise HTTPException(404, f"No such section; one of: {', '.join(SECTIONS)}.")
    return section


@router.get("/admin/analytics/{section}", responses=_RESPONSES)
def analytics_section(
    db: DbSession,
    user: Annotated[User, Depends(api_moderator)],
    section: Annotated[str, Depends(api_section)],
    asked: Chosen,
) -> dict[str, Any]:
    """One section's figures for the period, week by week (or the ranked queries; or
    today's members by country, sector or partnership, whatever the period)."""
    chosen, focus = asked.period, asked.focus
    rows: list[dict[str, Any]]
    if section == "members":
        rows = _weekly(analytics.members(db, chosen, focus), analytics.MEMBER_FIGURES)
    elif section in member_groups.SECTIONS:
        rows = member_groups.api_rows(db, section, focus)
    elif section == "content":
        rows = _weekly(analytics.content(db, chosen, focus), analytics.CONTENT_FIGURES)
    elif section == "intelligence":
        rows = _weekly(analytics.content(db, chosen, focus), by_source.INTEL_FIGURES)
    elif section == "sources":
        rows = by_source.source_json(by_source.items_by_source(db, chosen, focus))
    elif section == "feeds":
        rows = harvesting.health_json(harvesting.feed_health(db, chosen))
    elif section == "email":
        rows = _weekly(email.weeks(db, chosen), email.EMAIL_FIGURES)
    elif section == "refusals":
        rows = [{"reason": code, "refused": n} for code, n in email.refusals(db, chosen)]
    elif section == "searches":
        rows = _weekly(searches.weeks(db, chosen, focus), searches.SEARCH_FIGURES)
    else:
        found = searches.top_queries(
            db, chosen, without_result=section == "no-results", focus=focus
        )
        rows = [
            {
                "query": q.text,
                "countries": q.countries,
                "searches": q.searches,
                "without_result": q.without_result,
            }
            for q in found
        ]
    out: dict[str, Any] = {
        "section": section,
        "from": chosen.start.isoformat(),
        "to": chosen.end.isoformat(),
        "rows": rows,
    }
    if section == "content":
        out["unanswered"] = analytics.unanswered(db, chosen, utcnow(), focus)
    return out
