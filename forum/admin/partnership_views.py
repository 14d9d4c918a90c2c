"""The admin area's partnership pages: the list and the edit form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from forum.accounts.deps import Admin
from forum.accounts.memberships import partnership_members
from forum.accounts.models import User
from forum.admin import partnerships as admin_service
from forum.core.i18n import _
from forum.core.pagination import page_number
from forum.core.web import DbSession, flash, redirect, render_admin
from forum.partnerships.models import Partnership
from forum.partnerships.service import STRANDS, get_partnership
from forum.taxonomy.picker import place_choices, sector_choices
from forum.taxonomy.service import list_sectors

router = APIRouter(include_in_schema=False)

Codes = Annotated[list[str], Form(max_length=300)]


def _load(db: DbSession, partnership_id: int) -> Partnership:
    partnership = get_partnership(db, partnership_id)
    if partnership is None:
        raise HTTPException(404, _("There is no partnership with this number."))
    return partnership


def _form_of(db: DbSession, partnership: Partnership) -> dict[str, Any]:
    coordinator = db.get(User, partnership.coordinator_id) if partnership.coordinator_id else None
    return {
        "name": partnership.name,
        "website": partnership.website or "",
        "description": partnership.description,
        "strand": str(partnership.strand or ""),
        "sectors": [s.slug for s in partnership.sectors],
        "countries": partnership.country_codes,
        "coordinator": coordinator.email if coordinator else "",
    }


def _edit_page(
    request: Request,
    db: DbSession,
    partnership: Partnership,
    form: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render_admin(
        request,
        "admin/partnership.html",
        "partnerships",
        {
            "partnership": partnership,
            "strand_options": [("", _("Not stated"))]
            + [(str(s), _("Strand %(strand)s", strand=s)) for s in STRANDS],
            "sector_groups": sector_choices(list_sectors(db)),
            "place_groups": place_choices(),
            "members": partnership_members(db, partnership.id),
        },
        form=form,
        errors=errors,
        status_code=status_code,
    )


@router.get("/admin/partnerships", response_class=HTMLResponse)
def partnerships(
    request: Request,
    db: DbSession,
    admin: Admin,
    page: Annotated[str, Query(max_length=6)] = "1",
) -> Response:
    listing = admin_service.page_partnerships_admin(db, page=page_number(page))
    return render_admin(
        request,
        "admin/partnerships.html",
        "partnerships",
        {
            "listing": listing,
            "coordinators": admin_service.coordinators_of(db, listing.items),
        },
    )


@router.get("/admin/partnerships/{partnership_id}", response_class=HTMLResponse)
def edit_form(request: Request, partnership_id: int, db: DbSession, admin: Admin) -> Response:
    partnership = _load(db, partnership_id)
    return _edit_page(request, db, partnership, _form_of(db, partnership))


@router.post("/admin/partnerships/{partnership_id}", response_class=HTMLResponse)
def edit(
    request: Request,
    partnership_id: int,
    db: DbSession,
    admin: Admin,
    name: Annotated[str, Form(max_length=400)] = "",
    website: Annotated[str, Form(max_length=1000)] = "",
    description: Annotated[str, Form(max_length=20_000)] = "",
    strand: Annotated[str, Form(max_length=2)] = "",
    sectors: Codes = [],  # noqa: B006
    countries: Codes = [],  # noqa: B006
    coordinator: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    partnership = _load(db, partnership_id)
    form = admin_service.PartnershipForm(
        name=name,
        website=website,
        description=description,
        strand=strand,
        sectors=sectors,
        countries=countries,
        coordinator=coordinator,
    )
    try:
        changes = admin_service.update_partnership(db, admin, partnership, form)
    except admin_service.PartnershipEditError as exc:
        db.rollback()
        typed = {
            "name": name,
            "website": website,
            "description": description,
            "strand": strand,
            "sectors": sectors,
            "countries": countries,
            "coordinator": coordinator,
        }
        return _edit_page(
            request, db, _load(db, partnership_id), typed, errors=exc.errors, status_code=422
        )
    db.commit()
    response = redirect(f"/admin/partnerships/{partnership.id}")
    if changes:
        flash(request, response, _("%(name)s is saved.", name=partnership.name), "success")
    else:
        flash(request, response, _("Nothing changed."), "info")
    return response
