"""What every view uses: the database session dependency, templates, flashes, and the
language a feed is written in (`?lang=`)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BeforeValidator, Field, StringConstraints
from sqlalchemy.orm import Session

from forum.core import i18n, jinja_i18n
from forum.core.config import Settings
from forum.core.i18n import _

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
FLASH_COOKIE = "forum_flash"


async def get_settings(request: Request) -> Settings:
    # Async: no I/O, so FastAPI calls it on the event loop instead of a thread.
    settings: Settings = request.app.state.settings
    return settings


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A session for this request. Views commit once, explicitly; anything else rolls back.

    Safe requests get a read-mostly session; others a writer session (see db.py).

    Async, so that it costs no thread hop of its own: making a session does no I/O (it
    connects at its first statement, on the view's thread). Closing it does, when it
    still holds a transaction (the rollback returns the connection): that runs on a
    thread; a session that holds none (never used, or its view committed or rolled
    back) closes here at once. Nothing here waits for the connection pool on the event
    loop, so sync views and this dependency cannot deadlock on it (stack notes).
    """
    state = request.app.state
    factory = (
        state.read_session_factory if request.method in SAFE_METHODS else state.session_factory
    )
    session: Session = factory()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


DbSession = Annotated[Session, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_settings)]


def feed_language(lang: Annotated[str, Query(max_length=35)] = "") -> str:
    """A feed's `?lang=` (Atom and iCal): its own words (title, subtitle, labels) in that
    language, since a feed reader sends no cookie and seldom an Accept-Language. A code
    the forum does not offer (`pt`, `xx`) writes English, as a page does for
    `Accept-Language: pt`; without `lang`, the request's language. Answers the language
    the feed is written in."""
    if lang.strip():
        i18n.choose(i18n.supported(lang) or i18n.DEFAULT_LANGUAGE)
    return i18n.language()


# A feed route's `dependencies=[InFeedLanguage]`: it takes `?lang=`.
InFeedLanguage = Depends(feed_language)

# Row ids are INTEGER columns: 32-bit on PostgreSQL (64 on SQLite). A larger number in a
# URL or a body is refused here (422) instead of failing in the driver.
MAX_ROW_ID = 2**31 - 1


def _digits(value: object) -> object:
    # pydantic reads " 4", "4\n" or "4_000" in a URL as a number: an id is digits only.
    if isinstance(value, str) and not re.fullmatch(r"[0-9]+", value):
        raise ValueError(_("expected an id: digits only"))
    return value


RowId = Annotated[int, PathParam(ge=1, le=MAX_ROW_ID), BeforeValidator(_digits)]
# A filter value in a query string: `?country=` names nothing and is refused (422).
QueryValue = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# The same in a JSON body: a JSON integer (not "3", 3.0 or true) within that range.
BodyRowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID, strict=True)]


def _iso_date(value: object) -> object:
    # pydantic alone also reads a number (0, "0.0") as a Unix time: a date in a URL or a
    # JSON body is documented as YYYY-MM-DD and anything else is a 422.
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(_("expected a date as YYYY-MM-DD"))
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


@dataclass(frozen=True)
class Flash:
    level: str
    message: str


def _flash_serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.state.settings.secret_key, salt="flash")


def flash(request: Request, response: Response, message: str, level: str = "info") -> None:
    """Show `message` on the next page this browser renders."""
    pending = [*_read_flashes(request), Flash(level, message)]
    value = _flash_serializer(request).dumps([[f.level, f.message] for f in pending])
    response.set_cookie(FLASH_COOKIE, value, httponly=True, samesite="lax", path="/")


def _read_flashes(request: Request) -> list[Flash]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        data = _flash_serializer(request).loads(raw)
    except (BadSignature, json.JSONDecodeError):
        return []
    return [Flash(str(level), str(message)) for level, message in data][:5]


def _context(request: Request) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    return {
        "csp_nonce": getattr(request.state, "csp_nonce", ""),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "flashes": _read_flashes(request),
        "current_user": getattr(request.state, "user", None),
        # Set by the accounts' load_user from their rules: the header's links.
        "header_can_moderate": getattr(request.state, "can_moderate", False),
        "header_can_administer": getattr(request.state, "can_administer", False),
        "unread_count": getattr(request.state, "unread", 0),
        "site_name": "Cluster Forum",
        "demo_notice": settings.demo_notice,
        # `forum demo --shift-dates` moved the report's events (forum.events.dates.DatesShift).
        "demo_dates_shift": getattr(request.app.state, "demo_dates_shift", None),
        "nav": None,
    }


def make_templates(*, reload: bool = False) -> Jinja2Templates:
    """The page templates; `reload` re-reads a template whose file changed (development)."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.auto_reload = reload
    jinja_i18n.install_jinja(templates.env)
    templates.env.globals["static_version"] = "1"
    return templates


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page; flashes shown on it are consumed."""
    templates: Jinja2Templates = request.app.state.templates
    full = _context(request)
    full.update(context or {})
    response = templates.TemplateResponse(request, name, full, status_code=status_code)
    if request.cookies.get(FLASH_COOKIE):
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def render_admin(
    request: Request,
    name: str,
    section: str,
    context: dict[str, Any] | None = None,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page of the admin area: `section` marks its entry in the admin menu; a form
    on it gets back what was typed (`form`) and the errors by field, empty when none."""
    full: dict[str, Any] = {"admin_section": section, "form": form or {}, "errors": errors or {}}
    full.update(context or {})
    return render(request, name, full, status_code=status_code)


def redirect(url: str, *, status_code: int = 303) -> RedirectResponse:
    return RedirectResponse(url, status_code=status_code)


def safe_next(url: str | None, default: str = "/") -> str:
    """`url` when it is a path on this site, else `default`: no open redirects (no other
    host, no scheme, no backslash or line break a browser might read as one)."""
    url = (url or "").strip()
    if (
        not url.startswith("/")
        or url.startswith("//")
        or "\\" in url
        or any(ch in url for ch in "\r\n\t")
    ):
        return default
    parts = urlsplit(url)
    return url if not parts.scheme and not parts.netloc else default
