"""The admin area's user pages: the member list, one member's page and its actions, and
bulk invitations from a CSV file."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from forum.accounts import admin_service as accounts_admin
from forum.accounts import invites, service
from forum.accounts.deps import Admin
from forum.accounts.models import MEMBERSHIP_STATUS_LABELS, ROLE_LABELS, ROLES, User
from forum.core.audit import record
from forum.core.i18n import _
from forum.core.pagination import page_number
from forum.core.web import AppSettings, DbSession, flash, redirect, render_admin

router = APIRouter(include_in_schema=False)
PER_PAGE = 25

Reason = Annotated[str, Form(max_length=2000)]


def _load(db: DbSession, user_id: int) -> User:
    user = service.get_user(db, user_id)
    if user is None:
        raise HTTPException(404, _("There is no member with this number."))
    return user


def _role(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def _label(user: User) -> str:
    return f"{user.name} <{user.email}>"


# Roles and membership states as the admin reads them (the stored codes stay English).
LABELS = {"role_labels": ROLE_LABELS, "status_labels": MEMBERSHIP_STATUS_LABELS}


def _user_page(
    request: Request,
    admin: User,
    user: User,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render_admin(
        request,
        "admin/user.html",
        "users",
        {
            "user": user,
            "roles": [(r, ROLE_LABELS[r]) for r in ROLES],
            **LABELS,
            "is_self": user.id == admin.id,
        },
        form=form,
        errors=errors,
        status_code=status_code,
    )


# --- the member list and one member ---------------------------------------------------------


@router.get("/admin/users", response_class=HTMLResponse)
def users(
    request: Request,
    db: DbSession,
    admin: Admin,
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[str, Query(max_length=6)] = "1",
) -> Response:
    listing = accounts_admin.page_users(
        db, page=page_number(page), query=q.strip(), per_page=PER_PAGE
    )
    return render_admin(
        request,
        "admin/users.html",
        "users",
        {"listing": listing, "q": q.strip(), **LABELS},
    )


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_detail(request: Request, user_id: int, db: DbSession, admin: Admin) -> Response:
    return _user_page(request, admin, _load(db, user_id))


@router.post("/admin/users/{user_id}/role", response_class=HTMLResponse)
def change_role(
    request: Request,
    user_id: int,
    db: DbSession,
    admin: Admin,
    role: Annotated[str, Form(max_length=20)] = "",
    reason: Reason = "",
) -> Response:
    user = _load(db, user_id)
    old = user.role
    if role == old:
        response = redirect(f"/admin/users/{user.id}")
        flash(
            request,
            response,
            _("%(name)s already has the role %(role)s.", name=user.name, role=_role(role)),
            "info",
        )
        return response
    try:
        accounts_admin.set_role(db, admin, user, role)
    except service.AccountError as exc:
        db.rollback()
        return _user_page(
            request,
            admin,
            _load(db, user_id),
            errors={exc.field or "_": str(exc)},
            form={"role": role, "role_reason": reason},
            status_code=422,
        )
    record(
        db,
        actor=admin,
        action="user.role",
        object_type="user",
        object_id=user.id,
        object_label=_label(user),
        reason=reason.strip(),
        details={"role": {"from": old, "to": role}},
    )
    db.commit()
    response = redirect(f"/admin/users/{user.id}")
    flash(
        request,
        response,
        _("%(name)s is now %(role)s.", name=user.name, role=_role(role)),
        "success",
    )
    return response


@router.post("/admin/users/{user_id}/suspend", response_class=HTMLResponse)
def suspend(
    request: Request, user_id: int, db: DbSession, admin: Admin, reason: Reason = ""
) -> Response:
    user = _load(db, user_id)
    if user.is_suspended:
        response = redirect(f"/admin/users/{user.id}")
        flash(request, response, _("%(name)s is already suspended.", name=user.name), "info")
        return response
    try:
        accounts_admin.suspend(db, admin, user, reason=reason)
    except service.AccountError as exc:
        db.rollback()
        field = "reason" if exc.field == "reason" else "_"
        return _user_page(
            request,
            admin,
            _load(db, user_id),
            errors={field: str(exc)},
            form={"reason": reason},
            status_code=422,
        )
    record(
        db,
        actor=admin,
        action="user.suspend",
        object_type="user",
        object_id=user.id,
        object_label=_label(user),
        reason=reason.strip(),
    )
    db.commit()
    response = redirect(f"/admin/users/{user.id}")
    flash(
        request,
        response,
        _("%(name)s is suspended and signed out everywhere.", name=user.name),
        "success",
    )
    return response


@router.post("/admin/users/{user_id}/unsuspend", response_class=HTMLResponse)
def unsuspend(
    request: Request, user_id: int, db: DbSession, admin: Admin, reason: Reason = ""
) -> Response:
    user = _load(db, user_id)
    if not user.is_suspended:
        response = redirect(f"/admin/users/{user.id}")
        flash(request, response, _("%(name)s is not suspended.", name=user.name), "info")
        return response
    previous = user.suspended_reason or ""
    accounts_admin.unsuspend(db, admin, user)
    record(
        db,
        actor=admin,
        action="user.unsuspend",
        object_type="user",
        object_id=user.id,
        object_label=_label(user),
        reason=reason.strip(),
        details={"suspension_reason": previous},
    )
    db.commit()
    response = redirect(f"/admin/users/{user.id}")
    flash(request, response, _("%(name)s can log in again.", name=user.name), "success")
    return response


@router.post("/admin/users/{user_id}/verification", response_class=HTMLResponse)
def resend_verification(
    request: Request, user_id: int, db: DbSession, settings: AppSettings, admin: Admin
) -> Response:
    user = _load(db, user_id)
    if user.is_verified:
        return _user_page(
            request,
            admin,
            user,
            errors={"_": f"{user.email} is already confirmed: there is nothing to resend."},
            status_code=422,
        )
    service.send_verification(db, settings, user, actor=admin)
    record(
        db,
        actor=admin,
        action="user.resend_verification",
        object_type="user",
        object_id=user.id,
        object_label=_label(user),
    )
    db.commit()
    response = redirect(f"/admin/users/{user.id}")
    flash(
        request,
        response,
        _("A new confirmation link is on its way to %(email)s.", email=user.email),
        "success",
    )
    return response


# --- bulk invitations -------------------------------------------------------------------------


def _invite_form(
    request: Request, errors: list[invites.RowError], *, status_code: int = 200
) -> Response:
    context: dict[str, Any] = {
        "errors": errors,  # the rows' errors, a list: in place of the errors by field
        "error_rows": sorted({e.row for e in errors if e.row is not None}),
        "max_rows": invites.MAX_ROWS,
    }
    return render_admin(request, "admin/invite.html", "invite", context, status_code=status_code)


@router.get("/admin/invite", response_class=HTMLResponse)
def invite_form(request: Request, admin: Admin) -> Response:
    return _invite_form(request, [])


@router.post("/admin/invite", response_class=HTMLResponse)
def invite(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    admin: Admin,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    if file is None or not file.filename:
        return _invite_form(
            request, [invites.RowError(None, _("Choose a CSV file to upload."))], status_code=422
        )
    data = file.file.read(invites.MAX_BYTES + 1)
    if len(data) > invites.MAX_BYTES:
        return _invite_form(
            request,
            [invites.RowError(None, _("The file is larger than 1 MB: split it in parts."))],
            status_code=413,
        )
    plan = invites.parse_invite_csv(db, data)
    if not plan.ok:
        return _invite_form(request, plan.errors, status_code=422)
    result = invites.send_invitations(db, settings, admin, plan)
    db.commit()
    return render_admin(
        request,
        "admin/invite_done.html",
        "invite",
        {"invited": result.invited, "skipped": result.skipped},
    )
