"""The member's data pages: download everything (`/profile/export`), delete the account
(`/profile/delete`)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forum.accounts import sessions, throttle
from forum.accounts.deps import SignedInUser
from forum.accounts.models import User
from forum.accounts.service import AccountError
from forum.core.i18n import _
from forum.core.web import AppSettings, DbSession, flash, redirect, render
from forum.portal import privacy

router = APIRouter(include_in_schema=False)

Password = Annotated[str, Form(max_length=1000)]
# The member's whole data must not be kept by caches.
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/profile/export")
def export(db: DbSession, user: SignedInUser) -> Response:
    data = privacy.export_user_data(db, user)
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="cluster-forum-data-{user.id}.json"',
            **NO_STORE,
        },
    )


def _delete_context(
    db: Session, user: User, form: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    return {"form": form, "errors": errors, "only_admin": privacy.only_admin(db, user)}


@router.get("/profile/delete", response_class=HTMLResponse)
def delete_form(request: Request, db: DbSession, user: SignedInUser) -> Response:
    return render(
        request, "accounts/delete.html", _delete_context(db, user, {"content": "keep"}, {})
    )


@router.post("/profile/delete", response_class=HTMLResponse)
def delete(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    user: SignedInUser,
    password: Password,
    content: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    throttle.require_password_attempts(db, user.email)
    form = {"content": content}
    try:
        if content not in ("keep", "delete"):
            raise AccountError(_("Choose what happens to what you wrote."), "content")
        privacy.delete_own_account(db, user, password=password, keep_content=content == "keep")
    except AccountError as exc:
        db.rollback()
        context = _delete_context(db, user, form, {exc.field or "_": str(exc)})
        page = render(request, "accounts/delete.html", context, status_code=422)
        if exc.field == "password":
            throttle.count_password_failure(db, user.email)
        return page
    db.commit()
    response = redirect("/")
    sessions.clear_session_cookie(response, settings)
    if content == "keep":
        message = _("Your account is deleted. What you wrote is kept as “Former member”.")
    else:
        message = _("Your account is deleted. What you wrote is deleted.")
    flash(request, response, message, "info")
    return response
