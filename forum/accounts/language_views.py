"""The footer's language switcher: a plain form (no JavaScript needed) that keeps the
choice in a cookie and, for a signed-in member, in the profile, which beats the cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from forum.accounts.deps import current_user
from forum.core import i18n
from forum.core.errors import Invalid
from forum.core.i18n import _
from forum.core.web import DbSession, redirect, safe_next

router = APIRouter(include_in_schema=False)

# A year: the choice is a preference, not a session.
COOKIE_MAX_AGE = 365 * 24 * 3600


@router.post("/language")
def choose_language(
    request: Request,
    db: DbSession,
    language: Annotated[str, Form(max_length=16)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> RedirectResponse:
    code = i18n.supported(language)
    if code is None:
        raise Invalid(_("Choose a language from the list."), "language")
    user = current_user(request)
    if user is not None:
        user.language = code
        db.commit()
    response = redirect(safe_next(next))
    response.set_cookie(
        i18n.LANGUAGE_COOKIE, code, max_age=COOKIE_MAX_AGE, samesite="lax", path="/"
    )
    return response
