"""The pages a digest's links open without a session: unsubscribe and "view in browser";
and a notification email's one-click unsubscribe from that kind of email.

Both are authenticated by their signed token alone. A GET never changes anything (mail
scanners open links); the unsubscribe POST works without cookies and without a CSRF
token (RFC 8058 one-click: the mail provider posts `List-Unsubscribe=One-Click`). The
unsubscribe pages' "resubscribe" button posts from the page, with the CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy import select

from forum.accounts.models import User
from forum.core.errors import NotFound
from forum.core.i18n import _, _l
from forum.core.security import csrf_exempt
from forum.core.web import AppSettings, DbSession, redirect, render
from forum.digests import clicks
from forum.digests.builder import build_digest
from forum.digests.models import DigestDelivery
from forum.digests.render import render_digest_page
from forum.digests.tokens import read_browser_token
from forum.digests.unsubscribe import (
    read_emails_off,
    read_unsubscribe,
    resubscribe,
    turn_emails_off,
    unsubscribe,
)

router = APIRouter(include_in_schema=False)

INVALID_LINK = _l("This link is not valid. Nothing was changed.")
# Personal pages reached by a secret link: kept out of search engines and referrers.
PRIVATE_HEADERS = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def _private(response: Response) -> Response:
    response.headers.update(PRIVATE_HEADERS)
    return response


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(
    request: Request, token: str, db: DbSession, settings: AppSettings
) -> Response:
    """Says what the button would do; changes nothing."""
    user = read_unsubscribe(db, secret_key=settings.secret_key or "", token=token)
    if user is None:
        raise HTTPException(404, str(INVALID_LINK))
    return _private(
        render(
            request,
            "digests/unsubscribe.html",
            {"member": user, "token": token, "subscribed": user.digest_frequency != "off"},
        )
    )


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
@csrf_exempt  # the signed token names the member: one-click works without cookies
def unsubscribe_now(request: Request, token: str, db: DbSession, settings: AppSettings) -> Response:
    found = read_unsubscribe(db, secret_key=settings.secret_key or "", token=token)
    # What the resubscribe button turns back on: the frequency the member had.
    was = found.digest_frequency if found is not None else "off"
    user = unsubscribe(db, secret_key=settings.secret_key or "", token=token)
    if user is None:
        raise HTTPException(404, str(INVALID_LINK))
    db.commit()
    context = {"member": user, "token": token, "was": was if was != "off" else "weekly"}
    return _private(render(request, "digests/unsubscribed.html", context))


@router.post("/unsubscribe/{token}/resubscribe", response_class=HTMLResponse)
def resubscribe_now(
    request: Request,
    token: str,
    db: DbSession,
    settings: AppSettings,
    frequency: Annotated[str, Form(max_length=10)] = "weekly",
) -> Response:
    """The unsubscribe pages' one button back: the digest on again (CSRF-protected)."""
    user = resubscribe(db, secret_key=settings.secret_key or "", token=token, frequency=frequency)
    if user is None:
        raise HTTPException(404, str(INVALID_LINK))
    db.commit()
    return _private(render(request, "digests/resubscribed.html", {"member": user}))


# What a notification email's unsubscribe link turns off, by notification kind.
EMAIL_KINDS = {
    "reply": _l("replies to your posts"),
    "mention": _l("mentions of you"),
    "thread_post": _l("new posts in threads you follow"),
}


@router.get("/emails/off/{token}", response_class=HTMLResponse)
def emails_off_page(request: Request, token: str, db: DbSession, settings: AppSettings) -> Response:
    """Says which emails the button would stop; changes nothing."""
    found = read_emails_off(db, secret_key=settings.secret_key or "", token=token)
    if found is None:
        raise HTTPException(404, str(INVALID_LINK))
    user, kind = found
    context = {"member": user, "token": token, "what": EMAIL_KINDS[kind], "done": False}
    return _private(render(request, "digests/emails_off.html", context))


@router.post("/emails/off/{token}", response_class=HTMLResponse)
@csrf_exempt  # the signed token names the member and the kind: one-click without cookies
def emails_off_now(request: Request, token: str, db: DbSession, settings: AppSettings) -> Response:
    found = turn_emails_off(db, secret_key=settings.secret_key or "", token=token)
    if found is None:
        raise HTTPException(404, str(INVALID_LINK))
    db.commit()
    user, kind = found
    context = {"member": user, "token": token, "what": EMAIL_KINDS[kind], "done": True}
    return _private(render(request, "digests/emails_off.html", context))


@router.get("/digests/{token}", response_class=HTMLResponse)
def view_in_browser(request: Request, token: str, db: DbSession, settings: AppSettings) -> Response:
    """The digest of (member, period) as it was sent, rebuilt for its delivery's window."""
    found = read_browser_token(settings.secret_key or "", token)
    if found is None:
        raise HTTPException(404, _("This link is not valid."))
    user_id, period = found
    user = db.get(User, user_id)
    delivery = db.scalar(
        select(DigestDelivery).where(
            DigestDelivery.user_id == user_id, DigestDelivery.period == period
        )
    )
    if user is None or delivery is None:
        raise HTTPException(404, _("This digest is not available."))
    digest = build_digest(
        db,
        settings,
        user,
        period=period,
        window_start=delivery.window_start,
        window_end=delivery.window_end,
        now=delivery.sent_at or delivery.window_end,
    )
    # render_digest_page autoescapes everything a member wrote (an .html template).
    fragment = Markup(render_digest_page(settings, user, digest))  # noqa: S704
    return _private(render(request, "digests/browser.html", {"fragment": fragment}))


@router.get("/d/{token}")
def digest_click(token: str, db: DbSession, settings: AppSettings) -> Response:
    """A digest entry's link when clicks are counted (`forum.digests.clicks`): one more
    for its week and section, then the entry's page."""
    path = clicks.follow(db, settings, token)
    if path is None:
        raise NotFound("link", detail=_("This link is not one of ours, or it was altered."))
    return redirect(path, status_code=303)
