"""Digest pages: the member's digest settings, the preview of their next digest, and the
page a digest's follow/mute link opens (its button POSTs: mail scanners follow GETs).

Thin: parse the form, call the service, commit once, redirect with a flash.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from forum.accounts.deps import SignedInUser
from forum.accounts.models import User
from forum.core import formats
from forum.core.i18n import _, _l
from forum.core.security import csrf_exempt
from forum.core.web import AppSettings, DbSession, flash, redirect, render
from forum.digests import service
from forum.digests.render import render_digest_page
from forum.discovery.saved import list_saved_searches
from forum.discussions.service import list_categories
from forum.taxonomy.picker import place_choices, sector_choices
from forum.taxonomy.service import list_sectors

router = APIRouter(include_in_schema=False)

FREQUENCY_OPTIONS = [
    ("weekly", _l("Weekly")),
    ("daily", _l("Daily")),
    ("off", _l("Off: no digest")),
]
SAVED_SEARCHES_SHOWN = 10


def _int_or_error(value: str, field: str, message: str) -> int:
    text = value.strip()
    if not text.isdigit() or len(text) > 2:
        raise service.PreferencesError(message, field)
    return int(text)


def _settings_context(
    db: Session,
    user: User,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    prefs = service.get_preferences(db, user)
    email = service.get_email_settings(db, user.id)
    values: dict[str, Any] = {
        "frequency": prefs.frequency,
        "weekday": str(prefs.weekday),
        "hour": str(prefs.hour),
        "timezone": prefs.timezone,
        "countries": prefs.countries,
        "sectors": prefs.sectors,
        "categories": prefs.categories,
        "notify_replies": email.notify_replies,
        "notify_mentions": email.notify_mentions,
        "notify_thread_posts": email.notify_thread_posts,
    }
    values.update(form or {})
    saved = list_saved_searches(db, user, per_page=SAVED_SEARCHES_SHOWN)
    return {
        "form": values,
        "errors": errors or {},
        "frequency_options": [(value, str(label)) for value, label in FREQUENCY_OPTIONS],
        "weekday_options": [(str(i), str(day)) for i, day in enumerate(service.WEEKDAYS)],
        "hour_options": [(str(h), f"{h:02d}:00") for h in range(24)],
        "timezone_options": formats.timezone_choices(),
        "place_groups": place_choices(suggested=user.target_countries),
        "sector_groups": sector_choices(list_sectors(db), suggested=user.target_sectors),
        "category_options": [(c.slug, c.name) for c in list_categories(db, user)],
        "saved_searches": saved.items,
        "saved_total": saved.total,
        "bouncing": email.bouncing_at is not None,
        "bounce_reason": email.bounce_reason,
        "email": user.email,
    }


@router.get("/settings/digest", response_class=HTMLResponse)
def digest_settings(request: Request, db: DbSession, user: SignedInUser) -> Response:
    return render(request, "digests/settings.html", _settings_context(db, user))


@router.post("/settings/digest", response_class=HTMLResponse)
def save_digest_settings(
    request: Request,
    db: DbSession,
    user: SignedInUser,
    frequency: Annotated[str, Form(max_length=10)] = "",
    weekday: Annotated[str, Form(max_length=4)] = "",
    hour: Annotated[str, Form(max_length=4)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "",
    countries: Annotated[list[str], Form(max_length=300)] = [],  # noqa: B006
    sectors: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006
    categories: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006
    notify_replies: Annotated[str, Form(max_length=2)] = "",
    notify_mentions: Annotated[str, Form(max_length=2)] = "",
    notify_thread_posts: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    toggles = {
        "notify_replies": bool(notify_replies),
        "notify_mentions": bool(notify_mentions),
        "notify_thread_posts": bool(notify_thread_posts),
    }
    try:
        data = service.PreferencesInput(
            frequency=frequency,
            weekday=_int_or_error(weekday, "weekday", _("Choose a day of the week.")),
            hour=_int_or_error(hour, "hour", _("Choose an hour.")),
            timezone=timezone,
            countries=countries,
            sectors=sectors,
            categories=categories,
        )
        service.save_settings(db, user, data, **toggles)
    except service.PreferencesError as exc:
        db.rollback()
        form = {
            "frequency": frequency,
            "weekday": weekday,
            "hour": hour,
            "timezone": timezone,
            "countries": countries,
            "sectors": sectors,
            "categories": categories,
            **toggles,
        }
        context = _settings_context(db, user, form=form, errors={exc.field: str(exc)})
        return render(request, "digests/settings.html", context, status_code=422)
    db.commit()
    response = redirect("/settings/digest")
    flash(request, response, _saved_message(user), "success")
    return response


def _saved_message(user: User) -> str:
    if user.digest_frequency == "off":
        return _("Your settings are saved. You will get no digest.")
    hour, zone = f"{user.digest_hour:02d}:00", user.timezone
    if user.digest_frequency == "daily":
        return _(
            "Your settings are saved. Your digest comes every day at %(hour)s (%(zone)s).",
            hour=hour, zone=zone,
        )  # fmt: skip
    day = str(service.WEEKDAYS[user.digest_weekday])
    return _(
        "Your settings are saved. Your digest comes every %(day)s at %(hour)s (%(zone)s).",
        day=day, hour=hour, zone=zone,
    )  # fmt: skip


@router.post("/settings/digest/address", response_class=HTMLResponse)
def confirm_address(request: Request, db: DbSession, user: SignedInUser) -> Response:
    resumed = service.confirm_address(db, user)
    db.commit()
    response = redirect("/settings/digest")
    if resumed:
        flash(
            request, response, _("Thank you: we send to %(email)s again.", email=user.email),
            "success",
        )  # fmt: skip
    return response


@router.get("/settings/digest/preview", response_class=HTMLResponse)
def digest_preview(
    request: Request, db: DbSession, settings: AppSettings, user: SignedInUser
) -> Response:
    digest = service.preview_digest(db, settings, user)
    # The fragment is rendered by Jinja with autoescaping: member text in it is escaped.
    fragment = Markup(render_digest_page(settings, user, digest))  # noqa: S704
    return render(
        request,
        "digests/preview.html",
        {
            "fragment": fragment,
            "subject": digest.subject,
            "would_send": not digest.is_empty,
            "frequency": user.digest_frequency,
        },
    )


# --- the follow and mute links of a digest --------------------------------------------------


def _interest(db: Session, secret_key: str, token: str) -> service.InterestChange:
    change = service.read_interest(db, secret_key=secret_key, token=token)
    if change is None:
        raise HTTPException(404, _("This link is not valid. Nothing was changed."))
    return change


@router.get("/digests/interest/{token}", response_class=HTMLResponse)
def interest_page(request: Request, token: str, db: DbSession, settings: AppSettings) -> Response:
    """Says what the link would do; changes nothing (mail scanners open links)."""
    change = _interest(db, settings.secret_key or "", token)
    return render(
        request,
        "digests/interest.html",
        {"change": change, "token": token, "signed_in": request.state.user is not None},
    )


@router.get("/digests/interests/{token}", response_class=HTMLResponse)
def interests_page(request: Request, token: str, db: DbSession, settings: AppSettings) -> Response:
    """A section's follow and mute links on one page, each with its own button (which
    posts to that link's own address); changes nothing."""
    changes = service.read_interests(db, secret_key=settings.secret_key or "", token=token)
    if changes is None:
        raise HTTPException(404, _("This link is not valid. Nothing was changed."))
    return render(
        request,
        "digests/interests.html",
        {"changes": changes, "signed_in": request.state.user is not None},
    )


@router.post("/digests/interest/{token}", response_class=HTMLResponse)
@csrf_exempt  # the signed token names the member and the change: it works without a session
def apply_interest(request: Request, token: str, db: DbSession, settings: AppSettings) -> Response:
    change = service.apply_interest_token(db, secret_key=settings.secret_key or "", token=token)
    if change is None:
        raise HTTPException(404, _("This link is not valid. Nothing was changed."))
    db.commit()
    label = change.target.label
    message = (
        _("You follow %(name)s: it will be in your digest.", name=label)
        if change.action == "follow"
        else _("You no longer follow %(name)s: it leaves your digest.", name=label)
    )
    response = redirect(f"/digests/interest/{token}")
    flash(request, response, message, "success")
    return response
