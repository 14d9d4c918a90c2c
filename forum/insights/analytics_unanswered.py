"""/admin/analytics/unanswered: the discussions the analytics count as unanswered, listed.

Moderators and admins only, like the page it comes from; the same period, country and
sector parameters (a bad one is a 422 with the reason), and `page`. The list and the count
beside the content flow share one rule (`analytics.unanswered_conditions`).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from forum.accounts.deps import Moderator
from forum.core.db import utcnow
from forum.core.pagination import page_number
from forum.core.web import DbSession, render
from forum.insights import analytics_content as by_source
from forum.insights.analytics_views import PERIOD_LABELS, Chosen

router = APIRouter(include_in_schema=False)


@router.get("/admin/analytics/unanswered", response_class=HTMLResponse)
def unanswered_page(
    request: Request,
    db: DbSession,
    moderator: Moderator,
    asked: Chosen,
    page: Annotated[str, Query(max_length=6)] = "1",
) -> HTMLResponse:
    chosen, kept = asked.period, asked.params
    listing = by_source.list_unanswered(
        db, chosen, utcnow(), asked.focus, page=page_number(page), params=kept
    )
    return render(
        request,
        "insights/unanswered.html",
        {
            "listing": listing,
            "chosen": chosen,
            "period_label": PERIOD_LABELS.get(chosen.key),
            "country": asked.country,
            "sector": asked.sector,
            "back_query": urlencode(kept),
        },
    )
