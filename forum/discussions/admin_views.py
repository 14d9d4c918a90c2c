"""The admin area's category pages: the list, adding, editing, reordering and deleting."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from forum.accounts.deps import Admin
from forum.core.i18n import _
from forum.core.web import DbSession, flash, redirect, render_admin
from forum.discussions import admin_service
from forum.discussions.models import VISIBILITIES, Category

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=400)]
# Longer than the rule's limit, so a long description gets the service's message.
LongText = Annotated[str, Form(max_length=5000)]
Choice = Annotated[str, Form(max_length=20)]


def _visibility_options() -> list[tuple[str, str]]:
    return [(v, admin_service.VISIBILITY_LABELS[v]) for v in VISIBILITIES]


def _load(db: DbSession, category_id: int) -> Category:
    category = db.get(Category, category_id)
    if category is None:
        raise HTTPException(404, _("There is no category with this number."))
    return category


def _list_page(
    request: Request,
    db: DbSession,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render_admin(
        request,
        "admin/categories.html",
        "categories",
        {
            "rows": admin_service.list_categories_admin(db),
            "visibility_options": _visibility_options(),
            "visibility_labels": admin_service.VISIBILITY_LABELS,
        },
        form=form or {"visibility": "public"},
        errors=errors,
        status_code=status_code,
    )


def _edit_page(
    request: Request,
    db: DbSession,
    category: Category,
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render_admin(
        request,
        "admin/category.html",
        "categories",
        {
            "category": category,
            "threads": admin_service.thread_count(db, category),
            "visibility_options": _visibility_options(),
        },
        form=form,
        errors=errors,
        status_code=status_code,
    )


@router.get("/admin/categories", response_class=HTMLResponse)
def categories(request: Request, db: DbSession, admin: Admin) -> Response:
    return _list_page(request, db)


@router.post("/admin/categories", response_class=HTMLResponse)
def add_category(
    request: Request,
    db: DbSession,
    admin: Admin,
    slug: Text = "",
    name: Text = "",
    description: LongText = "",
    visibility: Choice = "public",
) -> Response:
    try:
        category = admin_service.create_category(
            db, admin, slug=slug, name=name, description=description, visibility=visibility
        )
    except admin_service.CategoryError as exc:
        db.rollback()
        typed = {"slug": slug, "name": name, "description": description, "visibility": visibility}
        return _list_page(request, db, errors={exc.field: str(exc)}, form=typed, status_code=422)
    db.commit()
    response = redirect("/admin/categories")
    added = _("The category %(name)s (%(slug)s) is added.", name=category.name, slug=category.slug)
    flash(request, response, added, "success")
    return response


@router.get("/admin/categories/{category_id}", response_class=HTMLResponse)
def edit_form(request: Request, category_id: int, db: DbSession, admin: Admin) -> Response:
    category = _load(db, category_id)
    form = {
        "name": category.name,
        "description": category.description or "",
        "visibility": category.visibility,
    }
    return _edit_page(request, db, category, form)


@router.post("/admin/categories/{category_id}", response_class=HTMLResponse)
def edit(
    request: Request,
    category_id: int,
    db: DbSession,
    admin: Admin,
    name: Text = "",
    description: LongText = "",
    visibility: Choice = "",
) -> Response:
    category = _load(db, category_id)
    try:
        changes = admin_service.update_category(
            db, admin, category, name=name, description=description, visibility=visibility
        )
    except admin_service.CategoryError as exc:
        db.rollback()
        typed = {"name": name, "description": description, "visibility": visibility}
        return _edit_page(
            request,
            db,
            _load(db, category_id),
            typed,
            errors={exc.field: str(exc)},
            status_code=422,
        )
    db.commit()
    response = redirect("/admin/categories")
    if not changes:
        flash(request, response, _("Nothing changed."), "info")
    elif "visibility" in changes and category.visibility == "members":
        saved = _("%(name)s is saved; its threads are for members only.", name=category.name)
        flash(request, response, saved, "success")
    elif "visibility" in changes:
        saved = _("%(name)s is saved; its threads are for everyone.", name=category.name)
        flash(request, response, saved, "success")
    else:
        flash(request, response, _("%(name)s is saved.", name=category.name), "success")
    return response


@router.post("/admin/categories/{category_id}/move", response_class=HTMLResponse)
def move(
    request: Request, category_id: int, db: DbSession, admin: Admin, direction: Choice = ""
) -> Response:
    category = _load(db, category_id)
    try:
        moved = admin_service.move_category(db, admin, category, direction=direction)
    except admin_service.CategoryError as exc:
        db.rollback()
        return _list_page(request, db, errors={exc.field: str(exc)}, status_code=422)
    db.commit()
    response = redirect("/admin/categories")
    name = category.name
    if moved and direction == "up":
        flash(request, response, _("%(name)s moved up.", name=name), "success")
    elif moved:
        flash(request, response, _("%(name)s moved down.", name=name), "success")
    elif direction == "up":
        flash(request, response, _("%(name)s is already first.", name=name), "info")
    else:
        flash(request, response, _("%(name)s is already last.", name=name), "info")
    return response


@router.post("/admin/categories/{category_id}/delete", response_class=HTMLResponse)
def delete(request: Request, category_id: int, db: DbSession, admin: Admin) -> Response:
    category = _load(db, category_id)
    name, slug = category.name, category.slug
    try:
        admin_service.delete_category(db, admin, category)
    except admin_service.CategoryError as exc:
        db.rollback()
        return _list_page(request, db, errors={exc.field: str(exc)}, status_code=422)
    db.commit()
    response = redirect("/admin/categories")
    flash(
        request,
        response,
        _("The category %(name)s (%(slug)s) is deleted.", name=name, slug=slug),
        "success",
    )
    return response
