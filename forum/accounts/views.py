"""Joining and signing in: register, interests, verify, log in and out, reset, invitations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from forum.accounts import invites, memberships, password_changes, service, sessions, throttle
from forum.accounts.deps import OptionalUser, SignedInUser
from forum.accounts.models import Membership, User
from forum.core.audit import record
from forum.core.errors import NotFound
from forum.core.formats import country_name
from forum.core.i18n import _, ngettext
from forum.core.web import AppSettings, DbSession, flash, redirect, render, safe_next
from forum.notifications.service import list_follows
from forum.partnerships.service import (
    PartnershipFilter,
    get_partnership_by_slug,
    list_partnerships,
)
from forum.taxonomy.regions import RegionGroup, load_region_groups
from forum.taxonomy.service import (
    list_countries,
    list_sectors,
)

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=400)]
Password = Annotated[str, Form(max_length=1000)]


def _throttle_ip(request: Request, db: DbSession, action: str) -> None:
    settings = request.app.state.settings
    throttle.hit_ip(db, throttle.client_ip(request, settings.trusted_proxies), action)
    db.commit()


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
    email: Text,
    name: Text,
    password: Password,
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
                "errors": {exc.field or "_": str(exc)},
                "partnership_options": _partnership_options(db),
            },
            status_code=422,
        )
    db.commit()
    return render(request, "accounts/check_email.html", {"email": service.normalize_email(email)})


# --- verification ----------------------------------------------------------------------------


@router.get("/verify/{token}", response_class=HTMLResponse)
def verify_page(request: Request, token: str, db: DbSession) -> Response:
    valid = service.find_email_token(db, token, "verify") is not None
    return render(request, "accounts/verify.html", {"token": token, "valid": valid})


@router.post("/verify/{token}", response_class=HTMLResponse)
def verify(request: Request, token: str, db: DbSession, user: OptionalUser) -> Response:
    try:
        verified = service.verify_email(db, token)
    except service.AccountError as exc:
        return render(
            request,
            "accounts/verify.html",
            {"token": token, "valid": False, "error": str(exc)},
            status_code=400,
        )
    db.commit()
    if user is not None and user.id == verified.id:
        response = redirect("/welcome" if user.onboarded_at is None else "/")
    else:
        response = redirect("/login")
    flash(request, response, _("Your email address is confirmed."), "success")
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


def region_groups() -> list[RegionGroup]:
    return sorted(load_region_groups().values(), key=lambda g: g.label)


def country_options() -> list[tuple[str, str]]:
    """The places a member may follow: the region groups, then every country, named in
    the reader's language."""
    groups = [(g.code, _("%(name)s (region)", name=g.label)) for g in region_groups()]
    countries = [(c.code, country_name(c.code)) for c in list_countries()]
    return groups + sorted(countries, key=lambda option: option[1].casefold())


def _welcome_context(db: DbSession, user: User, form: dict[str, object]) -> dict[str, object]:
    return {
        "form": form,
        "errors": {},
        "country_options": country_options(),
        "sector_options": [(s.slug, s.name) for s in list_sectors(db)],
        "partnership": user.membership.partnership if user.membership else None,
    }


@router.get("/welcome", response_class=HTMLResponse)
def welcome_form(request: Request, db: DbSession, user: SignedInUser) -> Response:
    follows = list_follows(db, user.id)
    form: dict[str, object] = {
        "countries": follows["country"],
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
        context["errors"] = {getattr(exc, "field", None) or "_": str(exc)}
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
    email: Text,
    password: Password,
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    _throttle_ip(request, db, "login")
    form = {"email": email, "next": next}
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
    # A fresh session id at every login; the browser's old one, if any, ends.
    old = request.cookies.get(sessions.SESSION_COOKIE)
    if old:
        sessions.end_session(db, old)
    raw = sessions.create_session(db, user, user_agent=request.headers.get("user-agent", ""))
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
    request: Request, token: str, db: DbSession, settings: AppSettings, password: Password
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
            {"token": token, "valid": valid, "errors": {exc.field or "_": str(exc)}},
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
    request: Request, token: str, db: DbSession, settings: AppSettings, password: Password
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
                "errors": {exc.field or "_": str(exc)},
            },
            status_code=422,
        )
    raw = sessions.create_session(db, user, user_agent=request.headers.get("user-agent", ""))
    db.commit()
    response = redirect("/welcome")
    sessions.set_session_cookie(response, raw, settings)
    return response


# --- partnership membership --------------------------------------------------------------------


@router.post("/partnerships/{slug}/join", response_class=HTMLResponse)
def join_partnership(request: Request, slug: str, db: DbSession, user: SignedInUser) -> Response:
    partnership = get_partnership_by_slug(db, slug)
    if partnership is None:
        raise NotFound("partnership", detail=_("There is no partnership at this address."))
    memberships.request_membership(db, user, partnership)
    db.commit()
    response = redirect(f"/partnerships/{slug}")
    flash(
        request,
        response,
        _(
            "Your request to join %(partnership)s was sent to its coordinator.",
            partnership=partnership.name,
        ),
        "success",
    )
    return response


@router.get("/partnerships/{slug}/members", response_class=HTMLResponse)
def partnership_members(request: Request, slug: str, db: DbSession, user: SignedInUser) -> Response:
    partnership = get_partnership_by_slug(db, slug)
    if partnership is None:
        raise NotFound("partnership", detail=_("There is no partnership at this address."))
    if not memberships.can_decide_membership(user, partnership):
        raise HTTPException(
            403, _("Only the partnership's coordinator or an admin manages members.")
        )
    return render(
        request,
        "accounts/members.html",
        {
            "nav": "partnerships",
            "partnership": partnership,
            "pending": memberships.pending_memberships(db, partnership.id),
            "members": memberships.partnership_members(db, partnership.id),
        },
    )


@router.post("/partnerships/{slug}/members/{membership_id}", response_class=HTMLResponse)
def decide_membership(
    request: Request,
    slug: str,
    membership_id: int,
    db: DbSession,
    user: SignedInUser,
    decision: Annotated[str, Form(pattern="^(approve|reject)$")],
) -> Response:
    membership = db.get(Membership, membership_id)
    partnership = get_partnership_by_slug(db, slug)
    if membership is None or partnership is None or membership.partnership_id != partnership.id:
        raise HTTPException(404, _("There is no such request."))
    memberships.decide_membership(db, user, membership, approve=decision == "approve")
    record(
        db,
        actor=user,
        action=f"membership.{decision}",
        object_type="membership",
        object_id=membership.id,
        object_label=f"{membership.user.name} in {partnership.name}",
    )
    db.commit()
    response = redirect(f"/partnerships/{slug}/members")
    name = membership.user.name
    if decision == "approve":
        message = _("%(name)s's request is approved.", name=name)
    else:
        message = _("%(name)s's request is declined.", name=name)
    flash(request, response, message, "success")
    return response
