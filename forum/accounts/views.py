"""Joining and signing in: register, interests, verify, log in and out, reset, invitations.

A partnership's members (joining one, the coordinator's decisions) are in membership_views.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from forum.accounts import invites, password_changes, service, sessions, throttle
from forum.accounts.deps import OptionalUser, SignedInUser
from forum.accounts.models import User
from forum.core.i18n import _, ngettext
from forum.core.web import AppSettings, DbSession, flash, redirect, render, safe_next
from forum.notifications.service import list_follows
from forum.partnerships.service import (
    PartnershipFilter,
    list_partnerships,
)
from forum.taxonomy.picker import place_choices, sector_choices
from forum.taxonomy.service import (
    list_sectors,
)

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=400)]
Password = Annotated[str, Form(max_length=1000)]


def _throttle_ip(request: Request, db: DbSession, action: str) -> None:
    settings = request.app.state.settings
    throttle.hit_ip(db, throttle.client_ip(request, settings.trusted_proxies), action)
    db.commit()


def _start_session(request: Request, db: DbSession, user: User) -> str:
    """A fresh session for `user` (the cookie value); the browser's old one, if any, ends,
    so a session id never survives a sign-in (fixation)."""
    old = request.cookies.get(sessions.SESSION_COOKIE)
    if old:
        sessions.end_session(db, old)
    return sessions.create_session(db, user, user_agent=request.headers.get("user-agent", ""))


def _partnership_options(db: DbSession) -> list[tuple[str, str]]:
    rows, _total = list_partnerships(db, PartnershipFilter(), limit=1000)
    return [("", _("None, or not listed"))] + [(str(p.id), p.name) for p in rows]


# --- register -----------------------------------------------------------------------------


@router.get("/register", response_class=HTMLResponse)
def register_form(request: Request, db: DbSession, user: OptionalUser) -> Response:
    if user is not None:
        return redirect("/")
    return render(
        request,
        "accounts/register.html",
        {"form": {}, "errors": {}, "partnership_options": _partnership_options(db)},
    )


@router.post("/register", response_class=HTMLResponse)
def register(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    # Missing fields (a form that skipped the browser's checks) reach the rules as empty,
    # so the form comes back with every field's message.
    email: Text = "",
    name: Text = "",
    password: Password = "",
    partnership: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    _throttle_ip(request, db, "register")
    form = {"email": email, "name": name, "partnership": partnership}
    try:
        partnership_id = int(partnership) if partnership else None
    except ValueError:
        partnership_id = -1
    try:
        service.register(
            db,
            settings,
            email=email,
            name=name,
            password=password,
            partnership_id=partnership_id,
        )
    except service.AccountError as exc:
        db.rollback()
        return render(
            request,
            "accounts/register.html",
            {
                "form": form,
                "errors": exc.by_field(),
                "partnership_options": _partnership_options(db),
            },
            status_code=422,
        )
    db.commit()
    return render(request, "accounts/check_email.html", {"email": service.normalize_email(email)})


# --- verification ----------------------------------------------------------------------------


def _verify_page(
    request: Request, db: DbSession, token: str, *, status_code: int = 200
) -> Response:
    found = service.find_email_token(db, token, "verify")
    state = "live" if found is not None else service.verification_link_state(db, token)
    return render(
        request,
        "accounts/verify.html",
        {"token": token, "state": state, "email": found.user.email if found else None},
        status_code=status_code,
    )


@router.get("/verify/{token}", response_class=HTMLResponse)
def verify_page(request: Request, token: str, db: DbSession) -> Response:
    # GET changes nothing: mail scanners and link previews fetch links (docs/accounts.md).
    return _verify_page(request, db, token)


@router.post("/verify/{token}", response_class=HTMLResponse)
def verify(request: Request, token: str, db: DbSession, settings: AppSettings) -> Response:
    """Confirm the address and sign its owner in, as a login does: the link is single-use,
    came to that address, and the button carries the CSRF token of this browser."""
    try:
        verified = service.verify_email(db, token)
    except service.AccountError:
        db.rollback()
        return _verify_page(request, db, token, status_code=400)
    if verified.is_suspended:
        db.commit()
        response = redirect("/login")
        flash(request, response, _("Your email address is confirmed."), "success")
        return response
    raw = _start_session(request, db, verified)
    db.commit()
    response = redirect("/welcome" if verified.onboarded_at is None else "/")
    sessions.set_session_cookie(response, raw, settings)
    flash(
        request,
        response,
        _("Your email address is confirmed. Welcome, %(name)s.", name=verified.name),
        "success",
    )
    return response


@router.post("/verify", response_class=HTMLResponse)
def resend_verification(
    request: Request, db: DbSession, settings: AppSettings, user: SignedInUser
) -> Response:
    _throttle_ip(request, db, "resend")
    if not user.is_verified:
        service.send_verification(db, settings, user, actor=user)
        db.commit()
    response = redirect("/profile")
    flash(
        request,
        response,
        _("We sent a new confirmation link to %(email)s.", email=user.email),
        "info",
    )
    return response


# --- the interests step ------------------------------------------------------------------------


def _welcome_context(db: DbSession, user: User, form: dict[str, object]) -> dict[str, object]:
    return {
        "form": form,
        "errors": {},
        "place_groups": place_choices(suggested=user.target_countries),
        "sector_groups": sector_choices(list_sectors(db), suggested=user.target_sectors),
        "partnership": user.membership.partnership if user.membership else None,
    }


@router.get("/welcome", response_class=HTMLResponse)
def welcome_form(request: Request, db: DbSession, user: SignedInUser) -> Response:
    follows = list_follows(db, user.id)
    form: dict[str, object] = {
        "countries": follows["region_group"] + follows["country"],
        "sectors": follows["sector"],
        "frequency": user.digest_frequency,
    }
    return render(request, "accounts/welcome.html", _welcome_context(db, user, form))


@router.post("/welcome", response_class=HTMLResponse)
def welcome(
    request: Request,
    db: DbSession,
    user: SignedInUser,
    countries: Annotated[list[str], Form(max_length=300)] = [],  # noqa: B006
    sectors: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006
    frequency: Annotated[str, Form(max_length=10)] = "weekly",
) -> Response:
    form: dict[str, object] = {"countries": countries, "sectors": sectors, "frequency": frequency}
    try:
        service.complete_onboarding(
            db, user, places=countries, sectors=sectors, frequency=frequency
        )
    except service.AccountError as exc:
        db.rollback()
        context = _welcome_context(db, user, form)
        context["errors"] = exc.by_field()
        return render(request, "accounts/welcome.html", context, status_code=422)
    db.commit()
    response = redirect("/")
    flash(
        request, response, _("Your interests are saved. Your digest will follow them."), "success"
    )
    return response


# --- log in and out ---------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, user: OptionalUser, next: str = "") -> Response:
    if user is not None:
        return redirect(safe_next(next))
    return render(request, "accounts/login.html", {"form": {"next": next}, "errors": {}})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    email: Text = "",
    password: Password = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    _throttle_ip(request, db, "login")
    form = {"email": email, "next": next}
    missing = {}
    if not email.strip():
        missing["email"] = _("Enter your email address.")
    if not password:
        missing["password"] = _("Enter your password.")
    if missing:
        return render(
            request, "accounts/login.html", {"form": form, "errors": missing}, status_code=422
        )
    wait = throttle.account_delay(db, email)
    if wait:
        raise throttle.TooManyRequests(
            wait,
            ngettext(
                "Too many failed attempts for this account. Try again in %(num)s second, "
                "or reset your password.",
                "Too many failed attempts for this account. Try again in %(num)s seconds, "
                "or reset your password.",
                wait,
            ),
        )
    try:
        user = service.authenticate(db, email, password)
    except service.AccountError as exc:
        db.rollback()
        throttle.record_failure(db, email)
        db.commit()
        return render(
            request,
            "accounts/login.html",
            {"form": form, "errors": {"_": str(exc)}},
            status_code=400,
        )
    raw = _start_session(request, db, user)
    db.commit()
    target = "/welcome" if user.onboarded_at is None else safe_next(next)
    response = redirect(target)
    sessions.set_session_cookie(response, raw, settings)
    flash(request, response, _("Welcome, %(name)s.", name=user.name), "success")
    return response


@router.post("/logout", response_class=HTMLResponse)
def logout(request: Request, db: DbSession, settings: AppSettings) -> Response:
    raw = request.cookies.get(sessions.SESSION_COOKIE)
    if raw:
        sessions.end_session(db, raw)
        db.commit()
    response = redirect("/")
    sessions.clear_session_cookie(response, settings)
    flash(request, response, _("You are logged out."), "info")
    return response


# --- password reset ---------------------------------------------------------------------------


@router.get("/password/forgot", response_class=HTMLResponse)
def forgot_form(request: Request) -> Response:
    return render(request, "accounts/forgot.html", {"form": {}, "errors": {}})


@router.post("/password/forgot", response_class=HTMLResponse)
def forgot(request: Request, db: DbSession, settings: AppSettings, email: Text) -> Response:
    _throttle_ip(request, db, "reset")
    password_changes.request_password_reset(db, settings, email)
    db.commit()
    return render(request, "accounts/check_email.html", {"email": email.strip(), "reset": True})


@router.get("/password/reset/{token}", response_class=HTMLResponse)
def reset_form(request: Request, token: str, db: DbSession) -> Response:
    valid = service.find_email_token(db, token, "reset") is not None
    return render(request, "accounts/reset.html", {"token": token, "valid": valid, "errors": {}})


@router.post("/password/reset/{token}", response_class=HTMLResponse)
def reset(
    request: Request, token: str, db: DbSession, settings: AppSettings, password: Password = ""
) -> Response:
    _throttle_ip(request, db, "reset")
    try:
        password_changes.reset_password(db, settings, token, password)
    except service.AccountError as exc:
        db.rollback()
        valid = service.find_email_token(db, token, "reset") is not None
        return render(
            request,
            "accounts/reset.html",
            {"token": token, "valid": valid, "errors": exc.by_field()},
            status_code=422,
        )
    db.commit()
    response = redirect("/login")
    sessions.clear_session_cookie(response, settings)
    flash(request, response, _("Your password is changed. Log in with the new one."), "success")
    return response


# --- email change confirmation -----------------------------------------------------------------


@router.get("/email/confirm/{token}", response_class=HTMLResponse)
def confirm_email_form(request: Request, token: str, db: DbSession) -> Response:
    valid = service.find_email_token(db, token, "email-change") is not None
    return render(request, "accounts/confirm_email.html", {"token": token, "valid": valid})


@router.post("/email/confirm/{token}", response_class=HTMLResponse)
def confirm_email(request: Request, token: str, db: DbSession) -> Response:
    try:
        user = service.confirm_email_change(db, token)
    except service.AccountError as exc:
        return render(
            request,
            "accounts/confirm_email.html",
            {"token": token, "valid": False, "error": str(exc)},
            status_code=400,
        )
    db.commit()
    response = redirect("/profile")
    flash(request, response, _("Your email address is now %(email)s.", email=user.email), "success")
    return response


# --- invitations --------------------------------------------------------------------------------


@router.get("/invite/{token}", response_class=HTMLResponse)
def invitation_form(request: Request, token: str, db: DbSession) -> Response:
    found = service.find_email_token(db, token, "invite")
    return render(
        request,
        "accounts/invite.html",
        {
            "token": token,
            "valid": found is not None,
            "invitee": found.user if found else None,
            "errors": {},
        },
    )


@router.post("/invite/{token}", response_class=HTMLResponse)
def accept_invitation(
    request: Request, token: str, db: DbSession, settings: AppSettings, password: Password = ""
) -> Response:
    _throttle_ip(request, db, "invite")
    try:
        user = invites.accept_invitation(db, token, password)
    except service.AccountError as exc:
        db.rollback()
        found = service.find_email_token(db, token, "invite")
        return render(
            request,
            "accounts/invite.html",
            {
                "token": token,
                "valid": found is not None,
                "invitee": found.user if found else None,
                "errors": exc.by_field(),
            },
            status_code=422,
        )
    raw = _start_session(request, db, user)
    db.commit()
    response = redirect("/welcome")
    sessions.set_session_cookie(response, raw, settings)
    return response
