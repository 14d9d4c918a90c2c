"""The admin area's sector pages: the list, adding a sector, renaming one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from forum.accounts.deps import Admin
from forum.admin import sectors as admin_service
from forum.core.i18n import _
from forum.core.pagination import page_number
from forum.core.web import DbSession, flash, redirect, render_admin
from forum.taxonomy.models import Sector

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=400)]


def _list_page(
    request: Request,
    db: DbSession,
    *,
    page: int = 1,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render_admin(
        request,
        "admin/sectors.html",
        "sectors",
        {"listing": admin_service.page_sectors(db, page=page)},
        form=form,
        errors=errors,
        status_code=status_code,
    )


@router.get("/admin/sectors", response_class=HTMLResponse)
def sectors(
    request: Request,
    db: DbSession,
    admin: Admin,
    page: Annotated[str, Query(max_length=6)] = "1",
) -> Response:
    return _list_page(request, db, page=page_number(page))


@router.post("/admin/sectors", response_class=HTMLResponse)
def add_sector(
    request: Request, db: DbSession, admin: Admin, slug: Text = "", name: Text = ""
) -> Response:
    try:
        sector = admin_service.create_sector(db, admin, slug=slug, name=name)
    except admin_service.SectorError as exc:
        db.rollback()
        return _list_page(
            request,
            db,
            errors={exc.field: str(exc)},
            form={"slug": slug, "name": name},
            status_code=422,
        )
    db.commit()
    response = redirect("/admin/sectors")
    flash(
        request,
        response,
        _("The sector %(name)s (%(slug)s) is added.", name=sector.name, slug=sector.slug),
        "success",
    )
    return response


@router.post("/admin/sectors/{sector_id}", response_class=HTMLResponse)
def rename_sector(
    request: Request,
    sector_id: int,
    db: DbSession,
    admin: Admin,
    name: Text = "",
    page: Annotated[str, Form(max_length=6)] = "1",
) -> Response:
    sector = db.get(Sector, sector_id)
    if sector is None:
        raise HTTPException(404, _("There is no sector with this number."))
    try:
        renamed = admin_service.rename_sector(db, admin, sector, name=name)
    except admin_service.SectorError as exc:
        db.rollback()
        return _list_page(
            request,
            db,
            page=page_number(page),
            errors={exc.field: str(exc)},
            form={exc.field: name},
            status_code=422,
        )
    db.commit()
    number = page_number(page)
    response = redirect("/admin/sectors" + (f"?page={number}" if number > 1 else ""))
    if renamed:
        flash(
            request,
            response,
            _("The sector %(slug)s is now called %(name)s.", slug=sector.slug, name=sector.name),
            "success",
        )
    else:
        flash(request, response, _("Nothing changed."), "info")
    return response
