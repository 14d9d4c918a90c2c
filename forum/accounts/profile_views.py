"""The member's own pages: profile, interests, API tokens, where you are signed in, email,
password, data, deletion."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forum.accounts import api_tokens, credentials, password_changes, service, sessions, throttle
from forum.accounts.deps import SignedInUser
from forum.accounts.models import User, UserSession
from forum.core import formats, i18n
from forum.core.i18n import _, ngettext
from forum.core.pagination import page_number
from forum.core.web import AppSettings, DbSession, RowId, flash, redirect, render
from forum.notifications.service import list_follows
from forum.partnerships.service import PartnershipFilter, list_partnerships
from forum.taxonomy.picker import place_choices, sector_choices
from forum.taxonomy.service import (
    list_sectors,
)

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=400)]
Password = Annotated[str, Form(max_length=1000)]

BIO_MAX = 2000
# Pages that show a secret, or the member's whole data, must not be kept by caches.
NO_STORE = {"Cache-Control": "no-store"}


# --- profile rules ----------------------------------------------------------------------------
# Plain functions taking the session first, flushing but never committing, as in service.py.


def update_profile(
    db: Session, user: User, *, name: str, bio: str, timezone: str, language: str
) -> None:
    """Save name, bio, time zone and language; raises AccountError (every field's message
    at once) and changes nothing when any of them is invalid."""
    checks = service.Checks()
    valid_name = checks.run(service.validate_name, name)
    bio = bio.replace("\r\n", "\n").strip()
    checks.run(_check_bio, bio)
    if timezone not in service.valid_timezones():
        checks.errors["timezone"] = _("Choose a time zone from the list.")
    if language not in i18n.available():
        checks.errors["language"] = _("Choose a language from the list.")
    checks.raise_any()
    user.name, user.bio, user.timezone, user.language = valid_name or name, bio, timezone, language
    db.flush()


def _check_bio(bio: str) -> None:
    if len(bio) > BIO_MAX:
        raise service.AccountError(
            _(
                "Keep your bio to %(max)s characters (it has %(count)s).",
                max=formats.format_number(BIO_MAX),
                count=formats.format_number(len(bio)),
            ),
            "bio",
        )


# --- helpers ----------------------------------------------------------------------------------


def _when(value: dt.datetime | None) -> str:
    """A moment in the reader's (the member's own) language and time zone, or an empty
    string."""
    return formats.format_datetime(value)


def _signins(db: Session, user: User, current: UserSession | None, page: int) -> dict[str, Any]:
    """The "where you are signed in" list, ready for the template."""
    listing = credentials.list_signins(db, user, current=current, page=page)
    return {
        "listing": listing,
        "rows": [
            {
                "kind": s.kind,
                "id": s.id,
                "client": (
                    sessions.describe_user_agent(s.client)
                    if s.kind == "session"
                    else _("API client")
                ),
                "detail": s.client if s.kind == "token" else "",
                "created": _when(s.created_at),
                "last_used": _when(s.last_used_at),
                "current": s.current,
            }
            for s in listing.items
        ],
        "prev_url": f"{listing.prev_url}#sessions" if listing.prev_url else None,
        "next_url": f"{listing.next_url}#sessions" if listing.next_url else None,
        "others": listing.total - (1 if current is not None else 0),
    }


def _profile_context(
    db: Session,
    user: User,
    *,
    this_session: UserSession | None,
    page: int = 1,
    form: dict[str, Any] | None = None,
    errors: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    follows = list_follows(db, user.id)
    values: dict[str, Any] = {
        "name": user.name,
        "bio": user.bio,
        "timezone": user.timezone,
        "language": user.language,
        "countries": follows["region_group"] + follows["country"],
        "sectors": follows["sector"],
        "token_name": "",
        "new_email": "",
    }
    values.update(form or {})
    membership = user.membership
    current = membership.partnership_id if membership else None
    joined = (
        {
            "name": membership.partnership.name,
            "slug": membership.partnership.slug,
            "status": membership.status,
        }
        if membership
        else None
    )
    partnerships, _total = list_partnerships(db, PartnershipFilter(), limit=1000)
    return {
        "user": user,
        "form": values,
        "errors": errors or {},
        "membership": joined,
        "partnership_choices": [p for p in partnerships if p.id != current],
        "timezone_options": formats.timezone_choices(),
        # Only the languages pages can be written in (those with a catalog).
        "language_options": [
            (code, formats.language_name(code, in_itself=True)) for code in i18n.available()
        ],
        "place_groups": place_choices(suggested=user.target_countries),
        "sector_groups": sector_choices(list_sectors(db), suggested=user.target_sectors),
        "tokens": [
            {
                "id": t.id,
                "name": t.name,
                "prefix": t.prefix,
                "created": _when(t.created_at),
                "last_used": _when(t.last_used_at),
            }
            for t in api_tokens.list_api_tokens(db, user)
        ],
        "signins": _signins(db, user, this_session, page),
        "member_since": _when(user.created_at),
    }


def _invalid(
    request: Request, db: Session, user: User, section: str, exc: service.AccountError, **form: Any
) -> Response:
    """Roll back and show the profile again with `exc` against the form of `section`."""
    db.rollback()
    context = _profile_context(
        db,
        user,
        this_session=request.state.user_session,
        form=form,
        errors={section: exc.by_field()},
    )
    return render(request, "accounts/profile.html", context, status_code=422)


def _done(request: Request, url: str, message: str) -> Response:
    response = redirect(url)
    flash(request, response, message, "success")
    return response


# --- the profile page -------------------------------------------------------------------------


@router.get("/profile", response_class=HTMLResponse)
def profile(
    request: Request,
    db: DbSession,
    user: SignedInUser,
    page: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """`page` pages through where the member is signed in (the only long list here)."""
    context = _profile_context(
        db, user, this_session=request.state.user_session, page=page_number(page)
    )
    return render(request, "accounts/profile.html", context)


@router.post("/profile", response_class=HTMLResponse)
def save_profile(
    request: Request,
    db: DbSession,
    user: SignedInUser,
    name: Text = "",
    bio: Annotated[str, Form(max_length=20_000)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "Europe/Brussels",
    language: Annotated[str, Form(max_length=8)] = "en",
) -> Response:
    try:
        update_profile(db, user, name=name, bio=bio, timezone=timezone, language=language)
    except service.AccountError as exc:
        return _invalid(
            request,
            db,
            user,
            "profile",
            exc,
            name=name,
            bio=bio,
            timezone=timezone,
            language=language,
        )
    db.commit()
    return _done(request, "/profile", _("Your profile is saved."))


@router.post("/profile/follows", response_class=HTMLResponse)
def save_follows(
    request: Request,
    db: DbSession,
    user: SignedInUser,
    countries: Annotated[list[str], Form(max_length=300)] = [],  # noqa: B006
    sectors: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006
) -> Response:
    try:
        service.update_interests(db, user, places=countries, sectors=sectors)
    except service.AccountError as exc:
        return _invalid(request, db, user, "follows", exc, countries=countries, sectors=sectors)
    db.commit()
    return _done(
        request, "/profile#follows", _("Your interests are saved. Your digest follows them.")
    )


# --- API tokens -------------------------------------------------------------------------------


@router.post("/profile/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    db: DbSession,
    user: SignedInUser,
    token_name: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    try:
        raw, token = api_tokens.create_api_token(db, user, name=token_name)
    except service.AccountError as exc:
        exc.field = "token_name"
        return _invalid(request, db, user, "tokens", exc, token_name=token_name)
    db.commit()
    response = render(request, "accounts/token_created.html", {"token": raw, "name": token.name})
    response.headers.update(NO_STORE)
    return response


@router.post("/profile/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_token(request: Request, token_id: RowId, db: DbSession, user: SignedInUser) -> Response:
    """Revoke a personal token or an API login (both are API tokens of the member's)."""
    token = api_tokens.revoke_api_token(db, user, token_id)
    db.commit()
    section = "#sessions" if token.kind == "login" else "#tokens"
    return _done(
        request, f"/profile{section}", _("The token is revoked: programs using it are refused now.")
    )


# --- where you are signed in ----------------------------------------------------------------


@router.post("/profile/sessions/{session_id}/revoke", response_class=HTMLResponse)
def revoke_session(
    request: Request, session_id: RowId, db: DbSession, settings: AppSettings, user: SignedInUser
) -> Response:
    """Sign one of the member's browsers out; this browser's own session is a log out."""
    current = request.state.user_session
    credentials.end_own_session(db, user, session_id)
    db.commit()
    if current is not None and current.id == session_id:
        response = redirect("/")
        sessions.clear_session_cookie(response, settings)
        flash(request, response, _("You are logged out."), "info")
        return response
    return _done(request, "/profile#sessions", _("That browser is signed out."))


@router.post("/profile/sessions/revoke-others", response_class=HTMLResponse)
def sign_out_everywhere_else(request: Request, db: DbSession, user: SignedInUser) -> Response:
    ended = credentials.sign_out_everywhere_else(db, user, keep=request.state.user_session)
    db.commit()
    return _done(
        request,
        "/profile#sessions",
        _(
            "Signed out everywhere else: %(browsers)s and %(logins)s. Your personal tokens "
            "still work.",
            browsers=ngettext("%(num)s other browser", "%(num)s other browsers", ended.sessions),
            logins=ngettext("%(num)s API login", "%(num)s API logins", ended.tokens),
        ),
    )


# --- email address and password ---------------------------------------------------------------


@router.post("/profile/email", response_class=HTMLResponse)
def change_email(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    user: SignedInUser,
    new_email: Text = "",
    email_password: Password = "",
) -> Response:
    throttle.require_password_attempts(db, user.email)
    try:
        service.request_email_change(
            db, settings, user, new_email=new_email, password=email_password
        )
    except service.AccountError as exc:
        errors = exc.by_field()
        wrong_password = "password" in errors
        # The rules name their fields "password" and "email"; this form's are prefixed.
        fields = {"password": "email_password", "email": "new_email", "_": "new_email"}
        renamed = service.AccountErrors({fields.get(f, f): m for f, m in errors.items()})
        response = _invalid(request, db, user, "email", renamed, new_email=new_email)
        if wrong_password:
            throttle.count_password_failure(db, user.email)
        return response
    db.commit()
    address = service.normalize_email(new_email)
    return _done(
        request,
        "/profile#email",
        _(
            "We sent a confirmation link to %(address)s. Your address changes when you open it.",
            address=address,
        ),
    )


@router.post("/profile/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    user: SignedInUser,
    current_password: Password = "",
    new_password: Password = "",
) -> Response:
    throttle.require_password_attempts(db, user.email)
    try:
        password_changes.change_password(
            db,
            settings,
            user,
            current=current_password,
            new=new_password,
            keep=request.state.user_session,
        )
    except service.AccountError as exc:
        response = _invalid(request, db, user, "password", exc)
        if "current_password" in exc.by_field():
            throttle.count_password_failure(db, user.email)
        return response
    db.commit()
    return _done(
        request,
        "/profile#password",
        _(
            "Your password is changed. Every other browser signed in to your account is signed "
            "out and every API login is revoked; your personal tokens still work."
        ),
    )
