"""The admin area's sector pages: the list, adding a sector, renaming one (its English
name and its name in each of the forum's other languages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from forum.accounts.deps import Admin
from forum.admin import sectors as admin_service
from forum.core.i18n import _
from forum.core.pagination import page_number
from forum.core.web import DbSession, flash, redirect, render_admin
from forum.taxonomy.models import SECTOR_NAME_LANGUAGES, Sector

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=400)]


async def _localised_names(request: Request) -> dict[str, str]:
    """The names in other languages the form sends (`name_fr`, `name_de`, ...), by
    language: only the fields it has, so that a form without them changes none."""
    form = await request.form()
    return {
        code: value[:400]
        for code in SECTOR_NAME_LANGUAGES
        if isinstance(value := form.get(f"name_{code}"), str)
    }


Names = Annotated[dict[str, str], Depends(_localised_names)]


def _form_values(field: str, names: dict[str, str]) -> dict[str, str]:
    """What the form sent under the keys the page's fields read (`<field>-<code>`)."""
    return {f"{field}-{code}": value for code, value in names.items()}


def _list_page(
    request: Request,
    db: DbSession,
    *,
    page: int = 1,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    listing = admin_service.page_sectors(db, page=page)
    return render_admin(
        request,
        "admin/sectors.html",
        "sectors",
        {
            "listing": listing,
            "languages": SECTOR_NAME_LANGUAGES,
            # Each row's stored names under the keys its fields read (`name-<id>-<code>`).
            "stored_names": {
                key: value
                for s in listing.items
                for key, value in _form_values(f"name-{s.id}", s.names or {}).items()
            },
        },
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
    request: Request,
    db: DbSession,
    admin: Admin,
    names: Names,
    slug: Text = "",
    name: Text = "",
) -> Response:
    try:
        sector = admin_service.create_sector(db, admin, slug=slug, name=name, names=names)
    except admin_service.SectorError as exc:
        db.rollback()
        return _list_page(
            request,
            db,
            errors={exc.field: str(exc)},
            form={"slug": slug, "name": name, **_form_values("name", names)},
            status_code=422,
        )
    db.commit()
    response = redirect("/admin/sectors")
    flash(
        request,
        response,
        _("The sector %(name)s (%(slug)s) is added.", name=sector.label, slug=sector.slug),
        "success",
    )
    return response


@router.post("/admin/sectors/{sector_id}", response_class=HTMLResponse)
def rename_sector(
    request: Request,
    sector_id: int,
    db: DbSession,
    admin: Admin,
    names: Names,
    name: Text = "",
    page: Annotated[str, Form(max_length=6)] = "1",
) -> Response:
    sector = db.get(Sector, sector_id)
    if sector is None:
        raise HTTPException(404, _("There is no sector with this number."))
    try:
        renamed = admin_service.rename_sector(db, admin, sector, name=name, names=names)
    except admin_service.SectorError as exc:
        db.rollback()
        field = f"name-{sector_id}"
        return _list_page(
            request,
            db,
            page=page_number(page),
            errors={exc.field: str(exc)},
            # The row's fields show what was sent, so that nothing typed is lost.
            form={field: name, **_form_values(field, names)},
            status_code=422,
        )
    db.commit()
    number = page_number(page)
    response = redirect("/admin/sectors" + (f"?page={number}" if number > 1 else ""))
    if renamed:
        flash(
            request,
            response,
            _("The sector %(slug)s is now called %(name)s.", slug=sector.slug, name=sector.label),
            "success",
        )
    else:
        flash(request, response, _("Nothing changed."), "info")
    return response
