"""The admin area's feed pages: the list with each feed's harvest state, adding, editing,
enabling, "harvest now" and deleting.

"Harvest now" queues a job instead of fetching during the request: a fetch may take
up to its 10 s timeout, and the worker (or the loop inside `forum serve`) runs the
job within seconds without holding a request or the database's write lock that long.
The page shows the feed as queued until the job has run.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.deps import Admin
from forum.accounts.models import User
from forum.core.audit import record
from forum.core.i18n import _
from forum.core.jobs import Job, enqueue
from forum.core.pagination import page_number
from forum.core.web import DbSession, flash, redirect, render_admin
from forum.intelligence import feed_admin
from forum.intelligence.fetch_guard import private_feeds_allowed
from forum.intelligence.jobs import HARVEST_FEED_JOB
from forum.intelligence.models import INTEL_KINDS, KIND_LABELS, Feed
from forum.taxonomy.picker import place_choices, sector_choices
from forum.taxonomy.service import countries_for, list_sectors

router = APIRouter(include_in_schema=False)

Short = Annotated[str, Form(max_length=1000)]
Codes = Annotated[list[str], Form(max_length=300)]
Flag = Annotated[str, Form(max_length=1)]


def _load(db: Session, feed_id: int) -> Feed:
    feed = feed_admin.get_feed(db, feed_id)
    if feed is None:
        raise HTTPException(404, _("There is no feed with this number."))
    return feed


def _queued(db: Session) -> set[int]:
    """Feeds with a "harvest now" job waiting or running."""
    payloads = db.scalars(
        select(Job.payload).where(
            Job.kind == HARVEST_FEED_JOB, Job.status.in_(("queued", "running"))
        )
    )
    return {int(p["feed_id"]) for p in payloads if isinstance(p, dict) and "feed_id" in p}


def _options(db: Session) -> dict[str, Any]:
    return {
        "kind_options": [(k, KIND_LABELS[k]) for k in INTEL_KINDS],
        "sector_groups": sector_choices(list_sectors(db)),
        "place_groups": place_choices(),
    }


def _form_of(feed: Feed) -> dict[str, Any]:
    return {
        "name": feed.name,
        "countries": list(feed.default_countries or []),
        "sectors": list(feed.default_sectors or []),
        "kind": feed.default_kind,
        "interval": feed_admin.format_interval(feed.interval_minutes),
        "auto_publish": feed.auto_publish,
        "enabled": feed.enabled,
        "source_url": feed.source_url or "",
    }


def _list_page(
    request: Request,
    db: Session,
    admin: User,
    *,
    page: int = 1,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render_admin(
        request,
        "admin/feeds.html",
        "feeds",
        {
            "listing": feed_admin.page_feeds(db, page=page),
            "queued": _queued(db),
            "private_allowed": private_feeds_allowed(),
            **_options(db),
        },
        form=form or {"kind": "news", "interval": "6h", "countries": [], "sectors": []},
        errors=errors,
        status_code=status_code,
    )


def _feed_page(
    request: Request,
    db: Session,
    admin: User,
    feed: Feed,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render_admin(
        request,
        "admin/feed.html",
        "feeds",
        {
            "feed": feed,
            "queued": feed.id in _queued(db),
            "recent": feed_admin.recent_items(db, feed),
            "default_countries": countries_for(feed.default_countries or []),
            "interval_text": feed_admin.format_interval(feed.interval_minutes),
            **_options(db),
        },
        form=form or _form_of(feed),
        errors=errors,
        status_code=status_code,
    )


def _settings(
    name: str,
    countries: list[str],
    sectors: list[str],
    kind: str,
    interval: str,
    auto_publish: str,
    enabled: str,
    source_url: str,
) -> feed_admin.FeedSettings:
    return feed_admin.FeedSettings(
        name=name,
        countries=countries,
        sectors=sectors,
        kind=kind,
        interval=interval,
        auto_publish=auto_publish == "1",
        enabled=enabled == "1",
        source_url=source_url,
    )


@router.get("/admin/feeds", response_class=HTMLResponse)
def feeds(
    request: Request,
    db: DbSession,
    admin: Admin,
    page: Annotated[str, Query(max_length=6)] = "1",
) -> Response:
    return _list_page(request, db, admin, page=page_number(page))


@router.post("/admin/feeds", response_class=HTMLResponse)
def add_feed(
    request: Request,
    db: DbSession,
    admin: Admin,
    url: Short = "",
    name: Short = "",
    countries: Codes = [],  # noqa: B006
    sectors: Codes = [],  # noqa: B006
    kind: Annotated[str, Form(max_length=20)] = "news",
    interval: Annotated[str, Form(max_length=20)] = "6h",
    auto_publish: Flag = "",
    enabled: Flag = "",
    source_url: Short = "",
) -> Response:
    data = _settings(name, countries, sectors, kind, interval, auto_publish, enabled, source_url)
    try:
        feed, warning = feed_admin.create_feed(
            db, admin, url, data, allow_private=private_feeds_allowed(),
            deadline=request.app.state.settings.fetch_deadline,
        )  # fmt: skip
    except feed_admin.FeedSettingsError as exc:
        db.rollback()
        typed = {"url": url, **data.__dict__, "interval": interval}
        return _list_page(request, db, admin, form=typed, errors=exc.errors, status_code=422)
    db.commit()
    response = redirect(f"/admin/feeds/{feed.id}")
    if feed.enabled:
        added = _("The feed %(name)s is added, enabled.", name=feed.name)
    else:
        added = _("The feed %(name)s is added, disabled until you enable it.", name=feed.name)
    flash(request, response, added, "success")
    if warning:
        flash(request, response, warning, "warning")
    return response


@router.get("/admin/feeds/{feed_id}", response_class=HTMLResponse)
def feed_page(request: Request, feed_id: int, db: DbSession, admin: Admin) -> Response:
    return _feed_page(request, db, admin, _load(db, feed_id))


@router.post("/admin/feeds/{feed_id}", response_class=HTMLResponse)
def edit_feed(
    request: Request,
    feed_id: int,
    db: DbSession,
    admin: Admin,
    name: Short = "",
    countries: Codes = [],  # noqa: B006
    sectors: Codes = [],  # noqa: B006
    kind: Annotated[str, Form(max_length=20)] = "news",
    interval: Annotated[str, Form(max_length=20)] = "6h",
    auto_publish: Flag = "",
    enabled: Flag = "",
    source_url: Short = "",
) -> Response:
    feed = _load(db, feed_id)
    data = _settings(name, countries, sectors, kind, interval, auto_publish, enabled, source_url)
    try:
        changes = feed_admin.update_feed(db, admin, feed, data)
    except feed_admin.FeedSettingsError as exc:
        db.rollback()
        typed = {**data.__dict__, "interval": interval}
        return _feed_page(
            request, db, admin, _load(db, feed_id), form=typed, errors=exc.errors, status_code=422
        )
    db.commit()
    response = redirect(f"/admin/feeds/{feed.id}")
    if changes:
        flash(request, response, _("The feed %(name)s is saved.", name=feed.name), "success")
    else:
        flash(request, response, _("Nothing changed."), "info")
    return response


@router.post("/admin/feeds/{feed_id}/enabled", response_class=HTMLResponse)
def enable_feed(
    request: Request,
    feed_id: int,
    db: DbSession,
    admin: Admin,
    enabled: Flag = "",
    back: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    feed = _load(db, feed_id)
    feed_admin.set_enabled(db, admin, feed, enabled == "1")
    db.commit()
    response = redirect("/admin/feeds" if back == "list" else f"/admin/feeds/{feed.id}")
    if feed.enabled:
        message = _("%(name)s is enabled: it is harvested when due.", name=feed.name)
        flash(request, response, message, "success")
    else:
        message = _("%(name)s is disabled: it is no longer harvested.", name=feed.name)
        flash(request, response, message, "info")
    return response


@router.post("/admin/feeds/{feed_id}/harvest", response_class=HTMLResponse)
def harvest_now(
    request: Request,
    feed_id: int,
    db: DbSession,
    admin: Admin,
    back: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    feed = _load(db, feed_id)
    feed_admin.require_admin(admin)
    if feed.id not in _queued(db):
        enqueue(db, HARVEST_FEED_JOB, {"feed_id": feed.id}, max_attempts=1)
        record(
            db, actor=admin, action="feed.harvest", object_type="feed", object_id=feed.id,
            object_label=feed.name,
        )  # fmt: skip
    db.commit()
    response = redirect("/admin/feeds" if back == "list" else f"/admin/feeds/{feed.id}")
    flash(
        request,
        response,
        _(
            "A harvest of %(name)s is queued; the background worker runs it within seconds. "
            "Reload this page to see the result.",
            name=feed.name,
        ),
        "success",
    )
    return response


@router.post("/admin/feeds/{feed_id}/delete", response_class=HTMLResponse)
def delete_feed(
    request: Request,
    feed_id: int,
    db: DbSession,
    admin: Admin,
    confirm: Flag = "",
) -> Response:
    feed = _load(db, feed_id)
    if confirm != "1":
        return _feed_page(
            request,
            db,
            admin,
            feed,
            errors={"confirm": _("Tick the box to confirm that the feed is to be deleted.")},
            status_code=422,
        )
    name = feed.name
    feed_admin.delete_feed(db, admin, feed)
    db.commit()
    response = redirect("/admin/feeds")
    flash(
        request,
        response,
        _("The feed %(name)s is deleted; the items it brought stay in the repository.", name=name),
        "success",
    )
    return response
