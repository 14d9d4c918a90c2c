"""The application shell: create_app() wires settings, database, templates and routers."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import State

from forum.accounts.deps import identify, load_user
from forum.core.admission import AdmissionMiddleware
from forum.core.config import Settings, load_settings
from forum.core.db import make_engine, make_session_factory
from forum.core.errors import document_api_errors, install_error_handlers
from forum.core.i18n import LocaleMiddleware
from forum.core.security import SecurityMiddleware, csrf_protect
from forum.core.web import STATIC_DIR, make_templates
from forum.discovery.sync import close_search_engines
from forum.discussions.reading_writes import ReadingWrites, settle_reading
from forum.discussions.view_counts import ViewCounter
from forum.events.dates import DatesShift
from forum.migrate import require_migrated
from forum.notifications.deps import load_unread
from forum.runner import Runner

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    session_factory: sessionmaker[Session] | None = None,
    check_migrations: bool = True,
) -> FastAPI:
    """Build the web application.

    Raises NotMigratedError when the database is behind the code's migrations.
    Tests pass their own engine or session factory (bound to a rolled-back
    transaction); `forum serve` passes only settings.
    """
    settings = settings or load_settings()
    settings.ensure_data_dir()
    engine = engine or make_engine(settings.resolved_database_url, **settings.engine_options())
    if check_migrations:
        require_migrated(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _warm_and_freeze()
        views = ViewCounter(app.state.session_factory)
        views.start()
        runner = None
        if app.state.settings.embedded_worker:
            # Runs the loops only while no `forum worker` holds a live lease.
            runner = Runner(app.state.settings, app.state.session_factory, kind="embedded")
            runner.start_thread()
        try:
            yield
        finally:
            if runner:
                runner.stop()
            views.stop()
            app.state.reading_writes.flush()
            close_search_engines()

    app = FastAPI(
        title="Cluster Forum",
        version="0.1.0",
        summary="Discussions and a country- and sector-tagged intelligence repository "
        "for cluster managers.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
        # In this order: who asks, their reading state written, then the header's count.
        dependencies=[
            Depends(csrf_protect),
            Depends(load_user),
            Depends(settle_reading),
            Depends(load_unread),
        ],
    )
    settings = bind(app, settings, engine=engine, session_factory=session_factory)
    for warning in settings.production_warnings():
        log.warning("%s", warning)

    assert settings.secret_key, "ensure_data_dir() sets a secret key"
    app.add_middleware(SecurityMiddleware, https=settings.https, secret_key=settings.secret_key)
    app.add_middleware(LocaleMiddleware)
    # Outermost: a request waits for a place before anything else runs.
    app.add_middleware(AdmissionMiddleware, slots=settings.request_slots)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_handlers(app, identify=identify)
    _include_routers(app)
    document_api_errors(app, API_PREFIX)
    return app


def bind(
    app: FastAPI,
    settings: Settings,
    *,
    engine: Engine,
    session_factory: sessionmaker[Session] | None = None,
) -> Settings:
    """Give `app` its settings and database: everything a request reads from `app.state`.

    `create_app` calls it once. The test suite calls it again to reuse one app (same
    routes, secret and HTTPS setting) for many tests, each on its own data dir and
    rolled-back connection: building an app's routes costs FastAPI a fifth of a second
    on its first request. Whatever requests cached on the state before is dropped.
    Answers the settings as the app uses them.
    """
    settings.ensure_data_dir()
    templates = getattr(app.state, "templates", None)
    if templates is None:
        templates = make_templates(reload=settings.reload_templates)
        templates.env.globals["nav_sections"] = NAV_SECTIONS
    app.state = State()
    app.state.settings = settings
    app.state.engine = engine
    # Requests that change things take SQLite's write lock up front; GETs read only.
    app.state.session_factory = session_factory or make_session_factory(engine)
    app.state.read_session_factory = session_factory or make_session_factory(engine, writer=False)
    # The thread pages' reading state, written after each page (reading_writes.py).
    app.state.reading_writes = ReadingWrites(app.state.session_factory)
    app.state.templates = templates
    app.state.demo_dates_shift = _demo_dates_shift(settings)
    return settings


def _demo_dates_shift(settings: Settings) -> DatesShift | None:
    """When `forum demo --shift-dates` moved the demo events: every page says so in the
    demo banner, and each moved event's page beside its dates."""
    from forum.demo.events import dates_shift

    return dates_shift(settings)


# Sections of the header that exist: main-navigation keys, plus "search" (the header
# search box) and "accounts" (log in and join links). Each capability adds its own.
NAV_SECTIONS = frozenset(
    {
        "discussions",
        "intelligence",
        "countries",
        "events",
        "partnerships",
        "insights",
        "search",
        "accounts",
    }
)


