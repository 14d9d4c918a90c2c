"""Site-wide pages: home, privacy, and the health check."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from forum.accounts.deps import OptionalUser
from forum.accounts.models import User
from forum.core import jobs as worker
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.i18n import _l
from forum.core.web import AppSettings, DbSession, render
from forum.digests.digest import Digest
from forum.digests.service import WeekCandidates, since_last_visit, your_week
from forum.discovery.sync import search_status
from forum.discussions import listing as thread_lists
from forum.events import listing as event_lists
from forum.events.attendance import attending_events
from forum.intelligence import queries as intelligence_queries
from forum.partnerships.models import Partnership
from forum.partnerships.service import countries_targeted
from forum.taxonomy.service import countries_for

log = logging.getLogger(__name__)
router = APIRouter()


HOME_LIST = 5


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(
    request: Request, db: DbSession, settings: AppSettings, viewer: OptionalUser
) -> HTMLResponse:
    targeted = countries_targeted(db)
    top = sorted(targeted.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
    names = {c.code: c for c in countries_for(code for code, _ in top)}
    context: dict[str, Any] = {
        "nav": "home",
        "partnership_count": db.scalar(select(func.count()).select_from(Partnership)) or 0,
        "country_count": len(targeted),
        "top_countries": [(names[code], count) for code, count in top if code in names],
    }
    if viewer is not None:
        cache = getattr(request.app.state, "week_candidates", None)
        if cache is None:
            cache = request.app.state.week_candidates = WeekCandidates()
        context["since"] = _since(db, settings, viewer, cache)
        context["week"] = _week(db, settings, viewer, cache)
        # A member who turned the digest off gets no digest: the page says what is new.
        context["digest_off"] = viewer.digest_frequency == "off"
    else:
        context.update(_latest(db))
    return render(request, "home.html", context)


# Where each part of "Since your last visit" is listed in full (the part's own "see all"
# link when the digest gave one: it carries the member's filters).
SINCE_PARTS = (
    ("threads", _l("New replies in threads you follow"), "/discussions?view=unread",
     _l("No new replies in the threads you follow.")),
    ("intel", _l("New intelligence for your follows"), "/intel",
     _l("No new intelligence for your countries and sectors.")),
    ("good_practices", _l("New good practices"), "/discussions?kind=good_practice",
     _l("No new good practices for your countries and sectors.")),
)  # fmt: skip


def _since(db: Session, settings: Settings, viewer: User, cache: WeekCandidates) -> dict[str, Any]:
    """ "Since your last visit": what is new since the member's previous visit ended
    (`User.previous_seen_at`, the one activity record; their joining before any), a few of
    each kind, and the upcoming events they go to."""
    now = utcnow()
    since = viewer.previous_seen_at or viewer.created_at
    digest = since_last_visit(db, settings, viewer, since=since, now=now, cache=cache)
    found = {s.key: s for s in digest.sections}
    base = settings.base_url.rstrip("/")
    parts = []
    for key, title, all_url, empty in SINCE_PARTS:
        section = found.get(key)
        entries = section.entries[:HOME_LIST] if section else []
        # The unread list for replies; the digest's filtered list for the others.
        more_url = (
            section.more_url if key != "threads" and section and section.more_url else all_url
        )
        parts.append({
            "key": key, "title": str(title), "empty": str(empty),
            "entries": [{"title": e.title, "url": _local(e.url, base), "meta": e.meta}
                        for e in entries],
            "more_url": _local(more_url, base),
        })  # fmt: skip
    today = event_lists.today_utc()
    upcoming = [
        e for e in attending_events(db, viewer)
        if e.starts_on is not None and (e.ends_on or e.starts_on) >= today
    ][:HOME_LIST]  # fmt: skip
    return {"since": since, "parts": parts, "events": upcoming}


def _local(url: str, base: str) -> str:
    return url[len(base) :] if url.startswith(base + "/") else url


def _week(db: Session, settings: Settings, viewer: User, cache: WeekCandidates) -> dict[str, Any]:
    """ "Your week": the member's digest sections over the last seven days, with links made
    relative to this site (the digest's are absolute, for mail)."""
    digest: Digest = your_week(db, settings, viewer, cache=cache)
    base = settings.base_url.rstrip("/")

    def local(url: str | None) -> str | None:
        return url[len(base) :] if url and url.startswith(base + "/") else url

    return {
        "highlights": digest.highlights,
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "entries": [
                    {"title": e.title, "url": local(e.url), "meta": e.meta, "excerpt": e.excerpt}
                    for e in s.entries
                ],
                "more": s.more,
                "more_url": local(s.more_url),
                "follow_links": [(label, local(url)) for label, url in s.follow_links],
            }
            for s in digest.sections
        ],
    }


def _latest(db: Session) -> dict[str, Any]:
    """A visitor's home: the latest public good practices and intelligence, and what is
    coming up."""
    practices = thread_lists.page_threads(
        db, None, thread_lists.ThreadFilter(kind="good_practice"), page=1, per_page=HOME_LIST
    )
    intel = intelligence_queries.page_items(
        db, None, intelligence_queries.IntelFilter(), page=1, per_page=HOME_LIST, sort="added"
    )
    upcoming = event_lists.page_events(
        db, event_lists.EventFilter(when="upcoming"), page=1, per_page=HOME_LIST
    )
    return {
        "good_practices": practices.items,
        "latest_intel": intel.items,
        "upcoming_events": upcoming.items,
    }


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> RedirectResponse:
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/privacy", response_class=HTMLResponse, include_in_schema=False)
def privacy(request: Request, settings: AppSettings) -> HTMLResponse:
    return render(request, "privacy.html", {"count_digest_clicks": settings.count_digest_clicks})


@router.get("/healthz", tags=["operations"])
def healthz(request: Request, settings: AppSettings) -> JSONResponse:
    """Liveness and the state of what the forum depends on; 503 when the database is down."""
    body: dict[str, Any] = {
        "status": "ok",
        "database": {"ok": True, "dialect": request.app.state.engine.dialect.name},
        "search": {"engine": settings.search_engine_name},
        "mail": {"transport": settings.mail_transport_name},
        "worker": {"alive": False, "outbox_depth": None},
    }
    try:
        with request.app.state.session_factory() as session:
            state = worker.status(session)
            search = search_status(session, settings, deep=False)
    except SQLAlchemyError as exc:
        log.warning("health check: database unavailable: %s", exc)
        body["status"] = "unavailable"
        body["database"] = {"ok": False, "error": "database unavailable"}
        return JSONResponse(body, status_code=503)
    # The engine being down is reported, not fatal: writes go on and search catches up.
    body["search"] = search
    body["worker"] = {
        "alive": state["alive"],
        "outbox_depth": search["outbox_depth"],
        "jobs_queued": state["jobs_queued"],
        "jobs_failed": state["jobs_failed"],
    }
    return JSONResponse(body)