def _warm_and_freeze() -> None:
    """Load the large static tables now, then move everything alive into the permanent
    generation: the cyclic GC then stops re-scanning pycountry's hundreds of thousands
    of objects, which cost a 150 ms pause every dozen page views (bench_directory p95)."""
    from forum.accounts.passwords import common_passwords
    from forum.taxonomy.regions import load_region_groups
    from forum.taxonomy.service import list_countries

    list_countries()
    load_region_groups()
    common_passwords()
    gc.collect()
    gc.freeze()


def _include_routers(app: FastAPI) -> None:
    from forum.accounts import admin_views as accounts_admin_views
    from forum.accounts import api as accounts_api
    from forum.accounts import language_views, membership_views, profile_views
    from forum.accounts import views as accounts_views
    from forum.admin import partnership_views as partnerships_admin_views
    from forum.admin import sector_views as taxonomy_admin_views
    from forum.admin import views as admin_views
    from forum.digests import api as digests_api
    from forum.digests import public_views as digests_public_views
    from forum.digests import views as digests_views
    from forum.discovery import api as discovery_api
    from forum.discovery import feeds as discovery_feeds
    from forum.discovery import views as discovery_views
    from forum.discussions import admin_views as discussions_admin_views
    from forum.discussions import api as discussions_api
    from forum.discussions import attachment_views as discussions_attachment_views
    from forum.discussions import moderation_views
    from forum.discussions import reading_views as discussions_reading_views
    from forum.discussions import views as discussions_views
    from forum.events import api as events_api
    from forum.events import calendar_views as events_calendar_views
    from forum.events import form_views as events_form_views
    from forum.events import views as events_views
    from forum.inbound import views as inbound_views
    from forum.insights import analytics_api, analytics_unanswered, analytics_views
    from forum.insights import views as insights_views
    from forum.intelligence import admin_views as intelligence_admin_views
    from forum.intelligence import api as intelligence_api
    from forum.intelligence import attachment_api as intelligence_attachment_api
    from forum.intelligence import attachment_views as intelligence_attachment_views
    from forum.intelligence import moderation_views as intelligence_moderation_views
    from forum.intelligence import views as intelligence_views
    from forum.moderation import api as moderation_api
    from forum.moderation import views as flag_views
    from forum.partnerships import api as partnerships_api
    from forum.portal import (
        member_views,
        notifications_views,
        pages,
        privacy_views,
        taxonomy_api,
        taxonomy_views,
    )
    from forum.portal import partnership_views as partnerships_views

    # The JSON API first: routes are matched in order, and each page route tried costs
    # tens of microseconds (1.7 ms per API request when they came last); the search API,
    # the busiest, before the others.
    app.include_router(discovery_api.router, prefix=API_PREFIX)
    app.include_router(accounts_api.router, prefix=API_PREFIX)
    app.include_router(partnerships_api.router, prefix=API_PREFIX)
    app.include_router(discussions_api.router, prefix=API_PREFIX)
    app.include_router(moderation_api.router, prefix=API_PREFIX)
    app.include_router(events_api.router, prefix=API_PREFIX)
    app.include_router(analytics_api.router, prefix=API_PREFIX)
    app.include_router(intelligence_api.router, prefix=API_PREFIX)
    app.include_router(intelligence_attachment_api.router, prefix=API_PREFIX)
    app.include_router(taxonomy_api.router, prefix=API_PREFIX)
    app.include_router(digests_api.router, prefix=API_PREFIX)
    app.include_router(pages.router)
    app.include_router(accounts_views.router)
    app.include_router(membership_views.router)
    app.include_router(profile_views.router)
    app.include_router(language_views.router)
    app.include_router(privacy_views.router)
    app.include_router(member_views.router)
    app.include_router(notifications_views.router)
    app.include_router(partnerships_views.router)
    app.include_router(discussions_views.router)
    app.include_router(discussions_reading_views.router)
    # Before the item pages: /intel/review is not an item number.
    app.include_router(intelligence_moderation_views.router)
    app.include_router(intelligence_views.router)
    app.include_router(intelligence_attachment_views.router)
    app.include_router(discussions_attachment_views.router)
    app.include_router(moderation_views.router)
    app.include_router(flag_views.router)
    app.include_router(events_views.router)
    app.include_router(events_calendar_views.router)
    app.include_router(events_form_views.router)
    app.include_router(taxonomy_views.router)
    app.include_router(insights_views.router)
    app.include_router(analytics_views.router)
    app.include_router(analytics_unanswered.router)
    app.include_router(discovery_views.router)
    app.include_router(discovery_feeds.router)
    app.include_router(digests_views.router)
    app.include_router(digests_public_views.router)
    app.include_router(admin_views.router)
    app.include_router(inbound_views.router)
    app.include_router(accounts_admin_views.router)
    app.include_router(partnerships_admin_views.router)
    app.include_router(taxonomy_admin_views.router)
    app.include_router(discussions_admin_views.router)
    app.include_router(intelligence_admin_views.router)
